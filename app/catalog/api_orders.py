"""/api/v1/orders: create (idempotent on order_no), query, read, and /orders/import (CSV or .xlsx)."""
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from app.auth.guard import requires
from app.catalog import order_import, order_service
from app.catalog.api import FlatSchema, ListQuery, blp, listing, page_of
from app.common.date_range import range_rule
from app.common.ints import DbInteger
from app.db import db_session


class OrderLineIn(FlatSchema):
    product_id = DbInteger(required=True)
    quantity = DbInteger(required=True)
    unit = fields.String(allow_none=True, metadata={"description": "defaults to the product's unit"})
    unit_price = fields.Decimal(required=True, metadata={"description": "number or string, 2 decimals at most"})


class OrderIn(FlatSchema):
    order_no = fields.String(required=True)
    customer_no = fields.String(required=True, metadata={"description": "the customer's number (KH…)"})
    date = fields.Date(required=True)
    address = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(order_service.STATUSES))
    lines = fields.List(fields.Nested(OrderLineIn), required=True)


class OrderLineDetail(Schema):
    product_id = fields.Integer()
    product_name = fields.Function(lambda ln: ln.product.name)
    quantity = fields.Integer()
    unit = fields.String()
    unit_price = fields.Decimal(as_string=True)
    amount = fields.Decimal(as_string=True)


class OrderDetail(Schema):
    order_no = fields.String()
    customer_no = fields.Function(lambda o: o.customer.no)
    customer_name = fields.Function(lambda o: o.customer.name)
    date = fields.Date(attribute="order_date")
    address = fields.String()
    status = fields.String()
    lines = fields.List(fields.Nested(OrderLineDetail))
    total = fields.Decimal(as_string=True)
    imported_at = fields.DateTime()


class OrderQuery(ListQuery):
    customer_no = fields.String()
    customer = fields.String(metadata={"description": "part of the customer name"})
    status = fields.String(validate=validate.OneOf(order_service.STATUSES))
    date_from = fields.Date()
    date_to = fields.Date()
    _range = range_rule(("date_from", "date_to"))


class ImportIn(Schema):
    file = Upload(required=True, metadata={"description": ".csv (UTF-8 or GBK) or .xlsx, one row per order line"})


class ImportRowError(Schema):
    row = fields.Integer()
    field = fields.String()
    message = fields.String()


class ImportReport(Schema):
    rows = fields.Integer()
    orders_created = fields.Integer()
    orders_existing = fields.Integer()
    lines_created = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowError))


@blp.route("/orders")
@blp.arguments(OrderQuery, location="query")
@blp.response(200, page_of(OrderDetail))
@requires("order.view")
def list_orders(args):
    """Orders, newest first; `q` matches the order number. Managers see their customers' orders only."""
    stmt = order_service.query_orders(current_user, q=args.get("q"), customer_no=args.get("customer_no"),
                                      customer=args.get("customer"), status=args.get("status"),
                                      date_from=args.get("date_from"), date_to=args.get("date_to"))
    return listing(stmt, args)


@blp.route("/orders", methods=["POST"])
@blp.arguments(OrderIn)
@blp.response(201, OrderDetail, description="Created")
@blp.alt_response(200, schema=OrderDetail, description="An identical order with this order_no exists; nothing created")
@blp.alt_response(409, description="An order with this order_no exists with different content")
@requires("order.import")
def create_order(body):
    """Receive an order from the order system. Idempotent on order_no: sending the same order again answers
    200 with the existing order; the same order_no with other content answers 409 (`fields` lists the
    differences). The total is sum(quantity × unit_price)."""
    order, created = order_service.create_order(db_session, data=body)
    db_session.commit()
    return (order, 201) if created else (order, 200)


@blp.route("/orders/<order_no>")
@blp.response(200, OrderDetail)
@requires("order.view")
def get_order(order_no):
    return order_service.get_order(db_session, current_user, order_no)


@blp.route("/orders/import", methods=["POST"])
@blp.arguments(ImportIn, location="files")
@blp.response(200, ImportReport)
@requires("order.import")
def import_orders(files):
    """Bulk import (multipart field `file`). Valid orders are imported, bad rows are reported as
    {row, field, message} (row numbers as in the spreadsheet, header = 1); orders already present are skipped."""
    upload = files["file"]
    report = order_import.import_orders(db_session, upload.filename, upload.read())
    db_session.commit()
    return report
