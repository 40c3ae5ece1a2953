"""The rule of every list filtered by a date range: its start may not be after its end (such a range would
silently list nothing). One validator for page forms (WTForms) and one for API query schemas (marshmallow), both
answering the same message on the end field."""
from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema
from wtforms.validators import StopValidation

MESSAGE = _l("The end date is before the start date.")


def as_date(value):
    """A date, or None for an empty or malformed value (a malformed one gets its own message from its field)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def impossible(start, end) -> bool:
    start, end = as_date(start), as_date(end)
    return start is not None and end is not None and start > end


class NotBefore:
    """WTForms validator of a range's end field: `created_to = DateField(..., validators=[Optional(),
    NotBefore("created_from")])`."""

    def __init__(self, start_field):
        self.start_field = start_field

    def __call__(self, form, field):
        start = form[self.start_field]
        if not start.errors and impossible(start.data, field.data):
            raise StopValidation(str(MESSAGE))


def range_rule(*pairs):
    """A marshmallow schema hook checking each (start, end) pair of query fields: `_range = range_rule(("created_from",
    "created_to"))` in the schema's body; an impossible range is a 422 naming the end field."""

    @validates_schema
    def check_ranges(self, data, **_kwargs):
        errors = {end: [str(MESSAGE)] for start, end in pairs if impossible(data.get(start), data.get(end))}
        if errors:
            raise ValidationError(errors)

    return check_ranges
