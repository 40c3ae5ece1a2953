"""Churn cases: queries, the manager's decisions and the state changes the customer_churn process makes.

The manager's decisions (postpone, confirm) are completions of the process's `handle_warning` user task; the
case itself changes only in the service tasks the process then runs (operations.py calls the functions at the
bottom of this module), so the page, the API and the inbox all go through one path. Services never commit.
"""
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from app.catalog.models import Order
from app.churn.models import CHURN_STATUSES, OPEN_CHURN_STATUSES, ChurnCase, ChurnMeasure
from app.churn.process import HANDLE_STEP, KEY as PROCESS_KEY
from app.churn.process import current_steps, get_case, is_running, visible  # noqa: F401  (record access)
from app.common.errors import Conflict, NotFound, ValidationFailed
from app.customers import service as customer_service
from app.customers.models import Customer
from app.inbox import actor_for
from processes import api as engine
from processes import clock

TEXT_MAX = 2000


# --- reading -------------------------------------------------------------------------------------------------

def query_cases(*, user, customer=None, manager_id=None, status=None, q=None):
    """The cases `user` may see, newest first; `customer` matches the customer's name or number."""
    stmt = select(ChurnCase).join(ChurnCase.customer).order_by(ChurnCase.created_at.desc(), ChurnCase.id.desc())
    stmt = visible(stmt, user)
    if manager_id:
        stmt = stmt.where(ChurnCase.manager_id == manager_id)
    if status:
        if status not in CHURN_STATUSES:
            raise ValidationFailed({"status": [_("Unknown status.")]})
        stmt = stmt.where(ChurnCase.status == status)
    for term in (customer, q):
        if term and term.strip():
            like = f"%{term.strip()}%"
            stmt = stmt.where(or_(Customer.name.ilike(like), Customer.no.ilike(like)))
    return stmt


def can_handle(db, user, case) -> bool:
    """The process waits for this user's decision on the case (its task is assigned to the case's manager)."""
    return user.can("churn.handle") and any(
        s["bpmn_id"] == HANDLE_STEP and s["assignee_id"] == user.id for s in current_steps(db, case))


# --- the manager's decisions (completions of handle_warning) -------------------------------------------------

def _clean_text(value, field, message):
    value = (value or "").strip()
    if not value:
        raise ValidationFailed({field: [message]})
    if len(value) > TEXT_MAX:
        raise ValidationFailed({field: [_("At most %(n)s characters.", n=TEXT_MAX)]})
    return value


def _complete_handle(db, *, user, case_id, data):
    """Completes the open handle_warning task; the engine refuses another user (403) and another step (409 with
    the steps the process waits at)."""
    case = get_case(db, user=user, case_id=case_id)
    if not is_running(db, case):
        raise Conflict(_("This churn case is already closed."), current_steps=[])
    engine.complete_step(db, key=PROCESS_KEY, business_key=str(case.id), bpmn_id=HANDLE_STEP,
                         actor=actor_for(user), data=data)
    return case


def postpone_case(db, *, user, case_id, measure) -> ChurnCase:
    """暂缓流失: record the retention measure; the process re-checks the customer later."""
    measure = _clean_text(measure, "measure", _("Describe the retention measure taken."))
    return _complete_handle(db, user=user, case_id=case_id, data={"decision": "postpone", "measure": measure})


def confirm_case(db, *, user, case_id, reason) -> ChurnCase:
    """确认流失: the customer is lost for the given reason."""
    reason = _clean_text(reason, "reason", _("Give the reason the customer was lost."))
    return _complete_handle(db, user=user, case_id=case_id, data={"decision": "confirm", "reason": reason})


# --- state changes made by the process (service tasks) and by new orders -------------------------------------

def open_case(db, case_id) -> ChurnCase:
    case = db.get(ChurnCase, case_id)
    if case is None:
        raise NotFound(f"churn case {case_id} not found")
    if case.status not in OPEN_CHURN_STATUSES:
        raise Conflict(_("This churn case is already closed."))
    return case


def record_measure(db, *, case_id, text, by_id) -> ChurnCase:
    case = open_case(db, case_id)
    text = _clean_text(text, "measure", _("Describe the retention measure taken."))
    case.measures.append(ChurnMeasure(text=text, by_id=by_id, at=clock.utcnow()))
    case.status = "postponed"
    return case


def confirm_lost(db, *, case_id, reason) -> ChurnCase:
    case = open_case(db, case_id)
    case.reason = _clean_text(reason, "reason", _("Give the reason the customer was lost."))
    case.status = "confirmed"
    case.confirmed_at = case.closed_at = clock.utcnow()
    customer_service.mark_lost(case.customer)
    return case


def has_ordered_since(db, case) -> bool:
    """A newer order than the one the warning was based on (any order if the customer had none)."""
    stmt = select(Order.id).where(Order.customer_id == case.customer_id)
    if case.last_order_date is not None:
        stmt = stmt.where(Order.order_date > case.last_order_date)
    return db.scalar(stmt.limit(1)) is not None


def mark_retained(db, *, case_id) -> ChurnCase:
    case = open_case(db, case_id)
    case.status = "retained"
    case.closed_at = clock.utcnow()
    return case


def move_open_cases(db, *, customer_id, from_manager_id, to_manager_id) -> dict:
    """Customer transfer hook: the customer's open cases go to the new manager (closed ones keep their history)."""
    moved = db.execute(update(ChurnCase).where(ChurnCase.customer_id == customer_id,
                                               ChurnCase.status.in_(OPEN_CHURN_STATUSES))
                       .values(manager_id=to_manager_id).execution_options(synchronize_session="fetch")).rowcount
    return {"churn_cases": moved}


def close_cases_on_order(db, order):
    """Order hook: a new order closes the customer's open case as retained and ends its process."""
    cases = db.scalars(select(ChurnCase).where(ChurnCase.customer_id == order.customer_id,
                                              ChurnCase.status.in_(OPEN_CHURN_STATUSES))).all()
    closed = []
    for case in cases:
        if case.last_order_date is not None and order.order_date <= case.last_order_date:
            continue  # a back-dated order is no sign the customer came back
        closed.append(case)
        mark_retained(db, case_id=case.id)
        engine.cancel_process(db, key=PROCESS_KEY, business_key=str(case.id), user_id=None,
                       reason=f"retained: order {order.order_no}")
    return closed
