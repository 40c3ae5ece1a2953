"""The beat schedule. Each entry names a task in scheduler.tasks."""
import os

from celery.schedules import crontab  # noqa: F401  (used by entries)

# Nothing in SpiffWorkflow fires a timer by itself: this scan does (configurable for tests and small setups).
TIMER_SCAN_SECONDS = float(os.environ.get("TIMER_SCAN_SECONDS", "30"))

BEAT_SCHEDULE = {
    "fire-due-timers": {"task": "crm.fire_timers", "schedule": TIMER_SCAN_SECONDS},
}
