"""The SQL statements of each hot path, counted (SQLAlchemy's before_cursor_execute), so that a change cannot
silently add round trips. Each test pins the request's own statements exactly ("work": without the statements
that open and end its transaction) and bounds the whole request (authentication included: session, user and
rights are resolved by app/auth, counted apart by Statements.split and only bounded here).

The compositions are written next to each number; the same on SQLite and PostgreSQL unless a comment says so.
A failure prints the statements, numbered, to show which one came or went.
"""
import pytest

from fixtures.sales_support import OPP, open_tasks, sales_api, sales_deployed  # noqa: F401 (fixtures)
from statement_log import counting
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401 (fixtures)

# Authentication (app/auth, pinned exactly in test_auth_statements.py, only bounded here): one SELECT of the
# session with its user, role and right codes (on SQLite a commit ends that read).
AUTH_BEARER_MAX = 1
AUTH_COOKIE_MAX = 1


def _check(statements, *, work, total_max, what, auth_max):
    """`total_max` allows 4 control statements on top: the test's savepoints around authentication (SQLite) and
    around the request's own transaction."""
    auth, own = statements.split()
    detail = f"{what}: {len(own)} statements of its own, {len(auth)} for authentication:\n{statements.summary()}"
    assert len(own) == work, detail
    assert len(auth.without_control()) <= auth_max, detail
    assert len(statements) <= total_max, detail


@pytest.fixture
def sqlite(engine):
    return engine.dialect.name == "sqlite"


def test_task_completion_over_the_api(sales_api, user, db, engine, sales_deployed, sqlite):
    """The sales assignment: user task `assign` -> service task sales.assign -> user task `develop`."""
    c, h = sales_api("manager1")
    opp = c.post("/api/v1/opportunities", json=OPP, headers=h).get_json()
    [task] = open_tasks(db, opp["id"])
    s, hs = sales_api("supervisor")
    manager_id = user("manager1").id
    db.expunge_all()  # the requests share the test's session: nothing read here may spare them a statement
    db.commit()  # and nothing of the test's own transaction is left to count
    with counting(engine) as statements:
        resp = s.post(f"/api/v1/tasks/{task.id}/complete", headers=hs, json={"data": {"assignee_id": manager_id}})
    assert resp.status_code == 200 and [st["bpmn_id"] for st in resp.get_json()["current_steps"]] == ["develop"]
    # 1 lock + instance + definition + open inbox rows (one SELECT ... FOR UPDATE; SQLite: + 1 no-op UPDATE that
    #   takes the write lock)
    # 1 the form's x-users check (is the assignee an active customer manager? one row)
    # 1 SAVEPOINT of the step (opened by its only operation)
    # 1 the operation sales.assign: UPDATE opportunity ... WHERE live RETURNING id, no load first (the assignee's
    #   check is the form's, remembered until the session writes)
    # 1 RELEASE SAVEPOINT
    # 1 the engine write (PostgreSQL: instance + closed task + new task + history in one statement;
    #   SQLite: 4 statements)
    # the answer's current steps come from the write (no read back)
    work = 6 + (4 if sqlite else 0)
    _check(statements, work=work, total_max=work + 4 + AUTH_BEARER_MAX, what="POST /api/v1/tasks/{id}/complete",
           auth_max=AUTH_BEARER_MAX)


def test_a_process_start_the_service_request(clients, db, engine, service_data, sqlite):
    create_via_api(clients)  # the first start of a process parses its model: not what is counted
    db.expunge_all()
    db.commit()
    c, h = clients("service1")
    with counting(engine) as statements:
        resp = c.post("/api/v1/service-requests", headers=h, json={
            "type": "投诉", "summary": "复印机卡纸", "customer_no": "KHT0001", "request": "客户来电：复印机卡纸。"})
    assert resp.status_code == 201 and resp.get_json()["current_steps"] == ["dispatch"], resp.get_json()
    assert resp.get_json()["customer_no"] == "KHT0001"
    # 1 the service types (dictionary), 1 the customer (visible to this user?), 1 INSERT service_request,
    # 1 the latest definition (without the diagram's text: the parsed model is cached), 1 INSERT process_instance,
    # 1 the engine write (state + first inbox row + history; SQLite: 3)
    # a new instance has no inbox rows to read; the answer's customer and steps are the ones just written
    work = 6 + (2 if sqlite else 0)
    _check(statements, work=work, total_max=work + 4 + AUTH_BEARER_MAX, what="POST /api/v1/service-requests",
           auth_max=AUTH_BEARER_MAX)


def test_a_domain_step_the_service_dispatch(clients, user, db, engine, service_data, sqlite):
    sr = create_via_api(clients)
    c, h = clients("supervisor")
    manager_id = user("manager1").id
    db.expunge_all()  # the requests share the test's session: nothing read here may spare them a statement
    db.commit()  # and nothing of the test's own transaction is left to count
    with counting(engine) as statements:
        resp = c.post(f"/api/v1/service-requests/{sr['id']}/dispatch", headers=h, json={"assignee": manager_id})
    assert resp.status_code == 200 and resp.get_json()["current_steps"] == ["handle"], resp.get_json()
    # 1 the request with its customer (service domain: may this user see it?)
    # 0 the assignee (is it an active customer manager?): here the customer's own manager, already read with the
    #   customer; another manager costs 1
    # 1 lock + instance + definition + open rows, deciding between dispatch and its escalated copy (SQLite: + 1
    #   no-op UPDATE)
    # 1 the form's x-users choices, 1 SAVEPOINT of the step, 0 the request and the assignee again (operation
    #   service.assign: both already in the session), 1 UPDATE service_request, 1 RELEASE, 1 the engine write
    #   (SQLite: 4)
    # the answer is the request as the step left it and the steps the write opened: nothing is read back
    work = 7 + (4 if sqlite else 0)
    _check(statements, work=work, total_max=work + 4 + AUTH_BEARER_MAX,
           what="POST /api/v1/service-requests/{id}/dispatch", auth_max=AUTH_BEARER_MAX)


@pytest.fixture
def waiting(sales_api, sales_deployed):
    """Two opportunities waiting in the supervisor's inbox (lane sales_supervisor)."""
    c, h = sales_api("manager1")
    for _ in range(2):
        assert c.post("/api/v1/opportunities", json=OPP, headers=h).status_code == 201


def test_the_inbox_page(login, engine, db, waiting):
    c = login("supervisor")
    c.get("/inbox/")
    with counting(engine) as statements:
        html = c.get("/inbox/").get_data(as_text=True)
    assert html.count(OPP["customer_name"]) >= 2
    # 1 the tabs' counts (Mine / My role / All I may see, one statement; the open tab's is the page's count), 1 the
    # page's rows (its ids picked from the indexes and joined to their rows), 1 the menu's badges (all of them,
    # app.common.ui.badge_counts). The deployed processes' names (filter choices) come from the process's copy
    # while no deployment happened (app.common.reference_cache; the sign-in read the generation).
    _check(statements, work=3, total_max=3 + 4 + AUTH_COOKIE_MAX, what="GET /inbox/",
           auth_max=AUTH_COOKIE_MAX)


def test_the_inbox_api(sales_api, engine, db, waiting):
    c, h = sales_api("supervisor")
    with counting(engine) as statements:
        resp = c.get("/api/v1/tasks", headers=h)
    assert resp.status_code == 200 and resp.get_json()["total"] == 2
    # 1 the count (up to 100), 1 the page's rows (its ids picked from the indexes and joined to their rows)
    _check(statements, work=2, total_max=2 + 4 + AUTH_BEARER_MAX, what="GET /api/v1/tasks",
           auth_max=AUTH_BEARER_MAX)


def test_the_customer_list_page(login, engine, db):
    c = login("manager1")
    c.get("/customers/")
    with counting(engine) as statements:
        assert c.get("/customers/").status_code == 200
    # 1 the count, 1 the page, 1 the menu's badges (a manager sees no other managers: no manager list). The levels
    # and regions (dictionary) come from the process's copy while the dictionary is unchanged
    # (app.common.reference_cache; the sign-in read the generation).
    _check(statements, work=3, total_max=3 + 4 + AUTH_COOKIE_MAX, what="GET /customers/",
           auth_max=AUTH_COOKIE_MAX)


def test_me(api, engine, db):
    c, h = api("manager1")
    with counting(engine) as statements:
        assert c.get("/api/v1/me", headers=h).status_code == 200
    # Nothing but authentication.
    _check(statements, work=0, total_max=4 + AUTH_BEARER_MAX, what="GET /api/v1/me", auth_max=AUTH_BEARER_MAX)


def test_the_menu_counts_every_badge_in_one_statement(app, db, engine, user):
    from app.common.ui import badge_counts
    supervisor = user("supervisor")
    assert supervisor.right_codes  # a signed-in user's rights come with the session (test_auth_statements.py)
    with app.test_request_context("/"):
        with counting(engine) as statements:
            counts = badge_counts(db, supervisor)
    # The supervisor sees several badges (inbox, to assign, to dispatch, ...): all in one statement.
    assert len(counts) >= 3, counts
    assert len(statements) == 1, statements.summary()
