"""Workers and beat log JSON lines (app.common.json_logging); a task started during a web request logs that
request's id: the id and the user travel in the task message's headers and are set for the task's run."""
from celery import signals

from app.common.log_context import current_user_id, request_id_var, user_id_var

HEADER_REQUEST_ID = "crm_request_id"
HEADER_USER_ID = "crm_user_id"


@signals.setup_logging.connect
def _json_logs(loglevel=None, **_kw):
    from app.common import json_logging
    json_logging.configure(loglevel)


@signals.before_task_publish.connect
def _carry_request(headers=None, **_kw):
    if headers is None:
        return
    rid = request_id_var.get()
    if rid and HEADER_REQUEST_ID not in headers:
        headers[HEADER_REQUEST_ID] = rid
        headers[HEADER_USER_ID] = current_user_id()


_tokens = {}  # task id -> the context values to restore after the run (an eager task runs inside a request)


def _header(req, name):
    # A worker puts the message's headers on the task request; an eager run (apply) keeps them in .headers.
    return getattr(req, name, None) or (getattr(req, "headers", None) or {}).get(name)


@signals.task_prerun.connect
def _enter_request(task_id=None, task=None, **_kw):
    req = getattr(task, "request", None)
    _tokens[task_id] = (request_id_var.set(_header(req, HEADER_REQUEST_ID) or request_id_var.get()),
                        user_id_var.set(_header(req, HEADER_USER_ID) or user_id_var.get()))


@signals.task_postrun.connect
def _leave_request(task_id=None, **_kw):
    tokens = _tokens.pop(task_id, None)
    if tokens:
        request_id_var.reset(tokens[0])
        user_id_var.reset(tokens[1])


@signals.beat_init.connect
def _one_beat(sender=None, **_kw):
    from scheduler.beat_lock import hold_for_beat
    hold_for_beat(sender.app)
