"""Products and inventory search, read-only orders, and the order import page."""
from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guard import requires
from app.catalog import order_import, order_service, product_service
from app.catalog.forms import STATUS_LABELS, ImportForm, InventoryFilterForm, OrderFilterForm, ProductFilterForm
from app.catalog.views import bp
from app.common.errors import ValidationFailed
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.db import db_session


def _status_label(code):
    return str(STATUS_LABELS.get(code, code))


@bp.route("/products")
@requires("product.view")
def list_products():
    form = ProductFilterForm(request.args)
    stmt = product_service.query_products(q=request.args.get("q"), name=form.name.data, model=form.model.data,
                                          batch=form.batch.data)
    if wants_export():
        rows = ((p.id, p.name, p.model, p.batch, p.unit, p.unit_price, p.memo) for p in db_session.scalars(stmt))
        return xlsx_response("products.xlsx", ["ID", _("Product name"), _("Model"), _("Batch"), _("Unit"),
                                               _("Unit price"), _("Memo")], rows)
    page = paginate(db_session, stmt, *page_args())
    return render_template("catalog/products.html", form=form, page=page)


@bp.route("/inventory")
@requires("inventory.view")
def list_inventory():
    form = InventoryFilterForm(request.args)
    stmt = product_service.query_inventory(product=form.product.data, warehouse=form.warehouse.data)
    if wants_export():
        rows = ((i.product.name, i.product.model, i.warehouse, i.location, i.quantity, i.memo)
                for i in db_session.scalars(stmt))
        return xlsx_response("inventory.xlsx", [_("Product"), _("Model"), _("Warehouse"), _("Location"),
                                                _("Quantity"), _("Memo")], rows)
    page = paginate(db_session, stmt, *page_args())
    return render_template("catalog/inventory.html", form=form, page=page,
                           warehouses=product_service.list_warehouses(db_session))


@bp.route("/orders")
@requires("order.view")
def list_orders():
    form = OrderFilterForm(request.args)
    valid = form.validate()  # a malformed date or an impossible range shows beside its field and is ignored
    stmt = order_service.query_orders(
        current_user, q=form.q.data, customer=form.customer.data, customer_no=request.args.get("customer_no"),
        status=form.status.data or None, date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data)
    if wants_export():
        rows = ((o.order_no, o.customer.no, o.customer.name, o.order_date, o.address, _status_label(o.status),
                 o.total) for o in db_session.scalars(stmt))
        return xlsx_response("orders.xlsx", [_("Order number"), _("Customer number"), _("Customer"), _("Date"),
                                             _("Delivery address"), _("Status"), _("Total")], rows)
    page = paginate(db_session, stmt, *page_args())
    return render_template("catalog/orders.html", form=form, page=page, status_label=_status_label), \
        (200 if valid else 422)


@bp.route("/orders/<order_no>")
@requires("order.view")
def view_order(order_no):
    order = order_service.get_order(db_session, current_user, order_no)
    return render_template("catalog/order.html", order=order, status_label=_status_label)


@bp.route("/orders/import", methods=["GET", "POST"])
@requires("order.import")
def import_orders():
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = order_import.import_orders(db_session, upload.filename, upload.read())
        except ValidationFailed as err:
            db_session.rollback()
            form.file.errors = list(form.file.errors) + [m for ms in err.errors.values() for m in ms]
            status = 422
        else:
            db_session.commit()
            flash(_("%(created)s orders imported, %(existing)s already present, %(errors)s row errors.",
                    created=report["orders_created"], existing=report["orders_existing"],
                    errors=len(report["errors"])), "success" if not report["errors"] else "warning")
    elif request.method == "POST":
        status = 422
    return render_template("catalog/import.html", form=form, report=report,
                           columns=order_import.HEADERS), status
