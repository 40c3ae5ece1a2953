"""User administration (SPEC §1): create, edit, disable/enable, reset password, delete-or-deactivate.

An administrator must not lock themselves out: they cannot disable their own account nor move themselves to a
role without user.manage and role.manage (role rights edits are guarded in role_service).

Nobody gains a right through another account (app.admin.grants): a user is given only a role whose rights the actor
holds, and a user holding rights the actor lacks cannot be changed, disabled or given a new password by them.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.admin.audit import audit
from app.admin.grants import grant_errors, rights_beyond
from app.auth import service as auth_service
from app.auth.models import Role, User, UserSession
from app.common.errors import Forbidden, NotFound, ValidationFailed
from app.common.models import AuditRecord
from app.common.plain_text import name_errors
from app.db import ALL_METADATA

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,60}$")
MIN_PASSWORD = 8
# Rights an administrator must keep on their own account, or nobody may be left to administer users and roles.
ADMIN_RIGHTS = ("user.manage", "role.manage")

# Columns that name a user without a foreign key (engine tables, audit): they count as history too.
_SOFT_USER_COLUMNS = {
    "audit_record": ("user_id",), "process_definition": ("deployed_by",),
    "process_instance": ("started_by",), "human_task": ("assignee_id", "claimed_by", "completed_by"),
    "process_event": ("user_id",),
}


def query_users(*, q=None, role=None, active=None):
    stmt = select(User).join(User.role).order_by(User.username)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.name.ilike(like)))
    if role:
        stmt = stmt.where(Role.code == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(bool(active)))
    return stmt


def get_user(db, user_id) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def role_by_code(db, code) -> Role | None:
    return db.scalar(select(Role).where(Role.code == code)) if code else None


def _check_password(password, errors, field="password"):
    if not password or len(password) < MIN_PASSWORD:
        errors.setdefault(field, []).append(_("At least %(n)s characters.", n=MIN_PASSWORD))
    elif len(password) > 200:
        errors.setdefault(field, []).append(_("At most %(n)s characters.", n=200))


def _check_name(name, errors):
    """A display name is one line of printable text of at most 60 characters (the column's length)."""
    errors.setdefault("name", []).extend(name_errors((name or "").strip(), max_length=60))
    if not errors["name"]:
        del errors["name"]


def create_user(db, *, actor, username, name, password, role, active=True) -> User:
    errors = {}
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        errors["username"] = [_("2 to 60 letters, digits, dots, dashes or underscores.")]
    elif db.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        errors["username"] = [_("This user name is taken.")]
    _check_name(name, errors)
    _check_password(password, errors)
    role_row = role_by_code(db, role)
    if role_row is None:
        errors["role"] = [_("Choose an existing role.")]
    elif grant_errors(actor, [r.code for r in role_row.rights]):
        errors["role"] = grant_errors(actor, [r.code for r in role_row.rights])
    if errors:
        raise ValidationFailed(errors)
    try:
        with db.begin_nested():  # another admin creating the same name at this moment: the unique index decides
            user = auth_service.create_user(db, username=username, name=name.strip(), password=password,
                                            role_code=role_row.code, active=bool(active))
    except IntegrityError:
        raise ValidationFailed({"username": [_("This user name is taken.")]}) from None
    audit(db, "user", user.id, "create", actor, {"username": username, "role": role_row.code})
    return user


def _managed_user(db, actor, user_id) -> User:
    """The user to change, if the actor holds every right the user holds (else taking over their account by a
    new password would be a way to rights the actor was never given)."""
    user = get_user(db, user_id)
    if rights_beyond(actor, user.right_codes):
        raise Forbidden(_("This user holds rights you do not hold; only someone who holds them can change the "
                          "account."))
    return user


def update_user(db, *, actor, user_id, name=None, role=None) -> User:
    """Change name and/or role (None leaves a value as is)."""
    user = _managed_user(db, actor, user_id)
    errors = {}
    if name is not None:
        _check_name(name, errors)
    role_row = None
    if role is not None:
        role_row = role_by_code(db, role)
        if role_row is None:
            errors["role"] = [_("Choose an existing role.")]
        elif user.id == actor.id and not _has_admin_rights(role_row):
            errors["role"] = [_("You cannot move yourself to a role without the user and role management "
                                "rights.")]
        elif role_row.id != user.role_id and grant_errors(actor, [r.code for r in role_row.rights]):
            errors["role"] = grant_errors(actor, [r.code for r in role_row.rights])
    if errors:
        raise ValidationFailed(errors)
    changes = {}
    if name is not None and name.strip() != user.name:
        changes["name"] = [user.name, name.strip()]
        user.name = name.strip()
    if role_row is not None and role_row.id != user.role_id:
        changes["role"] = [user.role.code, role_row.code]
        user.role = role_row
    if changes:
        audit(db, "user", user.id, "update", actor, changes)
    db.flush()
    return user


def _has_admin_rights(role: Role) -> bool:
    codes = {r.code for r in role.rights}
    return all(c in codes for c in ADMIN_RIGHTS)


def set_active(db, *, actor, user_id, active: bool) -> User:
    """Disable or enable an account; disabling ends the user's sessions and remember-me tokens at once."""
    user = _managed_user(db, actor, user_id)
    if not active and user.id == actor.id:
        raise ValidationFailed({"active": [_("You cannot disable your own account.")]})
    if user.active == bool(active):
        return user
    user.active = bool(active)
    if not active:
        auth_service.end_sessions(db, user.id, reason="disabled")
        auth_service.revoke_remember_tokens(db, user.id)
    else:
        user.failed_logins, user.locked_until = 0, None
    audit(db, "user", user.id, "enable" if active else "disable", actor)
    db.flush()
    return user


def reset_password(db, *, actor, user_id, new_password) -> User:
    """An administrator sets a new password; the user's sessions and remember-me tokens end."""
    user = _managed_user(db, actor, user_id)
    errors = {}
    _check_password(new_password, errors)
    if errors:
        raise ValidationFailed(errors)
    auth_service.change_password(db, user, new_password=new_password)
    user.failed_logins, user.locked_until = 0, None
    audit(db, "user", user.id, "reset_password", actor)
    db.flush()
    return user


def has_history(db, user_id) -> bool:
    """True when any row names the user: sessions, records they own or made, process history, audit."""
    if db.scalar(select(UserSession.id).where(UserSession.user_id == user_id).limit(1)) is not None:
        return True
    for md in ALL_METADATA:
        for table in md.sorted_tables:
            cols = [c for c in table.columns if any(fk.column.table.name == "user_account" for fk in c.foreign_keys)]
            cols += [table.c[name] for name in _SOFT_USER_COLUMNS.get(table.name, ()) if name in table.c]
            for col in cols:
                if db.execute(select(col).where(col == user_id).limit(1)).first() is not None:
                    return True
    return False


def delete_user(db, *, actor, user_id) -> bool:
    """Physically delete a user nobody and nothing refers to; otherwise deactivate them (history stays readable).

    Returns True when the row was deleted, False when the account was deactivated instead."""
    user = _managed_user(db, actor, user_id)
    if user.id == actor.id:
        raise ValidationFailed({"active": [_("You cannot delete or disable your own account.")]})
    if has_history(db, user.id):
        set_active(db, actor=actor, user_id=user.id, active=False)
        return False
    audit(db, "user", user.id, "delete", actor, {"username": user.username})
    db.delete(user)
    db.flush()
    return True


def account_history(db, user_id) -> list[dict]:
    """The account's audit trail, newest first: [{at, by (actor's name), action, role: [old, new] or None}].

    A role change is a change of the user's rights, so administrators see who made it and when."""
    rows = db.execute(select(AuditRecord, User.name).outerjoin(User, User.id == AuditRecord.user_id)
                      .where(AuditRecord.entity == "user", AuditRecord.entity_id == str(user_id))
                      .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())).all()
    out = []
    for record, by in rows:
        data = record.data or {}
        role = data.get("role")
        if isinstance(role, str):  # the role an account was created with
            role = [None, role]
        out.append({"at": record.at, "by": by, "action": record.action, "role": role,
                    "renamed": "name" in data})
    return out
