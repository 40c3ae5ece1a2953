"""The one write path of engine steps: what one or many steps left behind (instances, changed and new inbox rows,
history) written with the instance's optimistic lock_version check, its columns taken from the table metadata.

A step (processes.execution.Step), the batch start (processes.runtime.start_processes) and every other engine call
that advances an instance come through here. Only the columns a step changed are written (an inbox row's claim or
an instance's subject changed meanwhile by someone who does not take the instance lock stays as they left it).

PostgreSQL: one statement of data-modifying CTEs over JSON row sets (json_populate_recordset), whatever the number
of instances: one round trip per step. Other databases (SQLite): one executemany statement per table.
"""
import json
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from processes.errors import ConcurrentUpdate
from processes.models import HumanTask, ProcessEvent, ProcessInstance

INSTANCES, TASKS, EVENTS = ProcessInstance.__table__, HumanTask.__table__, ProcessEvent.__table__
_VERSION, _STATE = "lock_version", "state"


@dataclass
class StepWrite:
    instance: ProcessInstance  # persistent (in the session) or transient (a batch start's new row)
    expected_version: int  # the lock_version the step read; the write fails if the row has another
    state_json: str  # the instance's new state as JSON text (processes.store.dump_state_json)
    changed_tasks: list = field(default_factory=list)  # HumanTask objects the step changed
    new_tasks: list = field(default_factory=list)  # dicts of new inbox rows
    events: list = field(default_factory=list)  # dicts of history rows
    new_task_ids: list = field(default_factory=list)  # [(id, task_uuid)] once written


def changed_columns(obj, table):
    """The table's columns (in table order) whose attribute the object changed since it was loaded or created."""
    state = sa_inspect(obj)
    # A loaded row: only the attributes set since the load can have changed (committed_state keeps their old
    # values); asking every column for its history cost more than the rest of this write. A new row: every column.
    candidates = state.committed_state if state.key is not None else None
    return [c.key for c in table.columns if not c.primary_key and c.key != _VERSION
            and (candidates is None or c.key in candidates) and state.attrs[c.key].history.has_changes()]


def _union(objs, table):
    seen = set()
    for obj in objs:
        seen.update(changed_columns(obj, table))
    return tuple(c.key for c in table.columns if c.key in seen)


def _inserted_columns(table):
    return tuple(c.key for c in table.columns if not c.primary_key)


def write(db, writes: list[StepWrite]):
    """Write the steps (several instances at once for a batch); raises ConcurrentUpdate when an instance's
    lock_version is no longer the one its step read. Fills each StepWrite's new_task_ids."""
    if not writes:
        return
    # Every step leaves a new state; the other instance columns only when it changed them.
    changed = _union([w.instance for w in writes], INSTANCES)
    instance_cols = tuple(c.key for c in INSTANCES.columns if c.key in changed or c.key == _STATE)
    changed_tasks = [t for w in writes for t in w.changed_tasks]
    task_cols = _union(changed_tasks, TASKS)
    # The state stays JSON text (spliced into the row set on PostgreSQL); the rest are plain values.
    instances = [{"id": w.instance.id, _VERSION: w.expected_version,
                  **{c: getattr(w.instance, c) for c in instance_cols if c != _STATE}} for w in writes]
    states = [w.state_json for w in writes]
    tasks = [{"id": t.id, **{c: getattr(t, c) for c in task_cols}} for t in changed_tasks] if task_cols else []
    new_tasks = [row for w in writes for row in w.new_tasks]
    events = [row for w in writes for row in w.events]
    # No autoflush: the unit of work would write the same instance first (and bump its version under us).
    with db.no_autoflush:
        if db.get_bind().dialect.name == "postgresql":
            updated, created = _write_postgresql(db, instance_cols, task_cols, _rows_json(instances, states), tasks,
                                                 new_tasks, events)
        else:
            for row, state in zip(instances, states):
                row[_STATE] = json.loads(state)
            updated, created = _write_each(db, instance_cols, task_cols, instances, tasks, new_tasks, events)
    if updated != len(instances):
        raise ConcurrentUpdate("the process instance was changed by someone else; reload and try again")
    ids = dict((uuid, task_id) for task_id, uuid in created)  # task_uuid is unique
    by_instance = {}
    for row in new_tasks:
        by_instance.setdefault(row["instance_id"], []).append((ids.get(row["task_uuid"]), row["task_uuid"]))
    for w in writes:
        w.new_task_ids = by_instance.get(w.instance.id, [])
        # The session must not write again what was written here.
        if sa_inspect(w.instance).persistent:
            for c in instance_cols:
                if c != _STATE:
                    set_committed_value(w.instance, c, getattr(w.instance, c))
            set_committed_value(w.instance, _VERSION, w.expected_version + 1)
            db.expire(w.instance, [_STATE])  # read again (as a dict) only if someone asks for it
    for t in changed_tasks:
        for c in task_cols:
            set_committed_value(t, c, getattr(t, c))


def _json(value):
    return json.dumps(value, default=str, ensure_ascii=False)


def _rows_json(rows, states):
    """The rows as one JSON array, each row's state (JSON text) spliced in as its "state" member."""
    return "[" + ", ".join(f'{_json(row)[:-1]}, "{_STATE}": {state}}}' for row, state in zip(rows, states)) + "]"


def _write_postgresql(db, instance_cols, task_cols, instances_json, tasks, new_tasks, events):
    row = db.execute(_one_statement(instance_cols, task_cols),
                     {"instances": instances_json, "tasks": _json(tasks), "new_tasks": _json(new_tasks),
                      "events": _json(events)}).one()
    return row[0], [tuple(pair) for pair in (row[1] or [])]


@lru_cache(maxsize=64)
def _one_statement(instance_cols, task_cols):
    """Instances (version-checked), changed inbox rows, new inbox rows (their ids returned in input order) and
    history as one statement; built once per set of changed columns."""
    from sqlalchemy.dialects import postgresql
    q = postgresql.dialect().identifier_preparer.quote

    def rows(table, param):
        return f"json_populate_recordset(NULL::{q(table.name)}, CAST(:{param} AS json)) WITH ORDINALITY AS v"

    def sets(cols):
        return ", ".join(f"{q(c)} = v.{q(c)}" for c in cols)

    def insert_from(table, param, returning=""):
        cols = ", ".join(q(c) for c in _inserted_columns(table))
        return (f"INSERT INTO {q(table.name)} ({cols}) SELECT {cols} FROM {rows(table, param)} "
                f"ORDER BY v.ordinality{returning}")

    inst, task = q(INSTANCES.name), q(TASKS.name)
    version = q(_VERSION)
    ctes = [f"i AS (UPDATE {inst} SET {sets(instance_cols) + ', ' if instance_cols else ''}"
            f"{version} = v.{version} + 1 FROM {rows(INSTANCES, 'instances')} "
            f"WHERE {inst}.id = v.id AND {inst}.{version} = v.{version} RETURNING {inst}.id)"]
    if task_cols:
        ctes.append(f"t AS (UPDATE {task} SET {sets(task_cols)} FROM {rows(TASKS, 'tasks')} WHERE {task}.id = v.id)")
    ctes.append(f"n AS ({insert_from(TASKS, 'new_tasks', ' RETURNING id, task_uuid')})")
    ctes.append(f"e AS ({insert_from(EVENTS, 'events')})")
    # INSERT ... SELECT ... ORDER BY assigns serial ids in that order, so ordering by id gives the input order.
    # prepare: a prepared statement (app.db_prepared): its plan does not depend on the rows it is given
    return text(f"WITH {', '.join(ctes)} SELECT (SELECT count(*) FROM i), "
                f"(SELECT json_agg(json_build_array(n.id, n.task_uuid) ORDER BY n.id) FROM n)") \
        .execution_options(prepare=True)


def _write_each(db, instance_cols, task_cols, instances, tasks, new_tasks, events):
    result = db.execute(_update_many(INSTANCES, instance_cols, versioned=True),
                        [{f"w_{k}": v for k, v in row.items()} for row in instances])
    updated = result.rowcount
    if tasks:
        db.execute(_update_many(TASKS, task_cols, versioned=False),
                   [{f"w_{k}": v for k, v in row.items()} for row in tasks])
    created = []
    if new_tasks:
        created = [tuple(r) for r in db.execute(
            insert(TASKS).returning(TASKS.c.id, TASKS.c.task_uuid, sort_by_parameter_order=True), new_tasks)]
    if events:
        db.execute(insert(EVENTS), events)
    return updated, created


@lru_cache(maxsize=64)
def _update_many(table, cols, *, versioned):
    values = {c: bindparam(f"w_{c}") for c in cols}
    stmt = update(table).where(table.c.id == bindparam("w_id"))
    if versioned:
        stmt = stmt.where(table.c[_VERSION] == bindparam(f"w_{_VERSION}"))
        values[_VERSION] = bindparam(f"w_{_VERSION}") + 1
    return stmt.values(values)
