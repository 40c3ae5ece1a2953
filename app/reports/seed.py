"""Demo data: the reports' sales rows for the orders the customers' seed inserted in bulk (without the order
hook). Idempotent: only when orders exist and no sales row does."""
from sqlalchemy import exists, select

from app.catalog.models import Order
from app.reports import sales_totals
from app.reports.models import CustomerSales


def seed_demo(db):
    if db.scalar(select(exists().where(Order.id.isnot(None)))) and not db.scalar(
            select(exists().where(CustomerSales.customer_id.isnot(None)))):
        sales_totals.rebuild(db)
