"""The sales_opportunity process binding (menu 营销管理): everything that ties bpmn-models/sales_opportunity.bpmn to
the sales pages, in one place.

- Process key KEY; it runs for one Opportunity (business key = opportunity id), started by
  service.create_opportunity.
- The steps the sales pages act on (BPMN user-task ids), registered with processes.bindings so a deploy that drops
  one is refused naming the pages that need it: `assign` (assign page and API; the opportunity can be edited or
  deleted while it waits there) and `develop` (the plan and the close actions). Any other user task an analyst
  adds is worked through the generic task page and API (app/inbox) and shows on the opportunity page as its
  current step.
- Worklists: opportunities to assign / to develop are those whose instance has an open task at that step (from
  the inbox table), so the list, its menu badge and the inbox agree whatever version the instance runs.
- Operations the model calls (service tasks, in operations.py): OPERATIONS; they set the opportunity's status.
- Inbox links and record access.
"""
from app.common.row_urls import fixed_url, row_url
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from app.auth.guard import sees_all
from app.common.errors import NotFound
from app.common.ui import register_badge
from app.inbox.links import (register_essentials, register_history_labels, register_record_access,
                             register_record_link, register_task_page)
from app.sales.models import Opportunity
from processes import api as engine

KEY = "sales_opportunity"
RECORD = Opportunity
ASSIGN_STEP = "assign"
DEVELOP_STEP = "develop"

engine.register_steps(KEY, {
    ASSIGN_STEP: ["sales.to_assign", "sales.assign_opportunity", "sales.edit_opportunity",
                  "sales.delete_opportunity", "POST /api/v1/opportunities/{id}/assign",
                  "PUT/PATCH/DELETE /api/v1/opportunities/{id}"],
    DEVELOP_STEP: ["sales.to_develop", "sales.show_opportunity (plan, close)",
                   "POST /api/v1/opportunities/{id}/close", "/api/v1/opportunities/{id}/plan-items"],
})

# Service-task operations the model calls (app/sales/operations.py).
OPERATIONS = ("sales.assign", "sales.close", "sales.create_customer")


# --- record access ---------------------------------------------------------------------------------------------

def scope_clause(user):
    """Record-level rule: a manager sees what is assigned to them, and what they recorded while it is unassigned."""
    if sees_all(user):
        return None
    return or_(Opportunity.assignee_id == user.id,
               and_(Opportunity.assignee_id.is_(None), Opportunity.created_by == user.id))


def get_opportunity(db, *, user, opportunity_id):
    stmt = select(Opportunity).where(Opportunity.id == opportunity_id, Opportunity.deleted_at.is_(None))
    clause = scope_clause(user)
    if clause is not None:
        stmt = stmt.where(clause)
    opp = db.scalar(stmt)
    if opp is None:
        raise NotFound(_("Opportunity %(id)s not found.", id=opportunity_id))
    return opp


def lock(db, opp):
    """Serialise a domain action with the process: take the instance lock first (the engine's own order is
    instance, then the opportunity row its operations update, so no deadlock), then read the opportunity again.
    Without it a plan item could slip in after a concurrent close, or a delete race an assignment."""
    engine.lock_record(db, key=KEY, business_key=opp.id)
    db.refresh(opp)
    return opp


def current_steps(db, opp) -> list[dict]:
    return engine.current_steps(db, key=KEY, business_key=str(opp.id))


def step_ids(steps):
    return [s["bpmn_id"] for s in steps]


def open_steps_by_opportunity(db, opportunity_ids) -> dict[int, list]:
    """{opportunity id: its open inbox rows}."""
    return {int(k): v for k, v in engine.open_tasks_of(db, KEY, opportunity_ids).items()}


# --- worklists -------------------------------------------------------------------------------------------------

def to_assign(user):
    return engine.waiting_at(KEY, (ASSIGN_STEP,), Opportunity.id, visible_to=user.id)


def to_develop(user):
    """The development task is assigned to one manager: theirs only."""
    return engine.waiting_at(KEY, (DEVELOP_STEP,), Opportunity.id, assignee_id=user.id)


# endpoint -> (right, condition for the user): the sales worklists and their menu badges.
WORKLISTS = {
    "sales.to_assign": ("opportunity.assign", to_assign),
    "sales.to_develop": ("opportunity.develop", to_develop),
}


def worklist_statement(endpoint, user):
    _right, condition = WORKLISTS[endpoint]
    stmt = select(Opportunity).where(Opportunity.deleted_at.is_(None), condition(user))
    clause = scope_clause(user)
    if clause is not None:
        stmt = stmt.where(clause)
    return stmt.order_by(Opportunity.created_at.desc(), Opportunity.id.desc())


for _endpoint, (_right, _condition) in WORKLISTS.items():
    register_badge(_endpoint, _right, lambda user, ep=_endpoint: worklist_statement(ep, user))


# --- inbox links -----------------------------------------------------------------------------------------------
# Inbox rows open the sales pages: the record, the assign page (back to the inbox after) and the plan.

def essentials(db, business_key):
    """What every step of the process shows above its form: the opportunity and its plan."""
    opp = db.get(Opportunity, int(business_key))
    if opp is None:
        return None
    contact = " ".join(v for v in (opp.contact, opp.contact_phone) if v)
    plan = [f"{item.date.isoformat()} {item.todo}" + (f" → {item.result}" if item.result else "")
            for item in opp.plan_items]
    return [(_("Customer name"), opp.customer_name), (_("Summary"), opp.summary), (_("Contact"), contact),
            (_("Probability"), f"{opp.probability}%"), (_("Details"), opp.description),
            (_("Development plan"), plan or _("No plan items yet."))]


register_essentials(KEY, essentials)
register_history_labels(KEY, {"assignee_id": _l("Assignee"), "outcome": _l("Outcome")}, users=("assignee_id",))
register_record_link(KEY, lambda key: row_url("sales.show_opportunity", "opportunity_id", int(key)))
register_record_access(KEY, "opportunity.view",
                       lambda db, user, key: get_opportunity(db, user=user, opportunity_id=int(key)))
register_task_page(KEY, ASSIGN_STEP,
                   lambda t: row_url("sales.assign_opportunity", "opportunity_id", int(t.business_key),
                                     next=fixed_url("inbox.index")))
register_task_page(KEY, DEVELOP_STEP,
                   lambda t: row_url("sales.show_opportunity", "opportunity_id", int(t.business_key)) + "#plan")
