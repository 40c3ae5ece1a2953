"""Refuse text with NUL characters before any view sees it.

No user types one, PostgreSQL cannot store one ("A string literal cannot contain NUL characters") and SQLite
would keep it invisibly; so a request carrying one in its path, query, form or JSON body gets a field error naming
where it is, on both databases alike."""
from flask import request
from flask_babel import gettext as _

from app.common.errors import ValidationFailed


def _nul_in(value, where):
    """The name of the first place in `value` (a JSON document) holding a NUL, else None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return key.replace("\x00", "")
        name = key if isinstance(value, list) else (f"{where}.{key}" if where else key)
        found = _nul_in(item, name)
        if found:
            return found
    return None


def _refuse_nameless_parts():
    """A multipart part without a name (werkzeug files it under the key None) belongs to no field: it is answered
    as a field error instead of breaking whatever reads the form next."""
    if None in request.form or None in request.files:
        message = _("A part of the form has no field name; send each value and file under its field's name.")
        raise ValidationFailed({"form": [message]}, detail=message)


def check_request():
    _refuse_nameless_parts()
    found = None
    if "\x00" in request.path:
        found = "path"
    for source in (request.args, request.form):
        for key, values in source.lists():
            if found is None and ("\x00" in key or any("\x00" in v for v in values)):
                found = key.replace("\x00", "") or "?"
    if found is None and request.is_json:
        found = _nul_in(request.get_json(silent=True), "")
    if found is not None:
        message = _("The text contains a NUL character (\\0); remove it.")
        raise ValidationFailed({found: [message]}, detail=message)


def init_app(app):
    app.before_request(check_request)
