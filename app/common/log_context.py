"""Who and what a log line is about: the request id and the user id of the work in progress.

Context variables, so that the web request, the Celery task it started and the threads of a gthread worker each
see their own. The JSON formatter (app.common.json_logging) reads them into every line."""
import contextvars
import re
import uuid

request_id_var = contextvars.ContextVar("request_id", default=None)
user_id_var = contextvars.ContextVar("user_id", default=None)

# An incoming X-Request-Id is kept when it is a plain token (what nginx, a load balancer or a client generate);
# anything else (spaces, control characters, a kilobyte of text) is replaced so logs stay one clean line.
_SANE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")


def current_user_id():
    """The signed-in user of the request in progress, without loading one (the database may be down)."""
    uid = user_id_var.get()
    if uid is None:
        from flask import g, has_request_context
        user = g.get("_login_user") if has_request_context() else None
        uid = _identity(user)
    return uid


def _identity(user):
    # The primary key from the identity map, never `user.id`: after a rollback (a database error being answered)
    # the row is expired and reading an attribute would query the database that just failed.
    if user is None or getattr(user, "is_anonymous", True):
        return None
    from sqlalchemy import inspect
    from sqlalchemy.exc import NoInspectionAvailable
    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:
        return None
    return identity[0] if identity else None


def sane_request_id(value):
    return value if value and _SANE.match(value) else None


def new_request_id():
    return uuid.uuid4().hex
