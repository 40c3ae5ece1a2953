"""/api/v1/service-requests: the customer_service process driven through the API (SPEC §8, §12)."""
from sqlalchemy import select

from app.service.models import ServiceRequest
from processes.models import HumanTask, ProcessInstance
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401  (fixtures)


def _open_steps(db, request_id):
    return sorted(db.scalars(select(HumanTask.bpmn_id).where(HumanTask.process_key == "customer_service",
                                                             HumanTask.business_key == str(request_id),
                                                             HumanTask.completed_at.is_(None))))


def _post(clients, username, path, body):
    c, h = clients(username)
    return c.post(f"/api/v1/service-requests/{path}", headers=h, json=body)


def test_created_request_is_new_and_waits_in_the_supervisors_inbox_with_a_due_date(db, clients, user, service_data):
    sr = create_via_api(clients)
    assert sr["status"] == "new" and sr["customer_no"] == "KHT0001" and sr["type"] == "投诉"
    assert sr["created_by"] == user("service1").id and sr["current_steps"] == ["dispatch"]
    task = db.scalar(select(HumanTask).where(HumanTask.business_key == str(sr["id"]),
                                             HumanTask.process_key == "customer_service"))
    assert task.role == "sales_supervisor" and task.assignee_id is None
    assert task.due_at is not None and task.due_at > task.created_at


def test_full_cycle_low_satisfaction_goes_back_to_the_same_handler_then_archives(db, clients, user, service_data):
    sr = create_via_api(clients)
    m1 = user("manager1").id
    out = _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": m1}).get_json()
    assert out["status"] == "assigned" and out["assignee_id"] == m1 and out["current_steps"] == ["handle"]
    out = _post(clients, "manager1", f"{sr['id']}/handle", {"handling": "重新配置了网络"}).get_json()
    assert out["status"] == "handled" and out["handled_by"] == m1 and out["rounds"] == 1
    out = _post(clients, "service1", f"{sr['id']}/feedback", {"result": "仍然断网", "satisfaction": 2}).get_json()
    assert out["status"] == "assigned" and out["satisfaction"] == 2 and out["current_steps"] == ["handle"]
    handle_task = db.scalar(select(HumanTask).where(HumanTask.business_key == str(sr["id"]),
                                                    HumanTask.completed_at.is_(None)))
    assert handle_task.assignee_id == m1  # back to the same handler, not to the whole role
    out = _post(clients, "manager1", f"{sr['id']}/handle", {"handling": "更换了网卡"}).get_json()
    assert out["rounds"] == 2 and out["handling"] == "更换了网卡"
    out = _post(clients, "service1", f"{sr['id']}/feedback", {"result": "已恢复", "satisfaction": 4}).get_json()
    assert out["status"] == "archived" and out["archived_at"] and out["current_steps"] == []
    inst = db.scalar(select(ProcessInstance).where(ProcessInstance.business_key == str(sr["id"]),
                                                   ProcessInstance.definition_key == "customer_service"))
    assert inst.status == "completed"


def test_delete_is_allowed_while_new_and_cancels_the_process(db, clients, service_data):
    sr = create_via_api(clients)
    c, h = clients("supervisor")
    assert c.delete(f"/api/v1/service-requests/{sr['id']}", headers=h).status_code == 204
    assert c.get(f"/api/v1/service-requests/{sr['id']}", headers=h).status_code == 404
    assert _open_steps(db, sr["id"]) == []
    inst = db.scalar(select(ProcessInstance).where(ProcessInstance.business_key == str(sr["id"]),
                                                   ProcessInstance.definition_key == "customer_service"))
    assert inst.status == "cancelled"
    assert db.get(ServiceRequest, sr["id"]).deleted_at is not None  # kept for the audit, hidden from lists


def test_delete_is_refused_after_dispatch(db, clients, user, service_data):
    sr = create_via_api(clients)
    _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id})
    c, h = clients("supervisor")
    resp = c.delete(f"/api/v1/service-requests/{sr['id']}", headers=h)
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "conflict" and resp.get_json()["current_status"] == "assigned"
    assert c.get(f"/api/v1/service-requests/{sr['id']}", headers=h).get_json()["status"] == "assigned"


def test_another_manager_cannot_handle_a_request_dispatched_to_someone_else(db, clients, user, service_data):
    sr = create_via_api(clients)
    _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id})
    resp = _post(clients, "manager2", f"{sr['id']}/handle", {"handling": "我来处理"})
    assert resp.status_code in (403, 404) and resp.mimetype == "application/problem+json"
    assert db.get(ServiceRequest, sr["id"]).status == "assigned" and _open_steps(db, sr["id"]) == ["handle"]


def test_a_manager_who_recorded_the_request_still_cannot_handle_it_for_the_handler(db, clients, user, service_data):
    sr = create_via_api(clients, username="manager2", customer_no="KHT0002")
    _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id})
    resp = _post(clients, "manager2", f"{sr['id']}/handle", {"handling": "我来处理"})
    assert resp.status_code == 403  # they see the request (they recorded it) but the task is narrowed to manager1
    assert db.get(ServiceRequest, sr["id"]).handling is None


def test_satisfaction_outside_one_to_five_is_refused(db, clients, user, service_data):
    sr = create_via_api(clients)
    _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id})
    _post(clients, "manager1", f"{sr['id']}/handle", {"handling": "已处理"})
    for bad in (0, 6, "5", 3.5):
        resp = _post(clients, "service1", f"{sr['id']}/feedback", {"result": "好", "satisfaction": bad})
        assert resp.status_code == 422, bad
        assert "satisfaction" in resp.get_json()["errors"]
    assert db.get(ServiceRequest, sr["id"]).status == "handled" and _open_steps(db, sr["id"]) == ["feedback"]


def test_feedback_before_handling_answers_409_naming_the_current_step(db, clients, user, service_data):
    sr = create_via_api(clients)
    resp = _post(clients, "service1", f"{sr['id']}/feedback", {"result": "好", "satisfaction": 5})
    assert resp.status_code == 409 and resp.get_json()["code"] == "wrong_step"
    assert "dispatch" in str(resp.get_json()["current_steps"])
    _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id})
    resp = _post(clients, "service1", f"{sr['id']}/feedback", {"result": "好", "satisfaction": 5})
    assert resp.status_code == 409 and "handle" in str(resp.get_json()["current_steps"])
    assert db.get(ServiceRequest, sr["id"]).satisfaction is None


def test_dispatch_twice_answers_409_and_dispatch_to_a_non_manager_422(db, clients, user, service_data):
    sr = create_via_api(clients)
    resp = _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("service1").id})
    assert resp.status_code == 422 and "assignee" in resp.get_json()["errors"]
    assert _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager1").id}).status_code == 200
    resp = _post(clients, "supervisor", f"{sr['id']}/dispatch", {"assignee": user("manager2").id})
    assert resp.status_code == 409 and "handle" in str(resp.get_json()["current_steps"])


def test_create_validates_fields_and_the_customer_scope(db, clients, service_data):
    c, h = clients("manager1")
    resp = c.post("/api/v1/service-requests", headers=h,
                  json={"type": "闲聊", "summary": "s", "customer_no": "KHT0002", "request": "r"})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"type", "customer_no"}  # KHT0002 belongs to manager2
    resp = c.post("/api/v1/service-requests", headers=h, json={"type": "咨询"})
    assert resp.status_code == 422 and {"summary", "customer_no", "request"} <= set(resp.get_json()["errors"])
    assert db.scalar(select(ServiceRequest).where(ServiceRequest.summary == "s")) is None


def test_query_filters_and_record_level_scope(db, clients, user, service_data):
    a = create_via_api(clients, summary="打印机故障", type="投诉")
    b = create_via_api(clients, summary="咨询价格", type="咨询", customer_no="KHT0002")
    _post(clients, "supervisor", f"{b['id']}/dispatch", {"assignee": user("manager2").id})
    c, h = clients("supervisor")
    got = c.get("/api/v1/service-requests?type=投诉&summary=打印", headers=h).get_json()
    assert [i["id"] for i in got["items"]] == [a["id"]] and got["total"] == 1 and got["per_page"] == 20
    got = c.get("/api/v1/service-requests?status=assigned&customer=乙", headers=h).get_json()
    assert [i["id"] for i in got["items"]] == [b["id"]]
    got = c.get("/api/v1/service-requests?created_from=2000-01-01&created_to=2000-12-31", headers=h).get_json()
    assert got["items"] == []
    assert c.get("/api/v1/service-requests?status=closed", headers=h).status_code == 422
    c1, h1 = clients("manager1")  # sees neither: not assigned to them, not recorded by them
    assert c1.get("/api/v1/service-requests", headers=h1).get_json()["total"] == 0
    assert c1.get(f"/api/v1/service-requests/{b['id']}", headers=h1).status_code == 404
    c2, h2 = clients("manager2")
    assert [i["id"] for i in c2.get("/api/v1/service-requests", headers=h2).get_json()["items"]] == [b["id"]]


def test_rights_are_checked_per_action(clients, service_data):
    sr = create_via_api(clients)
    assert _post(clients, "manager1", f"{sr['id']}/dispatch", {"assignee": 1}).status_code == 403
    assert _post(clients, "executive", f"{sr['id']}/feedback", {"result": "x", "satisfaction": 3}).status_code == 403
    c, h = clients("executive")
    assert c.post("/api/v1/service-requests", headers=h, json={}).status_code == 403
    assert c.get(f"/api/v1/service-requests/{sr['id']}", headers=h).status_code == 200  # read-only role


def test_openapi_documents_the_service_resource(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/service-requests", "/api/v1/service-requests/{request_id}",
            "/api/v1/service-requests/{request_id}/dispatch", "/api/v1/service-requests/{request_id}/handle",
            "/api/v1/service-requests/{request_id}/feedback"} <= set(paths)
    assert set(paths["/api/v1/service-requests/{request_id}"]) >= {"get", "delete"}
