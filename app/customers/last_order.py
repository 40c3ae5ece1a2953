"""The customer's last order date (`customer.last_order_date`), kept equal to max(order_date) of its orders.

The churn scan reads it to find the customers silent since the cutoff without reading every order. `record_order`
is the order hook (registered in app/customers/operations.py): a new order moves the date forward, never back (a
back-dated order leaves it), in the creating transaction; the conditional UPDATE is safe for two orders of one
customer at once (the second waits for the row and re-checks the condition). `refresh` recomputes it from the
orders for bulk loads that bypass the hook (the demo seed, bench/datagen.py); the migration backfills the same.
"""
from sqlalchemy import func, or_, select, update

from app.catalog.models import Order
from app.customers.models import Customer


def record_order(db, order):
    db.execute(update(Customer)
               .where(Customer.id == order.customer_id,
                      or_(Customer.last_order_date.is_(None), Customer.last_order_date < order.order_date))
               .values(last_order_date=order.order_date))


def latest_order_date():
    """max(order_date) of the customer's orders, as a correlated subquery (None without orders)."""
    return select(func.max(Order.order_date)).where(Order.customer_id == Customer.id).scalar_subquery()


def refresh(db):
    """Recompute every customer's date (db: a session or a connection)."""
    db.execute(update(Customer.__table__).values(last_order_date=latest_order_date()))
