"""Task forms: JSON Schema (+ optional UI schema) validated on the server with jsonschema.

Choice lists that live in the database (`x-dictionary: <type>`, `x-users: <role code>`) are resolved through
sources the application registers (the engine does not know the domain tables). A form page shows them as `enum`s
(resolved_schema); a submitted value outside the list is refused with the same message as any other `enum`.
"""
import copy
import json
from functools import lru_cache
from typing import Callable

from jsonschema import Draft202012Validator, FormatChecker

from processes.errors import FormInvalid

# extension keyword -> fn(db, argument) -> [(value, label)]
_CHOICE_SOURCES: dict[str, Callable] = {}
# extension keyword -> fn(db, argument, value) -> bool: whether value is one of the choices, without reading them all
_CHOICE_CHECKS: dict[str, Callable] = {}
_FORMAT_CHECKER = FormatChecker()
_NOT_A_CHOICE = "Choose one of the offered values."


def choice_source(keyword, contains=None):
    """Register the choices of `keyword`; `contains(db, argument, value)`, when given, answers validation for one
    submitted value (a submission checks one value; the list is for the page that offers them)."""
    def deco(fn):
        _CHOICE_SOURCES[keyword] = fn
        if contains is not None:
            _CHOICE_CHECKS[keyword] = contains
        else:
            _CHOICE_CHECKS.pop(keyword, None)
        return fn
    return deco


def _is_choice(db, keyword, argument, value) -> bool:
    check = _CHOICE_CHECKS.get(keyword)
    if check is not None:
        return bool(check(db, argument, value))
    return value in [v for v, _label in _CHOICE_SOURCES[keyword](db, argument)]


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


@lru_cache(maxsize=256)
def _validator(schema_json):
    """A compiled validator per schema text: building one costs more than validating a form with it, and the
    schemas of the deployed versions are few. Keyed by text because every request reads its definition row anew."""
    return Draft202012Validator(json.loads(schema_json), format_checker=_FORMAT_CHECKER)


def validate(db, schema, data, translate=None):
    """Returns the data restricted to the form's fields; raises FormInvalid({field: [messages]}).

    `translate` (e.g. gettext) turns the English message templates into the user's language. A database-backed
    choice is checked after the schema, only when its field passed the schema (type, required)."""
    if not schema:
        return {}
    data = dict(data or {})
    errors: dict[str, list[str]] = {}
    tr = translate or (lambda text: text)
    validator = _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    for err in validator.iter_errors(data):
        if err.validator == "required":
            field = err.message.split("'")[1] if "'" in err.message else "_form"
            errors.setdefault(field, []).append(tr("This field is required."))
            continue
        field = str(err.absolute_path[0]) if err.absolute_path else "_form"
        template, params = _message(err)
        errors.setdefault(field, []).append(tr(template) % params if params else tr(template))
    props = schema.get("properties") or {}
    for name, prop in props.items():
        if name in errors or name not in data:
            continue
        for keyword in _CHOICE_SOURCES:
            if keyword in prop and not _is_choice(db, keyword, prop[keyword], data[name]):
                errors.setdefault(name, []).append(tr(_NOT_A_CHOICE))
    if errors:
        raise FormInvalid("The form has errors", errors=errors)
    # Only declared fields reach task data: a user must not be able to set other process variables.
    return {k: v for k, v in data.items() if k in props}


def _message(err):
    """(template, params): English templates the UI translates (see app/inbox/translations)."""
    v, val = err.validator, err.validator_value
    if v == "enum":
        return _NOT_A_CHOICE, {}
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
