"""Roles and their rights (SPEC §1): the admin edits the role→right mapping as the menu tree.

A rights change applies on the holders' next request: the user row is loaded per request with its role's rights.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.admin.audit import audit
from app.admin.grants import grant_errors
from app.auth.models import Right, Role, User
from app.auth.rights_catalog import MENUS, ROLES, right_label
from app.common.errors import Conflict, NotFound, ValidationFailed
from app.common.models import AuditRecord
from app.common.plain_text import name_errors

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
NAME_MAX = 60


def list_roles(db):
    """[(role, number of users holding it)] in code order."""
    counts = dict(db.execute(select(User.role_id, func.count()).group_by(User.role_id)).all())
    roles = db.scalars(select(Role).options(selectinload(Role.rights)).order_by(Role.id))
    return [(role, counts.get(role.id, 0)) for role in roles]


def get_role(db, role_id) -> Role:
    role = db.get(Role, role_id)
    if role is None:
        raise NotFound(_("No such role."))
    return role


def is_builtin(role: Role) -> bool:
    """The seeded roles name BPMN lanes; removing one would orphan the processes' tasks."""
    return role.code in ROLES


def _check_name(name, errors):
    """A role name is one line of printable text of at most 60 characters (the column's length)."""
    messages = name_errors((name or "").strip(), max_length=NAME_MAX)
    if messages:
        errors["name"] = messages


def create_role(db, *, actor, code, name, rights=()) -> Role:
    errors = {}
    code = (code or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = [_("2 to 40 lower-case letters, digits or underscores, starting with a letter.")]
    elif db.scalar(select(Role.id).where(Role.code == code)) is not None:
        errors["code"] = [_("This role code is taken.")]
    _check_name(name, errors)
    chosen = _rights_for(db, rights, errors)
    if "rights" not in errors and grant_errors(actor, [r.code for r in chosen]):
        errors["rights"] = grant_errors(actor, [r.code for r in chosen])
    if errors:
        raise ValidationFailed(errors)
    role = Role(code=code, name=name.strip(), rights=chosen)
    db.add(role)
    db.flush()
    audit(db, "role", role.id, "create", actor, {"code": code, "rights": sorted(r.code for r in chosen)})
    return role


def rename_role(db, *, actor, role_id, name) -> Role:
    role = get_role(db, role_id)
    errors = {}
    _check_name(name, errors)
    if errors:
        raise ValidationFailed(errors)
    if role.name != name.strip():
        audit(db, "role", role.id, "rename", actor, {"name": [role.name, name.strip()]})
        role.name = name.strip()
    db.flush()
    return role


def delete_role(db, *, actor, role_id):
    role = get_role(db, role_id)
    if is_builtin(role):
        raise Conflict(_("A built-in role cannot be deleted: the business processes assign tasks to it."))
    if db.scalar(select(User.id).where(User.role_id == role.id).limit(1)) is not None:
        raise Conflict(_("Users still hold this role; give them another role first."))
    audit(db, "role", role.id, "delete", actor, {"code": role.code, "rights": sorted(r.code for r in role.rights)})
    db.delete(role)
    db.flush()


def _rights_for(db, codes, errors):
    codes = list(dict.fromkeys(codes or ()))
    rows = {r.code: r for r in db.scalars(select(Right).where(Right.code.in_(codes)))} if codes else {}
    unknown = [c for c in codes if c not in rows]
    if unknown:
        errors["rights"] = [_("Unknown rights: %(codes)s", codes=", ".join(unknown))]
    return [rows[c] for c in codes if c in rows]


def set_role_rights(db, *, actor, role_id, codes) -> Role:
    """Replace the role's rights with `codes` (see app.admin.grants): the actor grants only rights they hold and
    leaves the rights of their own role as they are (which also keeps an admin from locking themselves out).
    Every change is audited: who, which role, the rights added and removed, when."""
    role = get_role(db, role_id)
    errors = {}
    chosen = _rights_for(db, codes, errors)
    before = {r.code for r in role.rights}
    after = {r.code for r in chosen}
    if not errors and before != after:
        if role.id == actor.role_id:
            errors["rights"] = [_("You cannot change the rights of your own role; another administrator can.")]
        elif grant_errors(actor, after - before):
            errors["rights"] = grant_errors(actor, after - before)
    if errors:
        raise ValidationFailed(errors)
    if before != after:
        role.rights = chosen
        audit(db, "role", role.id, "rights", actor,
              {"added": sorted(after - before), "removed": sorted(before - after)})
    db.flush()
    return role


def menu_tree(db, role: Role | None = None, checked=None, actor=None):
    """The rights grouped by menu, in menu order: [{code, label, rights: [{code, label, checked, fixed}]}].

    `checked` (a set of codes) overrides the role's rights, so a re-rendered form keeps what the user ticked.
    With `actor`, a right they may not change here is `fixed` at the role's current state: every right of their own
    role, and the rights they do not hold themselves (see app.admin.grants)."""
    current = {r.code for r in role.rights} if role else set()
    held = set(checked) if checked is not None else current
    own = actor is not None and role is not None and role.id == actor.role_id
    grantable = actor.right_codes if actor is not None else None

    def entry(r):
        fixed = own or (grantable is not None and r.code not in grantable)
        return {"code": r.code, "label": right_label(r.code, r.name), "fixed": fixed,
                "checked": r.code in (current if fixed else held)}

    rows = db.scalars(select(Right).order_by(Right.position, Right.code)).all()
    groups = []
    known_menus = [code for code, _label in MENUS]
    for code, label in MENUS:
        entries = [r for r in rows if r.menu == code]
        if entries:
            groups.append({"code": code, "label": str(label), "rights": [entry(r) for r in entries]})
    # Rights whose menu is no longer in the catalog still show, so nothing granted stays invisible.
    stray = [r for r in rows if r.menu not in known_menus]
    if stray:
        groups.append({"code": "other", "label": _("Other"), "rights": [entry(r) for r in stray]})
    return groups


def rights_history(db, role_id) -> list[dict]:
    """The role's audit trail, newest first: [{at, user_id, user_name, action, added, removed, name}] where `name` is
    [old, new] for a rename and `added` lists the initial rights of a created role."""
    rows = db.execute(select(AuditRecord, User.name).outerjoin(User, User.id == AuditRecord.user_id)
                      .where(AuditRecord.entity == "role", AuditRecord.entity_id == str(role_id))
                      .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())).all()
    out = []
    for record, user_name in rows:
        data = record.data or {}
        added = data.get("added", data.get("rights", []) if record.action == "create" else [])
        out.append({"at": record.at, "user_id": record.user_id, "user_name": user_name, "action": record.action,
                    "added": list(added), "removed": list(data.get("removed", [])), "name": data.get("name")})
    return out
