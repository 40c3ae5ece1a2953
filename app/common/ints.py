"""Integers as the database stores them (32-bit keys and counters).

Anything outside that range cannot name a row: a path id beyond it is a 404, a query or body value a field error,
instead of the driver's overflow (SQLite) or out-of-range error (PostgreSQL) surfacing as a 500."""
from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1
DB_INT_MIN = -2**31
validate_range = validate.Range(min=DB_INT_MIN, max=DB_INT_MAX)


def db_int(value):
    """int(value) when it is an integer the database can hold, else None."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if DB_INT_MIN <= number <= DB_INT_MAX else None


class DbIntConverter(IntegerConverter):
    """`<int:...>` in every route: ids beyond the column range do not match the route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class DbInteger(fields.Integer):
    """A marshmallow Integer limited to the column range (other validators still apply)."""

    def __init__(self, *args, validate=None, **kwargs):
        checks = [validate] if callable(validate) else list(validate or [])
        super().__init__(*args, validate=[validate_range, *checks], **kwargs)

