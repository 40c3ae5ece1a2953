"""Report queries: set-based SQL, scoped to the user's records where they lack data.all."""
from datetime import date

from sqlalchemy import extract, func, select

from app.auth.models import User
from app.catalog.models import Order, OrderLine
from app.churn.models import ChurnCase
from app.customers.models import Customer
from app.customers.search import _contains as customer_name_contains
from app.reports.composition import composition as kept_composition
from app.reports.models import ALL_YEARS, CustomerSales, SalesYear
from app.service.models import ServiceRequest

def _name_contains(text):
    """The customer name contains the text: the customer search's condition (case-insensitive for letters with a
    case; on PostgreSQL 1–2 characters are narrowed by the name's characters index, longer texts by its trigram
    index), so a report's name filter finds what the customer list finds, without reading every customer."""
    return customer_name_contains(Customer.name, text, chars_index=True)


COMPOSITION_MODES = {"level": Customer.level, "credit": Customer.credit, "satisfaction": Customer.satisfaction}


def contribution(*, scope_user_id=None, customer_name=None, year=None):
    """Per customer: sum of quantity × unit price of its order lines (in cents), largest first.

    Read from customer_sales (one row per customer and year, kept by the order hook); equal to
    contribution_from_orders, which sums the lines themselves. The customer is outer-joined: it always exists, and
    the count of an unfiltered page then leaves the customer table out."""
    stmt = (select(Customer.no, Customer.name, CustomerSales.amount_cents)
            .select_from(CustomerSales)
            .outerjoin(Customer, Customer.id == CustomerSales.customer_id)
            .where(CustomerSales.year == (year or ALL_YEARS))
            .order_by(CustomerSales.amount_cents.desc(), Customer.no))
    if customer_name:
        stmt = stmt.where(_name_contains(customer_name))
    if scope_user_id is not None:
        stmt = stmt.where(Customer.manager_id == scope_user_id)
    return stmt


def contribution_total(*, year=None):
    """The number of rows of the unfiltered contribution report (customers with orders in the year, or at all)."""
    return select(func.coalesce(func.max(SalesYear.customers), 0)).where(SalesYear.year == (year or ALL_YEARS))


def contribution_from_orders(*, scope_user_id=None, customer_name=None, year=None):
    """The contribution report's definition over the order lines themselves (the tests and bench/http_bench.py
    compare the report with it; amounts in currency units, not cents)."""
    amount = func.sum(OrderLine.quantity * OrderLine.unit_price).label("amount")
    stmt = (select(Customer.no, Customer.name, amount)
            .join(Order, Order.customer_id == Customer.id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .group_by(Customer.id, Customer.no, Customer.name)
            .order_by(amount.desc(), Customer.no))
    if customer_name:
        stmt = stmt.where(_name_contains(customer_name))
    if year:
        stmt = stmt.where(Order.order_date >= date(year, 1, 1), Order.order_date < date(year + 1, 1, 1))
    if scope_user_id is not None:
        stmt = stmt.where(Customer.manager_id == scope_user_id)
    return stmt


def composition(*, mode="level", scope_user_id=None):
    """Customers (not deleted) per level, credit or satisfaction, from the counts the triggers keep
    (app/reports/composition.py): equal to composition_from_customers."""
    return kept_composition(mode=mode, scope_user_id=scope_user_id)


def composition_from_customers(*, mode="level", scope_user_id=None):
    """The same counted from the customers: the definition, which tests/test_reports_composition.py compares the
    kept counts with."""
    col = COMPOSITION_MODES[mode]
    stmt = (select(col.label("bucket"), func.count().label("count"))
            .where(Customer.status != "deleted").group_by(col).order_by(col))
    if scope_user_id is not None:
        stmt = stmt.where(Customer.manager_id == scope_user_id)
    return stmt


def service(*, date_from=None, date_to=None, scope_user_id=None):
    stmt = (select(ServiceRequest.type, func.count(ServiceRequest.id).label("count"))
            .where(ServiceRequest.deleted_at.is_(None))
            .group_by(ServiceRequest.type).order_by(func.count(ServiceRequest.id).desc()))
    if date_from:
        stmt = stmt.where(ServiceRequest.created_at >= date_from)
    if date_to:
        stmt = stmt.where(ServiceRequest.created_at < date_to)
    if scope_user_id is not None:
        stmt = stmt.where(ServiceRequest.assignee_id == scope_user_id)
    return stmt


def churn(*, customer_name=None, manager_id=None, scope_user_id=None):
    stmt = (select(extract("year", ChurnCase.confirmed_at).label("year"), Customer.no, Customer.name,
                   User.name.label("manager"), ChurnCase.reason, ChurnCase.confirmed_at)
            .join(Customer, Customer.id == ChurnCase.customer_id)
            .outerjoin(User, User.id == ChurnCase.manager_id)
            .where(ChurnCase.status == "confirmed")
            .order_by(ChurnCase.confirmed_at.desc(), ChurnCase.id.desc()))
    if customer_name:
        stmt = stmt.where(_name_contains(customer_name))
    if manager_id:
        stmt = stmt.where(ChurnCase.manager_id == manager_id)
    if scope_user_id is not None:
        stmt = stmt.where(ChurnCase.manager_id == scope_user_id)
    return stmt

