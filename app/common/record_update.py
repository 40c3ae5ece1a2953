"""One live record's columns changed in one round trip, for the service-task operations that keep a record in step
with its process.

Loading the row (a SELECT) and letting the ORM flush the change (an UPDATE) took two round trips and the unit of
work's bookkeeping on every step; the UPDATE alone carries the check that the row exists and is not deleted. An
object of the row that the session already holds gets the new values as its loaded state, so code that read the
record earlier in the request sees them (the session flushed its own pending changes before the UPDATE). Those
values are not a change the session tracks, so any rollback (a savepoint's included: a step whose later task
fails) expires them: the object reads the row again when next used."""
from functools import lru_cache

from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

_HELD = "record_update.held"  # db.info: [(object, keys)] given values by update_live since the last commit


@lru_cache(maxsize=None)
def _statement(model, keys, increment, returning):
    # synchronize_session=False: the ORM's own synchronisation either missed the object ("evaluate" with bound
    # parameters) or took the RETURNING columns for its keys ("fetch"); update_live brings the object up to date.
    sets = {key: bindparam(f"v_{key}") for key in keys}
    sets.update({key: getattr(model, key) + 1 for key in increment})
    return (update(model).where(model.id == bindparam("record_id"), model.deleted_at.is_(None)).values(sets)
            .returning(*(getattr(model, name) for name in (*increment, *returning) or ("id",)))
            .execution_options(synchronize_session=False, prepare=True))


def update_live(db, model, record_id, values, *, increment=(), returning=()):
    """UPDATE `model` row `record_id` (not deleted): `values` set, each column of `increment` counted up by one.
    Returns the row of the `increment` then `returning` columns (of its id when there are none), None when no live
    row has that id."""
    keys = tuple(sorted(values))
    params = {"record_id": record_id, **{f"v_{key}": values[key] for key in keys}}
    row = db.execute(_statement(model, keys, tuple(increment), tuple(returning)), params).first()
    if row is not None:
        held = db.identity_map.get(inspect(model).identity_key_from_primary_key((record_id,)))
        if held is not None:
            for key in keys:
                set_committed_value(held, key, values[key])
            for key, value in zip(increment, row):
                set_committed_value(held, key, value)
            db.info.setdefault(_HELD, []).append((held, keys + tuple(increment)))
    return row


def _expire_held(session, *_args):
    for obj, keys in session.info.pop(_HELD, ()):
        if obj in session:
            session.expire(obj, list(keys))


def _forget_held(session, *_args):
    session.info.pop(_HELD, None)


event.listen(Session, "after_soft_rollback", _expire_held)  # every rollback, a savepoint's too
event.listen(Session, "after_commit", _forget_held)  # a commit expires everything anyway
