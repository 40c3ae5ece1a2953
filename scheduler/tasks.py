"""Celery tasks: thin wrappers that take ids and call services inside one unit of work."""
from scheduler.celery_app import celery, unit_of_work  # noqa: F401
from scheduler.schedule import BEAT_SCHEDULE

celery.conf.beat_schedule = BEAT_SCHEDULE


@celery.task(name="crm.ping")
def ping():
    with unit_of_work() as db:
        from sqlalchemy import text
        return db.execute(text("SELECT 1")).scalar()


@celery.task(name="crm.churn_scan")
def churn_scan():
    """The weekly churn scan: one unit of work; a concurrent run skips what this one opened."""
    from app.churn.scan_service import run_configured_scan
    with unit_of_work() as db:
        return run_configured_scan(db).as_dict()
