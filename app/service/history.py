"""What the process did with a request, read from the engine's SQL tables (never by loading the workflow):
open steps with their due dates, the step history (who, when) and the event log."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.inbox import history as words
from app.service.process import KEY, open_tasks
from processes import api as engine

EVENT_LABELS = {  # the engine's words, a few in the service desk's own
    **words.EVENT_LABELS,
    "started": _l("Recorded, process started"),
    "timer_fired": _l("Time limit passed"),
    "cancelled": _l("Cancelled"),
    "error": _l("Error"),
    "retried": _l("Retried"),
}

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


def open_tasks_by_request(db, request_ids) -> dict[int, list]:
    return open_tasks(db, request_ids)


def _instances(db, request_id):
    return engine.instances_of(db, KEY, request_id)


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
    tasks = engine.tasks_of(db, instance_ids)
    names = _user_names(db, [t.completed_by for t in tasks] + [t.assignee_id for t in tasks])
    return [{"name": t.name, "bpmn_id": t.bpmn_id, "role": t.role, "assignee": names.get(t.assignee_id),
             "created_at": t.created_at, "due_at": t.due_at, "completed_at": t.completed_at,
             "completed_by": names.get(t.completed_by)} for t in tasks]


def events(db, request_id):
    """The event log of the request's process in words (app/inbox/history.py): who did what, when, with which
    business data; automatic passes that changed nothing (gateways, merges, start/end events) are left out."""
    instances = _instances(db, request_id)
    if not instances:
        return []
    rows = words.record_history(db, instances, engine.events_of(db, [i.id for i in instances]))
    return [{"at": r["event"].at, "event": str(EVENT_LABELS.get(r["event"].event, r["event"].event)),
             "step": r["step"], "user": r["user_name"], "details": r["details"]}
            for r in rows if not r["bookkeeping"]]
