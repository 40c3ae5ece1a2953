"""An opportunity's history: the process events (who did which step with what data) merged with the sales audit
trail (edits and plan changes), oldest first."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.common.models import AuditRecord
from app.customers.models import Customer
from app.sales.labels import AUDIT_LABELS, OUTCOME_LABELS, TASK_NAMES
from app.sales.service import PROCESS_KEY
from processes.models import ProcessEvent, ProcessInstance

EVENT_LABELS = {  # processes/ event codes
    "started": _l("Process started"),
    "task_completed": _l("Step completed"),
    "step": _l("Automatic step"),
    "timer_fired": _l("Timer fired"),
    "completed": _l("Process finished"),
    "cancelled": _l("Process cancelled"),
    "error": _l("Process error"),
    "retried": _l("Process retried"),
}


@dataclass
class Entry:
    at: datetime
    user_id: int | None
    what: str
    step: str
    data: dict


def _event_entry(ev):
    step = TASK_NAMES.get(ev.bpmn_id) if ev.bpmn_id else None
    data = dict(ev.data or {}) if isinstance(ev.data, dict) else {}
    if "outcome" in data and data["outcome"] in OUTCOME_LABELS:
        data["outcome"] = str(OUTCOME_LABELS[data["outcome"]])
    return Entry(at=ev.at, user_id=ev.user_id, what=str(EVENT_LABELS.get(ev.event, ev.event)),
                 step=str(step or ev.bpmn_id or ""), data=data)


def entries(db, opp):
    instance_ids = db.scalars(select(ProcessInstance.id).where(ProcessInstance.definition_key == PROCESS_KEY,
                                                               ProcessInstance.business_key == str(opp.id))).all()
    out = []
    if instance_ids:
        events = db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id.in_(instance_ids))
                            .order_by(ProcessEvent.at, ProcessEvent.id)).all()
        out.extend(_event_entry(ev) for ev in events)
    audits = db.scalars(select(AuditRecord).where(AuditRecord.entity == "opportunity",
                                                  AuditRecord.entity_id == str(opp.id))
                        .order_by(AuditRecord.at, AuditRecord.id)).all()
    out.extend(Entry(at=a.at, user_id=a.user_id, what=str(AUDIT_LABELS.get(a.action, a.action)), step="",
                     data=a.data if isinstance(a.data, dict) else {}) for a in audits)
    out.sort(key=lambda e: e.at)
    return out


def customer_of(db, opp):
    return db.get(Customer, opp.customer_id) if opp.customer_id else None
