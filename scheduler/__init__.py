"""Celery: `celery -A scheduler worker` runs workers, `celery -A scheduler beat` the one beat of the cluster
(a lock in Redis keeps a second beat waiting: scheduler.beat_lock)."""
from scheduler.celery_app import celery  # noqa: F401  (the -A scheduler entry point)
