"""Schemas shared by every paginated list of the API (app.common.listing.Page.as_api)."""
from marshmallow import Schema, fields, validate

from app.common.ints import DbInteger
from app.common.listing import MAX_PAGE


class PageArgs(Schema):
    """Query arguments of a paginated list."""
    page = DbInteger(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = DbInteger(load_default=20, validate=validate.Range(min=1, max=200))


class PageOut(Schema):
    """A page of a list; subclasses add `items`."""
    total = fields.Integer(metadata={"description": "rows found; a lower bound when total_exact is false"})
    total_exact = fields.Boolean(metadata={"description": "false: more than `total` rows match (counted up to a "
                                                          "limit)"})
    page = fields.Integer()
    per_page = fields.Integer()
