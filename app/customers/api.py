"""/api/v1/customers (SPEC §12): query, read, update, logical delete, hand-over; contacts, activities (CRUD) and
orders (read) of one customer. Same rights and record-level rules as the pages (the services apply them)."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from app.auth.guard import requires
from app.common.listing import paginate
from app.customers import records_service, service
from app.customers.api_schemas import (ActivityIn, ActivityOut, ActivityPage, ContactIn, ContactOut, ContactPage,
                                       CustomerIn, CustomerOrderPage, CustomerOut, CustomerPage, CustomerPageQuery,
                                       CustomerQuery, CustomerTransferIn, CustomerTransferOut, SuggestOut,
                                       SuggestQuery)
from app.customers.search import find_customers, suggest_customers
from app.customers.transfer_service import transfer_customer
from app.db import db_session

blp = Blueprint("api_customers", __name__, url_prefix="/api/v1/customers",
                description="Customers, their contacts, interaction records and orders")


def _customer(no):
    return service.get_customer(db_session, no, user=current_user)


@blp.route("")
class Customers(MethodView):
    @blp.arguments(CustomerQuery, location="query")
    @blp.response(200, CustomerPage)
    @requires("customer.view")
    def get(self, args):
        """Query customers: filters, free-text `q`, pagination. Managers get their own customers only."""
        filters = {k: args.get(k) for k in ("q", "no", "name", "region", "manager_id", "level", "status")}
        return find_customers(db_session, user=current_user, page=args["page"], per_page=args["per_page"],
                              **filters).as_api(lambda c: c)


@blp.route("/suggest")
@blp.arguments(SuggestQuery, location="query")
@blp.response(200, SuggestOut(many=True))
@requires("customer.view", "service.create")
def suggest(args):
    """Type-ahead for forms that pick a customer: at most 10 `{no, name}` the user may see, every word matching."""
    return suggest_customers(db_session, user=current_user, q=args["q"])


@blp.route("/<no>")
class CustomerItem(MethodView):
    @blp.response(200, CustomerOut)
    @requires("customer.view")
    def get(self, no):
        """Read one customer by number."""
        return _customer(no)

    @blp.arguments(CustomerIn)
    @blp.response(200, CustomerOut)
    @requires("customer.edit")
    def put(self, body, no):
        """Replace the editable fields (optional fields left out are cleared)."""
        customer = service.update_customer(db_session, _customer(no), data=body, user=current_user)
        db_session.commit()
        return customer

    @blp.arguments(CustomerIn)
    @blp.response(200, CustomerOut)
    @requires("customer.edit")
    def patch(self, body, no):
        """Change the fields given."""
        customer = service.update_customer(db_session, _customer(no), data=body, user=current_user, partial=True)
        db_session.commit()
        return customer

    @blp.response(204)
    @requires("customer.delete")
    def delete(self, no):
        """Logical delete: the customer disappears from lists and reads but stays for history and reports."""
        service.delete_customer(db_session, _customer(no), user=current_user)
        db_session.commit()


@blp.route("/<no>/transfer", methods=["POST"])
@blp.arguments(CustomerTransferIn)
@blp.response(200, CustomerTransferOut)
@requires("customer.transfer")
def transfer(body, no):
    """Hand the customer to another customer manager; the old manager's open tasks and churn cases about it move."""
    customer = _customer(no)
    result = transfer_customer(db_session, customer, new_manager_id=body["manager_id"], user=current_user)
    db_session.commit()
    return {"customer": customer, "tasks": result.tasks, "churn_cases": result.churn_cases,
            "service_requests": result.service_requests}


# --- contacts ---------------------------------------------------------------------------------------------------

@blp.route("/<no>/contacts")
class Contacts(MethodView):
    @blp.arguments(CustomerPageQuery, location="query")
    @blp.response(200, ContactPage)
    @requires("customer.view")
    def get(self, args, no):
        """The customer's contacts."""
        stmt = records_service.contacts_stmt(_customer(no))
        return paginate(db_session, stmt, args["page"], args["per_page"]).as_api(lambda c: c)

    @blp.arguments(ContactIn)
    @blp.response(201, ContactOut)
    @requires("customer.edit")
    def post(self, body, no):
        """Add a contact."""
        contact = records_service.add_contact(db_session, _customer(no), data=body)
        db_session.commit()
        return contact


@blp.route("/<no>/contacts/<int:contact_id>")
class ContactItem(MethodView):
    @blp.response(200, ContactOut)
    @requires("customer.view")
    def get(self, no, contact_id):
        return records_service.get_contact(db_session, _customer(no), contact_id)

    @blp.arguments(ContactIn)
    @blp.response(200, ContactOut)
    @requires("customer.edit")
    def put(self, body, no, contact_id):
        contact = records_service.get_contact(db_session, _customer(no), contact_id)
        records_service.update_contact(db_session, contact, data=body)
        db_session.commit()
        return contact

    @blp.arguments(ContactIn)
    @blp.response(200, ContactOut)
    @requires("customer.edit")
    def patch(self, body, no, contact_id):
        contact = records_service.get_contact(db_session, _customer(no), contact_id)
        records_service.update_contact(db_session, contact, data=body, partial=True)
        db_session.commit()
        return contact

    @blp.response(204)
    @requires("customer.edit")
    def delete(self, no, contact_id):
        records_service.delete_contact(db_session, records_service.get_contact(db_session, _customer(no), contact_id))
        db_session.commit()


# --- interaction records ----------------------------------------------------------------------------------------

@blp.route("/<no>/activities")
class Activities(MethodView):
    @blp.arguments(CustomerPageQuery, location="query")
    @blp.response(200, ActivityPage)
    @requires("customer.view")
    def get(self, args, no):
        """The customer's interaction records, newest first."""
        stmt = records_service.activities_stmt(_customer(no))
        return paginate(db_session, stmt, args["page"], args["per_page"]).as_api(lambda a: a)

    @blp.arguments(ActivityIn)
    @blp.response(201, ActivityOut)
    @requires("customer.edit")
    def post(self, body, no):
        """Add an interaction record (its date cannot be in the future)."""
        activity = records_service.add_activity(db_session, _customer(no), data=body, today=service.local_today())
        db_session.commit()
        return activity


@blp.route("/<no>/activities/<int:activity_id>")
class ActivityItem(MethodView):
    @blp.response(200, ActivityOut)
    @requires("customer.view")
    def get(self, no, activity_id):
        return records_service.get_activity(db_session, _customer(no), activity_id)

    @blp.arguments(ActivityIn)
    @blp.response(200, ActivityOut)
    @requires("customer.edit")
    def put(self, body, no, activity_id):
        activity = records_service.get_activity(db_session, _customer(no), activity_id)
        records_service.update_activity(db_session, activity, data=body, today=service.local_today())
        db_session.commit()
        return activity

    @blp.arguments(ActivityIn)
    @blp.response(200, ActivityOut)
    @requires("customer.edit")
    def patch(self, body, no, activity_id):
        activity = records_service.get_activity(db_session, _customer(no), activity_id)
        records_service.update_activity(db_session, activity, data=body, today=service.local_today(), partial=True)
        db_session.commit()
        return activity

    @blp.response(204)
    @requires("customer.edit")
    def delete(self, no, activity_id):
        records_service.delete_activity(db_session,
                                        records_service.get_activity(db_session, _customer(no), activity_id))
        db_session.commit()


# --- orders -----------------------------------------------------------------------------------------------------

@blp.route("/<no>/orders")
@blp.arguments(CustomerPageQuery, location="query")
@blp.response(200, CustomerOrderPage)
@requires("customer.view")
def orders(args, no):
    """The customer's orders with their lines and totals, newest first (read-only)."""
    customer = _customer(no)

    def dump(order):
        return {"order_no": order.order_no, "customer_no": customer.no, "date": order.order_date,
                "address": order.address, "status": order.status,
                "lines": [{"product_id": ln.product_id, "quantity": ln.quantity, "unit": ln.unit,
                           "unit_price": ln.unit_price, "amount": ln.amount} for ln in order.lines],
                "total": records_service.order_amount(order)}
    stmt = records_service.orders_stmt(customer)
    return paginate(db_session, stmt, args["page"], args["per_page"]).as_api(dump)
