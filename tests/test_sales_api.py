"""/api/v1/opportunities: the sales_opportunity process driven through the API, every outcome, the refusals."""
from sqlalchemy import func, select

from app.common.models import AuditRecord
from app.customers.models import Contact, Customer
from app.sales.models import Opportunity
from processes.models import HumanTask, ProcessInstance
from fixtures.sales_support import OPP, open_tasks, sales_api, sales_deployed  # noqa: F401 (fixtures)

URL = "/api/v1/opportunities"


def _create(sales_api, username="manager1", **over):
    c, h = sales_api(username)
    resp = c.post(URL, json={**OPP, **over}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _assigned(sales_api, user, opp_id=None, to="manager1"):
    opp_id = opp_id or _create(sales_api)["id"]
    c, h = sales_api("supervisor")
    resp = c.post(f"{URL}/{opp_id}/assign", json={"assignee": user(to).id}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_recording_starts_the_process_at_the_supervisors_assign_step(sales_api, user, db, sales_deployed):
    body = _create(sales_api)
    assert body["status"] == "unassigned" and body["created_by"] == user("manager1").id
    assert body["assignee_id"] is None and body["customer_no"] is None
    tasks = open_tasks(db, body["id"])
    assert [(t.bpmn_id, t.role, t.assignee_id) for t in tasks] == [("assign", "sales_supervisor", None)]
    c, h = sales_api("manager1")
    assert c.get(f"{URL}/{body['id']}", headers=h).get_json()["customer_name"] == OPP["customer_name"]


def test_unassigned_opportunity_can_be_edited_and_deleted_with_an_audit_record(sales_api, db, sales_deployed):
    opp = _create(sales_api)
    c, h = sales_api("manager1")
    resp = c.patch(f"{URL}/{opp['id']}", json={"summary": "改为年度采购", "probability": 60}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["summary"] == "改为年度采购"
    assert resp.get_json()["probability"] == 60
    assert c.delete(f"{URL}/{opp['id']}", headers=h).status_code == 204
    assert c.get(f"{URL}/{opp['id']}", headers=h).status_code == 404
    record = db.scalar(select(AuditRecord).where(AuditRecord.entity == "opportunity",
                                                 AuditRecord.entity_id == str(opp["id"]),
                                                 AuditRecord.action == "deleted"))
    assert record.data["customer_name"] == OPP["customer_name"] and record.data["summary"] == "改为年度采购"
    instance = db.scalar(select(ProcessInstance).where(ProcessInstance.business_key == str(opp["id"])))
    assert instance.status == "cancelled"
    assert open_tasks(db, opp["id"]) == []


def test_after_assignment_edit_and_delete_answer_409_naming_the_step(sales_api, user, sales_deployed):
    opp = _assigned(sales_api, user)
    assert opp["status"] == "in_development" and opp["assignee_id"] == user("manager1").id
    assert opp["assigned_at"]
    c, h = sales_api("supervisor")
    for resp in (c.patch(f"{URL}/{opp['id']}", json={"summary": "x"}, headers=h),
                 c.delete(f"{URL}/{opp['id']}", headers=h),
                 c.post(f"{URL}/{opp['id']}/assign", json={"assignee": user("manager2").id}, headers=h)):
        problem = resp.get_json()
        assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
        assert problem["code"] == "wrong_step"
        assert "develop" in str(problem["current_steps"])
    assert c.get(f"{URL}/{opp['id']}", headers=h).get_json()["summary"] == OPP["summary"]


def test_plan_items_results_and_close_as_success_create_the_customer(sales_api, user, db, sales_deployed):
    opp = _assigned(sales_api, user)
    c, h = sales_api("manager1")
    items = f"{URL}/{opp['id']}/plan-items"
    first = c.post(items, json={"date": "2030-03-02", "todo": "上门拜访采购部"}, headers=h)
    second = c.post(items, json={"date": "2030-03-09", "todo": "发送报价单"}, headers=h)
    assert first.status_code == 201 and second.status_code == 201
    extra = c.post(items, json={"date": "2030-03-20", "todo": "多余的一项"}, headers=h).get_json()
    assert c.delete(f"{items}/{extra['id']}", headers=h).status_code == 204
    moved = c.patch(f"{items}/{second.get_json()['id']}", json={"date": "2030-03-10"}, headers=h)
    assert moved.get_json()["date"] == "2030-03-10"
    done = c.patch(f"{items}/{first.get_json()['id']}", json={"result": "对方有意向"}, headers=h)
    assert done.status_code == 200 and done.get_json()["result"] == "对方有意向"
    listed = c.get(items, headers=h).get_json()["items"]
    assert [(i["date"], i["todo"], i["result"]) for i in listed] == [
        ("2030-03-02", "上门拜访采购部", "对方有意向"), ("2030-03-10", "发送报价单", None)]

    closed = c.post(f"{URL}/{opp['id']}/close", json={"outcome": "success"}, headers=h)
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["status"] == "succeeded" and body["customer_no"].startswith("KH")
    customer = db.scalar(select(Customer).where(Customer.no == body["customer_no"]))
    assert (customer.name, customer.manager_id, customer.level, customer.status) == (
        OPP["customer_name"], user("manager1").id, 1, "normal")
    contact = db.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert contact.name == OPP["contact"]
    assert OPP["contact_phone"] in (contact.mobile, contact.office_phone)
    # Closed is read-only: the plan and the process refuse further changes.
    again = c.post(items, json={"date": "2030-04-01", "todo": "太晚了"}, headers=h)
    assert again.status_code == 409 and again.get_json()["code"] == "wrong_step"
    assert c.post(f"{URL}/{opp['id']}/close", json={"outcome": "failure"}, headers=h).status_code == 409
    assert open_tasks(db, opp["id"]) == []


def test_close_as_failure_and_as_terminated_create_no_customer(sales_api, user, db, sales_deployed):
    before = db.scalar(select(func.count()).select_from(Customer))
    c, h = sales_api("manager1")
    for outcome, status in (("failure", "failed"), ("terminated", "terminated")):
        opp = _assigned(sales_api, user)
        resp = c.post(f"{URL}/{opp['id']}/close", json={"outcome": outcome}, headers=h)
        assert resp.status_code == 200 and resp.get_json()["status"] == status
        assert resp.get_json()["customer_no"] is None and resp.get_json()["closed_at"]
    assert db.scalar(select(func.count()).select_from(Customer)) == before


def test_close_before_assignment_answers_409_naming_the_assign_step(sales_api, sales_deployed):
    opp = _create(sales_api)
    c, h = sales_api("manager1")
    resp = c.post(f"{URL}/{opp['id']}/close", json={"outcome": "success"}, headers=h)
    assert resp.status_code == 409 and "assign" in str(resp.get_json()["current_steps"])
    resp = c.post(f"{URL}/{opp['id']}/plan-items", json={"date": "2030-03-02", "todo": "x"}, headers=h)
    assert resp.status_code == 409


def test_a_manager_is_refused_on_another_managers_opportunity(sales_api, user, sales_deployed):
    opp = _assigned(sales_api, user, to="manager1")
    c, h = sales_api("manager2")
    assert c.get(f"{URL}/{opp['id']}", headers=h).status_code == 404
    assert c.get(f"{URL}/{opp['id']}/plan-items", headers=h).status_code == 404
    assert c.post(f"{URL}/{opp['id']}/plan-items", json={"date": "2030-03-02", "todo": "x"},
                  headers=h).status_code == 404
    assert c.post(f"{URL}/{opp['id']}/close", json={"outcome": "success"}, headers=h).status_code == 404
    assert opp["id"] not in [o["id"] for o in c.get(URL, headers=h).get_json()["items"]]
    # A supervisor sees it but may not develop it (no right), and it stays in development.
    c, h = sales_api("supervisor")
    assert c.post(f"{URL}/{opp['id']}/close", json={"outcome": "success"}, headers=h).status_code == 403
    assert c.get(f"{URL}/{opp['id']}", headers=h).get_json()["status"] == "in_development"


def test_bad_input_gets_field_errors_and_nothing_is_saved(sales_api, db, sales_deployed):
    before = db.scalar(select(func.count()).select_from(Opportunity))
    c, h = sales_api("manager1")
    resp = c.post(URL, json={**OPP, "probability": 150, "customer_name": "  ", "description": "长" * 5000},
                  headers=h)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert set(errors) == {"probability", "customer_name", "description"}
    assert db.scalar(select(func.count()).select_from(Opportunity)) == before
    assert c.post(URL, json={**OPP, "probability": "abc"}, headers=h).get_json()["errors"].keys() == {"probability"}
    missing = c.post(URL, json={"probability": 10}, headers=h).get_json()["errors"]
    assert {"customer_name", "summary", "description"} <= set(missing)
    assert db.scalar(select(func.count()).select_from(Opportunity)) == before


def test_a_supervisor_may_assign_at_creation_and_a_manager_may_not(sales_api, user, db, sales_deployed):
    c, h = sales_api("supervisor")
    resp = c.post(URL, json={**OPP, "assignee_id": user("manager2").id}, headers=h)
    assert resp.status_code == 201 and resp.get_json()["status"] == "in_development"
    tasks = open_tasks(db, resp.get_json()["id"])
    assert [(t.bpmn_id, t.role, t.assignee_id) for t in tasks] == [("develop", "customer_manager",
                                                                    user("manager2").id)]
    c, h = sales_api("manager1")
    assert c.post(URL, json={**OPP, "assignee_id": user("manager2").id}, headers=h).status_code == 403


def test_assigning_to_someone_who_is_not_a_customer_manager_is_refused(sales_api, user, sales_deployed):
    opp = _create(sales_api)
    c, h = sales_api("supervisor")
    resp = c.post(f"{URL}/{opp['id']}/assign", json={"assignee": user("service1").id}, headers=h)
    assert resp.status_code == 422 and "assignee_id" in resp.get_json()["errors"]
    assert c.get(f"{URL}/{opp['id']}", headers=h).get_json()["status"] == "unassigned"


def test_plan_item_input_is_validated(sales_api, user, sales_deployed):
    opp = _assigned(sales_api, user)
    c, h = sales_api("manager1")
    resp = c.post(f"{URL}/{opp['id']}/plan-items", json={"date": "2026-02-30", "todo": "x"}, headers=h)
    assert resp.status_code == 422 and "date" in resp.get_json()["errors"]
    resp = c.post(f"{URL}/{opp['id']}/plan-items", json={"date": "2030-03-01", "todo": " "}, headers=h)
    assert resp.status_code == 422 and "todo" in resp.get_json()["errors"]
    assert c.get(f"{URL}/{opp['id']}/plan-items", headers=h).get_json()["items"] == []


def test_list_filters_scope_and_pagination(sales_api, user, sales_deployed):
    a = _create(sales_api, customer_name="甲公司筛选测试", summary="实木家具")
    a2 = _create(sales_api, customer_name="乙公司筛选测试", summary="电脑", contact="赵六")
    b = _assigned(sales_api, user, _create(sales_api, "supervisor", customer_name="丙公司筛选测试")["id"], to="manager2")
    c, h = sales_api("supervisor")
    found = c.get(URL, query_string={"q": "筛选测试", "per_page": 2}, headers=h).get_json()
    assert found["total"] == 3 and len(found["items"]) == 2 and found["per_page"] == 2
    names = lambda **q: [o["customer_name"] for o in c.get(URL, query_string=q, headers=h).get_json()["items"]]
    assert names(customer_name="甲公司筛选") == ["甲公司筛选测试"]
    assert names(contact="赵六") == ["乙公司筛选测试"]
    assert names(summary="实木", q="筛选测试") == ["甲公司筛选测试"]
    assert names(status="in_development", q="筛选测试") == ["丙公司筛选测试"]
    assert names(assignee_id=user("manager2").id, q="筛选测试") == ["丙公司筛选测试"]
    assert len(names(created_from="2000-01-01", created_to="2999-12-31", q="筛选测试")) == 3
    assert names(created_to="2000-01-01", q="筛选测试") == []
    bad = c.get(URL, query_string={"status": "nonsense"}, headers=h)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]
    # manager1 sees what they recorded while unassigned; manager2 sees only what is assigned to them.
    c1, h1 = sales_api("manager1")
    assert {o["id"] for o in c1.get(URL, query_string={"q": "筛选测试"}, headers=h1).get_json()["items"]} \
        == {a["id"], a2["id"]}
    c2, h2 = sales_api("manager2")
    assert [o["id"] for o in c2.get(URL, query_string={"q": "筛选测试"}, headers=h2).get_json()["items"]] \
        == [b["id"]]


def test_opportunity_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/opportunities", "/api/v1/opportunities/{opportunity_id}/assign",
                 "/api/v1/opportunities/{opportunity_id}/close",
                 "/api/v1/opportunities/{opportunity_id}/plan-items/{item_id}"):
        assert path in paths


def test_closing_as_succeeded_needs_a_recorded_plan_result(sales_api, user, db, sales_deployed):
    opp = _assigned(sales_api, user)
    c, h = sales_api("manager1")
    close = f"{URL}/{opp['id']}/close"
    resp = c.post(close, json={"outcome": "success"}, headers=h)
    assert resp.status_code == 422 and "outcome" in resp.get_json()["errors"]
    item = c.post(f"{URL}/{opp['id']}/plan-items", json={"date": "2030-03-02", "todo": "拜访"}, headers=h).get_json()
    assert c.post(close, json={"outcome": "success"}, headers=h).status_code == 422  # planned, nothing recorded
    assert c.get(f"{URL}/{opp['id']}", headers=h).get_json()["status"] == "in_development"
    c.patch(f"{URL}/{opp['id']}/plan-items/{item['id']}", json={"result": "客户同意试用"}, headers=h)
    assert c.post(close, json={"outcome": "success"}, headers=h).get_json()["status"] == "succeeded"


def test_plan_dates_cannot_precede_the_opportunitys_creation(sales_api, user, sales_deployed):
    opp = _assigned(sales_api, user)
    c, h = sales_api("manager1")
    items = f"{URL}/{opp['id']}/plan-items"
    resp = c.post(items, json={"date": "1999-01-01", "todo": "太早"}, headers=h)
    assert resp.status_code == 422 and "date" in resp.get_json()["errors"]
    ok = c.post(items, json={"date": "2030-01-01", "todo": "以后"}, headers=h)
    assert ok.status_code == 201
    moved = c.patch(f"{items}/{ok.get_json()['id']}", json={"date": "1999-01-01"}, headers=h)
    assert moved.status_code == 422 and "date" in moved.get_json()["errors"]
