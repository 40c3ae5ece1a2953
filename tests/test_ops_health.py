"""What an operator and a load balancer see: /health and /health/ready (which node, what is down), a request id
on every answer, one JSON log line per request, and a database outage answered 503 + Retry-After."""
import io
import json
import logging
import os
import socket

import pytest

from app.common import json_logging
from app.db import db_session
from celery_support import celery_eager  # noqa: F401  (fixture)


@pytest.fixture
def ready_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "memory://")
    monkeypatch.setenv("NODE_NAME", "node-test:8081")
    return app


def test_health_and_ready_are_public_and_name_the_node(client, ready_app):
    assert client.get("/health").get_json() == {"status": "ok", "node": "node-test:8081"}
    resp = client.get("/health/ready")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "node": "node-test:8081",
                               "checks": {"database": "ok", "broker": "ok"}}


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready_is_503_naming_the_broker_when_it_does_not_answer(client, ready_app, monkeypatch):
    monkeypatch.setitem(ready_app.config, "CELERY_BROKER_URL", f"redis://127.0.0.1:{_closed_port()}/5")
    resp = client.get("/health/ready")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["code"] == "not_ready" and body["down"] == ["broker"] and body["node"] == "node-test:8081"
    assert body["checks"]["database"] == "ok" and "unavailable" in body["checks"]["broker"]
    assert resp.headers["Retry-After"]


def test_ready_is_503_when_the_schema_is_behind_the_migrations(client, ready_app, db):
    from sqlalchemy import text
    db.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    resp = client.get("/health/ready")
    assert resp.status_code == 503
    assert resp.get_json()["down"] == ["database"]
    assert "schema at 0001" in resp.get_json()["checks"]["database"]


def test_every_answer_carries_a_request_id_and_keeps_a_sane_incoming_one(client):
    ids = {client.get("/health").headers["X-Request-Id"] for _ in range(2)}
    assert len(ids) == 2 and all(len(i) >= 16 for i in ids)
    assert client.get("/health", headers={"X-Request-Id": "lb-4711.abc"}).headers["X-Request-Id"] == "lb-4711.abc"
    for junk in ("two words", "x" * 300, "<script>", "a\u00e9b"):
        answered = client.get("/health", headers={"X-Request-Id": junk}).headers["X-Request-Id"]
        assert answered != junk and answered.isalnum()
    # pages, API errors and 404s too
    assert client.get("/no/such/page").headers["X-Request-Id"]
    assert client.get("/api/v1/customers").headers["X-Request-Id"]


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = json_logging.json_handler(logging.INFO, stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_request_logs_one_json_line_with_its_id_user_and_timing(api, user, json_lines):
    c, h = api("manager1")
    resp = c.get("/api/v1/customers?q=x", headers={**h, "X-Request-Id": "trace-1"})
    access = [r for r in json_lines() if r["logger"] == "crm.access" and r["request_id"] == "trace-1"]
    assert len(access) == 1
    line = access[0]
    assert {k: line[k] for k in ("level", "method", "path", "status", "user_id")} == {
        "level": "INFO", "method": "GET", "path": "/api/v1/customers", "status": resp.status_code,
        "user_id": user("manager1").id}
    assert line["time"] and isinstance(line["duration_ms"], float)


def test_engine_details_are_debug_lines_hidden_at_info(json_lines):
    logging.getLogger("spiff.task").info("Task state changed")
    logging.getLogger("crm.beat").info("beat lock taken")
    assert [r["message"] for r in json_lines()] == ["beat lock taken"]


def test_a_task_started_by_a_request_logs_that_requests_id(app, json_lines, celery_eager):
    """The id travels in the task message's headers (set when the task is published) into the worker's logs."""
    from scheduler import observability
    from scheduler.celery_app import celery
    from app.common.log_context import request_id_var

    @celery.task(name="crm.test_log_request_id", bind=True)
    def log_something(self):
        logging.getLogger("crm.test").info("inside the task")

    headers = {}
    token = request_id_var.set("req-42")
    try:
        observability._carry_request(headers=headers)  # what Celery calls when the request publishes the task
    finally:
        request_id_var.reset(token)
    assert headers[observability.HEADER_REQUEST_ID] == "req-42"
    log_something.apply(headers=headers)  # the worker's side: the task request carries the message headers
    assert [r["request_id"] for r in json_lines() if r["message"] == "inside the task"] == ["req-42"]
    assert request_id_var.get() is None


# --- a database outage -------------------------------------------------------------------------------------

@pytest.fixture
def dead_database_app(engine):
    """An app whose database does not answer (a closed port): what every node sees while PostgreSQL restarts."""
    from app import create_app
    url = f"postgresql://root@127.0.0.1:{_closed_port()}/crm"
    # tests/conftest.py's db fixture leaves a join mode SQLAlchemy 2.1 no longer knows; a plain session here
    db_session.configure(join_transaction_mode="conditional_savepoint")
    dead = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                       "DEPLOY_MODELS_AT_START": False, "CELERY_BROKER_URL": "memory://"})
    try:
        yield dead
    finally:
        db_session.remove()
        db_session.configure(bind=engine)
        dead.extensions["db_engine"].dispose()


def test_a_database_outage_answers_503_with_retry_after_and_one_log_line(dead_database_app, caplog):
    c = dead_database_app.test_client()
    with caplog.at_level(logging.INFO):
        resp = c.get("/api/v1/customers", headers={"Authorization": "Bearer abc"})
        page = c.post("/login", data={"username": "manager1", "password": "demo"})  # signing in meanwhile
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["code"] == "service_unavailable"
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Try again" in page.get_data(as_text=True) or "重试" in page.get_data(as_text=True)
    outage = [r for r in caplog.records if r.name == "crm.db"]
    assert len(outage) == 2 and all(r.levelname == "WARNING" and not r.exc_info for r in outage)
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    ready = c.get("/health/ready")
    assert ready.status_code == 503 and ready.get_json()["down"] == ["database"]
    assert c.get("/health").status_code == 200  # alive: the process answers


def test_the_database_going_away_mid_request_answers_503_with_the_users_id_logged(api, user, monkeypatch,
                                                                                   json_lines):
    """PostgreSQL restarting while a signed-in request runs: the request's query fails, and so does every later
    one (the signed-in user, expired by the rollback, must not be re-read to write the log line)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session
    import app.customers.api as customers_api

    c, h = api("manager1")
    manager_id = user("manager1").id

    class ServerClosed(Exception):
        pass

    def database_gone(*_a, **_kw):
        raise OperationalError("SELECT ...", {}, ServerClosed("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    def query_fails_then_database_gone(*_a, **_kw):
        # Outside the test's savepoint the rollback of a failed transaction expires every loaded row
        db_session.expire_all()
        monkeypatch.setattr(Session, "execute", database_gone)
        database_gone()
    monkeypatch.setattr(customers_api, "find_customers", query_fails_then_database_gone)
    resp = c.get("/api/v1/customers", headers={**h, "X-Request-Id": "pg-restart-1"})
    monkeypatch.undo()
    assert resp.status_code == 503 and resp.get_json()["code"] == "service_unavailable"
    lines = [r for r in json_lines() if r["request_id"] == "pg-restart-1"]
    assert [(r["logger"], r["level"], r["user_id"]) for r in lines] == [
        ("crm.db", "WARNING", manager_id), ("crm.access", "INFO", manager_id)]
