"""SPEC §2 login rules, each test fails if its rule is removed."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.guard import REMEMBER_COOKIE
from app.auth.seed import DEMO_USERS
from app.auth.models import UserSession
from processes import clock


@pytest.fixture
def moved_clock():
    def _move(**delta):
        clock.set_offset(timedelta(**delta))
    yield _move
    clock.set_offset(None)


def _sid(client):
    with client.session_transaction() as s:
        return s.get("sid")


def test_second_login_ends_the_first_with_signed_in_elsewhere(login):
    first = login("manager1")
    second = login("manager1")
    resp = first.get("/inbox/", follow_redirects=True)
    assert "/login" in resp.request.path
    assert "已在别处登录" in resp.get_data(as_text=True)
    assert second.get("/inbox/").status_code == 200


def test_api_token_of_older_session_answers_signed_in_elsewhere(api, login):
    c, headers = api("manager1")
    assert c.get("/api/v1/me", headers=headers).status_code == 200
    login("manager1")  # the browser login supersedes the API session
    resp = c.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "signed_in_elsewhere"


def test_idle_session_expires(login, moved_clock, app):
    c = login("manager1")
    moved_clock(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    resp = c.get("/inbox/", follow_redirects=True)
    assert "/login" in resp.request.path
    assert "登录已超时" in resp.get_data(as_text=True)


def test_activity_keeps_the_session_alive(login, moved_clock, app):
    c = login("manager1")
    idle = app.config["SESSION_IDLE_MINUTES"]
    for step in (1, 2, 3):
        moved_clock(minutes=step * (idle - 5))
        assert c.get("/inbox/").status_code == 200


def test_remember_me_signs_in_again_after_idle_expiry(login, moved_clock, app):
    c = login("manager1", remember=True)
    assert c.get_cookie(REMEMBER_COOKIE) is not None
    moved_clock(hours=5)
    assert c.get("/inbox/").status_code == 200


def test_logout_revokes_remember_me(login, moved_clock):
    c = login("manager1", remember=True)
    c.expect_signed_in = False  # signing out is the point
    cookie = c.get_cookie(REMEMBER_COOKIE).value
    c.post("/logout")
    other = login("manager2")  # any client
    other.expect_signed_in = False
    other.set_cookie(REMEMBER_COOKIE, cookie)
    with other.session_transaction() as s:
        s.clear()
    moved_clock(hours=1)
    assert other.get("/inbox/").status_code == 302


def test_password_change_revokes_remember_me(login, moved_clock, app):
    c = login("manager1", remember=True)
    c.expect_signed_in = False  # a password change ends the session: the point of the test
    cookie = c.get_cookie(REMEMBER_COOKIE).value
    resp = c.post("/password", data={"current": "demo", "new": "new-secret-1", "confirm": "new-secret-1"})
    assert resp.status_code == 302
    fresh = app.test_client()
    fresh.set_cookie(REMEMBER_COOKIE, cookie)
    assert fresh.get("/inbox/").status_code == 302


def test_repeated_failures_lock_the_account(client, app, login):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        assert client.post("/login", data={"username": "manager2", "password": "wrong"}).status_code == 401
    resp = client.post("/login", data={"username": "manager2", "password": "demo"})
    assert resp.status_code == 401
    assert "锁定" in resp.get_data(as_text=True)


def test_lock_ends_after_its_time(client, app, moved_clock):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        client.post("/login", data={"username": "manager2", "password": "wrong"})
    moved_clock(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    assert client.post("/login", data={"username": "manager2", "password": "demo"}).status_code == 302


def test_session_id_is_rotated_at_login(app, db):
    c = app.test_client()
    with c.session_transaction() as s:
        s["sid"] = "planted-by-attacker"
    c.post("/login", data={"username": "manager1", "password": "demo"})
    sid = _sid(c)
    assert sid and sid != "planted-by-attacker"
    c.post("/login", data={"username": "manager1", "password": "demo"})
    assert _sid(c) != sid


def test_session_secret_is_stored_only_as_a_hash(login, db):
    c = login("manager1")
    raw = _sid(c)
    assert db.scalar(select(UserSession).where(UserSession.token_hash == raw)) is None
    assert db.scalar(select(UserSession).where(
        UserSession.token_hash == hashlib.sha256(raw.encode()).hexdigest())) is not None


def test_legacy_md5_password_is_accepted_once_and_rehashed(client, db, user):
    u = user("manager2")
    u.password_hash = hashlib.md5(b"legacy-pass").hexdigest()
    db.flush()
    assert client.post("/login", data={"username": "manager2", "password": "legacy-pass"}).status_code == 302
    assert user("manager2").password_hash.startswith("$argon2")
    assert client.post("/login", data={"username": "manager2", "password": "legacy-pass"}).status_code == 302


def test_wrong_password_against_md5_hash_is_refused(client, db, user):
    u = user("manager2")
    u.password_hash = hashlib.md5(b"legacy-pass").hexdigest()
    db.flush()
    assert client.post("/login", data={"username": "manager2", "password": "other"}).status_code == 401


def test_logout_ends_the_api_session_too(api, login):
    c, headers = api("manager1")
    assert c.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert c.get("/api/v1/me", headers=headers).status_code == 401


def test_disabled_user_cannot_sign_in(client, db, user):
    user("manager2").active = False
    db.flush()
    resp = client.post("/login", data={"username": "manager2", "password": "demo"})
    assert resp.status_code == 401 and "停用" in resp.get_data(as_text=True)


def test_api_login_errors_are_problem_details(client):
    resp = client.post("/api/v1/auth/login", json={"username": "manager1", "password": "bad"})
    assert resp.status_code == 401 and resp.get_json()["code"] == "invalid_credentials"
    resp = client.post("/api/v1/auth/login", json={"username": ""})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == "validation_error" and "password" in body["errors"] and "username" in body["errors"]


def test_me_reports_role_and_rights(api):
    c, headers = api("supervisor")
    me = c.get("/api/v1/me", headers=headers).get_json()
    assert me["role"] == "sales_supervisor" and "opportunity.assign" in me["rights"]


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_every_role_lands_on_a_page_it_may_open(app, db, username):
    """After login and from "/", each demo user reaches a page of their own menu (an executive has no inbox)."""
    c = app.test_client()
    resp = c.post("/login", data={"username": username, "password": "demo"})
    assert resp.status_code == 302
    landing = resp.headers["Location"]
    assert c.get(landing).status_code == 200, landing
    assert c.get("/").headers["Location"] == landing


@pytest.mark.parametrize("username, landing", [
    ("admin", "/admin/users"), ("analyst", "/processes/definitions"), ("executive", "/reports/dashboards"),
    ("supervisor", "/inbox/"), ("manager1", "/inbox/"), ("service1", "/inbox/")])
def test_each_role_starts_on_its_own_work(app, db, username, landing):
    """The admin starts on the users, the analyst on the models, the executive on the dashboards, the roles that
    work tasks on their inbox (not on an always-empty inbox or a list they did not come for)."""
    c = app.test_client()
    resp = c.post("/login", data={"username": username, "password": "demo"})
    assert resp.headers["Location"] == landing
