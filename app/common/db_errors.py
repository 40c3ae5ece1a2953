"""Database and broker failures at the edge: an outage answers 503 with Retry-After (the client retries; nothing
was saved), SQLite's "database is locked" a 409 conflict, anything else stays an internal error.

An outage is logged as one warning line per request (no traceback): while the database restarts every request
fails the same way, and a stack per request would bury the one line that says what happened."""
import logging

from flask import render_template, request
from flask_babel import gettext as _
from html import escape
from werkzeug.exceptions import InternalServerError
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout

from app.common.responses import problem
from app.db import db_session

log = logging.getLogger("crm.db")
RETRY_AFTER_SECONDS = 5
# PostgreSQL SQLSTATE classes that mean "not now" rather than "wrong": connection exception (08), operator
# intervention (57: admin shutdown, cannot connect now while starting), insufficient resources (53).
_OUTAGE_CLASSES = ("08", "57", "53")


def is_outage(exc):
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        return "unable to open database" in str(orig)
    code = getattr(orig, "pgcode", None)
    if code is None:  # psycopg2 raises connection refused / server closed the connection without a SQLSTATE
        return type(orig).__name__ in ("OperationalError", "InterfaceError")
    return code[:2] in _OUTAGE_CLASSES


def _first_line(exc):
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def init_app(app):
    """Register after the generic error handlers: these replace their OperationalError handling."""
    internal_error = app.error_handler_spec[None].get(500, {}).get(InternalServerError)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(exc):
        _rollback_quietly()
        if is_outage(exc):
            return outage_response(exc)
        if "database is locked" in str(exc):
            return _locked()
        if internal_error is None:
            raise exc
        return internal_error(exc)

    # The broker (queueing the churn scan, reading its state): Kombu wraps a refused connection in its
    # OperationalError; the Redis result backend raises Redis' own connection errors.
    import redis
    from kombu.exceptions import OperationalError as BrokerError
    for error in (BrokerError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        app.register_error_handler(error, lambda exc: outage_response(exc, what="broker"))


def _rollback_quietly():
    try:
        db_session.rollback()
    except Exception:  # noqa: BLE001  the connection is gone; the pool drops it
        db_session.remove()


def outage_response(exc, what="database"):
    log.warning("%s unavailable: %s: %s", what, type(exc).__name__, _first_line(exc),
                extra={"code": "service_unavailable"})
    message = _("The service is unavailable for a moment; nothing was saved. Try again in a few seconds.")
    if request.path.startswith("/api/"):
        resp = problem(503, "service_unavailable", message)
    else:
        # A bare page: the site's layout reads the signed-in user, which needs the database.
        resp = app_page(503, message)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def app_page(status, message):
    from flask import make_response
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head>"
            f"<body><h1>{status}</h1><p class='error-message'>{escape(message)}</p></body></html>")
    return make_response(body, status, {"Content-Type": "text/html; charset=utf-8"})


def _locked():
    # SQLite (the embedded default) refuses a second writer whose snapshot went stale: a conflict to retry,
    # like PostgreSQL's row locks make it elsewhere.
    message = _("Someone else is changing the same data at this moment; nothing was saved. Try again.")
    if request.path.startswith("/api/"):
        return problem(409, "conflict", message)
    return render_template("error.html", status=409, message=message), 409
