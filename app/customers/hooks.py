"""What other domains do when a customer is handed to another manager, without the customers domain writing their
tables (as app/catalog/hooks.py does for orders).

    from app.customers.hooks import on_customer_transferred

    @on_customer_transferred
    def move_open_cases(db, *, customer_id, from_manager_id, to_manager_id) -> dict:
        ...                      # returns counts for the transfer's summary, e.g. {"churn_cases": 1}

Hooks run inside the transfer's transaction, after the customer's open process tasks moved, and never commit.
"""
_hooks = []


def on_customer_transferred(fn):
    """Decorator: call fn(db, customer_id=, from_manager_id=, to_manager_id=) on every transfer. Idempotent."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def customer_transferred(db, *, customer_id, from_manager_id, to_manager_id) -> dict:
    counts = {}
    for fn in list(_hooks):
        for name, n in (fn(db, customer_id=customer_id, from_manager_id=from_manager_id,
                           to_manager_id=to_manager_id) or {}).items():
            counts[name] = counts.get(name, 0) + n
    return counts
