"""/api/v1/dictionary (CRUD), /api/v1/products and /api/v1/inventory (query); orders in api_orders."""
from flask import Response
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.auth.guard import requires
from app.catalog import dictionary_service as dictionary
from app.catalog import product_service
from app.common.ints import DbInteger
from app.common.listing import paginate
from app.db import db_session

blp = Blueprint("api_catalog", __name__, url_prefix="/api/v1",
                description="Data dictionary, products, inventory and orders")


def flatten(messages, prefix=""):
    """{'lines': {0: {'quantity': [..]}}} -> {'lines[0].quantity': [..]}: the field names the services use."""
    flat = {}
    for key, value in messages.items():
        if key == "_schema" and prefix:  # marshmallow's key for "this value as a whole"
            name = prefix
        else:
            name = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


class FlatSchema(Schema):
    """Validation errors keyed like the service errors, whatever the nesting."""

    def handle_error(self, error, data, *, many, **kwargs):
        if isinstance(error.messages, dict):
            raise ValidationError(flatten(error.messages)) from error
        raise error


class ListQuery(FlatSchema):
    class Meta:
        unknown = EXCLUDE

    page = DbInteger(load_default=1, validate=validate.Range(min=1))
    per_page = DbInteger(load_default=20, validate=validate.Range(min=1, max=200))
    q = fields.String(metadata={"description": "free-text search"})


def page_of(schema):
    return type(f"{schema.__name__}Page", (Schema,), {
        "items": fields.List(fields.Nested(schema)), "total": fields.Integer(), "page": fields.Integer(),
        "per_page": fields.Integer()})


def listing(stmt, args):
    page = paginate(db_session, stmt, args["page"], args["per_page"])
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


class EntryOut(Schema):
    id = fields.Integer()
    type = fields.String()
    item = fields.String()
    value = fields.String()
    editable = fields.Boolean()
    label_en = fields.String(allow_none=True, metadata={"description": "The item in the English UI"})


class EntryIn(FlatSchema):
    type = fields.String(required=True)
    item = fields.String(required=True)
    value = fields.String(required=True)
    editable = fields.Boolean(load_default=True)
    label_en = fields.String(load_default=None, allow_none=True,
                             metadata={"description": "The item in the English UI (the item when empty)",
                                       "maxLength": 60})


class EntryQuery(ListQuery):
    type = fields.String()


@blp.route("/dictionary")
@blp.arguments(EntryQuery, location="query")
@blp.response(200, page_of(EntryOut))
@requires("dictionary.view")
def list_dictionary(args):
    """Dictionary entries, filtered by type and free text."""
    return listing(dictionary.query_entries(type=args.get("type"), q=args.get("q")), args)


@blp.route("/dictionary", methods=["POST"])
@blp.arguments(EntryIn)
@blp.response(201, EntryOut)
@requires("dictionary.edit")
def create_dictionary_entry(body):
    entry = dictionary.create_entry(db_session, **body)
    db_session.commit()
    return entry


@blp.route("/dictionary/<int:entry_id>")
@blp.response(200, EntryOut)
@requires("dictionary.view")
def get_dictionary_entry(entry_id):
    return dictionary.get_entry(db_session, entry_id)


@blp.route("/dictionary/<int:entry_id>", methods=["PUT"])
@blp.arguments(EntryIn)
@blp.response(200, EntryOut)
@requires("dictionary.edit")
def update_dictionary_entry(body, entry_id):
    """Replace an entry. A non-editable entry answers 409 with code `not_editable`, unless only its `label_en`
    changes."""
    entry = dictionary.update_entry(db_session, entry_id=entry_id, **body)
    db_session.commit()
    return entry


@blp.route("/dictionary/<int:entry_id>", methods=["DELETE"])
@blp.response(204)
@requires("dictionary.edit")
def delete_dictionary_entry(entry_id):
    """Delete an entry. A non-editable entry answers 409 with code `not_editable`."""
    dictionary.delete_entry(db_session, entry_id=entry_id)
    db_session.commit()
    return Response(status=204)


class ProductOut(Schema):
    id = fields.Integer()
    name = fields.String()
    model = fields.String()
    batch = fields.String()
    unit = fields.String()
    unit_price = fields.Decimal(as_string=True)
    memo = fields.String()


class ProductQuery(ListQuery):
    name = fields.String()
    model = fields.String()
    batch = fields.String()


@blp.route("/products")
@blp.arguments(ProductQuery, location="query")
@blp.response(200, page_of(ProductOut))
@requires("product.view")
def list_products(args):
    """Products by name, model and batch (parts match); `q` searches all three."""
    return listing(product_service.query_products(q=args.get("q"), name=args.get("name"), model=args.get("model"),
                                                  batch=args.get("batch")), args)


@blp.route("/products/<int:product_id>")
@blp.response(200, ProductOut)
@requires("product.view")
def get_product(product_id):
    return product_service.get_product(db_session, product_id)


class InventoryOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.Function(lambda i: i.product.name)
    warehouse = fields.String()
    location = fields.String()
    quantity = fields.Integer()
    memo = fields.String()


class InventoryQuery(ListQuery):
    product = fields.String(metadata={"description": "part of the product name or model"})
    product_id = DbInteger()
    warehouse = fields.String(metadata={"description": "part of the warehouse name"})


@blp.route("/inventory")
@blp.arguments(InventoryQuery, location="query")
@blp.response(200, page_of(InventoryOut))
@requires("inventory.view")
def list_inventory(args):
    """Stock by product and warehouse."""
    return listing(product_service.query_inventory(product=args.get("product"), product_id=args.get("product_id"),
                                                   warehouse=args.get("warehouse"), q=args.get("q")), args)


from app.catalog import api_orders  # noqa: E402,F401  (registers /orders on blp)
