"""What other domains do when an order arrives, without the catalog importing them.

A new order means the customer is buying again: the churn domain closes the customer's open churn cases as
retained. Register a function in a module that is imported at app start (a domain's `operations.py` is):

    from app.catalog.hooks import on_order_created

    @on_order_created
    def close_churn_cases(db, order):      # order: app.catalog.models.Order, lines loaded, id assigned
        ...

Hooks run after the order is flushed, inside the same transaction, once per newly created order (never for an
idempotent replay of an existing order_no, and not for the bulk demo seed). They must not commit. An exception
aborts the creation: the caller gets the error and nothing of that order is saved (in an import, the whole
import fails), so a hook that must never block orders catches its own errors.
"""
_hooks = []


def on_order_created(fn):
    """Decorator: call fn(db, order) after every order creation. Registering twice has no effect."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def remove_hook(fn):
    """Unregister (tests)."""
    if fn in _hooks:
        _hooks.remove(fn)


def order_created(db, order):
    for fn in list(_hooks):
        fn(db, order)
