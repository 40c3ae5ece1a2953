"""The beat schedule. Each entry names a task in scheduler.tasks."""
import os

from celery.schedules import crontab  # noqa: F401  (used by entries)

# Nothing in SpiffWorkflow fires a timer by itself: this scan does (configurable for tests and small setups).
TIMER_SCAN_SECONDS = float(os.environ.get("TIMER_SCAN_SECONDS", "30"))

BEAT_SCHEDULE = {
    "fire-due-timers": {"task": "crm.fire_timers", "schedule": TIMER_SCAN_SECONDS},
}

# Churn scan (SPEC §7): every Saturday 02:00 in the company time zone (the Celery app runs on Config.TIMEZONE).
BEAT_SCHEDULE["churn-weekly-scan"] = {
    "task": "crm.churn_scan",
    "schedule": crontab(minute=0, hour=2, day_of_week="sat"),
}

# Answers kept for repeated forms and Idempotency-Keys: at least IDEMPOTENCY_KEEP_HOURS, deleted hourly after that.
BEAT_SCHEDULE["purge-idempotency"] = {"task": "crm.purge_idempotency", "schedule": crontab(minute=17)}
