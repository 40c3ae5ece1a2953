"""Signing a request in is one statement: the session, its user, the user's role and rights read together, and
no commit unless something changed (the idle clock is moved at most once a minute). Every request pays this, so
a change that adds a round trip here slows every page and API call."""
from datetime import timedelta

from sqlalchemy import select

from statement_log import counting

from app.auth.models import UserSession


def _own(statements):
    """The statements without the transaction control the test's savepoints add."""
    return statements.without_control()


def test_who_am_i_over_the_api_is_one_statement_and_no_commit_on_postgresql(api, engine):
    c, h = api("manager1")
    c.get("/api/v1/me", headers=h)  # first request of a process fills what it caches
    with counting(engine) as statements:
        resp = c.get("/api/v1/me", headers=h)
    assert resp.status_code == 200 and resp.get_json()["username"] == "manager1"
    assert "customer.view" in resp.get_json()["rights"]
    assert len(_own(statements)) == 1, statements.summary()
    ended = statements.matching("RELEASE SAVEPOINT") + statements.matching("COMMIT")
    # SQLite ends the read at once (a later write must not upgrade a stale read snapshot); it costs no round trip.
    assert len(ended) == (1 if engine.dialect.name == "sqlite" else 0), statements.summary()


def test_a_page_signs_in_with_one_statement(login, engine, user):
    c = login("manager1")
    c.get("/customers/")
    with counting(engine) as statements:
        resp = c.get("/customers/")
    assert resp.status_code == 200 and user("manager1").name in resp.get_data(as_text=True)
    auth, _work = statements.split()
    assert len(_own(auth)) == 1, statements.summary()


def test_the_idle_clock_is_moved_once_a_minute_and_then_committed(api, engine, db):
    c, h = api("manager1")
    row = db.scalar(select(UserSession).where(UserSession.ended_at.is_(None)))
    row.last_seen_at -= timedelta(minutes=5)
    before = row.last_seen_at
    db.flush()
    with counting(engine) as statements:
        assert c.get("/api/v1/me", headers=h).status_code == 200
    assert statements.matching("UPDATE user_session"), statements.summary()
    db.expire_all()
    assert db.get(UserSession, row.id).last_seen_at > before
