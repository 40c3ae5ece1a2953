"""A customer's contacts (联系人), interaction records (交往记录) and order history (历史订单).

The customer has already been fetched through service.get_customer, which applies the record-level rule; each
function here keeps to rows of that customer, so an id from another customer is 'not found'.
"""
from flask_babel import gettext as _
from sqlalchemy import extract, func, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Order, OrderLine
from app.common.errors import NotFound, ValidationFailed
from app.customers.models import Activity, Contact
from app.customers.validation import clean_activity, clean_contact


def preview(db, stmt, limit):
    """The first `limit` rows of a list and its total, in one query (the customer page shows a few of each)."""
    rows = db.execute(stmt.add_columns(func.count().over().label("total")).limit(limit)).all()
    return [r[0] for r in rows], (rows[0].total if rows else 0)


# --- contacts ---------------------------------------------------------------------------------------------------

def contacts_stmt(customer):
    return select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)


def get_contact(db, customer, contact_id) -> Contact:
    contact = db.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        raise NotFound(_("Contact not found."))
    return contact


def add_contact(db, customer, *, data) -> Contact:
    clean, errors = clean_contact(data)
    if errors:
        raise ValidationFailed(errors)
    contact = Contact(customer_id=customer.id, **clean)
    db.add(contact)
    db.flush()
    return contact


def update_contact(db, contact, *, data, partial=False) -> Contact:
    clean, errors = clean_contact(data, partial=partial)
    if errors:
        raise ValidationFailed(errors)
    for field, value in clean.items():
        setattr(contact, field, value)
    db.flush()
    return contact


def delete_contact(db, contact) -> None:
    db.delete(contact)
    db.flush()


# --- interaction records ----------------------------------------------------------------------------------------

def activities_stmt(customer):
    return select(Activity).where(Activity.customer_id == customer.id) \
        .order_by(Activity.date.desc(), Activity.id.desc())


def get_activity(db, customer, activity_id) -> Activity:
    activity = db.get(Activity, activity_id)
    if activity is None or activity.customer_id != customer.id:
        raise NotFound(_("Interaction record not found."))
    return activity


def add_activity(db, customer, *, data, today) -> Activity:
    clean, errors = clean_activity(data, today=today)
    if errors:
        raise ValidationFailed(errors)
    activity = Activity(customer_id=customer.id, **clean)
    db.add(activity)
    db.flush()
    return activity


def update_activity(db, activity, *, data, today, partial=False) -> Activity:
    clean, errors = clean_activity(data, today=today, partial=partial)
    if errors:
        raise ValidationFailed(errors)
    for field, value in clean.items():
        setattr(activity, field, value)
    db.flush()
    return activity


def delete_activity(db, activity) -> None:
    db.delete(activity)
    db.flush()


# --- orders (read-only: they come from the order system) --------------------------------------------------------

def orders_stmt(customer):
    return select(Order).where(Order.customer_id == customer.id) \
        .order_by(Order.order_date.desc(), Order.id.desc()).options(selectinload(Order.lines))


def order_amount(order) -> object:
    """An order's amount from its lines (quantity × unit price), the figure every report uses."""
    return sum((line.amount for line in order.lines), start=0)


def totals_by_year(db, customer) -> list[dict]:
    """[{year, orders, amount}] newest year first, amounts from the order lines."""
    year = extract("year", Order.order_date)
    rows = db.execute(
        select(year.label("year"), func.count(func.distinct(Order.id)),
               func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price), 0))
        .select_from(Order).outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.customer_id == customer.id).group_by(year).order_by(year.desc())).all()
    return [{"year": int(y), "orders": n, "amount": amount} for y, n, amount in rows]
