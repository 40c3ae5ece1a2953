"""/api/v1/users and /api/v1/roles (admin CRUD) and /api/v1/roles/{id}/rights."""
from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from app.admin import role_service, service, user_unlock
from app.auth.guard import requires
from app.common.listing import Page, paginate
from app.db import db_session
from app.common.api_schemas import PageArgs, PageOut

blp = Blueprint("api_admin", __name__, url_prefix="/api/v1", description="Users, roles and role rights")


class ListQuery(PageArgs):
    class Meta:
        unknown = EXCLUDE


class UserQuery(ListQuery):
    q = fields.String(metadata={"description": "part of the user name or name"})
    role = fields.String(metadata={"description": "role code"})
    active = fields.Boolean()


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    role = fields.Function(lambda u: u.role.code)
    active = fields.Boolean()


class UserPage(PageOut):
    items = fields.List(fields.Nested(UserOut))


class UserIn(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    role = fields.String(required=True, metadata={"description": "role code"})
    active = fields.Boolean(load_default=True)


class UserPatch(Schema):
    name = fields.String()
    role = fields.String(metadata={"description": "role code"})
    active = fields.Boolean()
    password = fields.String(load_only=True, metadata={"description": "a new password; ends the user's sessions"})


class RoleOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    builtin = fields.Function(role_service.is_builtin)
    rights = fields.Function(lambda r: sorted(x.code for x in r.rights))


class RolePage(PageOut):
    items = fields.List(fields.Nested(RoleOut))


class RoleIn(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    rights = fields.List(fields.String(), load_default=list)


class RolePatch(Schema):
    name = fields.String(required=True)


class RoleChangeOut(Schema):
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True, metadata={"description": "who made the change"})
    user_name = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "create, rename, rights or delete"})
    added = fields.List(fields.String(), metadata={"description": "rights added (a created role's initial rights)"})
    removed = fields.List(fields.String())
    name = fields.List(fields.String(), allow_none=True, metadata={"description": "[old, new] for a rename"})


class RoleHistory(Schema):
    items = fields.List(fields.Nested(RoleChangeOut))


class RightsIO(Schema):
    rights = fields.List(fields.String(), required=True, metadata={"description": "right codes"})


@blp.route("/users")
@blp.arguments(UserQuery, location="query")
@blp.response(200, UserPage)
@requires("user.manage")
def list_users(args):
    """Users, filtered by name, role code and active flag."""
    stmt = service.query_users(q=args.get("q"), role=args.get("role"), active=args.get("active"))
    page = paginate(db_session, stmt, args["page"], args["per_page"])
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, UserOut)
@requires("user.manage")
def create_user(body):
    """Create a user with a role code and an initial password (at least 8 characters)."""
    user = service.create_user(db_session, actor=current_user, **body)
    db_session.commit()
    return user


@blp.route("/users/<int:user_id>")
@blp.response(200, UserOut)
@requires("user.manage")
def get_user(user_id):
    return service.get_user(db_session, user_id)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
@requires("user.manage")
def update_user(body, user_id):
    """Change name, role, active flag or password. Disabling or a new password ends the user's sessions."""
    service.update_user(db_session, actor=current_user, user_id=user_id, name=body.get("name"),
                        role=body.get("role"))
    if "active" in body:
        service.set_active(db_session, actor=current_user, user_id=user_id, active=body["active"])
    if "password" in body:
        service.reset_password(db_session, actor=current_user, user_id=user_id, new_password=body["password"])
    db_session.commit()
    return service.get_user(db_session, user_id)


class UnlockOut(Schema):
    locked_addresses = fields.Integer(metadata={"description": "addresses the user name was locked from"})


@blp.route("/users/<int:user_id>/unlock", methods=["POST"])
@blp.response(200, UnlockOut)
@requires("user.manage")
def unlock_user(user_id):
    """Lift the user's sign-in locks (from every address) and the throttle on their user name; audited."""
    locked = user_unlock.unlock_user(db_session, actor=current_user, user_id=user_id)
    db_session.commit()
    return {"locked_addresses": locked}


@blp.route("/users/<int:user_id>", methods=["DELETE"])
@blp.response(200, UserOut, description="The user has history and was deactivated instead")
@blp.alt_response(204, description="The user had no history and was deleted")
@requires("user.manage")
def delete_user(user_id):
    """Delete a user with no history; a user with history (sessions, records, process steps) is deactivated."""
    deleted = service.delete_user(db_session, actor=current_user, user_id=user_id)
    db_session.commit()
    if deleted:
        return Response(status=204)
    return service.get_user(db_session, user_id)


def _role_page():
    roles = [r for r, _n in role_service.list_roles(db_session)]
    return Page(items=roles, total=len(roles), page=1, per_page=max(len(roles), 1))


@blp.route("/roles")
@blp.response(200, RolePage)
@requires("role.manage", "user.manage")
def list_roles():
    """Every role with its rights (one page: roles are few)."""
    page = _role_page()
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@blp.route("/roles", methods=["POST"])
@blp.arguments(RoleIn)
@blp.response(201, RoleOut)
@requires("role.manage")
def create_role(body):
    role = role_service.create_role(db_session, actor=current_user, **body)
    db_session.commit()
    return role


@blp.route("/roles/<int:role_id>")
@blp.response(200, RoleOut)
@requires("role.manage", "user.manage")
def get_role(role_id):
    return role_service.get_role(db_session, role_id)


@blp.route("/roles/<int:role_id>", methods=["PATCH"])
@blp.arguments(RolePatch)
@blp.response(200, RoleOut)
@requires("role.manage")
def rename_role(body, role_id):
    role = role_service.rename_role(db_session, actor=current_user, role_id=role_id, name=body["name"])
    db_session.commit()
    return role


@blp.route("/roles/<int:role_id>", methods=["DELETE"])
@blp.response(204)
@requires("role.manage")
def delete_role(role_id):
    """Delete a role nobody holds; the built-in roles (BPMN lanes) cannot be deleted (409)."""
    role_service.delete_role(db_session, actor=current_user, role_id=role_id)
    db_session.commit()


@blp.route("/roles/<int:role_id>/rights")
@blp.response(200, RightsIO)
@requires("role.manage")
def get_role_rights(role_id):
    role = role_service.get_role(db_session, role_id)
    return {"rights": sorted(r.code for r in role.rights)}


@blp.route("/roles/<int:role_id>/history")
@blp.response(200, RoleHistory)
@requires("role.manage")
def get_role_history(role_id):
    """Who changed the role when: creation, renames and every rights change (added, removed), newest first."""
    role = role_service.get_role(db_session, role_id)
    return {"items": role_service.rights_history(db_session, role.id)}


@blp.route("/roles/<int:role_id>/rights", methods=["PUT"])
@blp.arguments(RightsIO)
@blp.response(200, RightsIO)
@requires("role.manage")
def put_role_rights(body, role_id):
    """Replace the role's rights; they apply from the holders' next request. 422 when granting a right the caller
    does not hold, or changing the rights of the caller's own role. Every change is audited (see /history)."""
    role = role_service.set_role_rights(db_session, actor=current_user, role_id=role_id, codes=body["rights"])
    db_session.commit()
    return {"rights": sorted(r.code for r in role.rights)}
