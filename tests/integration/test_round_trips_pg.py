"""What a request costs in round trips to PostgreSQL (app.db_lazy_begin), on an app with its own database and
real commits: a page that only reads sends its queries and nothing else (no BEGIN, no ROLLBACK), and a task
completion sends its BEGIN with the lock, its savepoint with the operation's first statement, and its RELEASE with
the engine's write. A change that brings back a round trip of its own fails here."""
import pytest

import app.db_lazy_begin as lazy
from app.db import db_session
from test_churn_pg import pg_database  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgresql
OPP = {"customer_name": "往返客户", "probability": 50, "summary": "往返", "contact": "张三",
       "contact_phone": "13800138000", "description": "round trips"}


@pytest.fixture(scope="module")
def crm(app, pg_database, engine):  # app: the process bindings its deploy checks against
    from app import create_app
    db_session.configure(join_transaction_mode="conditional_savepoint")
    application = create_app({"TESTING": True, "DATABASE_URL": pg_database.url, "SECRET_KEY": "test",
                              "WTF_CSRF_ENABLED": False, "DEPLOY_MODELS_AT_START": False,
                              "CELERY_BROKER_URL": "memory://"})
    try:
        yield application
    finally:
        db_session.remove()
        db_session.configure(bind=engine)
        application.extensions["db_engine"].dispose()


@pytest.fixture
def wire(monkeypatch):
    """Every query string sent to the server, one per round trip."""
    sent = []

    class Plain(lazy.ext.cursor):
        def execute(self, query, vars=None):
            sent.append(query)
            return super().execute(query, vars)

    original = lazy.LazyBeginCursor.send

    def send(self, query, vars):
        sent.append(query)
        return original(self, query, vars)
    monkeypatch.setattr(lazy.LazyBeginCursor, "send", send)
    monkeypatch.setattr(lazy.LazyBeginConnection, "plain_cursor", Plain)
    return sent


def _api(crm, username):
    c = crm.test_client()
    token = c.post("/api/v1/auth/login", json={"username": username, "password": "demo"}).get_json()["token"]
    return c, {"Authorization": f"Bearer {token}"}


def _assign_task(crm, c, h, n):
    """A new opportunity's assignment task."""
    from sqlalchemy import select

    from processes.models import HumanTask
    opportunity_id = c.post("/api/v1/opportunities", json={**OPP, "customer_name": f"往返客户{n}"},
                            headers=h).get_json()["id"]
    with crm.app_context():
        try:
            return db_session.scalar(select(HumanTask.id).where(
                HumanTask.process_key == "sales_opportunity", HumanTask.business_key == str(opportunity_id),
                HumanTask.completed_at.is_(None)))
        finally:
            db_session.remove()


def test_a_page_that_only_reads_sends_only_its_queries(crm, wire):
    c, h = _api(crm, "manager1")
    c.post("/api/v1/opportunities", json=OPP, headers=h)
    page = crm.test_client()
    assert page.post("/login", data={"username": "supervisor", "password": "demo"}).status_code == 302
    page.get("/inbox/")  # prepares what the next one runs
    wire.clear()
    assert OPP["customer_name"] in page.get("/inbox/").get_data(as_text=True)
    assert wire and all(q.startswith(("SELECT", "EXECUTE crm_prepared_r")) for q in wire), wire


def test_a_completion_sends_its_transaction_control_with_its_statements(crm, wire):
    c, h = _api(crm, "manager1")
    s, hs = _api(crm, "supervisor")
    manager = c.get("/api/v1/me", headers=h).get_json()["id"]
    for n in range(2):  # the second runs what the first prepared
        task_id = _assign_task(crm, c, h, n)
        wire.clear()
        resp = s.post(f"/api/v1/tasks/{task_id}/complete", headers=hs, json={"data": {"assignee_id": manager}})
        assert resp.status_code == 200, resp.get_json()
    alone = [q for q in wire if ";" not in q and q.startswith(("BEGIN", "SAVEPOINT ", "RELEASE SAVEPOINT "))]
    assert not alone, wire
    assert wire[0].startswith("EXECUTE crm_prepared_r")  # the sign-in: a read, before any transaction
    assert wire[1].startswith("BEGIN; EXECUTE crm_prepared_")  # the lock opens the transaction
    assert sum(q.startswith("BEGIN") for q in wire) == 1 and wire[-1] == "COMMIT"
    # sign-in, lock, the form's assignee check, the operation's update (no load first, app/common/record_update),
    # the engine's write, COMMIT
    assert len(wire) == 6, wire
