from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from app.auth import passwords, throttle
from app.auth import service as auth_service
from app.auth.forms import LoginForm, PasswordForm
from app.auth.guard import REMEMBER_COOKIE, logged_in, public
from app.auth.safe_next import safe_next
from app.auth.throttle import throttled
from app.common.responses import problem
from app.common.ui import home_url
from app.db import db_session
from processes.clock import utcnow

bp = Blueprint("auth", __name__)

# One answer for an unknown user, a wrong password and a lock: none of them may tell which it was.
_LOGIN_ERRORS = {
    "invalid_credentials": lambda: _("Wrong user name or password. After repeated failures, sign-in from "
                                     "this address is locked for a while."),
    "disabled": lambda: _("This account is disabled."),
}


@bp.route("/login", methods=["GET", "POST"])
@throttled
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = auth_service.authenticate(db_session, username=form.username.data, password=form.password.data,
                                             address=request.remote_addr,
                                             lockout_threshold=cfg["LOCKOUT_THRESHOLD"],
                                             lockout_minutes=cfg["LOCKOUT_MINUTES"])
        except auth_service.AuthError as err:
            db_session.commit()  # keep the failed-attempt count
            form.password.errors.append(_LOGIN_ERRORS[err.code]())
            return render_template("auth/login.html", form=form), 401
        raw = auth_service.open_session(db_session, user, kind="web", remote_addr=request.remote_addr)
        remember = auth_service.issue_remember_token(db_session, user, days=cfg["REMEMBER_DAYS"]) \
            if form.remember.data else None
        db_session.commit()
        lang = session.get("lang")
        session.clear()  # a new session id at login: nothing planted before login survives
        session["sid"] = raw
        if lang:
            session["lang"] = lang
        resp = redirect(safe_next(request.args.get("next")) or home_url(user))
        if remember:
            _set_remember_cookie(resp, remember, max_age=int(timedelta(days=cfg["REMEMBER_DAYS"]).total_seconds()))
        return resp
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


bp.record_once(lambda state: throttle.init_app(state.app))


@bp.app_errorhandler(RateLimitExceeded)
def _too_many_failures(_exc):
    """The throttle stopped this address or user name: the same answer whoever the user name names."""
    message = _("Too many failed sign-ins; try again in a few minutes.")
    if request.path.startswith("/api/"):
        return problem(429, "too_many_attempts", message)
    form = LoginForm()
    form.password.errors = [message]
    return render_template("auth/login.html", form=form), 429


@bp.after_app_request
def _rotated_remember_cookie(resp):
    """A remember-me token used in this request was replaced (or found dead): the browser gets the outcome."""
    if "remember_cookie" not in g:
        return resp
    if g.remember_cookie is None:
        resp.delete_cookie(REMEMBER_COOKIE)
    else:
        value, expires_at = g.remember_cookie
        _set_remember_cookie(resp, value, max_age=int((expires_at - utcnow()).total_seconds()))
    return resp


def _set_remember_cookie(resp, value, *, max_age):
    cfg = current_app.config
    resp.set_cookie(REMEMBER_COOKIE, value, max_age=max(0, max_age), httponly=True,
                    samesite=cfg["SESSION_COOKIE_SAMESITE"], secure=cfg["REMEMBER_COOKIE_SECURE"] or request.is_secure)


@bp.route("/logout", methods=["POST"])
@public  # a superseded session must still sign out: its owner's logout ends the session that replaced it
def logout():
    sid = session.get("sid")
    remember = request.cookies.get(REMEMBER_COOKIE)
    if sid or remember:
        auth_service.logout(db_session, sid, remember)
        db_session.commit()
    session.clear()
    flash(_("You have signed out."), "info")
    resp = redirect(url_for("auth.login"))
    resp.delete_cookie(REMEMBER_COOKIE)
    return resp


@bp.route("/password", methods=["GET", "POST"])
@logged_in
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not passwords.verify(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            auth_service.change_password(db_session, current_user, new_password=form.new.data)
            db_session.commit()
            session.clear()
            flash(_("Password changed; please sign in again."), "info")
            resp = redirect(url_for("auth.login"))
            resp.delete_cookie(REMEMBER_COOKIE)
            return resp
    return render_template("auth/password.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    resp = redirect(safe_next(request.form.get("next")) or home_url(current_user))
    resp.set_cookie("lang", code, max_age=365 * 86400, samesite=current_app.config["SESSION_COOKIE_SAMESITE"],
                    secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
    return resp


@bp.route("/")
@public
def home():
    return redirect(home_url(current_user))
