"""The customer_churn process binding (menu 客户管理 › 客户流失): everything that ties bpmn-models/customer_churn.bpmn
to the churn pages, in one place.

- Process key KEY; it runs for one ChurnCase (business key = case id), started by the churn scan
  (scan_service.py) with case_id, customer_id, manager_id and recheck_after.
- The step the churn pages act on: `handle_warning` (postpone or confirm on the case page and the API),
  registered with processes.bindings so a deploy that drops it is refused naming those pages. Any other user task an
  analyst adds is worked through the generic task page and API (app/inbox) and shows on the case page as its
  current step.
- Worklist: the cases whose instance waits for the manager's decision (from the inbox table), with its badge.
- Operations the model calls (service tasks, in operations.py): OPERATIONS; they set the case's status.
- Inbox links and record access.
"""
from app.common.row_urls import row_url
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.guard import sees_all
from app.catalog.models import Order
from app.churn.models import ChurnCase
from app.common.errors import NotFound
from app.common.ui import register_badge
from app.inbox import links
from processes import api as engine

KEY = "customer_churn"
RECORD = ChurnCase
HANDLE_STEP = "handle_warning"

engine.register_steps(KEY, {
    HANDLE_STEP: ["churn.to_handle", "churn.show_case (postpone, confirm)",
                  "POST /api/v1/churn-cases/{id}/postpone", "POST /api/v1/churn-cases/{id}/confirm"],
})

# Service-task operations the model calls (app/churn/operations.py).
OPERATIONS = ("churn.postpone", "churn.confirm", "churn.recheck", "churn.retain", "churn.manager")


# --- record access ---------------------------------------------------------------------------------------------

def visible(stmt, user):
    """A manager sees their own cases; data.all sees every case."""
    return stmt if sees_all(user) else stmt.where(ChurnCase.manager_id == user.id)


def get_case(db, *, user, case_id) -> ChurnCase:
    """A case the user may see; another manager's case is simply not found for them."""
    case = db.get(ChurnCase, case_id)
    if case is None or not (sees_all(user) or case.manager_id == user.id):
        raise NotFound(_("Churn case %(id)s not found.", id=case_id))
    return case


def current_steps(db, case) -> list[dict]:
    return engine.current_steps(db, key=KEY, business_key=str(case.id))


def latest_instance(db, case):
    return engine.latest_instance(db, KEY, case.id)


def is_running(db, case) -> bool:
    return engine.find_instance(db, KEY, str(case.id)) is not None


# --- worklist --------------------------------------------------------------------------------------------------

def to_handle(user):
    """The decision task is assigned to the case's manager: theirs only."""
    return engine.waiting_at(KEY, (HANDLE_STEP,), ChurnCase.id, assignee_id=user.id)


def worklist_statement(user):
    return visible(select(ChurnCase).where(to_handle(user)), user) \
        .order_by(ChurnCase.created_at.desc(), ChurnCase.id.desc())


register_badge("churn.to_handle", "churn.handle", worklist_statement)


# --- inbox links -----------------------------------------------------------------------------------------------
# The inbox links a churn task and its record to the case page, which shows the measures and both decisions.

def essentials(db, business_key):
    """What every step of the process shows above its form: the customer, its manager and its last order."""
    case = db.get(ChurnCase, int(business_key))
    if case is None:
        return None
    return [(_("Customer"), f"{case.customer.name} ({case.customer.no})"),
            (_("Customer manager"), case.manager.name if case.manager else ""),
            (_("Last order"), last_order_text(db, case))]


def last_order_text(db, case) -> str:
    """The customer's latest order as "date · amount" (the warning's basis, or a newer one)."""
    last = db.scalar(select(Order).where(Order.customer_id == case.customer_id)
                     .order_by(Order.order_date.desc(), Order.id.desc()).limit(1))
    return f"{last.order_date.isoformat()} · {last.total:,.2f}" if last else _("no order")


links.register_essentials(KEY, essentials)
# History: who the case is with and what the re-check found; ids and the re-check interval are bookkeeping.
links.register_history_labels(KEY, {"manager_id": _l("Customer manager"),
                                    "ordered": _l("Ordered since the warning")}, users=("manager_id",))
links.register_record_link(KEY, lambda key: row_url("churn.show_case", "case_id", int(key)))
links.register_record_access(KEY, "churn.view", lambda db, user, key: get_case(db, user=user, case_id=int(key)))
links.register_task_page(KEY, HANDLE_STEP, lambda task: row_url("churn.show_case", "case_id", int(task.business_key)))
