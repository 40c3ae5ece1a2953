"""Handing a customer to another manager (right customer.transfer): the customer's open work goes with it.

The old manager's open process tasks about the customer move through the engine (processes.api, under each
instance's lock, written to the instance history); the other domains move their own records in their
on_customer_transferred hooks (app/customers/hooks.py)."""
from dataclasses import dataclass

from flask_babel import gettext as _

from app.common.errors import ValidationFailed
from app.common.models import AuditRecord
from app.customers import lookups
from app.customers.hooks import customer_transferred
from app.customers.process_links import records_about
from processes import api as engine


@dataclass
class TransferResult:
    tasks: int
    churn_cases: int
    service_requests: int


def transfer_customer(db, customer, *, new_manager_id, user) -> TransferResult:
    """Make `new_manager_id` the customer's manager and move the old manager's open work about this customer:
    inbox tasks of its process instances, open churn cases, and service requests waiting for the handler."""
    if lookups.active_manager(db, new_manager_id) is None:
        raise ValidationFailed({"manager_id": [_("Choose an active customer manager.")]})
    old = customer.manager_id
    if old == new_manager_id:
        raise ValidationFailed({"manager_id": [_("The customer already belongs to this manager.")]})
    customer.manager_id = new_manager_id
    moved_tasks, counts = 0, {}
    if old is not None:
        records = {key: [r.id for r in rows] for key, rows in records_about(db, customer.id).items()}
        moved_tasks = engine.reassign_open_tasks(db, records=records, from_user_id=old, to_user_id=new_manager_id,
                                                 user_id=user.id, reason="customer_transfer")
        counts = customer_transferred(db, customer_id=customer.id, from_manager_id=old,
                                      to_manager_id=new_manager_id)
    churn_moved, requests_moved = counts.get("churn_cases", 0), counts.get("service_requests", 0)
    db.add(AuditRecord(entity="customer", entity_id=customer.no, action="transfer", user_id=user.id,
                       data={"from": old, "to": new_manager_id, "tasks": moved_tasks, "churn_cases": churn_moved,
                             "service_requests": requests_moved}, at=engine.utcnow()))
    db.flush()
    db.expire(customer, ["manager"])  # the relationship still holds the old manager until reloaded
    return TransferResult(tasks=moved_tasks, churn_cases=churn_moved, service_requests=requests_moved)
