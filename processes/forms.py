"""Task forms: JSON Schema (+ optional UI schema) validated on the server with jsonschema.

Choice lists that live in the database (`x-dictionary: <type>`, `x-users: <role code>`) are resolved through
sources the application registers (the engine does not know the domain tables); they become `enum`s before
validation, so a value outside the list is refused like any other schema violation.
"""
import copy
from typing import Callable

from jsonschema import Draft202012Validator, FormatChecker

from processes.errors import FormInvalid

# extension keyword -> fn(db, argument) -> [(value, label)]
_CHOICE_SOURCES: dict[str, Callable] = {}
_FORMAT_CHECKER = FormatChecker()


def choice_source(keyword):
    def deco(fn):
        _CHOICE_SOURCES[keyword] = fn
        return fn
    return deco


def database_choices(prop) -> bool:
    """True when the property's choices come from a registered source (their labels are stored data, not text
    written in the model)."""
    return any(keyword in prop for keyword in _CHOICE_SOURCES)


def choices_for(db, prop) -> list[tuple] | None:
    """The (value, label) options of a property, or None when it is not a choice."""
    for keyword, fn in _CHOICE_SOURCES.items():
        if keyword in prop:
            return list(fn(db, prop[keyword]))
    if "enum" in prop:
        names = prop.get("enumNames") or prop["enum"]
        return list(zip(prop["enum"], names))
    return None


def form_documents(definition_forms, form_name, ui_name=None):
    """(schema, ui_schema) for a task; ({}, {}) for a task without a form."""
    forms = definition_forms or {}
    return forms.get(form_name) or {}, (forms.get(ui_name) if ui_name else None) or {}


def resolved_schema(db, schema):
    """A copy of the schema with database-backed choices turned into enums."""
    schema = copy.deepcopy(schema)
    for prop in (schema.get("properties") or {}).values():
        for keyword in _CHOICE_SOURCES:
            if keyword in prop:
                values = [v for v, _label in _CHOICE_SOURCES[keyword](db, prop[keyword])]
                prop["enum"] = values
    return schema


def validate(db, schema, data, translate=None):
    """Returns the data restricted to the form's fields; raises FormInvalid({field: [messages]}).

    `translate` (e.g. gettext) turns the English message templates into the user's language."""
    if not schema:
        return {}
    data = dict(data or {})
    resolved = resolved_schema(db, schema)
    errors: dict[str, list[str]] = {}
    tr = translate or (lambda text: text)
    for err in Draft202012Validator(resolved, format_checker=_FORMAT_CHECKER).iter_errors(data):
        if err.validator == "required":
            field = err.message.split("'")[1] if "'" in err.message else "_form"
            errors.setdefault(field, []).append(tr("This field is required."))
            continue
        field = str(err.absolute_path[0]) if err.absolute_path else "_form"
        template, params = _message(err)
        errors.setdefault(field, []).append(tr(template) % params if params else tr(template))
    if errors:
        raise FormInvalid("The form has errors", errors=errors)
    props = schema.get("properties") or {}
    # Only declared fields reach task data: a user must not be able to set other process variables.
    return {k: v for k, v in data.items() if k in props}


def _message(err):
    """(template, params): English templates the UI translates (see app/inbox/translations)."""
    v, val = err.validator, err.validator_value
    if v == "enum":
        return "Choose one of the offered values.", {}
    if v == "type":
        return {"integer": "Enter a whole number.", "number": "Enter a number.", "string": "Enter text.",
                "boolean": "Choose yes or no."}.get(str(val), "Wrong type."), {}
    if v in ("minimum", "exclusiveMinimum"):
        return "Must be at least %(n)s.", {"n": val}
    if v in ("maximum", "exclusiveMaximum"):
        return "Must be at most %(n)s.", {"n": val}
    if v == "minLength":
        return ("This field is required.", {}) if val == 1 else ("Enter at least %(n)s characters.", {"n": val})
    if v == "maxLength":
        return "At most %(n)s characters.", {"n": val}  # the app's one wording of the rule
    if v == "format":
        return ("Enter a date (YYYY-MM-DD)." if val == "date" else "Wrong format."), {}
    return "Wrong value.", {}
