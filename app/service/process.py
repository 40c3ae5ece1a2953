"""The customer_service process binding (menu 服务管理): everything that ties bpmn-models/customer_service.bpmn to
the service pages, in one place.

- Process key KEY; it runs for one ServiceRequest (business key = request id), started by service.create_request.
- The steps the service pages act on (BPMN user-task ids), registered with processes.bindings so a deploy that
  drops one is refused naming the pages that need it. Any other user task an analyst adds is worked through the
  generic task page and API (app/inbox) and shows on the request page as its current step.
- Worklists: the requests whose instance has an open task at a step (from the inbox table, so the list, its menu
  badge and the inbox agree whatever version the instance runs).
- Operations the model calls (service tasks, in operations.py): OPERATIONS; they set the request's status.
- Inbox links and record access: who may follow a request's process, and where its rows link to.
"""
from app.common.row_urls import row_url
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.auth.guard import sees_all
from app.common.errors import NotFound
from app.common.ui import register_badge
from app.inbox.links import (register_essentials, register_history_labels, register_record_access,
                             register_record_link)
from app.service.models import ServiceRequest
from processes import api as engine

KEY = "customer_service"
RECORD = ServiceRequest

# A dispatch completes the normal dispatch task or the escalated one an overdue timer put in its place.
DISPATCH_STEPS = ("dispatch", "escalate")
HANDLE_STEP = "handle"
FEEDBACK_STEP = "feedback"

engine.register_steps(KEY, {
    "dispatch": ["service.dispatch_list", "service.dispatch", "POST /api/v1/service-requests/{id}/dispatch"],
    "escalate": ["service.dispatch_list", "service.dispatch", "POST /api/v1/service-requests/{id}/dispatch"],
    "handle": ["service.handle_list", "service.handle", "POST /api/v1/service-requests/{id}/handle"],
    "feedback": ["service.feedback_list", "service.feedback", "POST /api/v1/service-requests/{id}/feedback"],
})

# Service-task operations the model calls (app/service/operations.py).
OPERATIONS = ("service.deadline", "service.assign", "service.record_handling", "service.record_feedback",
              "service.archive", "service.reopen")


# --- record access ---------------------------------------------------------------------------------------------

def sees_every_request(user) -> bool:
    """Supervisors (data.all) and the service desk, which calls back every customer, see all requests."""
    return sees_all(user) or user.can("service.feedback")


def scoped(stmt, user):
    """Everyone else (customer managers) sees the requests assigned to them or recorded by them."""
    stmt = stmt.where(ServiceRequest.deleted_at.is_(None))
    if sees_every_request(user):
        return stmt
    return stmt.where(or_(ServiceRequest.assignee_id == user.id, ServiceRequest.created_by == user.id))


def get_request(db, *, user, request_id) -> ServiceRequest:
    sr = db.scalar(scoped(select(ServiceRequest).where(ServiceRequest.id == request_id), user)
                   .options(joinedload(ServiceRequest.customer))  # every page and answer shows the customer
                   .execution_options(prepare=True))  # every step reads it first (app.db_prepared)
    if sr is None:
        raise NotFound(_("No such service request."))
    return sr


def lock(db, sr):
    """Take the process instance lock before reading the request again: a dispatch completing at the same moment
    then either finishes first or waits for the caller."""
    engine.lock_record(db, key=KEY, business_key=sr.id)
    db.refresh(sr)
    return sr


def open_tasks(db, request_ids) -> dict[int, list]:
    """{request id: open inbox rows}."""
    return {int(k): v for k, v in engine.open_tasks_of(db, KEY, request_ids).items()}


def current_steps(db, request_id) -> list[dict]:
    return engine.open_steps(db, key=KEY, business_key=request_id)


# --- worklists -------------------------------------------------------------------------------------------------

def waiting_for_dispatch(user):
    return engine.waiting_at(KEY, DISPATCH_STEPS, ServiceRequest.id, visible_to=user.id)


def waiting_for_handling(user):
    """Handling tasks are assigned to one manager: theirs only."""
    return engine.waiting_at(KEY, (HANDLE_STEP,), ServiceRequest.id, assignee_id=user.id)


def waiting_at_handling():
    """Any request waiting for its handling, whoever holds it."""
    return engine.waiting_at(KEY, (HANDLE_STEP,), ServiceRequest.id)


def waiting_for_feedback(user):
    return engine.waiting_at(KEY, (FEEDBACK_STEP,), ServiceRequest.id, visible_to=user.id)


# endpoint -> (right, condition for the user): the service worklists and their menu badges.
WORKLISTS = {
    "service.dispatch_list": ("service.dispatch", waiting_for_dispatch),
    "service.handle_list": ("service.handle", waiting_for_handling),
    "service.feedback_list": ("service.feedback", waiting_for_feedback),
}


def worklist_statement(endpoint, user):
    _right, condition = WORKLISTS[endpoint]
    return scoped(select(ServiceRequest).where(condition(user)), user)


for _endpoint, (_right, _condition) in WORKLISTS.items():
    register_badge(_endpoint, _right, lambda user, ep=_endpoint: worklist_statement(ep, user))


# --- inbox links -----------------------------------------------------------------------------------------------

def essentials(db, business_key):
    """What every step of the process shows above its form: the customer's request."""
    sr = db.get(ServiceRequest, int(business_key))
    if sr is None:
        return None
    return [(_("Service type"), sr.type), (_("Customer"), f"{sr.customer.name} ({sr.customer.no})"),
            (_("Summary"), sr.summary), (_("Customer request"), sr.request)]


register_essentials(KEY, essentials)
# History: the due dates the process works out are worth reading; the start data (limits, time zone, ids) is not.
register_history_labels(KEY, {"dispatch_due": _l("Dispatch due"), "handle_due": _l("Handling due"),
                              "feedback_due": _l("Feedback due")}, users=("assignee_id",))
register_record_link(KEY, lambda business_key: row_url("service.detail", "request_id", int(business_key)))
register_record_access(KEY, "service.view",
                       lambda db, user, key: get_request(db, user=user, request_id=int(key)))
