"""No user enumeration and no lock-out by one attacker (issue 13, item 6): an unknown user, a wrong password and
a locked account get the same answer for the same work, page and API; failed sign-ins are throttled per client
address and per user name; the lock after repeated failures holds one (user name, address) pair only."""
import hashlib
import re
from datetime import timedelta

import pytest

from app.auth import passwords
from processes import clock

ATTACKER = "198.51.100.66"
OWNER = "192.0.2.10"


@pytest.fixture
def moved_clock():
    def _move(**delta):
        clock.set_offset(timedelta(**delta))
    yield _move
    clock.set_offset(None)


@pytest.fixture
def limits(app):
    """limits(per_address=..., per_user=...) for one test."""
    saved = {k: app.config[k] for k in ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_USER")}

    def _set(per_address=None, per_user=None):
        if per_address:
            app.config["LOGIN_LIMIT_PER_ADDRESS"] = per_address
        if per_user:
            app.config["LOGIN_LIMIT_PER_USER"] = per_user
    yield _set
    app.config.update(saved)


@pytest.fixture
def argon2_calls(monkeypatch):
    """Counts argon2 verifications and hashings (the costly work of a sign-in)."""
    calls = {"verify": 0, "hash": 0}
    real = passwords._hasher

    class Counting:
        def __getattr__(self, name):
            attr = getattr(real, name)
            if name not in calls:
                return attr

            def counted(*args, **kwargs):
                calls[name] += 1
                return attr(*args, **kwargs)
            return counted
    monkeypatch.setattr(passwords, "_hasher", Counting())
    return calls


def _page(client, username, password, address=ATTACKER):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _api(client, username, password, address=ATTACKER):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _normalised(resp, username):
    body = resp.get_data(as_text=True).replace(username, "USER")
    return resp.status_code, re.sub(r'(name="csrf-token" content|name="(csrf_token|_form_token)"[^>]*value|nonce)="[^"]*"', "", body)


def _lock(app, client, username, address=ATTACKER):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        assert _page(client, username, "wrong", address).status_code == 401


def test_unknown_wrong_password_and_locked_get_the_same_page_for_the_same_work(app, client, argon2_calls):
    _lock(app, client, "manager2")
    answers, work = [], []
    for username, password in (("nobody-here", "demo"), ("manager1", "wrong"), ("manager2", "demo")):
        before = dict(argon2_calls)
        answers.append(_normalised(_page(client, username, password), username))
        work.append({k: argon2_calls[k] - before[k] for k in argon2_calls})
    assert answers[0][0] == 401
    assert answers[0] == answers[1] == answers[2]
    assert work == [{"verify": 1, "hash": 0}] * 3


def test_a_legacy_md5_user_costs_an_argon2_verification_too(client, db, user, argon2_calls):
    user("manager2").password_hash = hashlib.md5(b"legacy-pass").hexdigest()
    db.flush()
    assert _page(client, "manager2", "wrong").status_code == 401
    assert argon2_calls["verify"] == 1


def test_unknown_wrong_password_and_locked_get_the_same_api_problem(app, client):
    _lock(app, client, "manager2")
    answers = [(r.status_code, r.get_json()) for r in (_api(client, "nobody-here", "demo"),
                                                       _api(client, "manager1", "wrong"),
                                                       _api(client, "manager2", "demo"))]
    assert answers[0][0] == 401 and answers[0][1]["code"] == "invalid_credentials"
    assert answers[0] == answers[1] == answers[2]


def test_the_lock_holds_the_attackers_address_only(app, client, moved_clock):
    _lock(app, client, "admin")
    assert _page(client, "admin", "demo", ATTACKER).status_code == 401
    assert _page(client, "admin", "demo", OWNER).status_code == 302  # the owner, from elsewhere, gets in
    moved_clock(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    assert _page(client, "admin", "demo", ATTACKER).status_code == 302  # and from there after the lock time


def test_the_address_throttle_stops_one_address_trying_many_names(client, limits):
    limits(per_address="4 per 15 minutes")
    for name in ("manager1", "manager2", "nobody-1", "nobody-2"):
        assert _page(client, name, "wrong").status_code == 401
    blocked = [_page(client, name, password) for name, password in
               (("nobody-3", "x"), ("manager1", "wrong"), ("supervisor", "demo"))]
    assert {r.status_code for r in blocked} == {429}
    assert len({_normalised(r, name)[1] for r, name in zip(blocked, ("nobody-3", "manager1", "supervisor"))}) == 1
    resp = _api(client, "supervisor", "demo")  # page and API share the count
    assert resp.status_code == 429 and resp.get_json()["code"] == "too_many_attempts"
    assert _page(client, "supervisor", "demo", OWNER).status_code == 302  # other addresses are not held up


def test_successful_sign_ins_do_not_count(client, limits):
    limits(per_address="2 per 15 minutes")
    for _ in range(4):
        assert _page(client, "manager1", "demo").status_code == 302
    assert _page(client, "manager1", "wrong").status_code == 401


def test_the_user_name_throttle_stops_many_addresses_trying_one_name(client, limits):
    limits(per_user="3 per 15 minutes")
    for i in range(3):
        assert _api(client, "admin", "wrong", f"203.0.113.{i}").status_code == 401
    assert _api(client, "admin", "demo", "203.0.113.99").status_code == 429
    assert _api(client, "manager1", "demo", "203.0.113.99").status_code == 200


def test_one_address_cannot_reach_the_user_name_limit_by_default(app):
    from limits import parse
    per_address, per_user = (parse(app.config[k]) for k in ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_USER"))
    assert per_address.amount / per_address.get_expiry() < per_user.amount / per_user.get_expiry()
