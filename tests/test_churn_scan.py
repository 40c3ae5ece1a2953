"""The churn scan: who gets a warning, exactly once, from beat's task, the API, the page button and the CLI."""
from datetime import date, datetime

from sqlalchemy import func, select

from app.churn.models import ChurnCase
from app.churn.scan_service import cutoff_for, run_scan
from processes.models import HumanTask, ProcessInstance
from celery_support import celery_configured, celery_eager  # noqa: F401  (fixtures)
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer, open_tasks  # noqa: F401  (fixtures)


def test_cutoff_is_strict_months_in_company_time():
    cutoff, cutoff_utc = cutoff_for(SCAN_AT_UTC, months=6, tz="Asia/Shanghai")
    assert cutoff == date(2029, 7, 5)
    assert cutoff_utc == datetime(2029, 7, 4, 16, 0)  # local midnight of the cutoff day, in UTC
    # 17:00 UTC on Friday is already Saturday in Shanghai
    assert cutoff_for(datetime(2030, 1, 4, 17, 0), months=6, tz="Asia/Shanghai")[0] == date(2029, 7, 5)
    assert cutoff_for(datetime(2030, 1, 4, 17, 0), months=6, tz="UTC")[0] == date(2029, 7, 4)


def _dataset(db, user):
    m1, m2 = user("manager1"), user("manager2")
    cs = {
        "one_day_over": make_customer(db, manager=m1, orders=[date(2029, 1, 1), date(2029, 7, 4)]),
        "exactly_six_months": make_customer(db, manager=m1, orders=[date(2029, 7, 5)]),
        "recent": make_customer(db, manager=m2, orders=[date(2028, 1, 1), date(2029, 12, 30)]),
        "never_ordered_old": make_customer(db, manager=m2, created_at=datetime(2029, 6, 1)),
        "never_ordered_new": make_customer(db, manager=m2, created_at=datetime(2029, 12, 1)),
        "lost": make_customer(db, manager=m1, status="lost", orders=[date(2028, 1, 1)]),
        "deleted": make_customer(db, manager=m1, status="deleted", orders=[date(2028, 1, 1)]),
        "open_case": make_customer(db, manager=m1, orders=[date(2028, 1, 1)]),
        "retained_before": make_customer(db, manager=m2, orders=[date(2028, 3, 1)]),
    }
    db.add(ChurnCase(customer_id=cs["open_case"].id, manager_id=m1.id, status="postponed",
                     last_order_date=date(2028, 1, 1), created_at=datetime(2029, 1, 1)))
    db.add(ChurnCase(customer_id=cs["retained_before"].id, manager_id=m2.id, status="retained",
                     last_order_date=date(2027, 1, 1), created_at=datetime(2028, 1, 1),
                     closed_at=datetime(2028, 3, 1)))
    db.flush()
    return cs


def _warned(db, cs):
    rows = db.execute(select(ChurnCase.customer_id, ChurnCase.last_order_date, ChurnCase.manager_id)
                      .where(ChurnCase.status == "warning")).all()
    by_id = {c.id: k for k, c in cs.items()}
    return {by_id[r.customer_id]: (r.last_order_date, r.manager_id) for r in rows}


def test_scan_warns_exactly_the_churned_customers_in_their_managers_inbox(db, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    cs = _dataset(db, user)
    m1, m2 = user("manager1"), user("manager2")
    result = run_scan(db, months=6, tz="Asia/Shanghai", batch_size=2)
    assert (result.candidates, result.created, result.skipped) == (3, 3, 0)
    assert _warned(db, cs) == {"one_day_over": (date(2029, 7, 4), m1.id),
                               "never_ordered_old": (None, m2.id),
                               "retained_before": (date(2028, 3, 1), m2.id)}
    for case_id in result.case_ids:
        case = db.get(ChurnCase, case_id)
        inst = db.scalar(select(ProcessInstance).where(ProcessInstance.definition_key == "customer_churn",
                                                       ProcessInstance.business_key == str(case_id)))
        assert inst.status == "running" and inst.subject == case.customer.name
        [task] = open_tasks(db, case_id)
        assert (task.bpmn_id, task.role, task.assignee_id) == ("handle_warning", "customer_manager", case.manager_id)


def test_a_second_scan_adds_nothing(db, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    _dataset(db, user)
    first = run_scan(db, months=6, tz="Asia/Shanghai")
    cases, tasks = db.scalar(select(func.count(ChurnCase.id))), db.scalar(select(func.count(HumanTask.id)))
    second = run_scan(db, months=6, tz="Asia/Shanghai")
    assert first.created == 3 and (second.candidates, second.created) == (0, 0)
    assert db.scalar(select(func.count(ChurnCase.id))) == cases
    assert db.scalar(select(func.count(HumanTask.id))) == tasks


def test_admin_queues_the_scan_from_the_api_follows_it_and_others_may_not(db, api, user, clock_at, churn_model,
                                                                           celery_eager):
    clock_at(SCAN_AT_UTC)
    _dataset(db, user)
    c, h = api("manager1")
    assert c.post("/api/v1/churn-cases/scan", headers=h).status_code == 403
    c, h = api("admin")
    resp = c.post("/api/v1/churn-cases/scan", headers=h)
    assert resp.status_code == 202
    body = resp.get_json()
    assert resp.headers["Location"] == body["href"] == f"/api/v1/churn-cases/scans/{body['id']}"
    followed = c.get(resp.headers["Location"], headers=h).get_json()  # the worker (here: eager) has run it
    assert followed["status"] == "done"
    assert followed["result"] == {"cutoff": "2029-07-05", "candidates": 3, "created": 3, "skipped": 0}
    assert db.scalar(select(func.count(ChurnCase.id)).where(ChurnCase.status == "warning")) == 3
    again = c.post("/api/v1/churn-cases/scan", headers=h).get_json()
    assert c.get(again["href"], headers=h).get_json()["result"]["created"] == 0
    assert c.get(again["href"], headers=api("manager1")[1]).status_code == 403


def test_admin_runs_the_scan_from_the_list_page(db, login, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    _dataset(db, user)
    assert "run-scan" not in login("manager1").get("/churn/").get_data(as_text=True)
    admin = login("admin")
    assert 'id="run-scan"' in admin.get("/churn/").get_data(as_text=True)
    page = admin.post("/churn/scan", follow_redirects=True).get_data(as_text=True)
    assert "新增 3 条预警" in page
    assert login("manager1").post("/churn/scan").status_code == 403


def test_cli_runs_the_scan(app, db, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    _dataset(db, user)
    out = app.test_cli_runner().invoke(args=["churn-scan"])
    assert out.exit_code == 0, out.output
    assert "3 new cases" in out.output
    assert db.scalar(select(func.count(ChurnCase.id)).where(ChurnCase.status == "warning")) == 3


def test_demo_seed_warns_silent_customers_once_and_handles_two(app, db, churn_model):
    from app.catalog import seed as catalog_seed
    from app.churn import seed as churn_seed
    from app.customers import seed as customer_seed
    catalog_seed.seed_demo(db)
    customer_seed.seed_demo(db)
    with app.app_context():
        churn_seed.seed_demo(db)
        statuses = sorted(db.scalars(select(ChurnCase.status)))
        churn_seed.seed_demo(db)
        assert sorted(db.scalars(select(ChurnCase.status))) == statuses
    assert statuses.count("postponed") == 1 and statuses.count("confirmed") == 1 and statuses.count("warning") > 5


def test_a_queued_scan_reads_as_queued_until_a_worker_takes_it_and_an_unknown_id_is_404(db, api, user,
                                                                                           celery_configured):
    # A broker with no worker behind it: the scan stays queued, and its link says so.
    celery_configured(task_always_eager=False, broker_url="memory://", result_backend="cache+memory://")
    c, h = api("admin")
    resp = c.post("/api/v1/churn-cases/scan", headers=h)
    assert resp.status_code == 202
    followed = c.get(resp.headers["Location"], headers=h)
    assert followed.status_code == 200 and followed.get_json()["status"] == "queued"
    unknown = c.get("/api/v1/churn-cases/scans/0f9e3c4a-0000-4000-8000-000000000000", headers=h)
    assert unknown.status_code == 404
    assert unknown.get_json()["code"] == "not_found"


def test_queueing_a_scan_while_the_broker_is_down_answers_503_with_retry_after(db, api, user, celery_configured):
    # Nothing listens on port 1: the broker and its result store are down.
    celery_configured(task_always_eager=False, broker_url="redis://127.0.0.1:1/0",
                      result_backend="redis://127.0.0.1:1/0")
    c, h = api("admin")
    resp = c.post("/api/v1/churn-cases/scan", headers=h)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]
    assert resp.get_json()["code"] == "service_unavailable"
    assert c.get("/api/v1/churn-cases/scans/0f9e3c4a-0000-4000-8000-000000000000",
                 headers=h).status_code == 503
