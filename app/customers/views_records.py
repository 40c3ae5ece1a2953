"""A customer's contacts, interaction records and order history (pages on the customers blueprint)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guard import requires
from app.common.errors import ValidationFailed
from app.common.listing import paginate, page_args, wants_export, xlsx_response
from app.customers import labels, records_service, service
from app.common.forms import apply_errors, form_data
from app.customers.forms import ActivityForm, ContactForm
from app.customers.validation import sex_code
from app.customers.views import bp
from app.db import db_session


def _customer(no):
    return service.get_customer(db_session, no, user=current_user)


def _save_form(form, customer, template, title, save, done_message, tab):
    """GET shows the form; POST saves through `save(data)` or shows every message with the input kept."""
    if request.method == "POST":
        if form.validate():
            try:
                save(form_data(form))
                db_session.commit()
                flash(done_message, "success")
                return redirect(url_for(f"customers.list_{tab}", no=customer.no))
            except ValidationFailed as exc:
                db_session.rollback()
                apply_errors(form, exc.errors)
        return render_template(template, form=form, customer=customer, title=title, tab=tab), 422
    return render_template(template, form=form, customer=customer, title=title, tab=tab)


# --- contacts ---------------------------------------------------------------------------------------------------

@bp.route("/<no>/contacts")
@requires("customer.view")
def list_contacts(no):
    customer = _customer(no)
    stmt = records_service.contacts_stmt(customer)
    sexes = labels.sexes()
    if wants_export():
        return xlsx_response(f"{customer.no}-contacts.xlsx",
                             [_("Name"), _("Sex"), _("Position"), _("Office phone"), _("Mobile"), _("Memo")],
                             ([c.name, sexes.get(c.sex, c.sex or ""), c.position or "", c.office_phone or "",
                               c.mobile or "", c.memo or ""] for c in db_session.scalars(stmt)))
    return render_template("customers/contacts.html", customer=customer, tab="contacts", sexes=sexes,
                           page=paginate(db_session, stmt, *page_args()))


@bp.route("/<no>/contacts/new", methods=["GET", "POST"])
@requires("customer.edit")
def new_contact(no):
    customer = _customer(no)
    return _save_form(ContactForm(), customer, "customers/record_form.html", _("New contact"),
                      lambda data: records_service.add_contact(db_session, customer, data=data),
                      _("Contact saved."), "contacts")


@bp.route("/<no>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@requires("customer.edit")
def edit_contact(no, contact_id):
    customer = _customer(no)
    contact = records_service.get_contact(db_session, customer, contact_id)
    form = ContactForm() if request.method == "POST" else ContactForm(obj=contact)
    if request.method != "POST":
        form.sex.data = sex_code(contact.sex) or ""  # an imported 男/女 selects its option
    return _save_form(form, customer, "customers/record_form.html", _("Edit contact %(name)s", name=contact.name),
                      lambda data: records_service.update_contact(db_session, contact, data=data),
                      _("Contact saved."), "contacts")


@bp.route("/<no>/contacts/<int:contact_id>/delete", methods=["POST"])
@requires("customer.edit")
def delete_contact(no, contact_id):
    customer = _customer(no)
    contact = records_service.get_contact(db_session, customer, contact_id)
    name = contact.name
    records_service.delete_contact(db_session, contact)
    db_session.commit()
    flash(_("Contact %(name)s deleted.", name=name), "success")
    return redirect(url_for("customers.list_contacts", no=customer.no))


# --- interaction records ----------------------------------------------------------------------------------------

@bp.route("/<no>/activities")
@requires("customer.view")
def list_activities(no):
    customer = _customer(no)
    stmt = records_service.activities_stmt(customer)
    if wants_export():
        return xlsx_response(f"{customer.no}-activities.xlsx",
                             [_("Date"), _("Place"), _("Summary"), _("Details"), _("Remark")],
                             ([a.date.isoformat(), a.place or "", a.summary, a.details or "", a.remark or ""]
                              for a in db_session.scalars(stmt)))
    return render_template("customers/activities.html", customer=customer, tab="activities",
                           page=paginate(db_session, stmt, *page_args()))


@bp.route("/<no>/activities/new", methods=["GET", "POST"])
@requires("customer.edit")
def new_activity(no):
    customer = _customer(no)
    form = ActivityForm()
    if request.method != "POST":
        form.date.data = service.local_today().isoformat()
    return _save_form(form, customer, "customers/record_form.html", _("New interaction record"),
                      lambda data: records_service.add_activity(db_session, customer, data=data,
                                                                today=service.local_today()),
                      _("Interaction record saved."), "activities")


@bp.route("/<no>/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@requires("customer.edit")
def edit_activity(no, activity_id):
    customer = _customer(no)
    activity = records_service.get_activity(db_session, customer, activity_id)
    form = ActivityForm() if request.method == "POST" else ActivityForm(obj=activity)
    if request.method != "POST":
        form.date.data = activity.date.isoformat()
    return _save_form(form, customer, "customers/record_form.html", _("Edit interaction record"),
                      lambda data: records_service.update_activity(db_session, activity, data=data,
                                                                   today=service.local_today()),
                      _("Interaction record saved."), "activities")


@bp.route("/<no>/activities/<int:activity_id>/delete", methods=["POST"])
@requires("customer.edit")
def delete_activity(no, activity_id):
    customer = _customer(no)
    activity = records_service.get_activity(db_session, customer, activity_id)
    records_service.delete_activity(db_session, activity)
    db_session.commit()
    flash(_("Interaction record deleted."), "success")
    return redirect(url_for("customers.list_activities", no=customer.no))


# --- order history (read-only) ----------------------------------------------------------------------------------

@bp.route("/<no>/orders")
@requires("customer.view")
def list_orders(no):
    customer = _customer(no)
    stmt = records_service.orders_stmt(customer)
    statuses = labels.order_statuses()
    if wants_export():
        # One row per order line, the order's own columns repeated: what an accountant filters in Excel.
        rows = ([o.order_no, o.order_date.isoformat(), statuses.get(o.status, o.status), o.address or "",
                 line.product.name, line.quantity, line.unit or "", float(line.unit_price), float(line.amount)]
                for o in db_session.scalars(stmt) for line in o.lines)
        return xlsx_response(f"{customer.no}-orders.xlsx",
                             [_("Order no."), _("Date"), _("Status"), _("Delivery address"), _("Product"),
                              _("Quantity"), _("Unit"), _("Unit price"), _("Amount")], rows)
    return render_template("customers/orders.html", customer=customer, tab="orders", statuses=statuses,
                           page=paginate(db_session, stmt, *page_args()),
                           years=records_service.totals_by_year(db_session, customer),
                           amount=records_service.order_amount)
