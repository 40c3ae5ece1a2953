"""Celery: `celery -A scheduler worker -B` runs the worker with embedded beat."""
from scheduler.celery_app import celery  # noqa: F401  (the -A scheduler entry point)
