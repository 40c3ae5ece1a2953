"""What domain pages read about the processes of their records, as SQL over the engine's tables (never by loading a
workflow): where an instance waits, the worklist condition "this record's instance has an open task at step X",
the instances, steps and history of records. Read-only; the writes are runtime's.

Domains reach these through processes.api; the rows returned are for reading (templates show their attributes).
"""
from collections import defaultdict

from sqlalchemy import Integer, and_, cast, or_, select
from sqlalchemy.orm import defer

from processes.definitions import parsed_for
from processes.inspect import step_names
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance

ACTIVE = ("running", "error")


def waiting_at(key, bpmn_ids, record_id, *, assignee_id=None, visible_to=None):
    """An SQL condition for a domain query: the record whose id is the column `record_id` has an instance of `key`
    with an open user task among `bpmn_ids` — the same rows the inbox shows, whatever version the instance runs.

    assignee_id: only tasks assigned to that user. visible_to: a user id; tasks assigned to or claimed by someone
    else are left out (as that user's inbox leaves them out).

    Driven from the open inbox rows of those steps (ix_human_task_step), whose business keys are the record ids:
    the records are then read by primary key, however many records the domain table holds."""
    t = HumanTask
    conditions = [t.process_key == key, t.completed_at.is_(None), t.bpmn_id.in_(list(bpmn_ids))]
    if assignee_id is not None:
        conditions.append(t.assignee_id == assignee_id)
    if visible_to is not None:
        conditions.append(or_(t.assignee_id.is_(None), t.assignee_id == visible_to))
        conditions.append(or_(t.claimed_by.is_(None), t.claimed_by == visible_to))
    return record_id.in_(select(cast(t.business_key, Integer)).where(*conditions))


def step_info(task) -> dict:
    """One open step as the API and WrongStep report it."""
    return {"task_id": task.id, "bpmn_id": task.bpmn_id, "name": task.name, "role": task.role,
            "assignee_id": task.assignee_id}


def open_tasks_of(db, key, business_keys) -> dict[str, list]:
    """{business key: its open inbox rows (HumanTask, oldest first)} for records of process `key`."""
    keys = [str(k) for k in business_keys]
    if not keys:
        return {}
    out = defaultdict(list)
    for task in db.scalars(select(HumanTask).where(HumanTask.process_key == key, HumanTask.business_key.in_(keys),
                                                   HumanTask.completed_at.is_(None)).order_by(HumanTask.id)):
        out[task.business_key].append(task)
    return dict(out)


def open_steps(db, *, key, business_key) -> list[dict]:
    """The open steps of a record (all its instances), as step_info dicts."""
    return [step_info(t) for t in open_tasks_of(db, key, [business_key]).get(str(business_key), [])]


def instances_of(db, key, business_key) -> list:
    """Every instance of `key` for a record, oldest first (a deleted and restarted record has several)."""
    return list(db.scalars(select(ProcessInstance).where(ProcessInstance.definition_key == key,
                                                         ProcessInstance.business_key == str(business_key))
                           .options(defer(ProcessInstance.state)).order_by(ProcessInstance.id)))


def latest_instance(db, key, business_key):
    found = instances_of(db, key, business_key)
    return found[-1] if found else None


def latest_instances(db, records: dict[str, list]) -> dict[tuple, object]:
    """{(key, business key): latest instance} for {key: [business keys]} (one query)."""
    parts = [and_(ProcessInstance.definition_key == key, ProcessInstance.business_key.in_([str(k) for k in keys]))
             for key, keys in records.items() if keys]
    if not parts:
        return {}
    found = {}
    for inst in db.scalars(select(ProcessInstance).where(or_(*parts)).options(defer(ProcessInstance.state))
                           .order_by(ProcessInstance.started_at, ProcessInstance.id)):
        found[(inst.definition_key, inst.business_key)] = inst  # a restarted process: the latest wins
    return found


def open_tasks_of_instances(db, instance_ids) -> dict[int, list]:
    """{instance id: open inbox rows, oldest first}."""
    if not instance_ids:
        return {}
    out = defaultdict(list)
    for task in db.scalars(select(HumanTask).where(HumanTask.instance_id.in_(list(instance_ids)),
                                                   HumanTask.completed_at.is_(None))
                           .order_by(HumanTask.created_at, HumanTask.id)):
        out[task.instance_id].append(task)
    return dict(out)


def tasks_of(db, instance_ids) -> list:
    """Every inbox row (open and done) of these instances, oldest first."""
    if not instance_ids:
        return []
    return list(db.scalars(select(HumanTask).where(HumanTask.instance_id.in_(list(instance_ids)))
                           .order_by(HumanTask.created_at, HumanTask.id)))


def events_of(db, instance_ids, *, events=None) -> list:
    """The history rows (ProcessEvent) of these instances, oldest first; `events` narrows to those event names."""
    if not instance_ids:
        return []
    stmt = select(ProcessEvent).where(ProcessEvent.instance_id.in_(list(instance_ids)))
    if events:
        stmt = stmt.where(ProcessEvent.event.in_(list(events)))
    return list(db.scalars(stmt.order_by(ProcessEvent.at, ProcessEvent.id)))


def element_names(db, definition_ids) -> dict[str, str]:
    """BPMN id -> element name in the versions with these ids (each parsed once per process, cached)."""
    names = {}
    for definition_id in set(definition_ids):
        names.update(step_names(parsed_for(db.get(ProcessDefinition, definition_id))))
    return names
