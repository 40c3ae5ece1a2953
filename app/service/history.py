"""What the process did with a request, read from the engine's SQL tables (never by loading the workflow):
open steps with their due dates, the step history (who, when) and the event log."""
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.service.service import PROCESS_KEY
from processes.models import HumanTask, ProcessEvent, ProcessInstance

STEP_LABELS = {
    "dispatch": _l("Dispatch"),
    "escalate": _l("Overdue: dispatch again"),
    "handle": _l("Handling"),
    "feedback": _l("Feedback"),
}


def step_name(step) -> str:
    """A step as WrongStep reports it (a BPMN id, or a dict carrying one) in the user's language."""
    if isinstance(step, dict):
        bpmn_id = step.get("bpmn_id") or step.get("id")
        return str(STEP_LABELS.get(bpmn_id) or step.get("name") or bpmn_id)
    return str(STEP_LABELS.get(step, step))


def open_tasks_by_request(db, request_ids) -> dict[int, list[HumanTask]]:
    if not request_ids:
        return {}
    rows = db.scalars(select(HumanTask).where(HumanTask.process_key == PROCESS_KEY,
                                              HumanTask.business_key.in_([str(i) for i in request_ids]),
                                              HumanTask.completed_at.is_(None)).order_by(HumanTask.id))
    out = defaultdict(list)
    for t in rows:
        out[int(t.business_key)].append(t)
    return out


def _instances(db, request_id):
    return list(db.scalars(select(ProcessInstance).where(ProcessInstance.definition_key == PROCESS_KEY,
                                                         ProcessInstance.business_key == str(request_id))
                           .order_by(ProcessInstance.id)))


def _user_names(db, ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def steps(db, request_id):
    """Every user task the request went through, oldest first, with who completed it and when."""
    instance_ids = [i.id for i in _instances(db, request_id)]
    if not instance_ids:
        return []
    tasks = list(db.scalars(select(HumanTask).where(HumanTask.instance_id.in_(instance_ids))
                            .order_by(HumanTask.created_at, HumanTask.id)))
    names = _user_names(db, [t.completed_by for t in tasks] + [t.assignee_id for t in tasks])
    return [{"name": t.name, "bpmn_id": t.bpmn_id, "role": t.role, "assignee": names.get(t.assignee_id),
             "created_at": t.created_at, "due_at": t.due_at, "completed_at": t.completed_at,
             "completed_by": names.get(t.completed_by)} for t in tasks]


def events(db, request_id):
    """The append-only event log of the request's process (completions with their data, timer fires, ...)."""
    instance_ids = [i.id for i in _instances(db, request_id)]
    if not instance_ids:
        return []
    rows = list(db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id.in_(instance_ids))
                           .order_by(ProcessEvent.at, ProcessEvent.id)))
    names = _user_names(db, [e.user_id for e in rows])
    return [{"at": e.at, "event": e.event, "bpmn_id": e.bpmn_id, "user": names.get(e.user_id), "data": e.data}
            for e in rows]
