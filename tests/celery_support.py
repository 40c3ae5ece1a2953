"""Run Celery tasks in the test process: `celery_eager` makes apply_async run the task at once (inside the
request that queued it, on the test's session) and keeps the results in memory, so a follower of the task reads
its real state through the result backend. `celery_configured` sets any other configuration for one test (a
broker with no worker, or one that is down)."""
from contextlib import contextmanager

import pytest


@contextmanager
def _configured(**conf):
    from scheduler.celery_app import celery
    saved = {k: celery.conf[k] for k in conf}
    celery.conf.update(conf)
    _forget_connections(celery)
    try:
        yield celery
    finally:
        celery.conf.update(saved)
        _forget_connections(celery)


def _forget_connections(celery):
    """The app caches its result backend per thread and its broker connections and producers per app: drop them
    so the next call connects with the configuration in force."""
    celery._local.__dict__.pop("backend", None)
    if celery._pool is not None:
        celery._pool.force_close_all()
        celery._pool = None
    celery.amqp._producer_pool = None


@pytest.fixture
def celery_eager():
    with _configured(task_always_eager=True, task_store_eager_result=True, result_backend="cache+memory://",
                     task_eager_propagates=False) as celery:
        yield celery


@pytest.fixture
def celery_configured():
    with_conf = []

    def configure(**conf):
        manager = _configured(**conf)
        with_conf.append(manager)
        return manager.__enter__()
    yield configure
    for manager in reversed(with_conf):
        manager.__exit__(None, None, None)
