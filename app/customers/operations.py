"""Imported at app start (app/__init__.py): the customer's last order date follows every new order."""
from app.catalog.hooks import on_order_created
from app.customers.last_order import record_order

on_order_created(record_order)
