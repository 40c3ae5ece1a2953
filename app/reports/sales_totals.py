"""Keeping `customer_sales` (app/reports/models.py) equal to the order lines it sums.

`record_order` is the order hook: every new order (API or import) adds its sum to its customer's row for the
order's year and to the all-years row, in the creating transaction, as one upsert (two senders of orders for the
same customer add up under the row lock; neither is lost). The per-year customer counts (sales_year) follow
in the same transaction. `rebuild` recomputes everything from the lines: for
bulk loads that bypass the hook (the demo seed, bench/datagen.py) and as the definition the migration backfills.
Orders are never changed or physically deleted in the CRM; a customer's logical deletion keeps its orders in
the report, so nothing else moves the sums.
"""
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, cast, delete, extract, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from app.catalog.models import Order, OrderLine
from app.reports.models import ALL_YEARS, CustomerSales, SalesYear

_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def cents(quantity, unit_price) -> int:
    """quantity × unit price in whole cents (unit prices have two decimals, so this is exact)."""
    return int((Decimal(quantity) * Decimal(unit_price) * 100).to_integral_value())


def _upsert(db, model, rows, keys, added):
    """INSERT rows, or add their `added` columns to the existing row with the same keys (under its row lock)."""
    stmt = _UPSERT[db.get_bind().dialect.name](model).values(rows)
    table = model.__table__
    return stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                      set_={name: table.c[name] + stmt.excluded[name] for name in added})


def record_order(db, order):
    """Order hook: add a new order to its customer's year and all-years rows (one statement). A row whose order
    count is now 1 was created by this order: its customer is new to that year's total (sales_year, a second
    statement only then)."""
    amount = sum(cents(line.quantity, line.unit_price) for line in order.lines)
    rows = [{"customer_id": order.customer_id, "year": year, "amount_cents": amount, "orders": 1,
             "lines": len(order.lines)} for year in (order.order_date.year, ALL_YEARS)]
    stmt = _upsert(db, CustomerSales, rows, ("customer_id", "year"), ("amount_cents", "orders", "lines"))
    new_years = [year for year, orders in db.execute(stmt.returning(CustomerSales.year, CustomerSales.orders))
                 if orders == 1]
    if new_years:
        db.execute(_upsert(db, SalesYear, [{"year": year, "customers": 1} for year in sorted(new_years)], ("year",),
                           ("customers",)))


def line_cents():
    """One line's amount in cents, in SQL (rounding only drops the float noise SQLite's NUMERIC may carry)."""
    return cast(func.round(OrderLine.quantity * OrderLine.unit_price * 100), BigInteger)


def rebuild(db):
    """Recompute every row from the order lines (two set-based statements after the delete)."""
    db.execute(delete(CustomerSales))
    year = cast(extract("year", Order.order_date), Integer)
    per_year = (select(Order.customer_id, year, func.sum(line_cents()), func.count(func.distinct(Order.id)),
                       func.count(OrderLine.id))
                .join(OrderLine, OrderLine.order_id == Order.id)
                .group_by(Order.customer_id, year))
    columns = ["customer_id", "year", "amount_cents", "orders", "lines"]
    db.execute(insert(CustomerSales).from_select(columns, per_year))
    all_years = (select(CustomerSales.customer_id, literal(ALL_YEARS), func.sum(CustomerSales.amount_cents),
                        func.sum(CustomerSales.orders), func.sum(CustomerSales.lines))
                 .where(CustomerSales.year != ALL_YEARS).group_by(CustomerSales.customer_id))
    db.execute(insert(CustomerSales).from_select(columns, all_years))
    db.execute(delete(SalesYear))
    db.execute(insert(SalesYear).from_select(["year", "customers"], select(CustomerSales.year, func.count())
                                             .group_by(CustomerSales.year)))
