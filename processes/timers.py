"""Timer facts read from a loaded workflow, and SpiffWorkflow's clock tied to processes.clock.

Nothing fires by itself: the scheduler (scheduler/tasks.py) calls processes.runtime.fire_due_timers every ~30 s.
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState

from processes import clock
from processes.spiff_compat import route_timer_clock, timer_value


# SpiffWorkflow reads datetime.now(timezone.utc) directly; a test or a benchmark that moves processes.clock moves
# timer due dates too.
route_timer_clock(clock.utcnow)


def _to_naive_utc(value):
    if value is None:
        return None
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        if value.get("cycles", 0) == 0:
            return None
        value = value.get("next")
    try:
        dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    except (TypeError, ValueError):
        return None
    if not isinstance(dt, datetime):
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond)


def waiting_timers(workflow):
    """[(task, due naive UTC)] for every timer the instance is waiting on."""
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        event = getattr(task.task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and task.has_state(TaskState.WAITING):
            found.append((task, _to_naive_utc(timer_value(task))))
    return found


def next_timer_at(workflow):
    dues = [due for _task, due in waiting_timers(workflow) if due is not None]
    return min(dues) if dues else None


def due_for(task):
    """Due date of a user task: the earliest boundary timer waiting on it."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    dues = []
    for sibling in parent.children:
        event = getattr(sibling.task_spec, "event_definition", None)
        if sibling is not task and isinstance(event, TimerEventDefinition) and sibling.has_state(TaskState.WAITING):
            due = _to_naive_utc(timer_value(sibling))
            if due is not None:
                dues.append(due)
    return min(dues) if dues else None


def pending_timers(workflow):
    """For the instance view: [{bpmn_id, name, due_at}]."""
    return [{"bpmn_id": t.task_spec.bpmn_id, "name": t.task_spec.bpmn_name or t.task_spec.bpmn_id, "due_at": due}
            for t, due in waiting_timers(workflow)]
