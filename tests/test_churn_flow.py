"""The customer_churn process end to end: postpone (measures accumulate while the task stays open, the re-check
timer beside it closes as retained on an order), confirm at any time (customer lost), an instance on the previous
model finishing there, a new order closing the case, wrong steps (409) and another manager refused."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.churn.models import ChurnCase
from app.churn.scan_service import run_scan
from app.common.errors import ValidationFailed
from app.inbox import actor_for
from processes import runtime
from processes.errors import TaskForbidden
from processes.models import ProcessInstance
from test_churn_data import (SCAN_AT_UTC, add_order, advance_clock, churn_model, clock_at,  # noqa: F401
                             make_customer, open_tasks)


class CaseRef:
    """The warned case by id: API requests end the shared session, so rows are read again on every access."""

    def __init__(self, db, case_id):
        self.db, self.id = db, case_id

    def __getattr__(self, name):
        return getattr(self.db.get(ChurnCase, self.id), name)


@pytest.fixture
def case(db, user, clock_at, churn_model):
    """manager1's customer, last order 2029-03-01, warned by the Saturday scan."""
    clock_at(SCAN_AT_UTC)
    cust = make_customer(db, name="流失测试客户", manager=user("manager1"), orders=[date(2029, 3, 1)])
    [case_id] = run_scan(db, months=6, tz="Asia/Shanghai").case_ids
    assert db.get(ChurnCase, case_id).customer_id == cust.id
    return CaseRef(db, case_id)


def _instance(db, case):
    return db.scalar(select(ProcessInstance).where(ProcessInstance.definition_key == "customer_churn",
                                                   ProcessInstance.business_key == str(case.id)))


def _fire_timers(db):
    fired = []
    while (inst := runtime.fire_due_timers(db, exclude=[i.id for i in fired])) is not None:
        fired.append(inst)
    return fired


def test_postpone_twice_measures_accumulate_then_confirm_at_any_time(db, api, user, case):
    c, h = api("manager1")
    resp = c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "拜访客户并提供季度折扣"}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "postponed" and body["customer_no"] == case.customer.no
    assert [(m["text"], m["by"]) for m in body["measures"]] == [("拜访客户并提供季度折扣", user("manager1").id)]
    # The case stays open with the manager: the task is still in the inbox, the re-check waits beside it.
    [task] = open_tasks(db, case.id)
    assert (task.bpmn_id, task.assignee_id) == ("handle_warning", user("manager1").id)
    inst = _instance(db, case)
    assert abs((inst.next_timer_at - (SCAN_AT_UTC + timedelta(days=30))).total_seconds()) < 60
    assert abs((task.due_at - inst.next_timer_at).total_seconds()) < 1  # the task shows when it is re-checked

    advance_clock(timedelta(days=1))
    c, h = api("manager1")  # a day later: signed in again
    second = c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "第二次回访"}, headers=h)
    assert second.status_code == 200, second.get_json()
    assert [m["text"] for m in second.get_json()["measures"]] == ["拜访客户并提供季度折扣", "第二次回访"]
    # every measure re-arms the re-check from now
    assert _instance(db, case).next_timer_at > SCAN_AT_UTC + timedelta(days=30, hours=12)

    done = c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "已转向竞争对手"}, headers=h)
    assert done.status_code == 200 and done.get_json()["status"] == "confirmed"
    assert [m["text"] for m in done.get_json()["measures"]] == ["拜访客户并提供季度折扣", "第二次回访"]
    assert open_tasks(db, case.id) == [] and _instance(db, case).status == "completed"
    assert _instance(db, case).next_timer_at is None and _fire_timers(db) == []


def test_the_recheck_fires_while_the_task_is_open_and_leaves_it_open_without_an_order(db, api, user, case):
    c, h = api("manager1")
    c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "电话回访"}, headers=h)
    inst_id = _instance(db, case).id
    advance_clock(timedelta(days=29))
    assert _fire_timers(db) == []
    advance_clock(timedelta(days=2))
    assert [i.id for i in _fire_timers(db)] == [inst_id]
    [task] = open_tasks(db, case.id)  # no order since: still the manager's, nothing more waits
    assert (task.bpmn_id, task.assignee_id) == ("handle_warning", user("manager1").id)
    assert case.status == "postponed" and _instance(db, case).next_timer_at is None
    c, h = api("manager1")  # a month later: the idle session has expired
    assert c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "第二次回访"},
                  headers=h).status_code == 200
    got = c.get(f"/api/v1/churn-cases/{case.id}", headers=h).get_json()
    assert [m["text"] for m in got["measures"]] == ["电话回访", "第二次回访"]
    assert all(m["at"] and m["by"] == user("manager1").id for m in got["measures"])
    assert _instance(db, case).next_timer_at is not None  # re-armed


def test_an_instance_on_the_previous_model_still_finishes_on_it(db, api, user, clock_at):
    """Cases warned before this model was deployed keep their version: postpone waits for the re-check there."""
    from app.config import ROOT
    from processes.definitions import deploy_model
    from processes.models import ProcessDefinition
    clock_at(SCAN_AT_UTC)
    old, _ = deploy_model(db, (ROOT / "tests" / "fixtures" / "customer_churn_v1.bpmn").read_text(encoding="utf-8"),
                          filename="customer_churn.bpmn", forms_dir=ROOT / "forms")
    make_customer(db, name="旧版本客户", manager=user("manager1"), orders=[date(2029, 3, 1)])
    [case_id] = run_scan(db, months=6, tz="Asia/Shanghai").case_ids
    case = CaseRef(db, case_id)
    new, _ = deploy_model(db, (ROOT / "bpmn-models" / "customer_churn.bpmn").read_text(encoding="utf-8"),
                          filename="customer_churn.bpmn", forms_dir=ROOT / "forms")
    assert new.version > old.version and _instance(db, case).definition_id == old.id
    c, h = api("manager1")
    assert c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "旧流程暂缓"}, headers=h).status_code == 200
    assert open_tasks(db, case.id) == []  # the old model waits for the timer
    advance_clock(timedelta(days=31))
    _fire_timers(db)
    [task] = open_tasks(db, case.id)
    c, h = api("manager1")
    assert c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "旧流程确认"}, headers=h).status_code == 200
    assert case.status == "confirmed" and _instance(db, case).status == "completed"
    assert db.get(ProcessDefinition, _instance(db, case).definition_id).version == old.version


def test_recheck_closes_as_retained_when_the_customer_ordered_since(db, api, case):
    c, h = api("manager1")
    c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "电话回访"}, headers=h)
    add_order(db, case.customer, date(2030, 1, 20))  # arrived without the order hook (e.g. a bulk seed)
    advance_clock(timedelta(days=31))
    _fire_timers(db)
    assert case.status == "retained" and case.closed_at is not None
    assert _instance(db, case).status == "completed" and open_tasks(db, case.id) == []


def test_after_a_transfer_the_recheck_hands_the_case_to_the_new_manager(db, api, user, case):
    from app.customers.transfer_service import transfer_customer
    c, h = api("manager1")
    c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "电话回访"}, headers=h)
    transfer_customer(db, case.customer, new_manager_id=user("manager2").id, user=user("supervisor"))
    advance_clock(timedelta(days=31))
    _fire_timers(db)
    [task] = open_tasks(db, case.id)
    assert task.assignee_id == user("manager2").id and case.manager_id == user("manager2").id
    m2, h2 = api("manager2")
    resp = m2.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "新经理确认流失"}, headers=h2)
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"


def test_postpone_through_the_inbox_task_page(db, login, user, case):
    [task] = open_tasks(db, case.id)
    c = login("manager1")
    assert f"/churn/{case.id}" in c.get("/inbox/").get_data(as_text=True)  # the inbox links to the case page
    bad = c.post(f"/inbox/tasks/{task.id}", data={"decision": "postpone", "measure": ""})
    assert bad.status_code == 422
    resp = c.post(f"/inbox/tasks/{task.id}", data={"decision": "postpone", "measure": "寄送新品样品"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert case.status == "postponed" and [m.text for m in case.measures] == ["寄送新品样品"]
    assert case.measures[0].by_id == user("manager1").id and case.measures[0].at is not None
    [next_task] = open_tasks(db, case.id)  # open again for the next measure or the confirmation
    assert next_task.id != task.id and next_task.bpmn_id == "handle_warning"


def test_postpone_through_the_tasks_api(db, api, user, case):
    [task] = open_tasks(db, case.id)
    c, h = api("manager1")
    resp = c.post(f"/api/v1/tasks/{task.id}/complete", headers=h,
                  json={"data": {"decision": "postpone", "measure": "安排技术交流会"}})
    assert resp.status_code == 200, resp.get_json()
    assert case.status == "postponed" and [m.text for m in case.measures] == ["安排技术交流会"]


def test_confirm_by_api_marks_the_customer_lost(db, api, case):
    c, h = api("manager1")
    resp = c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "客户已转向竞争对手"}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "confirmed" and body["reason"] == "客户已转向竞争对手" and body["confirmed_at"]
    assert case.customer.status == "lost" and _instance(db, case).status == "completed"
    assert c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "x"}, headers=h).status_code == 409


def test_confirm_through_the_tasks_api(db, api, case):
    [task] = open_tasks(db, case.id)
    c, h = api("manager1")
    missing = c.post(f"/api/v1/tasks/{task.id}/complete", headers=h, json={"data": {"decision": "confirm"}})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    resp = c.post(f"/api/v1/tasks/{task.id}/complete", headers=h,
                  json={"data": {"decision": "confirm", "reason": "公司已注销"}})
    assert resp.status_code == 200 and resp.get_json()["status"] == "completed"
    assert (case.status, case.reason, case.customer.status) == ("confirmed", "公司已注销", "lost")
    assert case.confirmed_at is not None


def test_confirm_through_the_inbox_task_page(db, login, case):
    [task] = open_tasks(db, case.id)
    resp = login("manager1").post(f"/inbox/tasks/{task.id}", data={"decision": "confirm", "reason": "业务萎缩"})
    assert resp.status_code == 302
    assert (case.status, case.reason, case.customer.status) == ("confirmed", "业务萎缩", "lost")


def test_the_inbox_form_requires_the_measure_or_the_reason(db, user, case):
    from processes.errors import FormInvalid
    [task] = open_tasks(db, case.id)
    with pytest.raises(FormInvalid) as err:
        runtime.complete_task(db, task.id, actor=actor_for(user("manager1")), data={"decision": "confirm"})
    assert "reason" in err.value.extra["errors"]
    with pytest.raises(ValidationFailed) as blank:  # whitespace passes the schema; the service task refuses it
        runtime.complete_task(db, task.id, actor=actor_for(user("manager1")),
                              data={"decision": "postpone", "measure": "   "})
    assert blank.value.errors["measure"] == ["Describe the retention measure taken."]
    assert case.status == "warning" and case.measures == [] and len(open_tasks(db, case.id)) == 1


def _product(db):
    product = Product(name="测试产品", unit="件", unit_price=10)
    db.add(product)
    db.flush()
    return product


def test_a_new_order_from_the_order_api_closes_the_case_as_retained(db, api, case):
    c, h = api("admin")
    resp = c.post("/api/v1/orders", headers=h, json={
        "order_no": "CHURN-RET-1", "customer_no": case.customer.no, "date": "2030-01-04", "status": "unpaid",
        "lines": [{"product_id": _product(db).id, "quantity": 2, "unit_price": "10.00"}]})
    assert resp.status_code in (200, 201), resp.get_json()
    assert case.status == "retained" and case.closed_at is not None
    assert _instance(db, case).status == "cancelled" and open_tasks(db, case.id) == []
    m, mh = api("manager1")
    assert m.get(f"/api/v1/churn-cases/{case.id}", headers=mh).get_json()["status"] == "retained"
    assert m.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "x"}, headers=mh).status_code == 409


def test_a_new_order_closes_a_postponed_case_waiting_for_its_recheck(db, api, case):
    from app.catalog.order_service import create_order
    c, h = api("manager1")
    c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "上门拜访"}, headers=h)
    create_order(db, data={"order_no": "CHURN-RET-2", "customer_no": case.customer.no, "date": "2030-01-04",
                           "status": "paid", "lines": [{"product_id": _product(db).id, "quantity": 1,
                                                        "unit_price": "10"}]})
    inst = _instance(db, case)
    assert case.status == "retained" and inst.status == "cancelled" and inst.next_timer_at is None


def test_a_back_dated_order_does_not_close_the_case(db, case):
    from app.catalog.order_service import create_order
    create_order(db, data={"order_no": "CHURN-OLD", "customer_no": case.customer.no, "date": "2029-02-01",
                           "status": "paid", "lines": [{"product_id": _product(db).id, "quantity": 1,
                                                        "unit_price": "10"}]})
    assert case.status == "warning" and len(open_tasks(db, case.id)) == 1


def test_another_manager_is_refused(db, api, login, user, case):
    c, h = api("manager2")
    assert c.get(f"/api/v1/churn-cases/{case.id}", headers=h).status_code == 404
    assert c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "x"}, headers=h).status_code == 404
    assert c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "x"}, headers=h).status_code == 404
    assert case.id not in [i["id"] for i in c.get("/api/v1/churn-cases", headers=h).get_json()["items"]]
    # the id, not the row: each request below ends by closing the session the test shares with the app
    [task_id] = [t.id for t in open_tasks(db, case.id)]
    assert c.post(f"/api/v1/tasks/{task_id}/complete", headers=h,
                  json={"data": {"decision": "confirm", "reason": "x"}}).status_code == 404  # not even known
    assert login("manager2").post(f"/inbox/tasks/{task_id}", data={"decision": "confirm", "reason": "x"}) \
        .status_code == 404
    with pytest.raises(TaskForbidden):
        runtime.complete_task(db, task_id, actor=actor_for(user("manager2")),
                              data={"decision": "confirm", "reason": "x"})
    assert case.status == "warning" and len(open_tasks(db, case.id)) == 1


def test_api_validation_errors_name_the_field(db, api, case):
    c, h = api("manager1")
    resp = c.post(f"/api/v1/churn-cases/{case.id}/postpone", json={"measure": "  "}, headers=h)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert "measure" in resp.get_json()["errors"]
    resp = c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={"reason": "x" * 2001}, headers=h)
    assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]
    assert c.post(f"/api/v1/churn-cases/{case.id}/confirm", json={}, headers=h).status_code == 422
