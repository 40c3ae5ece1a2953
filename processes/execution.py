"""One engine step on one instance: lock, load, advance, save, sync the inbox, write history.

processes.runtime builds its public functions from these pieces.
"""
import json
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import aliased, defer
from sqlalchemy.exc import OperationalError
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from processes import clock, inbox_sync, step_writes, store, timers
from processes.definitions import parsed_for
from processes.errors import ConcurrentUpdate, InstanceNotFound, TaskNotFound
from processes.models import HumanTask, ProcessDefinition, ProcessInstance
from processes.scripting import CrmScriptEngine, ServiceTaskFailed

MAX_EVENT_DATA = 4000  # characters of JSON kept per history row


def jsonable(value):
    """Task data as plain JSON for history rows (dates as ISO strings, Decimals as strings)."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) > MAX_EVENT_DATA:
        return {"_truncated": text[:MAX_EVENT_DATA]}
    return json.loads(text)


def rejecting_cause(exc):
    """The domain error behind a failed step when it is the caller's fault (status < 500), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ServiceTaskFailed):
            status = getattr(exc.original, "status", 500)
            return exc.original if isinstance(status, int) and status < 500 else None
        exc = exc.__cause__ or exc.__context__
    return None


def lock_instance(db, instance_id=None, *, task_id=None):
    """The instance, locked and read fresh (see lock_with_definition)."""
    return lock_with_definition(db, instance_id, task_id=task_id)[0]


def _locking(where):
    """Statements built once (with bind parameters): SQLAlchemy then skips building and keying them per call."""
    touch = (update(ProcessInstance).where(where).values(next_timer_at=ProcessInstance.next_timer_at)
             .execution_options(synchronize_session=False))
    read = (select(ProcessInstance, ProcessDefinition)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .options(defer(ProcessDefinition.bpmn_xml)).where(where)
            .with_for_update(of=ProcessInstance)
            # prepare: a prepared statement on PostgreSQL (app.db_prepared), planned once per connection
            .execution_options(populate_existing=True, prepare=True))
    return touch, read


_BY_ID = _locking(ProcessInstance.id == bindparam("key"))
_BY_TASK = _locking(ProcessInstance.id == select(HumanTask.instance_id)
                    .where(HumanTask.id == bindparam("key")).scalar_subquery())
_OPEN_TASKS = (select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"),
                                       HumanTask.completed_at.is_(None)).order_by(HumanTask.id)
               .execution_options(populate_existing=True, prepare=True))


def lock_with_definition(db, instance_id=None, *, task_id=None):
    """(instance, definition): row lock (SELECT ... FOR UPDATE on PostgreSQL) and a fresh read of the instance, by
    its id or by the id of one of its inbox tasks. Its definition row (without the XML) comes in the same round trip.

    SQLite has no row locks: a no-op UPDATE takes the database write lock up front (waiting for other writers),
    so two completions queue instead of both running the step; a transaction whose snapshot went stale meanwhile
    cannot take it and answers ConcurrentUpdate."""
    touch, read = _BY_TASK if task_id is not None else _BY_ID
    params = {"key": task_id if task_id is not None else instance_id}
    if db.get_bind().dialect.name == "sqlite":
        _take_sqlite_write_lock(db, touch, params)
    row = db.execute(read, params).first()
    if row is None:
        if task_id is not None:
            raise TaskNotFound(f"task {task_id} not found")
        raise InstanceNotFound(f"process instance {instance_id} not found")
    return row[0], row[1]


def open_tasks(db, instance_id):
    """The instance's inbox rows that are still open, read fresh (call it under the instance lock)."""
    return db.scalars(_OPEN_TASKS, {"instance_id": instance_id}).all()


def _step_read(where):
    """The instance (locked), its definition (without the XML) and its open inbox rows in one statement: one row per
    open task (one row with no task when there is none), plus the instance's lock_version as the statement's snapshot
    saw it. PostgreSQL (READ COMMITTED) returns the newest version of a row it waited to lock, but the rows joined to
    it come from the snapshot taken before the wait: when the two versions differ, someone changed the instance
    (every writer under the instance lock bumps lock_version) and the open rows must be read again."""
    seen_as = aliased(ProcessInstance)
    seen = select(seen_as.lock_version).where(seen_as.id == ProcessInstance.id).scalar_subquery()
    touch = (update(ProcessInstance).where(where).values(next_timer_at=ProcessInstance.next_timer_at)
             .execution_options(synchronize_session=False))
    read = (select(ProcessInstance, ProcessDefinition, HumanTask, seen.label("seen_version"))
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .outerjoin(HumanTask, and_(HumanTask.instance_id == ProcessInstance.id, HumanTask.completed_at.is_(None)))
            .options(defer(ProcessDefinition.bpmn_xml)).where(where).order_by(HumanTask.id)
            .with_for_update(of=ProcessInstance)
            # prepare: a prepared statement on PostgreSQL (app.db_prepared), planned once per connection
            .execution_options(populate_existing=True, prepare=True))
    return touch, read


_task_of = aliased(HumanTask)
_active = aliased(ProcessInstance)
_STEP_BY_TASK = _step_read(ProcessInstance.id == select(_task_of.instance_id)
                           .where(_task_of.id == bindparam("task_id")).scalar_subquery())
# The newest active instance of a record (as processes.runtime.find_instance picks it).
_STEP_BY_RECORD = _step_read(ProcessInstance.id == select(_active.id).where(
    _active.definition_key == bindparam("p_key"), _active.business_key == bindparam("p_business_key"),
    _active.status.in_(("running", "error"))).order_by(_active.id.desc()).limit(1).scalar_subquery())


def lock_for_step(db, *, task_id=None, process_key=None, business_key=None):
    """Locked(instance, definition, open inbox rows, open rows before a concurrent change) under the instance lock, in one round trip on PostgreSQL (two on
    SQLite, see lock_with_definition): the instance of inbox task `task_id`, or the active instance of a record.
    None when there is no such instance."""
    if task_id is not None:
        touch, read = _STEP_BY_TASK
        params = {"task_id": task_id}
    else:
        touch, read = _STEP_BY_RECORD
        params = {"p_key": process_key, "p_business_key": str(business_key)}
    if db.get_bind().dialect.name == "sqlite":
        _take_sqlite_write_lock(db, touch, params)
    rows = db.execute(read, params).all()
    if not rows:
        return None
    instance, definition, _task, seen_version = rows[0]
    open_rows = [row[2] for row in rows if row[2] is not None]
    if seen_version == instance.lock_version:
        return Locked(instance, definition, open_rows, None)
    # Waited for a concurrent step: the joined rows are from before it. Read them again; the rows it closed are
    # expired, so the session reads them afresh too when asked.
    seen = [(row.id, row.bpmn_id) for row in open_rows]
    for row in open_rows:
        db.expire(row)
    return Locked(instance, definition, open_tasks(db, instance.id), seen)


class Locked(NamedTuple):
    instance: ProcessInstance
    definition: ProcessDefinition
    open_rows: list
    # When another step changed the instance while this one waited for the lock: the open rows (id, bpmn_id) as they
    # were before it; else None.
    open_before: list | None


def _take_sqlite_write_lock(db, touch, params):
    try:
        db.execute(touch, params)
    except OperationalError as err:
        if "locked" not in str(err):
            raise
        raise ConcurrentUpdate("the process instance is being changed by someone else; try again") from None


class Step:
    """An instance loaded for one unit of work."""

    def __init__(self, db, instance, definition, user_id, workflow=None):
        self.db, self.instance, self.definition, self.user_id = db, instance, definition, user_id
        self.parsed = parsed_for(definition)
        self.events = []
        self.open_rows = None  # the instance's open inbox rows when the caller has read them under the lock
        self.state_json = None  # the state finish() dumped (JSON text)
        if workflow is None:
            self.engine = CrmScriptEngine(db, instance, user_id)
            workflow = store.load_state(instance.state, self.parsed.spec, self.parsed.subprocess_specs, self.engine)
        else:
            self.engine = workflow.script_engine
        self.workflow = workflow

    @classmethod
    def load(cls, db, instance, user_id):
        return cls(db, instance, db.get(ProcessDefinition, instance.definition_id), user_id)

    @classmethod
    def new(cls, db, instance, definition, user_id, data):
        parsed = parsed_for(definition)
        engine = CrmScriptEngine(db, instance, user_id)
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=engine)
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(data or {})
        return cls(db, instance, definition, user_id, workflow=workflow)

    def event(self, event, task=None, data=None, system=False):
        """Queue a history row; `system` rows (automatic steps, timers) carry no user."""
        self.events.append(dict(
            instance_id=self.instance.id, task_uuid=str(task.id) if task is not None else None,
            bpmn_id=task.task_spec.bpmn_id if task is not None else None, event=event,
            user_id=None if system else self.user_id, data=data, at=clock.utcnow()))

    def _record_auto(self, task):
        spec = task.task_spec
        if not spec.bpmn_id or spec.manual:
            return
        if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            self.event("timer_fired", task, system=True)
            return
        data = None
        if getattr(spec, "script", None) or getattr(spec, "operation_name", None):
            before = task.parent.data if task.parent is not None else {}
            data = jsonable({k: v for k, v in task.data.items() if before.get(k, _MISSING) != v})
        self.event("step", task, data=data, system=True)

    def advance(self, action=None):
        """Run `action(workflow)` then every automatic step. A domain error with status < 500 from a service
        task is re-raised with nothing kept; any other failure puts the instance in the error state."""
        # The step's savepoint is opened by its first service operation (scripting.CrmScriptEngine): a step without
        # operations writes nothing before save() and needs none.
        self.engine.begin_step()
        try:
            if action is not None:
                action(self.workflow)
            self.workflow.do_engine_steps(did_complete_task=self._record_auto)
        except Exception as exc:
            savepoint = self.engine.end_step()
            original = rejecting_cause(exc)
            if original is not None:
                if savepoint is not None:
                    savepoint.rollback()
                raise original
            if savepoint is not None:
                savepoint.commit()
            self.fail(describe(exc, self.workflow))
        else:
            savepoint = self.engine.end_step()
            if savepoint is not None:
                savepoint.commit()

    def fail(self, message):
        self.instance.status = "error"
        self.instance.error = message
        failed = self.workflow.get_tasks(state=TaskState.ERROR)
        self.event("error", failed[0] if failed else None, data={"message": message}, system=True)

    def finish(self, *, completed_uuid=None, completed_by=None, closed_outcome="interrupted"):
        """Work out what the step leaves behind: status, state, next timer, closed inbox rows (updated in place),
        history; returns the new inbox rows as dicts. Nothing is written yet."""
        inst, wf, now = self.instance, self.workflow, clock.utcnow()
        if self.open_rows is None:
            # No autoflush: the instance's pending changes (e.g. cancelled) go out with the step's one write.
            with self.db.no_autoflush:
                self.open_rows = open_tasks(self.db, inst.id)
        if inst.status == "running" and wf.is_completed():
            inst.status, inst.ended_at = "completed", now
            self.event("completed", system=True)
        # As JSON text: step_writes sends it as it is (a dict would be encoded twice and decoded once more).
        self.state_json = store.dump_state_json(wf)
        inst.next_timer_at = None if inst.status in ("completed", "cancelled") else timers.next_timer_at(wf)
        problems, new_rows = inbox_sync.sync(self.db, inst, wf, completed_uuid=completed_uuid,
                                             completed_by=completed_by, closed_outcome=closed_outcome,
                                             open_rows=self.open_rows)
        if problems and inst.status != "error":
            self.fail("; ".join(problems))
        return new_rows

    def written(self, new_rows, expected_version=None):
        """What this step writes (see processes.step_writes), after finish()."""
        tasks = [row for row in self.open_rows if step_writes.changed_columns(row, step_writes.TASKS)]
        version = self.instance.lock_version if expected_version is None else expected_version
        return step_writes.StepWrite(self.instance, version, self.state_json, tasks, new_rows, self.events)

    def save(self, **kwargs):
        """finish() and write; the instance's open steps afterwards are left on `instance.open_steps`."""
        inst = self.instance
        done = self.written(self.finish(**kwargs))
        step_writes.write(self.db, [done])
        self.events = []
        still_open = [step_info(r) for r in self.open_rows if r.completed_at is None]
        new = [step_info(HumanTask(id=task_id, **row)) for (task_id, _uuid), row in zip(done.new_task_ids, done.new_tasks)]
        inst.open_steps = sorted(still_open + new, key=lambda s: s["task_id"])
        return inst


_MISSING = object()


def step_info(task) -> dict:
    """One open step as the API and WrongStep report it (as processes.records.step_info)."""
    return {"task_id": task.id, "bpmn_id": task.bpmn_id, "name": task.name, "role": task.role,
            "assignee_id": task.assignee_id}


def describe(exc, workflow):
    """A message an administrator can act on: where it failed and why."""
    failed = workflow.get_tasks(state=TaskState.ERROR)
    where = ""
    if failed:
        spec = failed[0].task_spec
        where = f"{spec.bpmn_name or spec.bpmn_id} ({spec.bpmn_id}): "
    if isinstance(exc, ServiceTaskFailed):
        original = exc.original
        return f"{where}service operation '{exc.operation}' failed: {type(original).__name__}: {original}"
    text = str(exc)
    notes = [n for n in getattr(exc, "__notes__", []) if n not in text]
    return where + "; ".join([text, *notes]) if notes else where + text
