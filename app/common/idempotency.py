"""One-time keys for state-changing requests: a double click or a client's retry acts once and answers like the
first try.

Pages: every POST form the app renders carries a hidden `_form_token` (put into the HTML here, so no template has
to remember it; a new one each time the form is rendered). API: a client may send `Idempotency-Key: <key>` with
any POST, PUT, PATCH or DELETE. The key's scope is the signed-in user, the method and the path.

A keyed request runs as one unit:
1. Before anything reads the database, the request gets its own connection in an outer transaction, and the
   request session joins it with savepoints: the view's `commit()` only releases a savepoint, the outer transaction
   commits after the view (step 3). On SQLite it begins IMMEDIATE: it takes the write lock first, so a second writer
   waits at its BEGIN instead of failing later on a stale snapshot.
2. After authentication, the claim: INSERT the scope ON CONFLICT DO NOTHING.
   - inserted: the view runs; the claim is part of its work, rolled back with it.
   - the scope exists: an earlier try committed it; its answer is replayed (`Idempotent-Replayed: true`). A first
     try still running holds its row uncommitted: PostgreSQL's unique index makes the INSERT wait for it, SQLite's
     write lock makes BEGIN wait, so a concurrent repeat waits and then answers the first try's result (chosen
     over answering 409). An API key sent again with another body is refused (422 `idempotency_key_reused`).
3. After the view: when the claim is still there, the view committed its work; the answer is written into the row
   and the outer transaction commits: the record, the claim and the answer become durable together (no window in
   which a crash leaves work done but no answer to replay). When the view rolled back (a 422, a refused step), the
   claim went with it: the key stays free for a corrected retry. A server error (5xx) rolls the whole request back
   (its page says nothing was saved), so a retry starts afresh.

Rows are kept IDEMPOTENCY_KEEP_HOURS (24) and then deleted by `purge_expired` (a Celery beat task).
"""
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, flash, g, has_request_context, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from app.common.models import IdempotencyRecord
from app.common.responses import problem
from app.db import db_session
from processes.clock import utcnow

log = logging.getLogger(__name__)

FORM_FIELD = "_form_token"
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signing in and out and switching the language set cookies; a replay cannot repeat those, and none creates data.
EXEMPT_ENDPOINTS = frozenset({"auth.login", "auth.logout", "auth.set_language", "api_auth.login", "api_auth.logout"})
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as in the IETF draft's examples
REPLAYED_HEADERS = ("Content-Type", "Location", "Content-Disposition")
FORM_TAG = re.compile(rb"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE)


@dataclass
class _Unit:
    key: str
    api: bool
    conn: Connection
    outer: object  # the outer (or, inside a test's transaction, nested) transaction
    own_connection: bool
    claim_id: int | None = None
    finished: bool = False
    after_commit: list = field(default_factory=list)


def init_app(app):
    hooks = app.before_request_funcs.setdefault(None, [])
    # Right after the input guard: before the login loader or anything else opens the request's session.
    hooks.insert(min(1, len(hooks)), _open_unit)
    app.before_request(_claim)  # last: after authentication and the rights check
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)  # runs last of the after_request hooks
    app.teardown_request(_close_unit)
    _document(app)


def _document(app):
    """The header in the OpenAPI document: a shared parameter referenced by every state-changing operation."""
    from app.api import api
    spec = api.spec
    if "IdempotencyKey" in spec.components.parameters:  # a second app on the same Api object
        return
    spec.components.parameter("IdempotencyKey", "header", {
        "name": HEADER, "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "A key of the client's choosing (e.g. a UUID) that makes a retry safe: the same key from "
                       "the same user on the same method and path within 24 hours answers the first committed "
                       "answer again (status and body, with `Idempotent-Replayed: true`) instead of acting twice. "
                       "A retry that arrives while the first try runs waits for it. The same key with another "
                       "body answers 422 `idempotency_key_reused`. An answer refused with errors (4xx before "
                       "anything was saved) does not use the key up."})
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, operations in spec._paths.items():  # apispec keeps the registered paths here
        if path.startswith(("/api/v1/auth/login", "/api/v1/auth/logout")):
            continue
        for method, operation in operations.items():
            if method.upper() in UNSAFE_METHODS and ref not in operation.setdefault("parameters", []):
                operation["parameters"].append(ref)


# --- the request's key -------------------------------------------------------------------------------------------

def _request_key():
    """(key, is_api) of a keyed state-changing request, else None."""
    if request.method not in UNSAFE_METHODS or request.endpoint in (None, "static") \
            or request.endpoint in EXEMPT_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):
        key = request.headers.get(HEADER)
        return (key, True) if key is not None else None
    key = request.form.get(FORM_FIELD)
    # A token the app never issues (tampered) only loses the protection; the form itself still works.
    return (key, False) if key and len(key) <= 64 and KEY_PATTERN.fullmatch(key) else None


def _open_unit():
    found = _request_key()
    if found is None:
        return None
    bind = db_session.session_factory.kw.get("bind")
    db_session.remove()
    if isinstance(bind, Connection):  # the tests' rolled-back connection: nest inside its transaction
        conn, own = bind, False
        outer = conn.begin_nested()
    else:
        conn, own = bind.connect(), True
        if conn.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        try:
            outer = conn.begin()
        except Exception:  # SQLite's lock wait ran out: answered as a conflict to retry (app/__init__.py)
            conn.close()
            raise
    db_session.registry.set(db_session.session_factory(bind=conn, join_transaction_mode="create_savepoint"))
    g.idempotency_unit = _Unit(key=found[0], api=found[1], conn=conn, outer=outer, own_connection=own)
    return None


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


# --- claim or replay ---------------------------------------------------------------------------------------------

def _claim():
    unit = g.get("idempotency_unit")
    if unit is None or not current_user.is_authenticated:
        return None
    if unit.api and not KEY_PATTERN.fullmatch(unit.key):
        message = _("The Idempotency-Key header must be 1 to 255 visible ASCII characters.")
        return problem(422, "validation_error", message, errors={HEADER: [message]})
    scope = _digest(current_user.id, request.method, request.path, "api" if unit.api else "form", unit.key)
    request_hash = _digest(request.query_string, request.get_data()) if unit.api else None
    table = IdempotencyRecord.__table__
    dialect = db_session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (insert(table)
            .values(scope_hash=scope, user_id=current_user.id, request_hash=request_hash, status=0,
                    created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["scope_hash"])
            .returning(table.c.id))
    unit.claim_id = db_session.execute(stmt).scalar()
    if unit.claim_id is not None:
        return None
    row = db_session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope_hash == scope))
    if unit.api and row.request_hash != request_hash:
        return problem(422, "idempotency_key_reused",
                       _("This Idempotency-Key was already used for a request with another body."))
    if row.status == 0:  # cannot be committed so (the answer commits with the claim); kept as a safe answer
        return _in_progress(unit)
    return _replay(row)


def _replay(row):
    resp = current_app.response_class(row.body or b"", status=row.status)
    for name, value in (row.headers or {}).items():
        resp.headers[name] = value
    resp.headers[REPLAYED_HEADER] = "true"
    pending = [tuple(f) for f in session.get("_flashes", [])]  # the first answer's, when its cookie arrived
    for category, message in row.flashes or []:
        if (category, message) not in pending:
            flash(message, category)
    return resp


def _in_progress(unit):
    message = _("The same request is still being processed; try again in a moment.")
    if unit.api:
        return problem(409, "idempotency_in_progress", message)
    return render_template("error.html", status=409, message=message), 409


# --- after the view: keep the answer, commit once ----------------------------------------------------------------

def _finish(response):
    unit = g.get("idempotency_unit")
    if unit is not None and not unit.finished:
        unit.finished = True
        response = _commit_unit(unit, response)
    _add_form_tokens(response)
    return response


def _commit_unit(unit, response):
    if response.status_code >= 500:  # the error page says nothing was saved: make it so; the key stays free
        db_session.remove()
        unit.outer.rollback()
        return response
    try:
        db_session.rollback()  # whatever the view left uncommitted is not part of its outcome
        if unit.claim_id is not None and response.headers.get(REPLAYED_HEADER) is None:
            body = None if response.direct_passthrough or response.is_streamed else response.get_data()
            flashes = [list(f) for f in session.get("_flashes", [])] if not unit.api else None
            stored = db_session.execute(
                update(IdempotencyRecord).where(IdempotencyRecord.id == unit.claim_id)
                .values(status=response.status_code, body=body, flashes=flashes,
                        headers={h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}))
            if stored.rowcount:  # the claim survived: the view committed, this answer is the one to replay
                db_session.commit()
            else:
                db_session.rollback()
        db_session.remove()
        unit.outer.commit()
    except SQLAlchemyError:
        log.warning("committing a keyed request failed; nothing of it was saved", exc_info=True)
        message = _("Someone else is changing the same data at this moment; nothing was saved. Try again.")
        if unit.api:
            return problem(409, "conflict", message)
        return current_app.make_response((render_template("error.html", status=409, message=message), 409))
    for fn in unit.after_commit:
        fn()
    return response


def after_commit(fn):
    """Call `fn` once the request's work is durable: at once, or, in a keyed request (whose view's commit only
    releases a savepoint), after its outer transaction commits. For what must not run before the data is visible
    to others, e.g. enqueueing a Celery task that reads it."""
    unit = g.get("idempotency_unit") if has_request_context() else None
    if unit is None or unit.finished:
        fn()
    else:
        unit.after_commit.append(fn)


def _close_unit(_exc=None):
    unit = g.pop("idempotency_unit", None)
    if unit is None:
        return
    db_session.remove()
    try:
        if unit.outer.is_active:
            unit.outer.rollback()
    finally:
        if unit.own_connection:
            unit.conn.close()


# --- page forms get their token ----------------------------------------------------------------------------------

def _add_form_tokens(response):
    """Every POST form of an HTML page gets its own one-time token (a new one on each rendering)."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return
    data = response.get_data()
    if b"<form" not in data and b"<FORM" not in data:
        return

    def with_token(match):
        token = secrets.token_urlsafe(16).encode()
        return match.group(0) + b'<input type="hidden" name="' + FORM_FIELD.encode() + b'" value="' + token + b'">'
    response.set_data(FORM_TAG.sub(with_token, data))


# --- housekeeping ------------------------------------------------------------------------------------------------

def purge_expired(db, *, keep_hours=None, now=None) -> int:
    """Delete the answers older than the keep time (default IDEMPOTENCY_KEEP_HOURS); returns how many."""
    if keep_hours is None:
        keep_hours = current_app.config.get("IDEMPOTENCY_KEEP_HOURS", 24)
    cutoff = (now or utcnow()) - timedelta(hours=keep_hours)
    return db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
