"""The beat schedule. Each entry names a task in scheduler.tasks."""
from celery.schedules import crontab  # noqa: F401  (used by entries)

BEAT_SCHEDULE = {}
