"""Logs as JSON lines on stdout, one object per line, for the app nodes and the Celery workers.

Every line has time, level, logger and message, plus request_id and user_id when the work belongs to a request
(or a task a request started). The access line of a request adds method, path, status and duration_ms.
SpiffWorkflow reports every task state change at INFO (about six lines per process instance): those are engine
details, logged at DEBUG here so that a worker at INFO stays readable (and below DEBUG not even made: the engine's
loggers get the level, processes.spiff_compat.engine_log_level)."""
import logging
import os
import sys

from pythonjsonlogger.json import JsonFormatter

from app.common.log_context import current_user_id, request_id_var
from processes import spiff_compat

FIELDS = ("time", "level", "logger", "message", "request_id", "user_id")


class ContextJsonFormatter(JsonFormatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record.setdefault("request_id", request_id_var.get())
        log_record.setdefault("user_id", current_user_id())
        if "node" not in log_record and os.environ.get("NODE_NAME"):
            log_record["node"] = os.environ["NODE_NAME"]


class EngineDetailsAtDebug(logging.Filter):
    """Relabel SpiffWorkflow's INFO lines as DEBUG and let them through only when the threshold allows."""

    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold

    def filter(self, record):
        if record.name.startswith("spiff") and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.threshold


def json_handler(level=logging.INFO, stream=None):
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(ContextJsonFormatter())
    handler.addFilter(EngineDetailsAtDebug(level))
    return handler


def configure(level=None):
    """Replace the root logger's handlers with one JSON handler on stdout (LOG_LEVEL, default INFO).
    Called by the gunicorn config, the Celery worker/beat (scheduler.celery_app) and `flask` commands that opt in."""
    if not isinstance(level, int):  # Celery passes its --loglevel as a number, gunicorn's hook nothing
        level = logging.getLevelName(str(level or os.environ.get("LOG_LEVEL", "INFO")).upper())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(json_handler(level))
    # Records below the threshold reach the filter only when the logger lets them: spiff INFO is relabelled there.
    root.setLevel(min(level, logging.INFO))
    spiff_compat.engine_log_level(level)  # below DEBUG the engine's lines are not even made
    logging.getLogger("gunicorn.access").propagate = False  # our own access line replaces it
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the readiness check reads the migration scripts
    return root
