"""Deny by default: every endpoint declares who may call it, and one before_request hook enforces it.

An endpoint with no declaration answers 403, so a forgotten decorator fails closed.
"""
from flask import current_app, g, request, session
from flask_login import current_user

from app.auth import service as auth_service
from app.common import reference_cache
from app.db import db_session

PUBLIC = "__public__"
LOGGED_IN = "__logged_in__"
REMEMBER_COOKIE = "crm_remember"


def _mark(rule):
    def deco(fn):
        fn._access_rule = rule
        return fn
    return deco


def public(fn):
    return _mark(PUBLIC)(fn)


def logged_in(fn):
    return _mark(LOGGED_IN)(fn)


def requires(*rights):
    """The user needs any one of `rights`."""
    return _mark(tuple(rights))


# Endpoints registered by libraries, declared here because their view functions cannot carry a mark.
LIBRARY_ENDPOINTS = {"api-docs.openapi_json": PUBLIC}


def access_rule(endpoint, method="GET"):
    if endpoint in LIBRARY_ENDPOINTS:
        return LIBRARY_ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    rule = getattr(view, "_access_rule", None)
    view_class = getattr(view, "view_class", None)
    if rule is None and view_class is not None:
        meth = getattr(view_class, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(view_class, "get", None)
        rule = getattr(meth, "_access_rule", None) or getattr(view_class, "_access_rule", None)
    return rule


def is_api_request():
    return request.path.startswith("/api/")


def load_user_from_request(req):
    """Flask-Login request_loader: a bearer token for the API, the session cookie for pages."""
    g.auth_end_reason = None
    if is_api_request():
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return _resolve(header[7:].strip())
    sid = session.get("sid")
    user = _resolve(sid) if sid else None
    if user is None:
        user = _from_remember_cookie(req, sign_in=g.auth_end_reason != "superseded")
    return user


def _resolve(raw):
    try:
        _row, user, generation = auth_service.resolve_session(
            db_session, raw, idle_minutes=current_app.config["SESSION_IDLE_MINUTES"])
        reference_cache.note_generation(generation)
        if db_session.dirty or _sqlite():
            # PostgreSQL: a commit only when the idle clock moved (once a minute), the read needs none.
            # SQLite: always end the read; a write later in the request would otherwise have to upgrade this read
            # snapshot, which fails at once (no lock wait) whenever another writer committed in between.
            db_session.commit()
        return user
    except auth_service.SessionEnded as ended:
        if db_session.dirty:
            db_session.commit()  # keeps the idle/disabled end mark
        g.auth_end_reason = ended.reason
        return None


def _sqlite():
    return db_session.get_bind().dialect.name == "sqlite"


def _from_remember_cookie(req, *, sign_in):
    cookie = req.cookies.get(REMEMBER_COOKIE)
    if not cookie:
        return None
    used = auth_service.use_remember_token(db_session, cookie, sign_in=sign_in)
    if not sign_in:
        db_session.commit()  # only the check for a replayed token ran; its alarm must hold
        return None
    if used is None:
        db_session.commit()  # a replayed (rotated) token revoked everything: that must hold
        g.remember_cookie = None  # dead cookie: the response deletes it
        return None
    user, replacement, expires_at = used
    raw = auth_service.open_session(db_session, user, kind="web", remote_addr=req.remote_addr, via_remember=True)
    db_session.commit()
    session.clear()
    session["sid"] = raw
    g.auth_end_reason = None
    g.remember_cookie = (replacement, expires_at)  # the response carries the rotated token
    return user


def enforce_access():
    """before_request: authentication, then the endpoint's right."""
    from app.common.responses import deny  # late import: responses imports templates helpers

    if request.endpoint is None or request.endpoint == "static":
        return None
    rule = access_rule(request.endpoint, request.method)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return deny(401, g.get("auth_end_reason"))
    if rule is None:
        return deny(403, "undeclared")
    if rule == LOGGED_IN:
        return None
    if not any(current_user.can(r) for r in rule):
        return deny(403, "missing_right")
    return None


def sees_all(user) -> bool:
    """Record-level scope: without data.all a user sees only records assigned to them."""
    return user.can("data.all")
