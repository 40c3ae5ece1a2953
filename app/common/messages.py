"""One wording per rule, wherever the rule is checked: page forms (WTForms), API schemas (marshmallow), the process
forms (JSON Schema, processes/forms.py) and the services all say "This field is required." (此项为必填。) and
"At most N characters." (最多 N 个字符。), translated from the shared catalog (app/translations).

WTForms and marshmallow bring their own words for the same rules ("该字段是必填字段。", "Missing data for required
field.", "Longer than maximum length 200."): `install` makes page forms read the shared catalog first (WTForms'
own translation only for the messages it has no entry for), and `api_message` words a marshmallow message the same
way before the API answers it."""
import re

from flask_babel import gettext

REQUIRED = "This field is required."
TOO_LONG = "At most %(n)s characters."
TOO_LONG_API = "At most {max} characters."  # marshmallow's form of TOO_LONG, before api_message translates it

# marshmallow's defaults, set to the rule's English text (translated per request by api_message)
_MARSHMALLOW_REQUIRED = ("Missing data for required field.", "Field may not be null.")
_TOO_LONG_RE = re.compile(r"^(?:At most|Longer than maximum length) (\d+)(?: characters)?\.$")


def required():
    return gettext(REQUIRED)


def too_long(n):
    return gettext(TOO_LONG, n=n)


class FormTranslations:
    """WTForms' translations object: the shared catalog's wording of a rule, else WTForms' own translation."""

    def gettext(self, string):
        ours = gettext(string)
        if ours != string:
            return ours
        from flask_wtf.i18n import translations
        return translations.gettext(string)

    def ngettext(self, singular, plural, n):
        if plural == "Field cannot be longer than %(max)d characters.":  # Length(max=n): n is the maximum
            return too_long(n).replace("%", "%%")  # WTForms formats the result with % once more
        from flask_wtf.i18n import translations
        return translations.ngettext(singular, plural, n)


def api_message(message):
    """A marshmallow message in the rule's wording and the user's language (other messages pass unchanged)."""
    if not isinstance(message, str):
        return message
    if message in _MARSHMALLOW_REQUIRED or message == REQUIRED:
        return required()
    found = _TOO_LONG_RE.match(message)
    if found:
        return too_long(int(found.group(1)))
    return message


def api_messages(errors):
    """{field: [messages] or nested} with every message through api_message."""
    if isinstance(errors, dict):
        return {k: api_messages(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [api_messages(m) for m in errors]
    return api_message(errors)


def install(app):
    """Page forms take the rule's wording from the shared catalog (Flask-WTF's Meta answers its own translations
    otherwise); marshmallow's Length says "At most N characters."."""
    from flask_wtf import FlaskForm
    from marshmallow import validate

    translations = FormTranslations()
    FlaskForm.Meta.get_translations = lambda _meta, _form: translations
    if not getattr(validate.Length, "_crm_worded", False):
        validate.Length.__call__ = _worded_length(validate.Length.__call__)
        validate.Length._crm_worded = True


def _worded_length(check):
    """marshmallow's Length, saying which rule failed: "Length must be between 1 and 200." becomes the required
    rule for an empty text and the length rule for a long one (a custom `error=` stays as given)."""
    from marshmallow import ValidationError

    def call(self, value):
        if self.error is None and self.equal is None and isinstance(value, str):
            if self.max is not None and len(value) > self.max:
                raise ValidationError(TOO_LONG_API.format(max=self.max))
            if self.min == 1 and not value:
                raise ValidationError(REQUIRED)
        return check(self, value)
    return call
