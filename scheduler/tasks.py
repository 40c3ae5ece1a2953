"""Celery tasks: thin wrappers that take ids and call services inside one unit of work."""
import logging

from scheduler.celery_app import celery, unit_of_work  # noqa: F401
from scheduler.schedule import BEAT_SCHEDULE

celery.conf.beat_schedule = BEAT_SCHEDULE


@celery.task(name="crm.ping")
def ping():
    with unit_of_work() as db:
        from sqlalchemy import text
        return db.execute(text("SELECT 1")).scalar()


log = logging.getLogger(__name__)


@celery.task(name="crm.fire_timers")
def fire_timers(max_instances=500):
    """Fire every due timer: one instance per transaction, locked with SKIP LOCKED so parallel workers share the
    work. An instance that cannot be loaded goes to the error state instead of blocking the scan."""
    from processes.errors import ConcurrentUpdate
    from processes.runtime import fire_due_timers, mark_failed
    handled, fired = [], 0
    while len(handled) < max_instances:
        current = {}
        try:
            with unit_of_work() as db:
                instance = fire_due_timers(db, exclude=handled, on_pick=lambda i: current.update(id=i.id))
                if instance is None:
                    break
                handled.append(instance.id)
                fired += 1
        except ConcurrentUpdate:  # someone completed a task of it meanwhile; the next scan sees it again
            if current.get("id") is None:
                raise
            handled.append(current["id"])
        except Exception as exc:  # noqa: BLE001  one broken instance must not stop the others' timers
            if current.get("id") is None:
                raise
            log.exception("firing the timers of process instance %s failed", current["id"])
            handled.append(current["id"])
            with unit_of_work() as db:
                mark_failed(db, current["id"], f"timer: {type(exc).__name__}: {exc}")
    return fired


@celery.task(name="crm.churn_scan")
def churn_scan(user_id=None):
    """The churn scan (weekly from beat, or queued by the API for `user_id`): one unit of work; a concurrent or
    repeated run (a redelivery after a worker died) skips what another run opened."""
    from app.churn.scan_service import run_configured_scan
    with unit_of_work() as db:
        result = run_configured_scan(db, user_id=user_id).as_dict()
    log.info("churn scan: %(created)s new cases of %(candidates)s candidates (cutoff %(cutoff)s)", result)
    return result


@celery.task(name="crm.purge_idempotency")
def purge_idempotency():
    """Forget the answers kept for repeated page forms and API Idempotency-Keys once older than
    IDEMPOTENCY_KEEP_HOURS (app/common/idempotency.py)."""
    from app.common.idempotency import purge_expired
    with unit_of_work() as db:
        return purge_expired(db)
