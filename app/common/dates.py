"""Days a list or report filter may name.

A filter day becomes the company's local midnight in UTC, and an inclusive end day the next midnight: near
date.min/date.max that arithmetic overflows (a 500 found by fuzzing `created_to=9999-12-31`). No record of this
CRM lies outside these years, so a day beyond them is a field error rather than an empty result."""
from datetime import date

from flask_babel import gettext as _
from marshmallow import fields, validate
from wtforms.validators import ValidationError

FILTER_DAY_MIN = date(1900, 1, 1)
FILTER_DAY_MAX = date(2999, 12, 31)
validate_filter_day = validate.Range(min=FILTER_DAY_MIN, max=FILTER_DAY_MAX)


def in_filter_range(day):
    return FILTER_DAY_MIN <= day <= FILTER_DAY_MAX


class FilterDate(fields.Date):
    """A marshmallow Date limited to the filter range (other validators still apply)."""

    def __init__(self, *args, validate=None, **kwargs):
        checks = [validate] if callable(validate) else list(validate or [])
        super().__init__(*args, validate=[validate_filter_day, *checks], **kwargs)


class FilterDayRange:
    """WTForms validator of a filter day (a date field's data) on the pages."""

    def __call__(self, form, field):
        if field.data and not in_filter_range(field.data):
            raise ValidationError(day_range_message())


def day_range_message():
    return _("Enter a day between %(lo)s and %(hi)s.", lo=FILTER_DAY_MIN.isoformat(), hi=FILTER_DAY_MAX.isoformat())
