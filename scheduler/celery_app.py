"""The Celery app. Tasks are thin: they open one transaction in a Flask app context and call a service.

Late acknowledgement: a task is acked when it finished, so a worker that dies mid-task leaves it to another one.
With a Redis broker the unacked message comes back after the broker's visibility timeout, which therefore
matches the longest task (the weekly churn scan, ≈35 s at 100,000 customers; time limit CELERY_TASK_TIME_LIMIT,
default 5 minutes) plus a margin, instead of Kombu's default hour."""
import os
from contextlib import contextmanager

from celery import Celery, signals

from app.config import Config

# No task may run longer than this (hard limit; the soft limit lets it roll back first). The visibility timeout
# is a minute more, so a message is never handed to a second worker while the first one still runs it.
TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "300"))
VISIBILITY_TIMEOUT = TASK_TIME_LIMIT + 60

celery = Celery("crm", include=["scheduler.tasks"])
celery.conf.update(
    broker_url=Config.CELERY_BROKER_URL,
    # Several deployments (or test runs) may share one broker: each listens on its own queue.
    task_default_queue=os.environ.get("CELERY_QUEUE", "celery"),
    result_backend=Config.CELERY_RESULT_BACKEND,
    result_expires=86400,
    timezone=Config.TIMEZONE,
    enable_utc=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_track_started=True,  # a follower of the churn scan sees "running" rather than "queued"
    task_time_limit=TASK_TIME_LIMIT,
    task_soft_time_limit=max(TASK_TIME_LIMIT - 30, TASK_TIME_LIMIT // 2),
    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    # A Redis result store that is down fails within about a second (Celery's default retries for ~20 s, which
    # would hold a web request and then answer 500 instead of the 503 the edge gives a broker outage).
    result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT,
                                      "retry_policy": {"max_retries": 3, "interval_start": 0,
                                                       "interval_step": 0.3, "interval_max": 0.5}},
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,  # JSON lines on stdout instead (setup_logging below)
)

_flask_app = None


def flask_app():
    global _flask_app
    if _flask_app is None:
        from app import create_app
        _flask_app = create_app({"DEPLOY_MODELS_AT_START": False})
    return _flask_app


@contextmanager
def unit_of_work():
    """One transaction per task run: commit on success, roll back on error. A task run eagerly inside a request
    (tests with task_always_eager) joins that request's app instead of building a second one."""
    from flask import has_app_context
    from app.db import db_session
    if has_app_context():
        yield from _transaction(db_session)
        return
    with flask_app().app_context():
        yield from _transaction(db_session)


def _transaction(db_session):
    try:
        yield db_session
        db_session.commit()
    except Exception:
        db_session.rollback()
        raise


from scheduler import observability  # noqa: E402,F401  (signal handlers: JSON logs, request ids, the beat lock)
