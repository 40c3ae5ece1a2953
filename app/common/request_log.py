"""Request ids and the access line: every response carries X-Request-Id (the caller's when it is a sane token,
else a new one) and every request ends with one JSON log line (method, path, status, duration, user)."""
import logging
import time

from flask import g, request

from app.common.log_context import current_user_id, new_request_id, request_id_var, sane_request_id, user_id_var

HEADER = "X-Request-Id"
access_log = logging.getLogger("crm.access")


def init_app(app):
    # First of the before_request hooks, so that whatever a later hook logs carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start():
    g.request_id = sane_request_id(request.headers.get(HEADER)) or new_request_id()
    g.request_started = time.perf_counter()
    request_id_var.set(g.request_id)
    user_id_var.set(None)


def _finish(response):
    rid = g.get("request_id") or new_request_id()  # a hook before ours answered: still give the answer an id
    response.headers[HEADER] = rid
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    access_log.info("%s %s %s", request.method, request.path, response.status_code,
                    extra={"request_id": rid, "user_id": current_user_id(), "method": request.method,
                           "path": request.path, "status": response.status_code, "duration_ms": duration})
    return response


def _forget(_exc=None):
    request_id_var.set(None)
    user_id_var.set(None)
