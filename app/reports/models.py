"""What the reports read instead of the order lines: per customer and year, the sum and counts of its orders.

The contribution report sums quantity × unit price per customer (SPEC §9.1); over 5M order lines that took
seconds. `customer_sales` holds the same sums, kept in the transaction that records an order (the order hook,
app/reports/sales_totals.py), so the report reads one row per customer. Amounts are whole cents: exact on
PostgreSQL and SQLite alike (SQLite's NUMERIC is a float), and additive without rounding.
"""
from sqlalchemy import BigInteger, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ALL_YEARS = 0  # the `year` of a customer's all-time row (the report without a year filter)


class CustomerSales(Base):
    __tablename__ = "customer_sales"
    __table_args__ = (
        # The report's order: largest first within a year (or ALL_YEARS), so a page is read off the index.
        Index("ix_customer_sales_year_amount", "year", "amount_cents"),
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # sum(quantity × unit_price) × 100
    orders: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)


class SalesYear(Base):
    """How many customers have a customer_sales row for the year (ALL_YEARS: at all): the unfiltered
    contribution report's total, read as one row instead of counting ~1M rows. Kept with customer_sales."""
    __tablename__ = "sales_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(Integer)


class CustomerComposition(Base):
    """How many customers (not deleted) each manager has per level, credit and satisfaction: what the composition
    report counts, read as a few hundred rows instead of counting every customer (≈60–110 ms at 1M). Kept by
    triggers on `customer` (migration 0019) in the transaction of every write, whatever sends it (pages, API, the
    sales process, imports, SQL). A customer without a manager, credit or satisfaction counts under 0 (ratings are
    1–5, ids start at 1). app/reports/composition.py rebuilds it for loads that bypass triggers."""
    __tablename__ = "customer_composition"
    manager_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credit: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    satisfaction: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customers: Mapped[int] = mapped_column(Integer)
