"""Imported at app start (app/__init__.py): the reports follow every new order through the catalog's hook."""
from app.catalog.hooks import on_order_created
from app.reports.sales_totals import record_order

# Each new order adds to its customer's sales rows in the creating transaction (customer_sales).
on_order_created(record_order)
