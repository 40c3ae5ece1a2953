"""Customer pages: list and search, the customer page, edit, logical delete, hand-over to another manager.

Contacts, interaction records and orders are in views_records.py (same blueprint)."""
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guard import LOGGED_IN, access_rule, requires, sees_all
from app.common.errors import ValidationFailed
from app.common.ints import db_int
from app.common.listing import page_args, wants_export, xlsx_response
from app.customers import labels, lookups, process_links, records_service, search, service
from app.common.forms import apply_errors, form_data
from app.customers.forms import CustomerForm, Opt, TransferForm
from app.customers.transfer_service import transfer_customer
from app.customers.validation import CUSTOMER_FIELDS
from app.db import db_session
from app.processes_ui.service import viewable_instances

bp = Blueprint("customers", __name__, url_prefix="/customers")

# The process instance view (diagram, history), under the name the engine's UI gives it.
INSTANCE_VIEWS = ("processes_ui.view_instance", "processes_ui.show_instance")


def instance_view_endpoint(user):
    """The instance view's endpoint when it exists and `user` may open it, else None (no dead links)."""
    for endpoint in INSTANCE_VIEWS:
        if endpoint in current_app.view_functions:
            rule = access_rule(endpoint)
            if rule == LOGGED_IN or (isinstance(rule, tuple) and any(user.can(r) for r in rule)):
                return endpoint
    return None


def _int_arg(args, name):
    return db_int(args.get(name, ""))


def list_filters(args):
    """The list's filters from the query string; a malformed number is ignored rather than an error page."""
    return {"q": args.get("q", "").strip(), "no": args.get("no", "").strip(), "name": args.get("name", "").strip(),
            "region": args.get("region", "").strip() or None, "manager_id": _int_arg(args, "manager_id"),
            "level": _int_arg(args, "level"), "status": args.get("status") or None}


@bp.route("/")
@requires("customer.view")
def list_customers():
    filters = list_filters(request.args)
    if not sees_all(current_user):
        filters["manager_id"] = None  # their own customers only, whatever the URL says
    levels = lookups.level_labels(db_session)
    if wants_export():
        return _export(search.query_customers(user=current_user, **filters), levels)
    page_no, per_page = page_args()
    page = search.find_customers(db_session, user=current_user, page=page_no, per_page=per_page, **filters)
    return render_template("customers/list.html", page=page, filters=filters, levels=levels,
                           regions=lookups.region_labels(db_session),
                           managers=lookups.manager_choices(db_session) if sees_all(current_user) else [],
                           status_labels=labels.customer_statuses())


def _export(stmt, levels):
    statuses = labels.customer_statuses()
    headers = [_("Customer no."), _("Customer name"), _("Region"), _("Customer manager"), _("Customer level"),
               _("Satisfaction"), _("Credit"), _("Phone"), _("Address"), _("Status")]
    rows = ([c.no, c.name, c.region or "", c.manager.name if c.manager else "", levels.get(c.level, c.level),
             c.satisfaction or "", c.credit or "", c.phone or "", c.address or "", statuses.get(c.status, c.status)]
            for c in db_session.scalars(stmt))
    return xlsx_response("customers.xlsx", headers, rows)


@bp.route("/suggest.json")
@requires("customer.view", "service.create")
def suggest():
    """The pages' customer type-ahead (the API's /api/v1/customers/suggest, for the signed-in page session)."""
    q = (request.args.get("q") or "")[:100]
    return jsonify(search.suggest_customers(db_session, user=current_user, q=q))


@bp.route("/<no>")
@requires("customer.view")
def view_customer(no):
    customer = service.get_customer(db_session, no, user=current_user)
    contacts, contact_total = records_service.preview(db_session, records_service.contacts_stmt(customer), 10)
    activities, activity_total = records_service.preview(db_session, records_service.activities_stmt(customer), 5)
    processes = process_links.process_rows(db_session, customer.id)
    endpoint = instance_view_endpoint(current_user)
    # only links the user may follow: process.view, or a process they work in or whose record they may open
    viewable = viewable_instances(db_session, current_user, [p.instance for p in processes if p.instance]) \
        if endpoint else set()
    return render_template(
        "customers/view.html", customer=customer, contacts=contacts, contact_total=contact_total,
        activities=activities, activity_total=activity_total,
        years=records_service.totals_by_year(db_session, customer),
        processes=processes, levels=lookups.level_labels(db_session), labels=labels,
        instance_endpoint=endpoint, viewable=viewable)


def _customer_form(customer=None):
    form = CustomerForm() if request.method == "POST" else CustomerForm(obj=customer)
    form.set_choices(lookups.level_choices(db_session), lookups.region_labels(db_session))
    if request.method != "POST" and customer is not None:
        # Selects compare text: show the stored numbers as their option values.
        for name in ("level", "satisfaction", "credit"):
            value = getattr(customer, name)
            form[name].data = "" if value is None else str(value)
        form.region.data = customer.region or ""
    return form


@bp.route("/<no>/edit", methods=["GET", "POST"])
@requires("customer.edit")
def edit_customer(no):
    customer = service.get_customer(db_session, no, user=current_user)
    form = _customer_form(customer)
    if request.method == "POST":
        if form.validate():
            try:
                service.update_customer(db_session, customer, data=form_data(form, *CUSTOMER_FIELDS),
                                        user=current_user)
                db_session.commit()
                flash(_("Customer %(name)s saved.", name=customer.name), "success")
                return redirect(url_for("customers.view_customer", no=customer.no))
            except ValidationFailed as exc:
                db_session.rollback()
                apply_errors(form, exc.errors)
        return render_template("customers/edit.html", form=form, customer=customer), 422
    return render_template("customers/edit.html", form=form, customer=customer)


@bp.route("/<no>/delete", methods=["POST"])
@requires("customer.delete")
def delete_customer(no):
    customer = service.get_customer(db_session, no, user=current_user)
    service.delete_customer(db_session, customer, user=current_user)
    db_session.commit()
    flash(_("Customer %(name)s (%(no)s) deleted.", name=customer.name, no=customer.no), "success")
    return redirect(url_for("customers.list_customers"))


@bp.route("/<no>/transfer", methods=["GET", "POST"])
@requires("customer.transfer")
def transfer(no):
    customer = service.get_customer(db_session, no, user=current_user)
    form = TransferForm()
    form.manager_id.choices = [Opt("", "—")] + [Opt(str(u.id), u.name) for u in lookups.manager_choices(db_session)
                                                if u.id != customer.manager_id]
    if request.method == "POST":
        if form.validate():
            try:
                result = transfer_customer(db_session, customer, new_manager_id=_int_arg(request.form, "manager_id"),
                                           user=current_user)
                db_session.commit()
                flash(_("%(name)s now belongs to %(manager)s; %(tasks)s open task(s) and %(cases)s churn case(s) "
                        "went with it.", name=customer.name, manager=customer.manager.name, tasks=result.tasks,
                        cases=result.churn_cases), "success")
                return redirect(url_for("customers.view_customer", no=customer.no))
            except ValidationFailed as exc:
                db_session.rollback()
                apply_errors(form, exc.errors)
        return render_template("customers/transfer.html", form=form, customer=customer), 422
    return render_template("customers/transfer.html", form=form, customer=customer)


from app.customers import views_records  # noqa: E402,F401  (registers the contact, activity and order routes)
