from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import passwords
from app.auth import service as auth_service
from app.auth.forms import LoginForm, PasswordForm
from app.auth.guard import REMEMBER_COOKIE, logged_in, public
from app.common.ui import home_url
from app.db import db_session

bp = Blueprint("auth", __name__)

_LOGIN_ERRORS = {
    "invalid_credentials": lambda: _("Wrong user name or password."),
    "locked": lambda: _("Too many failed attempts: the account is locked for a while."),
    "disabled": lambda: _("This account is disabled."),
}


def _safe_next(target):
    return target if target and target.startswith("/") and not target.startswith("//") else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = auth_service.authenticate(db_session, username=form.username.data, password=form.password.data,
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
        resp = redirect(_safe_next(request.args.get("next")) or home_url(user))
        if remember:
            resp.set_cookie(REMEMBER_COOKIE, remember, max_age=int(timedelta(days=cfg["REMEMBER_DAYS"]).total_seconds()),
                            httponly=True, samesite="Lax", secure=request.is_secure)
        return resp
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    sid = session.get("sid")
    if sid:
        auth_service.logout(db_session, sid)
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
    resp = redirect(_safe_next(request.form.get("next")) or home_url(current_user))
    resp.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax")
    return resp


@bp.route("/")
@public
def home():
    return redirect(home_url(current_user))
