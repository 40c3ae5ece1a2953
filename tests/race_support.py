"""Helpers for tests that race real, committed transactions on separate connections and threads."""
import threading
from contextlib import contextmanager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.common.errors import ServiceError
from processes.errors import EngineError
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance


@contextmanager
def committed_session(app, eng):
    with app.test_request_context(), Session(eng) as s:
        yield s


def users_by_name(s):
    return {u.username: u for u in s.scalars(select(User))}


def race(app, eng, jobs):
    """Run the jobs at the same moment; each answers 'ok' or the error code it was refused with."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, job):
        with committed_session(app, eng) as s:
            users = users_by_name(s)
            barrier.wait()
            try:
                job(s, users)
                s.commit()
                results[i] = "ok"
            except (ServiceError, EngineError) as err:
                s.rollback()
                results[i] = err.code
            except Exception as exc:  # a deadlock or anything else fails the test
                s.rollback()
                results[i] = repr(exc)

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def drop_instances(s, key, business_keys):
    """Delete the committed instances (with their inbox rows and history) of `key` for these business keys."""
    instances = s.scalars(select(ProcessInstance.id).where(ProcessInstance.definition_key == key,
                                                           ProcessInstance.business_key.in_(business_keys))).all()
    s.execute(delete(ProcessEvent).where(ProcessEvent.instance_id.in_(instances)))
    s.execute(delete(HumanTask).where(HumanTask.instance_id.in_(instances)))
    s.execute(delete(ProcessInstance).where(ProcessInstance.id.in_(instances)))


def drop_definition(s, definition_id):
    """Delete a definition the test deployed (and its deployment event); None means it was there before."""
    if definition_id:
        s.execute(delete(ProcessEvent).where(ProcessEvent.event == "deployed",
                                             ProcessEvent.data["definition_id"].as_integer() == definition_id))
        s.execute(delete(ProcessDefinition).where(ProcessDefinition.id == definition_id))
