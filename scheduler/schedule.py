"""The beat schedule. Each entry names a task in scheduler.tasks."""
from celery.schedules import crontab

BEAT_SCHEDULE = {}

# Churn scan (SPEC §7): every Saturday 02:00 in the company time zone (the Celery app runs on Config.TIMEZONE).
BEAT_SCHEDULE["churn-weekly-scan"] = {
    "task": "crm.churn_scan",
    "schedule": crontab(minute=0, hour=2, day_of_week="sat"),
}
