from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth import service as auth_service
from app.auth.guard import logged_in, public
from app.auth.throttle import throttled
from app.common.responses import problem
from app.db import db_session

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="Authentication and the current user")


class LoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    token = fields.String()


class MeOut(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    role = fields.String()
    rights = fields.List(fields.String())


@blp.route("/auth/login", methods=["POST"])
@throttled
@blp.arguments(LoginIn)
@blp.response(200, TokenOut)
@public
def login(body):
    """Exchange user name and password for a bearer token (ends the user's other sessions).

    An unknown user, a wrong password and a lock all answer 401 `invalid_credentials`; too many failures from
    one address or for one user name answer 429 `too_many_attempts`."""
    cfg = current_app.config
    try:
        user = auth_service.authenticate(db_session, username=body["username"], password=body["password"],
                                         address=request.remote_addr,
                                         lockout_threshold=cfg["LOCKOUT_THRESHOLD"],
                                         lockout_minutes=cfg["LOCKOUT_MINUTES"])
    except auth_service.AuthError as err:
        db_session.commit()  # keeps the failure count
        return problem(401, err.code, {
            "invalid_credentials": "Wrong user name or password; after repeated failures, sign-in from this "
                                   "address is locked for a while",
            "disabled": "Account disabled"}[err.code])
    token = auth_service.open_session(db_session, user, kind="api", remote_addr=request.remote_addr)
    db_session.commit()
    return {"token": token}


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
@logged_in
def logout():
    """End the session everywhere it is held."""
    auth_service.logout(db_session, request.headers["Authorization"][7:].strip())
    db_session.commit()


@blp.route("/me")
@blp.response(200, MeOut)
@logged_in
def me():
    """Who am I: user, role and rights."""
    u = current_user
    return {"id": u.id, "username": u.username, "name": u.name, "role": u.role_code,
            "rights": sorted(u.right_codes)}
