"""Admin pages: users (user.manage) and roles with their rights tree (role.manage)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import role_service, service, user_unlock
from app.admin.forms import (PasswordResetForm, RoleCreateForm, RoleEditForm, UserCreateForm, UserEditForm,
                             UserFilterForm, choices)
from app.auth.guard import requires
from app.common.errors import ServiceError, ValidationFailed
from app.common.forms import apply_errors
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.db import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _role_choices(blank=None):
    pairs = [(role.code, role.label) for role, _n in role_service.list_roles(db_session)]
    return choices(([("", blank)] if blank else []) + pairs)


@bp.route("/users")
@requires("user.manage")
def list_users():
    form = UserFilterForm(request.args)
    form.role.choices = _role_choices(blank=_("All"))
    active = {"1": True, "0": False}.get(form.active.data or "")
    stmt = service.query_users(q=form.q.data, role=form.role.data or None, active=active)
    if wants_export():
        rows = ((u.username, u.name, u.role.label, _("Active") if u.active else _("Disabled"))
                for u in db_session.scalars(stmt))
        return xlsx_response("users.xlsx", [_("User name"), _("Name"), _("Role"), _("Status")], rows)
    page = paginate(db_session, stmt, *page_args())
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("user.manage")
def create_user():
    form = UserCreateForm()
    form.role.choices = _role_choices()
    if form.validate_on_submit():
        try:
            user = service.create_user(db_session, actor=current_user, username=form.username.data,
                                       name=form.name.data, password=form.password.data, role=form.role.data,
                                       active=form.active.data)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for(".list_users"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("user.manage")
def edit_user(user_id):
    user = service.get_user(db_session, user_id)
    form = UserEditForm(data={"name": user.name, "role": user.role.code})
    form.role.choices = _role_choices()
    if form.validate_on_submit():
        try:
            service.update_user(db_session, actor=current_user, user_id=user.id, name=form.name.data,
                                role=form.role.data)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for(".list_users"))
    status = 422 if form.errors else 200
    return render_template("admin/user_form.html", form=form, user=user, pw_form=PasswordResetForm(
        formdata=None), history=service.account_history(db_session, user.id),
        locked_from=user_unlock.locked_addresses(db_session, user)), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("user.manage")
def reset_password(user_id):
    user = service.get_user(db_session, user_id)
    pw_form = PasswordResetForm()
    if pw_form.validate_on_submit():
        try:
            service.reset_password(db_session, actor=current_user, user_id=user.id,
                                   new_password=pw_form.password.data)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(pw_form, err.errors)
        else:
            db_session.commit()
            flash(_("Password of %(name)s reset; their sessions have ended.", name=user.username), "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    form = UserEditForm(data={"name": user.name, "role": user.role.code}, formdata=None)
    form.role.choices = _role_choices()
    return render_template("admin/user_form.html", form=form, user=user, pw_form=pw_form,
                           history=service.account_history(db_session, user.id),
                           locked_from=user_unlock.locked_addresses(db_session, user)), 422


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires("user.manage")
def unlock_user(user_id):
    user = service.get_user(db_session, user_id)
    user_unlock.unlock_user(db_session, actor=current_user, user_id=user.id)
    db_session.commit()
    flash(_("Sign-in of %(name)s unlocked.", name=user.username), "success")
    return redirect(url_for(".edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("user.manage")
def set_active(user_id):
    active = request.form.get("active") == "1"
    try:
        user = service.set_active(db_session, actor=current_user, user_id=user_id, active=active)
    except ValidationFailed as err:
        db_session.rollback()
        for messages in err.errors.values():
            for msg in messages:
                flash(msg, "error")
    else:
        db_session.commit()
        flash(_("User %(name)s enabled.", name=user.username) if active
              else _("User %(name)s disabled; their sessions have ended.", name=user.username), "success")
    return redirect(request.referrer if _same_site(request.referrer) else url_for(".list_users"))


def _same_site(url):
    return bool(url) and url.startswith(request.host_url)


@bp.route("/roles")
@requires("role.manage")
def list_roles():
    return render_template("admin/roles.html", roles=role_service.list_roles(db_session),
                           is_builtin=role_service.is_builtin)


@bp.route("/roles/new", methods=["GET", "POST"])
@requires("role.manage")
def create_role():
    form = RoleCreateForm()
    ticked = request.form.getlist("rights") if request.method == "POST" else []
    if form.validate_on_submit():
        try:
            role = role_service.create_role(db_session, actor=current_user, code=form.code.data,
                                            name=form.name.data, rights=ticked)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("Role %(name)s created.", name=role.label), "success")
            return redirect(url_for(".edit_role", role_id=role.id))
    tree = role_service.menu_tree(db_session, checked=ticked, actor=current_user)
    return render_template("admin/role_form.html", form=form, role=None, tree=tree), 422 if form.errors else 200


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@requires("role.manage")
def edit_role(role_id):
    role = role_service.get_role(db_session, role_id)
    # Built-in roles store their English label and show its translation; saving the shown text keeps the label.
    shown_name = role.label
    form = RoleEditForm(data={"name": shown_name})
    ticked = request.form.getlist("rights") if request.method == "POST" else None
    if form.validate_on_submit():
        name = role.name if (form.name.data or "").strip() == shown_name else form.name.data
        try:
            role_service.rename_role(db_session, actor=current_user, role_id=role.id, name=name)
            role_service.set_role_rights(db_session, actor=current_user, role_id=role.id, codes=ticked)
        except ValidationFailed as err:
            db_session.rollback()
            role = role_service.get_role(db_session, role_id)
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("Rights of %(name)s saved; they apply from the holders' next page.", name=role.label),
                  "success")
            return redirect(url_for(".edit_role", role_id=role.id))
    tree = role_service.menu_tree(db_session, role, checked=ticked, actor=current_user)
    return render_template("admin/role_form.html", form=form, role=role, tree=tree,
                           own_role=role.id == current_user.role_id,
                           history=role_service.rights_history(db_session, role.id)), 422 if form.errors else 200


@bp.route("/roles/<int:role_id>/delete", methods=["POST"])
@requires("role.manage")
def delete_role(role_id):
    try:
        role = role_service.get_role(db_session, role_id)
        name = role.label
        role_service.delete_role(db_session, actor=current_user, role_id=role_id)
    except ServiceError as err:
        db_session.rollback()
        flash(err.detail, "error")
    else:
        db_session.commit()
        flash(_("Role %(name)s deleted.", name=name), "success")
    return redirect(url_for(".list_roles"))
