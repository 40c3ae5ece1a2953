"""Test fixtures: one schema per run built by the migrations, one transaction per test rolled back at the end.

TEST_DATABASE_URL picks the database (default: a SQLite file); CI runs the suite on SQLite and on PostgreSQL.
"""
import os
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.cli import upgrade_database
from app.db import db_session, drop_all, ensure_database, make_engine

_TMP = Path(tempfile.mkdtemp(prefix="crm-test-"))
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite'}"




def _reset_schema(engine):
    from app.models import load_all_models
    load_all_models()
    drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def engine():
    ensure_database(DATABASE_URL)
    eng = make_engine(DATABASE_URL)
    _reset_schema(eng)
    upgrade_database(DATABASE_URL)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app(engine):
    application = create_app({"TESTING": True, "DATABASE_URL": DATABASE_URL, "WTF_CSRF_ENABLED": False,
                              "SECRET_KEY": "test", "DEPLOY_MODELS_AT_START": False})
    application.extensions["db_engine"] = engine
    with application.app_context():
        from app.auth.seed import seed_demo
        db_session.configure(bind=engine)
        seed_demo(db_session)
        db_session.commit()
        db_session.remove()
    return application


@pytest.fixture(autouse=True)
def _fresh_login_throttle():
    """Every test starts with no failed sign-ins counted (the throttle's memory outlives a test's transaction)."""
    from app.auth.throttle import limiter
    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()


@pytest.fixture
def db(app, engine):
    """A session on one connection whose outer transaction is rolled back after the test."""
    from flask import request_started
    conn = engine.connect()
    outer = conn.begin()
    db_session.remove()
    db_session.configure(bind=conn, join_transaction_mode="create_savepoint")

    def _commit_the_tests_work(sender, **extra):
        # A request shares this session and ends by closing it, which rolls back what is not committed: what the
        # test wrote before the request is committed first (into the outer transaction), as it would be in service.
        db_session.commit()
    request_started.connect(_commit_the_tests_work, app)
    try:
        yield db_session
    finally:
        request_started.disconnect(_commit_the_tests_work, app)
        db_session.remove()
        outer.rollback()
        conn.close()
        db_session.configure(bind=engine, join_transaction_mode="conditional_savepoint")  # the default


@pytest.fixture
def client(app, db):
    return app.test_client()


class SignedInClient(FlaskClient):
    expect_signed_in = True

    def open(self, *args, **kwargs):
        resp = super().open(*args, **kwargs)
        location = resp.headers.get("Location", "")
        if self.expect_signed_in and resp.status_code in (302, 303) and location.split("?")[0].endswith("/login"):
            raise AssertionError(f"the signed-in client was sent to the login page ({location}): its session "
                                 "ended, e.g. by a second login of the same user")
        return resp


@pytest.fixture
def login(app, db):
    """login('manager1') -> a test client signed in as that demo user.

    The client fails a request the app answers by sending it to the login page: its session ended, most often
    because the test signed the same user in again (pages and API share one live session per user), and a
    request that only reached the login page proves nothing. Tests of ending sessions set `expect_signed_in`
    to False."""
    def _login(username, password="demo", remember=False):
        c = app.test_client()
        c.__class__ = SignedInClient
        resp = c.post("/login", data={"username": username, "password": password,
                                      **({"remember": "y"} if remember else {})})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c
    return _login


@pytest.fixture
def api(app, db):
    """api('manager1') -> (client, headers) with a bearer token for that user."""
    def _api(username, password="demo"):
        c = app.test_client()
        resp = c.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return c, {"Authorization": f"Bearer {resp.get_json()['token']}"}
    return _api


@pytest.fixture
def user(db):
    """user('manager1') -> the User row."""
    from sqlalchemy import select
    from app.auth.models import User

    def _user(username):
        return db.scalar(select(User).where(User.username == username))
    return _user
