"""An opportunity's history: the process events (who did which step with what data) merged with the sales audit
trail (edits and plan changes), oldest first, in words a user reads."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.common.models import AuditRecord
from app.common.ui import model_text
from app.customers.models import Customer
from app.inbox import history as words
from app.sales.labels import AUDIT_LABELS, OUTCOME_LABELS, TASK_NAMES
from app.sales.process import KEY
from processes import api as engine

EVENT_LABELS = words.EVENT_LABELS

FIELD_LABELS = {
    "assignee_id": _l("Assignee"), "outcome": _l("Outcome"), "approved": _l("Approved"), "date": _l("Date"),
    "todo": _l("To-do"), "result": _l("Result"), "customer_no": _l("Customer"), "source": _l("Source"),
    "customer_name": _l("Customer name"), "probability": _l("Success probability"), "summary": _l("Summary"),
    "contact": _l("Contact"), "contact_phone": _l("Contact phone"), "description": _l("Description"),
    "reason": _l("Reason given"), "message": _l("Message"), "version": _l("Version"),
}
# Keys that are plumbing, not something a user reads (ids, timestamps the row already shows, echoed inputs).
HIDDEN = {"id", "opportunity_id", "customer_id", "assigned_at", "data", "status"}


@dataclass
class Entry:
    at: datetime
    user: str
    what: str
    step: str
    details: list = field(default_factory=list)  # [(label, text)]


def _flatten(data):
    out = {}
    for key, value in (data or {}).items():
        if isinstance(value, dict):
            out.update(_flatten(value))
        else:
            out[key] = value
    return out


def _text(key, value, names):
    if key == "assignee_id":
        return names.get(value, str(value))
    if key == "outcome":
        return str(OUTCOME_LABELS.get(value, value))
    if key == "approved":
        return _("Yes") if value else _("No")
    if isinstance(value, list) and len(value) == 2:  # an edit: [old, new]
        return f"{_text(key, value[0], names)} → {_text(key, value[1], names)}"
    return "" if value is None else str(value)


def _details(data, names):
    flat = _flatten(data if isinstance(data, dict) else {})
    return [(str(FIELD_LABELS.get(k, k)), _text(k, v, names)) for k, v in flat.items()
            if k not in HIDDEN and v not in (None, "")]


def entries(db, opp):
    instances = engine.instances_of(db, KEY, opp.id)
    events = engine.events_of(db, [i.id for i in instances])
    # Automatic passes through gateways and start/end events say nothing a user needs.
    events = [e for e in events if e.event != "step" or e.bpmn_id in TASK_NAMES]
    # Steps the sales pages do not know (an analyst added them) read as the model names them.
    elements = engine.element_names(db, [i.definition_id for i in instances]) if instances else {}
    audits = db.scalars(select(AuditRecord).where(AuditRecord.entity == "opportunity",
                                                  AuditRecord.entity_id == str(opp.id))
                        .order_by(AuditRecord.at, AuditRecord.id)).all()
    ids = {e.user_id for e in events} | {a.user_id for a in audits} | {opp.assignee_id}
    ids |= {_flatten(e.data).get("assignee_id") for e in events if isinstance(e.data, dict)}
    ids = {i for i in ids if isinstance(i, int)}
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    # Process data in words: the forms' labels and choices (an analyst's new step included), people by name.
    worded = words.record_history(db, instances, events)
    out = [Entry(at=e.at, user=names.get(e.user_id, ""), what=str(EVENT_LABELS.get(e.event, e.event)),
                 step=str(TASK_NAMES.get(e.bpmn_id) or model_text(elements.get(e.bpmn_id, e.bpmn_id or ""))),
                 details=[] if e.event == "started" else row["details"]) for e, row in zip(events, worded)]
    out += [Entry(at=a.at, user=names.get(a.user_id, ""), what=str(AUDIT_LABELS.get(a.action, a.action)), step="",
                  details=_details(a.data, names)) for a in audits]
    out.sort(key=lambda e: e.at)  # stable: events before audits written in the same instant
    return out


def customer_of(db, opp):
    return db.get(Customer, opp.customer_id) if opp.customer_id else None
