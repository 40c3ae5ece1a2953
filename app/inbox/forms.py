"""The generic task form: JSON Schema (+ UI schema) -> HTML fields, and posted strings -> typed data.

Widgets: text, long text (ui:widget textarea or maxLength > 200), number, date (format date), select (enum,
x-dictionary, x-users) and stars (ui:widget / x-widget "stars": integers 1-5). Validation itself is
processes.forms.validate (jsonschema) so the page and the API refuse exactly the same input.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from processes.forms import choices_for, database_choices
from app.common.ui import model_text


@dataclass
class FormField:
    name: str
    label: str
    widget: str
    required: bool
    value: str = ""
    choices: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    help: str | None = None
    attrs: dict = field(default_factory=dict)


def _widget(prop, ui):
    hint = ui.get("ui:widget") or prop.get("x-widget")
    if hint == "stars":
        return "stars"
    if "x-dictionary" in prop or "x-users" in prop or "enum" in prop:
        return "radio" if hint == "radio" else "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if hint == "textarea" or (prop.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def _display(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "y" if value else ""
    return str(value)


def build_fields(db, schema, ui=None, values=None, errors=None):
    """The fields to render, in ui:order, holding the entered values and their error messages."""
    ui, values, errors = ui or {}, values or {}, errors or {}
    props = schema.get("properties") or {}
    order = [n for n in ui.get("ui:order", []) if n in props] + [n for n in props if n not in ui.get("ui:order", [])]
    required = set(schema.get("required") or [])
    result = []
    for name in order:
        prop, hints = props[name], ui.get(name) or {}
        if hints.get("ui:widget") == "hidden" or prop.get("readOnly"):
            continue
        widget = _widget(prop, hints)
        f = FormField(name=name, label=model_text(prop.get("title")) or name, widget=widget,
                      required=name in required, value=_display(values.get(name, prop.get("default"))),
                      errors=list(errors.get(name, [])), help=model_text(hints.get("ui:help") or prop.get("description")))
        if widget in ("select", "radio"):
            # Labels from the database (dictionary items, user names) show as stored, never through gettext;
            # only the model's own enumNames are model text with a translation.
            shown = str if database_choices(prop) else model_text
            f.choices = [(_display(v), shown(label)) for v, label in (choices_for(db, prop) or [])]
        elif widget == "stars":
            low, high = int(prop.get("minimum", 1)), int(prop.get("maximum", 5))
            f.choices = [(str(n), "★" * n) for n in range(low, high + 1)]
        elif widget == "number":
            f.attrs = {k: prop[j] for k, j in (("min", "minimum"), ("max", "maximum")) if j in prop}
            f.attrs["step"] = "1" if prop.get("type") == "integer" else "any"
        elif widget in ("text", "textarea") and "maxLength" in prop:
            f.attrs = {"maxlength": prop["maxLength"]}
        result.append(f)
    return result


def coerce(schema, form):
    """Posted strings -> typed values for jsonschema; returns (data, errors). Empty fields are left out so that
    `required` reports them; a value that cannot be converted is reported here with the field's own message."""
    data, errors = {}, {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type")
        if kind == "boolean":  # an unticked checkbox is not posted at all
            data[name] = form.get(name) in ("y", "on", "true", "1")
            continue
        raw = form.get(name)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip() if kind != "string" else raw
        if kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                errors[name] = [_("Enter a whole number.")]
        elif kind == "number":
            try:
                data[name] = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                errors[name] = [_("Enter a number.")]
        else:
            data[name] = raw
    return data, errors
