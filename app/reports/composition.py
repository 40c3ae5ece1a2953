"""The composition report's counts (`customer_composition`, app/reports/models.py): their definition, the report's
read, and the rebuild for loads that bypass the triggers (bench/datagen.py under session_replication_role).

The triggers (migration 0019) take a customer out of its old bucket and put it in its new one on every insert,
delete and update of its manager, level, credit, satisfaction or status; `buckets_from_customers` is what they keep
equal, and tests/test_reports_composition.py checks them against it after random writes."""
from sqlalchemy import delete, func, insert, select

from app.customers.models import Customer
from app.reports.models import CustomerComposition

NOT_SET = 0  # the bucket of a customer without a manager, a credit or a satisfaction

_COLUMNS = {"level": CustomerComposition.level, "credit": CustomerComposition.credit,
            "satisfaction": CustomerComposition.satisfaction}


def buckets_from_customers():
    """(manager, level, credit, satisfaction, customers) counted from the customers themselves."""
    keys = (func.coalesce(Customer.manager_id, NOT_SET), Customer.level, func.coalesce(Customer.credit, NOT_SET),
            func.coalesce(Customer.satisfaction, NOT_SET))
    return select(*keys, func.count()).where(Customer.status != "deleted").group_by(*keys)


def rebuild(conn):
    """Recount every bucket from the customers (one transaction of the caller's)."""
    conn.execute(delete(CustomerComposition))
    conn.execute(insert(CustomerComposition).from_select(
        ["manager_id", "level", "credit", "satisfaction", "customers"], buckets_from_customers()))


def composition(*, mode, scope_user_id=None):
    """Customers (not deleted) per level, credit or satisfaction (None: not set), in that order: the rows and order
    of counting the customers themselves (reports.queries.composition_from_customers), from the kept counts."""
    column = _COLUMNS[mode]
    bucket = column if mode == "level" else func.nullif(column, NOT_SET)
    stmt = (select(bucket.label("bucket"), func.sum(CustomerComposition.customers).label("count"))
            .group_by(bucket).having(func.sum(CustomerComposition.customers) > 0).order_by(bucket))
    if scope_user_id is not None:
        stmt = stmt.where(CustomerComposition.manager_id == scope_user_id)
    return stmt
