"""Uniform answers: RFC 9457 problem details for the API, pages for the browser."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.guard import is_api_request

_REASONS = {
    "superseded": ("signed_in_elsewhere", lambda: _("You signed in elsewhere; this session has ended.")),
    "idle": ("session_expired", lambda: _("Your session expired after a period of inactivity.")),
    "password": ("session_ended", lambda: _("Your password was changed; please sign in again.")),
    "disabled": ("account_disabled", lambda: _("Your account is disabled.")),
    "logout": ("session_ended", lambda: _("You have signed out.")),
}


def problem(status, code, detail=None, title=None, **extra):
    body = {"type": "about:blank", "title": title or _default_title(status), "status": status, "code": code}
    if detail:
        body["detail"] = str(detail)
    body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def _default_title(status):
    from werkzeug.http import HTTP_STATUS_CODES
    return HTTP_STATUS_CODES.get(status, "Error")


def deny(status, reason=None):
    if status == 401:
        code, message = _REASONS.get(reason, ("unauthenticated", lambda: _("Please sign in.")))
        if is_api_request():
            return problem(401, code, message())
        if reason in _REASONS:
            flash(message(), "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if is_api_request():
        return problem(403, "forbidden", _("You do not have the right to do this."))
    return render_template("error.html", status=403, message=_("You do not have the right to do this.")), 403
