"""Run Celery tasks in the test process: `celery_eager` makes apply_async run the task at once (inside the
request that queued it, on the test's session) and keeps the results in memory, so a follower of the task reads
its real state through the result backend."""
import pytest


@pytest.fixture
def celery_eager():
    from scheduler.celery_app import celery
    keys = ("task_always_eager", "task_store_eager_result", "result_backend", "task_eager_propagates")
    saved = {k: celery.conf[k] for k in keys}
    celery.conf.update(task_always_eager=True, task_store_eager_result=True, result_backend="cache+memory://",
                       task_eager_propagates=False)
    celery._local.__dict__.pop("backend", None)  # the app caches its backend per thread
    try:
        yield celery
    finally:
        celery.conf.update(saved)
        celery._local.__dict__.pop("backend", None)
