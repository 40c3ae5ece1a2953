"""The customer's contact text (`customer.contact_text`): its contacts' names and phone numbers on the customer row.

The search box finds customers by a contact's name or phone (app/customers/search.py). Looked up in the contact
table, every match cost a read of its contact row and then of its customer row (the trigram index cannot carry
the customer id): a 3-character contact name at 1M customers read 4,762 contact pages before the customers. Kept
on the customer row, the text is searched by the customer's own trigram index, in the same pass as the name and
number, and each match is read once.

Each contact is `name LF mobile LF office phone`, contacts joined by LF. A search word holds no whitespace
(search_words splits on it), so it can never match across two fields.

Kept by the Contact mapper events below, in the flush that writes the contact, so no ORM write path can miss it.
Bulk inserts that bypass the ORM (the demo seed, bench/datagen.py) call `refresh` after; migration 0015 backfills
the same expression.
"""
from sqlalchemy import event, func, inspect, literal, select, update

from app.customers.models import Contact, Customer

SEPARATOR = "\n"


def _one_contact(contact):
    return (contact.name + literal(SEPARATOR) + func.coalesce(contact.mobile, "") + literal(SEPARATOR)
            + func.coalesce(contact.office_phone, ""))


def contact_text_of(customer_id):
    """The text for the customer `customer_id` (a column or a value), as a scalar subquery (None: no contact)."""
    c = Contact.__table__.c
    return (select(func.aggregate_strings(_one_contact(c), SEPARATOR)).where(c.customer_id == customer_id)
            .scalar_subquery())


def refresh(db, customer_ids=None):
    """Recompute the text of these customers (None: every customer). db: a session or a connection."""
    stmt = update(Customer.__table__).values(contact_text=contact_text_of(Customer.__table__.c.id))
    if customer_ids is not None:
        stmt = stmt.where(Customer.__table__.c.id.in_(customer_ids))
    db.execute(stmt)


def _refresh_one(connection, customer_id):
    # The customer row is locked first (NO KEY UPDATE, which a concurrent contact insert's foreign-key check does
    # not conflict with): the UPDATE then takes its snapshot after any other transaction writing this customer's
    # contacts has committed, so two concurrent writes cannot each leave out the other's contact. Without the lock,
    # the second UPDATE would wait for the row but recompute the text from its older snapshot.
    customers = Customer.__table__
    # (key_share=True renders FOR NO KEY UPDATE)
    connection.execute(select(customers.c.id).where(customers.c.id == customer_id).with_for_update(key_share=True))
    refresh(connection, [customer_id])


@event.listens_for(Contact, "after_insert")
@event.listens_for(Contact, "after_delete")
def _contact_added_or_removed(_mapper, connection, contact):
    _refresh_one(connection, contact.customer_id)


SEARCHED = ("name", "mobile", "office_phone")


@event.listens_for(Contact, "after_update")
def _contact_changed(_mapper, connection, contact):
    attrs = inspect(contact).attrs
    if not any(attrs[key].history.has_changes() for key in (*SEARCHED, "customer_id")):
        return  # e.g. only the position or memo changed
    moved_from = [c for c in attrs.customer_id.history.deleted if c is not None]
    for customer_id in sorted({contact.customer_id, *moved_from}):
        _refresh_one(connection, customer_id)
