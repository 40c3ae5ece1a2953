"""Sales opportunities (SPEC §3): record, edit and delete while unassigned, assign, close, query.

The opportunity's life is the `sales_opportunity` BPMN process (business key = opportunity id). Assigning and
closing are completions of its user tasks; the service tasks behind them (app/sales/operations.py) move the status.
Keyword-only functions taking the session first; they never commit.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.auth.models import Role, User
from app.auth.service import is_active_member
from app.common.errors import Forbidden, ValidationFailed
from app.common.models import AuditRecord
from app.customers.validation import PHONE_RE
from app.inbox import actor_for
from app.sales.models import OPPORTUNITY_STATUSES, Opportunity
from app.sales.process import ASSIGN_STEP, DEVELOP_STEP, KEY as PROCESS_KEY
from app.sales.process import current_steps as _current_steps
from app.sales.process import get_opportunity, lock, scope_clause, step_ids  # noqa: F401  (record access)
from processes import api as engine
from processes.api import WrongStep, utcnow

OUTCOMES = ("success", "failure", "terminated")
MANAGER_ROLE = "customer_manager"

# field -> (required, max length); probability is checked separately (integer 0-100).
TEXT_FIELDS = {
    "source": (False, 100),
    "customer_name": (True, 100),
    "summary": (True, 200),
    "contact": (False, 50),
    "contact_phone": (False, 30),
    "description": (True, 2000),
}
FIELDS = ("source", "customer_name", "probability", "summary", "contact", "contact_phone", "description")


def clean_fields(data, *, partial=False):
    """Validate and normalise opportunity input; raises ValidationFailed with every field's problems at once.

    partial=True (an update) checks only the keys present."""
    errors, out = {}, {}
    for name, (required, limit) in TEXT_FIELDS.items():
        if partial and name not in data:
            continue
        value = data.get(name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if required:
                errors[name] = [_("This field is required.")]
            out[name] = None
        elif not isinstance(value, str):
            errors[name] = [_("Must be text.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(n)s characters (now %(m)s).", n=limit, m=len(value))]
        elif name == "contact_phone" and not _is_phone(value):
            # Checked now because a won opportunity passes it to the customer's contact, which requires it.
            errors[name] = [_("Enter a phone number: 7 to 20 digits, spaces, hyphens or parentheses allowed.")]
        else:
            out[name] = value
    if not partial or "probability" in data:
        prob = _parse_probability(data.get("probability"))
        if isinstance(prob, str):
            errors["probability"] = [prob]
        else:
            out["probability"] = prob
    if errors:
        raise ValidationFailed(errors)
    return out


def _is_phone(value):
    return bool(PHONE_RE.match(value)) and 7 <= sum(ch.isdigit() for ch in value) <= 20


def _parse_probability(value):
    """The integer, or an error message."""
    if value is None or value == "":
        return _("This field is required.")
    if isinstance(value, bool):
        return _("Enter a whole number from 0 to 100.")
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            return _("Enter a whole number from 0 to 100.")
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= 100:
        return _("Enter a whole number from 0 to 100.")
    return value


def subject_of(opp):
    return f"{opp.customer_name} · {opp.summary}"[:200]


# --- reading ---------------------------------------------------------------------------------------------------

@dataclass
class OpportunityFilter:
    customer_name: str | None = None
    summary: str | None = None
    contact: str | None = None
    status: str | None = None
    assignee_id: int | None = None
    created_from: datetime | None = None  # UTC, inclusive
    created_to: datetime | None = None  # UTC, exclusive
    q: str | None = None


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query_statement(*, user, flt: OpportunityFilter):
    o = Opportunity
    stmt = select(o).where(o.deleted_at.is_(None))
    clause = scope_clause(user)
    if clause is not None:
        stmt = stmt.where(clause)
    for name in ("customer_name", "summary", "contact"):
        value = getattr(flt, name)
        if value:
            stmt = stmt.where(getattr(o, name).ilike(_like(value), escape="\\"))
    if flt.q:
        pattern = _like(flt.q)
        stmt = stmt.where(or_(o.customer_name.ilike(pattern, escape="\\"), o.summary.ilike(pattern, escape="\\"),
                              o.contact.ilike(pattern, escape="\\")))
    if flt.status:
        stmt = stmt.where(o.status == flt.status)
    if flt.assignee_id:
        stmt = stmt.where(o.assignee_id == flt.assignee_id)
    if flt.created_from:
        stmt = stmt.where(o.created_at >= flt.created_from)
    if flt.created_to:
        stmt = stmt.where(o.created_at < flt.created_to)
    return stmt.order_by(o.created_at.desc(), o.id.desc())


def managers(db):
    """Active customer managers: the people an opportunity can be assigned to."""
    return db.scalars(select(User).join(Role).where(Role.code == MANAGER_ROLE, User.active.is_(True))
                      .order_by(User.name)).all()


def check_assignee(db, assignee_id):
    """The assignee must be an active customer manager."""
    if not is_active_member(db, MANAGER_ROLE, assignee_id):
        raise ValidationFailed({"assignee_id": [_("Choose an active customer manager.")]})


def current_steps(db, opp):
    return _current_steps(db, opp)


class StepRefused(WrongStep):
    """A sales rule refused an action because of where the process is; the detail is already in the user's
    language (the engine's own WrongStep speaks English to API clients)."""


def lock_process(db, opp):
    return lock(db, opp)


def require_step(db, opp, bpmn_id, detail):
    steps = current_steps(db, opp)
    if bpmn_id not in step_ids(steps):
        raise StepRefused(detail, current_steps=steps)


# --- recording, editing, deleting ------------------------------------------------------------------------------

def create_opportunity(db, *, user, data, assignee_id=None):
    """Record an opportunity and start its process; a supervisor may assign it in the same step."""
    fields = clean_fields(data)
    if assignee_id is not None:
        if not user.can("opportunity.assign"):
            raise Forbidden(_("You may not assign opportunities."))
        check_assignee(db, assignee_id)
    opp = Opportunity(**fields, created_by=user.id, created_at=utcnow(), status="unassigned")
    db.add(opp)
    db.flush()
    engine.start_process(db, PROCESS_KEY, business_key=str(opp.id), subject=subject_of(opp),
                          data={"opportunity_id": opp.id}, user_id=user.id)
    if assignee_id is not None:
        assign_opportunity(db, user=user, opportunity_id=opp.id, assignee_id=assignee_id)
    return opp


def _require_unassigned(db, opp):
    """Edits and deletion are allowed while the process waits for the assignment (not by the record's status)."""
    require_step(db, opp, ASSIGN_STEP, _("Only an unassigned opportunity can be changed or deleted."))


def _content(opp):
    return {name: getattr(opp, name) for name in FIELDS} | {
        "created_by": opp.created_by, "created_at": opp.created_at.isoformat(), "status": opp.status}


def audit(db, *, opp, action, user, data):
    db.add(AuditRecord(entity="opportunity", entity_id=str(opp.id), action=action, user_id=user.id, data=data,
                       at=utcnow()))


def update_opportunity(db, *, user, opportunity_id, data):
    opp = lock_process(db, get_opportunity(db, user=user, opportunity_id=opportunity_id))
    _require_unassigned(db, opp)
    fields = clean_fields(data, partial=True)
    changes = {k: [getattr(opp, k), v] for k, v in fields.items() if getattr(opp, k) != v}
    for name, (_old, new) in changes.items():
        setattr(opp, name, new)
    if changes:
        audit(db, opp=opp, action="updated", user=user, data=changes)
        # Inbox rows and the instance carry the subject so the inbox needs no join; keep it current.
        engine.set_subject(db, key=PROCESS_KEY, business_key=opp.id, subject=subject_of(opp))
    return opp


def delete_opportunity(db, *, user, opportunity_id):
    """Deleted only while unassigned: the process is cancelled and the content kept in the audit trail."""
    opp = lock_process(db, get_opportunity(db, user=user, opportunity_id=opportunity_id))
    _require_unassigned(db, opp)
    engine.cancel_process(db, key=PROCESS_KEY, business_key=str(opp.id), user_id=user.id,
                           reason="opportunity deleted")
    opp.deleted_at = utcnow()
    audit(db, opp=opp, action="deleted", user=user, data=_content(opp))
    return opp


# --- process steps ---------------------------------------------------------------------------------------------

def assign_opportunity(db, *, user, opportunity_id, assignee_id):
    opp = get_opportunity(db, user=user, opportunity_id=opportunity_id)
    check_assignee(db, assignee_id)
    engine.complete_step(db, key=PROCESS_KEY, business_key=str(opp.id), bpmn_id=ASSIGN_STEP,
                          actor=actor_for(user), data={"assignee_id": assignee_id})
    return opp


def close_opportunity(db, *, user, opportunity_id, outcome):
    opp = get_opportunity(db, user=user, opportunity_id=opportunity_id)
    if outcome not in OUTCOMES:
        raise ValidationFailed({"outcome": [_("Choose success, failure or terminated.")]})
    engine.complete_step(db, key=PROCESS_KEY, business_key=str(opp.id), bpmn_id=DEVELOP_STEP,
                          actor=actor_for(user), data={"outcome": outcome})
    return opp


def valid_status(code):
    return code in OPPORTUNITY_STATUSES
