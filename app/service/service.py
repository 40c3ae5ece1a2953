"""Service requests (服务管理): recording, record-level scope, queries and deletion.

The workflow steps (dispatch, handle, feedback) live in actions.py; the status changes they cause run inside the
process as service-task operations (operations.py), so record and process move in one transaction.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager

from app.auth.models import Role, User
from app.catalog.dictionary_service import entry_rows, labels_of
from app.common.errors import Conflict, ValidationFailed
from app.common.models import AuditRecord
from app.customers.models import Customer
from app.service.labels import status_label
from app.service.models import SERVICE_STATUSES, ServiceRequest
from app.service import process
from app.service.process import KEY as PROCESS_KEY
from app.service.process import get_request, lock, scoped, sees_every_request  # noqa: F401  (record access)
from processes import api as engine
from processes.clock import utcnow

SERVICE_TYPE = "服务类型"  # data-dictionary type holding the request types
HANDLER_ROLE = "customer_manager"
SUMMARY_MAX, REQUEST_MAX = 200, 4000


def visible_customer(db, user, customer_no):
    """The customer a user may record a request for by that number (a manager their own, the service desk and
    supervisors any), or None."""
    return _visible_customer(db, user, customer_id=None, customer_no=(customer_no or "").strip().upper()[:20])


def service_types(db) -> list[str]:
    return [row.item for row in entry_rows(db, SERVICE_TYPE)]


def service_type_labels(db) -> dict[str, str]:
    """{type as stored: type in the UI language}, in dictionary order."""
    return labels_of(db, SERVICE_TYPE)


def handlers(db) -> list[User]:
    """Who a request can be dispatched to: active customer managers."""
    return list(db.scalars(select(User).join(Role).where(Role.code == HANDLER_ROLE, User.active.is_(True))
                           .order_by(User.name)))


def check_handler(db, assignee_id, field="assignee"):
    handler = db.get(User, assignee_id) if isinstance(assignee_id, int) else None
    if handler is None or not handler.active or handler.role_code != HANDLER_ROLE:
        raise ValidationFailed({field: [_("Choose an active customer manager.")]})
    return handler


def create_request(db, *, user, type, summary, customer_id=None, customer_no=None, request, limits):
    """Record a request and start its process (status new): (request, instance). The instance carries the steps
    the process opened (`open_steps`), so an answer need not read them back. `limits` are the time limits from
    deadlines.settings."""
    errors = {}
    summary, request = (summary or "").strip(), (request or "").strip()
    if type not in service_types(db):
        errors["type"] = [_("Choose a service type from the dictionary.")]
    if not summary:
        errors["summary"] = [_("Enter a summary.")]
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = [_("At most %(n)s characters.", n=SUMMARY_MAX)]
    if not request:
        errors["request"] = [_("Describe the request.")]
    elif len(request) > REQUEST_MAX:
        errors["request"] = [_("At most %(n)s characters.", n=REQUEST_MAX)]
    customer = _visible_customer(db, user, customer_id=customer_id, customer_no=customer_no)
    if customer is None:
        errors["customer_no" if customer_no is not None else "customer_id"] = [
            _("No customer you may record a request for has this number.")]
    if errors:
        raise ValidationFailed(errors)
    # The customer object, not only its id: the answer shows it, and the session keeps only weak references.
    sr = ServiceRequest(type=type, summary=summary, customer=customer, request=request, created_by=user.id,
                        created_at=utcnow(), rounds=0, status="new")
    db.add(sr)
    db.flush()
    instance = engine.start_process(db, PROCESS_KEY, business_key=str(sr.id),
                                    subject=f"{customer.name} · {summary}"[:200],
                                    data={"request_id": sr.id, **limits}, user_id=user.id)
    return sr, instance


def _visible_customer(db, user, *, customer_id, customer_no):
    if customer_id is None and not customer_no:
        return None
    stmt = select(Customer).where(Customer.status == "normal")
    stmt = stmt.where(Customer.id == customer_id) if customer_id is not None else stmt.where(Customer.no == customer_no)
    if not sees_every_request(user):
        stmt = stmt.where(Customer.manager_id == user.id)
    return db.scalar(stmt.execution_options(prepare=True))  # by a unique key: one plan whatever the value


def query_requests(db, *, user, filters: dict):
    """A select of the requests the user may see, narrowed by the archive-query filters (all optional)."""
    stmt = scoped(select(ServiceRequest).join(Customer, Customer.id == ServiceRequest.customer_id)
                  .options(contains_eager(ServiceRequest.customer).lazyload(Customer.manager)), user)
    f = {k: v for k, v in filters.items() if v not in (None, "")}
    if "status" in f:
        stmt = stmt.where(ServiceRequest.status == f["status"])
    if "type" in f:
        stmt = stmt.where(ServiceRequest.type == f["type"])
    if "summary" in f:
        stmt = stmt.where(ServiceRequest.summary.contains(f["summary"], autoescape=True))
    if "customer" in f:  # name fragment or exact number, as users type either
        stmt = stmt.where(or_(Customer.name.contains(f["customer"], autoescape=True), Customer.no == f["customer"]))
    if "customer_no" in f:
        stmt = stmt.where(Customer.no == f["customer_no"])
    if "assignee_id" in f:
        stmt = stmt.where(ServiceRequest.assignee_id == f["assignee_id"])
    if "q" in f:
        like = {"autoescape": True}
        stmt = stmt.where(or_(ServiceRequest.summary.contains(f["q"], **like),
                              ServiceRequest.request.contains(f["q"], **like), Customer.name.contains(f["q"], **like)))
    tz = f.get("tz", "Asia/Shanghai")
    if "created_from" in f:
        stmt = stmt.where(ServiceRequest.created_at >= _local_midnight_utc(f["created_from"], tz))
    if "created_to" in f:
        stmt = stmt.where(ServiceRequest.created_at < _local_midnight_utc(f["created_to"] + timedelta(days=1), tz))
    return stmt.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())


def _local_midnight_utc(day: date, tz_name) -> datetime:
    """Dates in filters are company-calendar days; created_at is naive UTC."""
    local = datetime.combine(day, time.min, ZoneInfo(tz_name))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def check_status_filter(status):
    if status not in (None, "") and status not in SERVICE_STATUSES:
        raise ValidationFailed({"status": [f"One of {', '.join(SERVICE_STATUSES)}."]})


def delete_request(db, *, user, request_id, reason="deleted before dispatch"):
    """Only a request still waiting for its first dispatch can be deleted (judged by where its process waits, under
    the instance lock): the record is kept (deleted_at, audit) and its process cancelled."""
    sr = lock(db, get_request(db, user=user, request_id=request_id))
    steps = process.current_steps(db, sr.id)
    if sr.assignee_id is not None or not any(s["bpmn_id"] in process.DISPATCH_STEPS for s in steps):
        raise Conflict(_("Service request %(id)s is already %(status)s; only new requests can be deleted.",
                         id=sr.id, status=status_label(sr.status)), current_status=sr.status, current_steps=steps)
    sr.deleted_at = utcnow()
    db.add(AuditRecord(entity="service_request", entity_id=str(sr.id), action="delete", user_id=user.id,
                       data=dump_request(sr), at=sr.deleted_at))
    engine.cancel_process(db, key=PROCESS_KEY, business_key=str(sr.id), user_id=user.id, reason=reason)
    db.flush()
    return sr


def dump_request(sr: ServiceRequest) -> dict:
    """The API representation (SPEC §12), also kept in the audit record of a deletion."""
    def iso(v):
        return v.replace(tzinfo=timezone.utc).isoformat() if v else None
    customer = sr.customer
    return {"id": sr.id, "type": sr.type, "summary": sr.summary, "customer_no": customer.no if customer else None,
            "customer_name": customer.name if customer else None, "request": sr.request,
            "created_by": sr.created_by, "created_at": iso(sr.created_at), "assignee_id": sr.assignee_id,
            "assigned_at": iso(sr.assigned_at), "handling": sr.handling, "handled_by": sr.handled_by,
            "handled_at": iso(sr.handled_at), "result": sr.result, "satisfaction": sr.satisfaction,
            "rounds": sr.rounds, "status": sr.status, "archived_at": iso(sr.archived_at)}


def follow_transfer(db, *, customer_id, from_manager_id, to_manager_id) -> dict:
    """Customer transfer hook: a request waiting for the old manager's handling follows the handling task (moved by
    the engine) to the new manager, so the new manager can open it."""
    waiting = process.waiting_at_handling()
    moved = db.execute(update(ServiceRequest).where(ServiceRequest.customer_id == customer_id,
                                                    ServiceRequest.assignee_id == from_manager_id, waiting)
                       .values(assignee_id=to_manager_id).execution_options(synchronize_session="fetch")).rowcount
    return {"service_requests": moved}
