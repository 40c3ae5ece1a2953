"""The Celery app. Tasks are thin: they open one transaction in a Flask app context and call a service."""
import os
from contextlib import contextmanager

from celery import Celery

from app.config import Config

celery = Celery("crm", include=["scheduler.tasks"])
celery.conf.update(
    broker_url=Config.CELERY_BROKER_URL,
    # Several deployments (or test runs) may share one broker: each listens on its own queue.
    task_default_queue=os.environ.get("CELERY_QUEUE", "celery"),
    result_backend=Config.CELERY_RESULT_BACKEND,
    timezone=Config.TIMEZONE,
    enable_utc=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
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
    """One transaction per task run: commit on success, roll back on error."""
    from app.db import db_session
    with flask_app().app_context():
        try:
            yield db_session
            db_session.commit()
        except Exception:
            db_session.rollback()
            raise
