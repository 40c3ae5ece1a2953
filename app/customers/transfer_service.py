"""Handing a customer to another manager (right customer.transfer): the customer's open work goes with it."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.churn.models import OPEN_CHURN_STATUSES, ChurnCase
from app.common.errors import ValidationFailed
from app.common.models import AuditRecord
from app.customers import lookups
from app.customers.process_links import instance_ids_about
from app.service.models import ServiceRequest
from processes.clock import utcnow
from processes.models import HumanTask, ProcessEvent


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
    now = utcnow()
    moved_tasks = churn_moved = requests_moved = 0
    if old is not None:
        instance_ids = instance_ids_about(db, customer.id)
        if instance_ids:
            moved = db.execute(select(HumanTask.id, HumanTask.instance_id, HumanTask.task_uuid, HumanTask.bpmn_id)
                               .where(HumanTask.instance_id.in_(instance_ids), HumanTask.completed_at.is_(None),
                                      HumanTask.assignee_id == old)).all()
            if moved:
                db.execute(update(HumanTask).where(HumanTask.id.in_([m.id for m in moved]))
                           .values(assignee_id=new_manager_id).execution_options(synchronize_session="fetch"))
                # A claim by the old manager would keep the task out of the new manager's hands.
                db.execute(update(HumanTask).where(HumanTask.id.in_([m.id for m in moved]),
                                                   HumanTask.claimed_by == old)
                           .values(claimed_by=new_manager_id).execution_options(synchronize_session="fetch"))
                # The instance history shows who moved each step, and from whom to whom.
                db.add_all(ProcessEvent(instance_id=m.instance_id, task_uuid=m.task_uuid, bpmn_id=m.bpmn_id,
                                        event="task_reassigned", user_id=user.id,
                                        data={"from": old, "to": new_manager_id, "reason": "customer_transfer"},
                                        at=now) for m in moved)
                moved_tasks = len(moved)
        churn_moved = db.execute(
            update(ChurnCase).where(ChurnCase.customer_id == customer.id, ChurnCase.status.in_(OPEN_CHURN_STATUSES))
            .values(manager_id=new_manager_id).execution_options(synchronize_session="fetch")).rowcount
        # The handler's task moved above; the request's assignee follows so the new manager can open it.
        requests_moved = db.execute(
            update(ServiceRequest).where(ServiceRequest.customer_id == customer.id,
                                         ServiceRequest.status == "assigned", ServiceRequest.assignee_id == old)
            .values(assignee_id=new_manager_id).execution_options(synchronize_session="fetch")).rowcount
    db.add(AuditRecord(entity="customer", entity_id=customer.no, action="transfer", user_id=user.id,
                       data={"from": old, "to": new_manager_id, "tasks": moved_tasks, "churn_cases": churn_moved,
                             "service_requests": requests_moved}, at=now))
    db.flush()
    db.expire(customer, ["manager"])  # the relationship still holds the old manager until reloaded
    return TransferResult(tasks=moved_tasks, churn_cases=churn_moved, service_requests=requests_moved)
