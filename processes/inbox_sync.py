"""Keeps the `human_task` table (the inbox) equal to the READY user tasks of an instance after every step.

The inbox is plain SQL over this table; nothing on the inbox path deserializes a workflow.
"""
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from processes import clock
from processes.models import HumanTask
from processes.timers import due_for


def _properties(task_spec):
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _assignee(workflow, task):
    """The `assignee` property is an expression on task data giving a user id (None = the whole lane)."""
    expression = _properties(task.task_spec).get("assignee")
    if not expression:
        return None
    value = workflow.script_engine.evaluate(task, expression)
    if value in (None, ""):
        return None
    return int(value)


def sync(db, instance, workflow, *, completed_uuid=None, completed_by=None, closed_outcome="interrupted",
         open_rows=None):
    """Close rows whose task is no longer READY and work out the rows of new READY user tasks.

    Returns (problems, new rows as dicts for one multi-row INSERT); problems (e.g. an assignee expression that failed); the caller puts the instance in error.
    A task whose assignee cannot be worked out gets no row rather than landing in the whole lane's inbox.
    `open_rows`: the open rows when the caller has already read them under the instance lock.
    """
    now = clock.utcnow()
    ready = {}
    if instance.status not in ("completed", "cancelled"):
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = open_rows if open_rows is not None else db.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))).all()
    open_uuids = set()
    for row in rows:
        if row.task_uuid in ready:
            open_uuids.add(row.task_uuid)
            # A due date stays once its non-interrupting timer has fired: the task is then overdue, not undated.
            row.due_at = due_for(ready[row.task_uuid]) or row.due_at
            continue
        row.completed_at = now
        if row.task_uuid == completed_uuid:
            row.outcome, row.completed_by = "completed", completed_by
        else:
            row.outcome = closed_outcome
    problems, new_rows = [], []
    for uuid, task in ready.items():
        if uuid in open_uuids:
            continue
        spec = task.task_spec
        try:
            assignee = _assignee(workflow, task)
        except Exception as err:  # a modelling error: report it, the instance goes to the error state
            problems.append(f"{spec.bpmn_id}: the assignee expression failed: {err}")
            continue
        new_rows.append(dict(
            instance_id=instance.id, task_uuid=uuid, process_key=instance.definition_key,
            business_key=instance.business_key, subject=instance.subject, bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id, role=getattr(spec, "lane", None), assignee_id=assignee,
            claimed_by=None, form=_properties(spec).get("formJsonSchemaFilename"), created_at=now,
            due_at=due_for(task)))
    return problems, new_rows
