"""The engine's public functions (see docs/CONVENTIONS.md, "The engine contract").

Every function takes the session first, never commits (the edge does), and raises processes.errors.
Completing a task is one transaction: lock instance -> load -> find task by UUID -> check the actor -> validate the
form -> run -> engine steps -> save state, sync human_task, next_timer_at, history.
"""
from uuid import UUID

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm.attributes import flag_modified
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from processes import clock, collector, forms, step_writes
from processes.definitions import latest_or_fail
from processes.errors import (ConcurrentUpdate, InstanceInError, InstanceNotFound, TaskForbidden, TaskNotFound,
                              WrongStep)
from processes.execution import Step, jsonable, lock_for_step, lock_instance, open_tasks, step_info
from processes.models import HumanTask, ProcessEvent, ProcessInstance
from processes.spiff_compat import force_state

ACTIVE = ("running", "error")


def start_process(db, key, *, business_key=None, subject=None, data=None, user_id=None) -> ProcessInstance:
    """Start the latest version of `key` and run it to its first wait. Domain data goes in `data`."""
    definition = latest_or_fail(db, key)
    instance = ProcessInstance(definition_id=definition.id, definition_key=key,
                               business_key=None if business_key is None else str(business_key),
                               subject=(subject or "")[:200] or None, status="running", state=None,
                               started_by=user_id, started_at=clock.utcnow())
    db.add(instance)
    db.flush()
    step = Step.new(db, instance, definition, user_id, data)
    step.open_rows = []  # a new instance has no inbox rows yet: nothing to read
    step.event("started", data={"version": definition.version, "data": jsonable(data or {})})
    step.advance()
    return step.save()


def start_processes(db, key, items, *, user_id=None) -> list[int]:
    """Start one instance of the latest version of `key` per item ({business_key, subject, data}) and run each to
    its first wait; returns the instance ids in item order.

    For batch starters (the churn scan): one definition lookup and a handful of multi-row statements per call
    (instances, their state, inbox rows, history) instead of several round trips per instance. A domain error
    raised by a service task (status < 500) aborts the whole call like it aborts a single start."""
    if not items:
        return []
    definition = latest_or_fail(db, key)
    now = clock.utcnow()
    heads = [dict(definition_id=definition.id, definition_key=key,
                  business_key=None if it.get("business_key") is None else str(it["business_key"]),
                  subject=(it.get("subject") or "")[:200] or None, status="running", state=None, lock_version=1,
                  started_by=user_id, started_at=now) for it in items]
    table = ProcessInstance.__table__
    ids = db.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), heads).scalars().all()
    writes = []
    with collector.paused() as tick:
        for instance_id, head, item in zip(ids, heads, items):
            # A transient instance: the step works on it in memory, step_writes writes what it became.
            instance = ProcessInstance(id=instance_id, **head)
            step = Step.new(db, instance, definition, user_id, item.get("data"))
            step.open_rows = []
            step.event("started", data={"version": definition.version, "data": jsonable(item.get("data") or {})})
            step.advance()
            writes.append(step.written(step.finish(), expected_version=head["lock_version"]))
            tick()
        step_writes.write(db, writes)
    return list(ids)


def _check_actor(task, actor):
    if actor.is_system or "process.admin" in actor.rights:
        return
    if task.role and actor.role != task.role:
        raise TaskForbidden("this task belongs to another role", role=task.role)
    if task.assignee_id is not None and task.assignee_id != actor.id:
        raise TaskForbidden("this task is assigned to another user")
    if task.claimed_by is not None and task.claimed_by != actor.id:
        raise TaskForbidden("another user has claimed this task")


def can_act(task, actor) -> bool:
    try:
        _check_actor(task, actor)
        return True
    except TaskForbidden:
        return False


def _open_task(db, task_id):
    task = db.get(HumanTask, task_id)
    if task is None:
        raise TaskNotFound(f"task {task_id} not found")
    return task


def _complete(db, task_id, *, actor, data, trusted, check=None, step=None):
    """Complete inbox task `task_id`, or (step = (key, business_key, bpmn_id)) the open task `bpmn_id` of a record's
    active instance. The lock, the instance, its definition and its open rows come first and in one round trip: a
    concurrent completion has committed by then, and the rows read are the ones the inbox sync updates."""
    if step is None:
        found = lock_for_step(db, task_id=task_id)
        rows = found[2] if found is not None else []
        task = next((r for r in rows if r.id == task_id), None)
        if task is None:  # no such task, or no longer open
            task = db.get(HumanTask, task_id)
            if check is not None:
                check(task)
            if task is None:
                raise TaskNotFound(f"task {task_id} not found")
            _check_actor(task, actor)
            raise ConcurrentUpdate("this task has already been completed", task_id=task.id)
        if check is not None:
            check(task)
        instance, definition, rows, _before = found
    else:
        key, business_key, wanted = step
        bpmn_id = "/".join(wanted)
        found = lock_for_step(db, process_key=key, business_key=business_key)
        if found is None:
            raise WrongStep(f"no running '{key}' process for {business_key}", current_steps=[])
        instance, definition, rows, before = found
        match = sorted((t for t in rows if t.bpmn_id in wanted), key=lambda t: wanted.index(t.bpmn_id))
        if not match and before and any(b in wanted for _id, b in before):
            # The step was open when this action started: someone else took it first.
            raise ConcurrentUpdate(f"step '{bpmn_id}' was completed by someone else meanwhile")
        if not match:
            names = ", ".join(t.name for t in rows) or instance.status
            raise WrongStep(f"the process is not at step '{bpmn_id}' (it is at: {names})",
                            current_steps=[_step_info(t) for t in rows])
        task = match[0]
    _check_actor(task, actor)
    if instance.status == "error":
        raise InstanceInError("the process stopped on an error; an administrator must retry it",
                              error=instance.error)
    if instance.status != "running":
        raise WrongStep(f"the process is {instance.status}", current_steps=[])
    step = Step(db, instance, definition, actor.id)
    step.open_rows = rows
    schema, _ui = forms.form_documents(step.definition.forms, task.form)
    clean = forms.validate(db, schema, data)
    if trusted:  # domain services may pass more than the form shows (e.g. record ids)
        clean = {**(data or {}), **clean}
    wf_task = step.workflow.get_task_from_id(UUID(task.task_uuid))
    if wf_task is None or wf_task.state != TaskState.READY:
        raise ConcurrentUpdate("this task is no longer waiting", task_id=task.id)

    def run(_workflow):
        wf_task.task_spec.add_data_from_form(wf_task, clean) if hasattr(wf_task.task_spec, "add_data_from_form") \
            else wf_task.set_data(**clean)
        wf_task.run()

    step.event("task_completed", wf_task, data=jsonable(clean))
    step.advance(run)
    return step.save(completed_uuid=task.task_uuid, completed_by=actor.id)


def complete_task(db, task_id, *, actor, data=None, check=None) -> ProcessInstance:
    """Complete an inbox task (human_task.id) as `actor` with form `data` (validated, only declared fields).

    `check(task)`, when given, is called first with the task's fresh row (None when there is no such task) and may
    raise: the inbox uses it to answer a task the user may not see like a missing one, without a read of its own."""
    return _complete(db, task_id, actor=actor, data=data or {}, trusted=False, check=check)


def find_instance(db, key, business_key):
    """The active instance of `key` for a business record (the newest one when there are several)."""
    return db.scalar(select(ProcessInstance).where(
        ProcessInstance.definition_key == key, ProcessInstance.business_key == str(business_key),
        ProcessInstance.status.in_(ACTIVE)).order_by(ProcessInstance.id.desc()).limit(1))


def _open_tasks(db, instance_id):
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                              HumanTask.completed_at.is_(None)).order_by(HumanTask.id)).all()


_step_info = step_info


def current_steps(db, *, key, business_key) -> list[dict]:
    """Open user tasks of the record's active instance: [{task_id, bpmn_id, name, role, assignee_id}]."""
    instance = find_instance(db, key, business_key)
    return [] if instance is None else [_step_info(t) for t in _open_tasks(db, instance.id)]


def complete_step(db, *, key, business_key, bpmn_id, actor, data=None) -> ProcessInstance:
    """A domain action = completing user task `bpmn_id` of the record's instance; WrongStep (409) otherwise.
    `bpmn_id` may list alternatives (a step and its escalated copy): the first of them that is open is completed,
    decided under the instance lock. The open steps afterwards are on the result's `open_steps`."""
    wanted = (bpmn_id,) if isinstance(bpmn_id, str) else tuple(bpmn_id)
    return _complete(db, None, actor=actor, data=data or {}, trusted=True, step=(key, business_key, wanted))


def cancel_process(db, *, key, business_key, user_id=None, reason=None):
    """Cancel the record's active instance (its open tasks leave the inbox); None when there is none."""
    found = find_instance(db, key, business_key)
    if found is None:
        return None
    instance = lock_instance(db, found.id)
    if instance.status not in ACTIVE:
        return instance
    step = Step.load(db, instance, user_id)
    step.workflow.cancel()
    instance.status, instance.ended_at = "cancelled", clock.utcnow()
    step.event("cancelled", data={"reason": reason} if reason else None)
    return step.save(closed_outcome="cancelled")


def correlate_message(db, *, key, business_key, message, payload=None, user_id=None):
    """Deliver a message (e.g. `order_received` from the order import) to the record's active instance.

    Returns the instance when it was waiting for that message, None otherwise (nothing is stored then: SpiffWorkflow
    would queue an unexpected message in the state forever)."""
    found = find_instance(db, key, business_key)
    if found is None:
        return None
    instance = lock_instance(db, found.id)
    if instance.status != "running":
        return None
    step = Step.load(db, instance, user_id)
    if message not in {e.name for e in step.workflow.waiting_events() if e.event_type.startswith("Message")}:
        return None
    step.event("message", data={"message": message, "payload": jsonable(payload)})
    step.advance(lambda wf: wf.catch(BpmnEvent(MessageEventDefinition(message), payload=payload)))
    return step.save(closed_outcome="interrupted")


def set_subject(db, *, key, business_key, subject):
    """The business record was renamed: keep the inbox and instance lists in step."""
    subject = (subject or "")[:200] or None
    instance_ids = select(ProcessInstance.id).where(ProcessInstance.definition_key == key,
                                                    ProcessInstance.business_key == str(business_key))
    db.execute(update(ProcessInstance).where(ProcessInstance.id.in_(instance_ids)).values(subject=subject)
               .execution_options(synchronize_session="fetch"))
    db.execute(update(HumanTask).where(HumanTask.instance_id.in_(instance_ids)).values(subject=subject)
               .execution_options(synchronize_session="fetch"))


def lock_record(db, *, key, business_key):
    """Serialise a domain action on a record with its process: lock the record's active instance (the engine's own
    order is instance, then the domain rows its operations update, so no deadlock). None when there is none."""
    found = find_instance(db, key, business_key)
    return None if found is None else lock_instance(db, found.id)


def reassign_open_tasks(db, *, records, from_user_id, to_user_id, user_id=None, reason=None) -> int:
    """Hand the open tasks assigned to `from_user_id` in the instances of `records`
    ({process key: [business keys]}) to `to_user_id`, each instance under its lock, with a `task_reassigned`
    history event per task (who moved it, from whom to whom, why). Returns how many tasks moved."""
    parts = [(key, [str(k) for k in keys]) for key, keys in records.items() if keys]
    if not parts or from_user_id == to_user_id:
        return 0
    instance_ids = sorted(set(db.scalars(select(HumanTask.instance_id).where(
        HumanTask.completed_at.is_(None), HumanTask.assignee_id == from_user_id,
        or_(*[and_(HumanTask.process_key == key, HumanTask.business_key.in_(keys)) for key, keys in parts])))))
    moved, now = 0, clock.utcnow()
    for instance_id in instance_ids:  # in id order: two transfers lock their instances in the same order
        instance = lock_instance(db, instance_id)
        changed = False
        for task in open_tasks(db, instance_id):
            if task.assignee_id != from_user_id:
                continue
            changed = True
            task.assignee_id = to_user_id
            # A claim by the old holder would keep the task out of the new one's hands.
            if task.claimed_by == from_user_id:
                task.claimed_by = to_user_id
            db.add(ProcessEvent(instance_id=instance_id, task_uuid=task.task_uuid, bpmn_id=task.bpmn_id,
                                event="task_reassigned", user_id=user_id, at=now,
                                data={"from": from_user_id, "to": to_user_id, "reason": reason}))
            moved += 1
        if changed:
            # Every change under the instance lock bumps lock_version (the ORM's version counter), so a step that
            # waited for this lock knows the open rows it joined are older than the lock (execution.lock_for_step).
            flag_modified(instance, "next_timer_at")
    db.flush()
    return moved


def retry_instance(db, instance_id, *, actor) -> ProcessInstance:
    """Run the failed steps of an errored instance again (right process.admin)."""
    if not (actor.is_system or "process.admin" in actor.rights):
        raise TaskForbidden("retrying a process needs the right process.admin")
    instance = lock_instance(db, instance_id)
    if instance.status != "error":
        raise WrongStep(f"the process is {instance.status}, not in error", current_steps=[])
    step = Step.load(db, instance, actor.id)
    instance.status, instance.error = "running", None
    step.event("retried")

    def reset(workflow):
        for task in workflow.get_tasks(state=TaskState.ERROR):
            force_state(task, TaskState.READY)

    step.advance(reset)
    return step.save()


def fire_due_timers(db, *, now=None, exclude=(), on_pick=None):
    """Fire the timers of one due instance (locked, others skip it); returns the instance or None.

    The scheduler calls this in a loop, one transaction per instance, passing the ids it already handled."""
    now = now or clock.utcnow()
    stmt = (select(ProcessInstance).where(ProcessInstance.status == "running",
                                          ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at).limit(1)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))
    if exclude:
        stmt = stmt.where(ProcessInstance.id.notin_(list(exclude)))
    instance = db.scalars(stmt).first()
    if instance is None:
        return None
    if on_pick is not None:
        on_pick(instance)
    step = Step.load(db, instance, None)
    step.advance(lambda wf: wf.refresh_timers())
    return step.save(closed_outcome="interrupted")


def mark_failed(db, instance_id, message):
    """Put an instance that cannot even be loaded in the error state (the scheduler's last resort)."""
    instance = lock_instance(db, instance_id)
    if instance.status == "running":
        instance.status, instance.error = "error", message[:4000]
        db.add(ProcessEvent(instance_id=instance.id, event="error", data={"message": message[:4000]},
                            at=clock.utcnow()))
        db.flush()
    return instance


def claim_task(db, task_id, *, actor):
    """Take a group task so the others of the lane stop seeing it."""
    task = _open_task(db, task_id)
    if task.completed_at is not None or (task.claimed_by is not None and task.claimed_by != actor.id):
        raise ConcurrentUpdate("another user has claimed this task or it is done")
    _check_actor(task, actor)
    if task.assignee_id is not None:
        raise WrongStep("this task is already assigned to one user", current_steps=[])
    done = db.execute(update(HumanTask).where(HumanTask.id == task.id, HumanTask.completed_at.is_(None),
                                              HumanTask.claimed_by.is_(None))
                      .values(claimed_by=actor.id, claimed_at=clock.utcnow()))
    if done.rowcount != 1:
        raise ConcurrentUpdate("another user has claimed this task or it is done")
    db.refresh(task)
    return task


def unclaim_task(db, task_id, *, actor):
    task = _open_task(db, task_id)
    if task.claimed_by is None:
        return task
    if task.claimed_by != actor.id and not (actor.is_system or "process.admin" in actor.rights):
        raise TaskForbidden("another user has claimed this task")
    task.claimed_by, task.claimed_at = None, None
    db.flush()
    return task


def get_instance(db, instance_id):
    instance = db.get(ProcessInstance, instance_id)
    if instance is None:
        raise InstanceNotFound(f"process instance {instance_id} not found")
    return instance
