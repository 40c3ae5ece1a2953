"""Service pages: what each department sees and does, with validation that keeps the user's input."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.service.models import ServiceRequest
from processes.models import HumanTask
from test_service_helpers import clients, create_via_api, fire_timers_after, service_data  # noqa: F401


def test_create_page_picks_the_customer_by_typing_not_from_a_list_of_all(login, service_data):
    c = login("manager1")
    page = c.get("/service/new").get_data(as_text=True)
    assert "投诉" in page and "咨询" in page
    # No drop-down of every customer: a text input with the type-ahead, whose answers are the user's customers.
    assert "测试甲公司" not in page and 'id="customer_no"' in page and "data-customer-suggest" in page
    assert "customer-picker.js" in page and "<script>" not in page  # no inline script (CSP)
    assert [s["name"] for s in c.get("/customers/suggest.json?q=测试").get_json()] == ["测试甲公司"]
    desk = login("service1").get("/customers/suggest.json?q=测试").get_json()
    assert {s["name"] for s in desk} == {"测试甲公司", "测试乙公司"}  # the desk takes calls from every customer


@pytest.mark.parametrize("typed", ["KHT9999", "KHT0002"])  # unknown; another manager's customer
def test_create_page_refuses_a_customer_number_the_user_may_not_pick_and_keeps_the_input(login, db, service_data,
                                                                                          typed):
    resp = login("manager1").post("/service/new", data={"type": "投诉", "customer_no": typed,
                                                        "summary": "打印机", "request": "客户说打印机坏了"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "没有您可以为其登记服务请求的客户使用此编号。" in page
    assert f'value="{typed}"' in page and "客户说打印机坏了" in page
    assert db.scalar(select(ServiceRequest).where(ServiceRequest.request == "客户说打印机坏了")) is None


def test_create_page_without_javascript_takes_a_typed_number(login, db, service_data):
    resp = login("manager1").post("/service/new", data={"type": "投诉", "customer_no": " kht0001 ",
                                                        "summary": "手输编号", "request": "客户编号手输"})
    assert resp.status_code == 302
    assert db.scalar(select(ServiceRequest).where(ServiceRequest.summary == "手输编号")).customer.no == "KHT0001"


def test_create_page_keeps_input_and_shows_errors_beside_fields(login, db, service_data):
    c = login("service1")
    resp = c.post("/service/new", data={"type": "投诉", "customer_no": "KHT0001",
                                        "summary": "", "request": "客户说打印机坏了"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "客户说打印机坏了" in page and 'class="field-error"' in page
    assert db.scalar(select(ServiceRequest).where(ServiceRequest.request == "客户说打印机坏了")) is None


def test_create_page_records_the_request_and_starts_the_process(login, db, service_data):
    c = login("service1")
    resp = c.post("/service/new", data={"type": "咨询", "customer_no": "KHT0001",
                                        "summary": "咨询保修期", "request": "询问保修期限"})
    assert resp.status_code == 302
    sr = db.scalar(select(ServiceRequest).where(ServiceRequest.summary == "咨询保修期"))
    assert sr.status == "new"
    detail = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "新创建" in detail and "服务分配" in detail  # status label and the current step


def test_dispatch_list_dispatches_inline_and_deletes_only_new_requests(login, clients, db, user, service_data):
    a = create_via_api(clients, summary="甲请求")
    b = create_via_api(clients, summary="乙请求")
    c = login("supervisor")
    page = c.get("/service/dispatch").get_data(as_text=True)
    assert "甲请求" in page and "乙请求" in page and "李经理" in page  # handlers in the inline select
    assert f"确定删除 服务请求 {a['id']}（甲请求）？" in page  # the confirmation names the request
    resp = c.post(f"/service/{a['id']}/dispatch", data={"assignee_id": user("manager1").id})
    assert resp.status_code == 302
    assert db.get(ServiceRequest, a["id"]).status == "assigned"
    assert "甲请求" not in c.get("/service/dispatch").get_data(as_text=True)
    resp = c.post(f"/service/{a['id']}/delete", follow_redirects=True)  # dispatched meanwhile: refused
    assert "只能删除新创建的服务请求" in resp.get_data(as_text=True)
    assert db.get(ServiceRequest, a["id"]).deleted_at is None
    assert c.post(f"/service/{b['id']}/delete").status_code == 302
    assert db.get(ServiceRequest, b["id"]).deleted_at is not None


def test_dispatch_without_a_handler_is_reported_on_the_row(login, clients, service_data):
    a = create_via_api(clients)
    resp = login("supervisor").post(f"/service/{a['id']}/dispatch", data={"assignee_id": ""})
    assert resp.status_code == 422 and "请选择一位在职的客户经理" in resp.get_data(as_text=True)


def test_handle_list_shows_only_own_requests_and_records_handling(login, clients, db, user, service_data):
    a = create_via_api(clients, summary="归李经理")
    b = create_via_api(clients, summary="归王经理")
    sup = login("supervisor")
    sup.post(f"/service/{a['id']}/dispatch", data={"assignee_id": user("manager1").id})
    sup.post(f"/service/{b['id']}/dispatch", data={"assignee_id": user("manager2").id})
    c = login("manager1")
    page = c.get("/service/handle").get_data(as_text=True)
    assert "归李经理" in page and "归王经理" not in page
    assert c.get(f"/service/{b['id']}/handle").status_code == 404  # another manager's request
    assert c.get(f"/service/{a['id']}/handle").status_code == 200
    resp = c.post(f"/service/{a['id']}/handle", data={"handling": ""})
    assert resp.status_code == 422 and 'class="field-error"' in resp.get_data(as_text=True)
    assert c.post(f"/service/{a['id']}/handle", data={"handling": "上门处理"}).status_code == 302
    assert db.get(ServiceRequest, a["id"]).status == "handled"
    page = c.get(f"/service/{a['id']}/handle", follow_redirects=True).get_data(as_text=True)
    assert "该服务请求不在等待您处理" in page  # handled already: no second form


def test_feedback_list_needs_stars_and_keeps_the_result_text(login, clients, db, user, service_data):
    a = create_via_api(clients, summary="待回访")
    login("supervisor").post(f"/service/{a['id']}/dispatch", data={"assignee_id": user("manager1").id})
    login("manager1").post(f"/service/{a['id']}/handle", data={"handling": "处理完毕"})
    c = login("service1")
    page = c.get("/service/feedback").get_data(as_text=True)
    assert "待回访" in page and "处理完毕" in page
    resp = c.post(f"/service/{a['id']}/feedback", data={"result": "客户说还行"})
    assert resp.status_code == 422
    assert "客户说还行" in resp.get_data(as_text=True)
    resp = c.post(f"/service/{a['id']}/feedback", data={"result": "客户说还行", "satisfaction": "3"})
    assert resp.status_code == 302
    sr = db.get(ServiceRequest, a["id"])
    assert sr.status == "archived" and sr.satisfaction == 3


def test_archive_query_filters_and_exports_to_excel(login, clients, service_data):
    create_via_api(clients, summary="投诉物流慢", type="投诉")
    create_via_api(clients, summary="咨询发票", type="咨询", customer_no="KHT0002")
    c = login("supervisor")
    page = c.get("/service/archive?type=咨询").get_data(as_text=True)
    assert "咨询发票" in page and "投诉物流慢" not in page
    page = c.get("/service/archive?customer=甲&status=new").get_data(as_text=True)
    assert "投诉物流慢" in page and "咨询发票" not in page
    page = c.get("/service/archive?created_from=not-a-date").get_data(as_text=True)
    assert "field-error" in page
    resp = c.get("/service/archive?type=咨询&export=xlsx")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and len(rows) == 2 and rows[1][2] == "咨询发票"


def test_detail_shows_steps_and_history_with_who_did_what(login, clients, user, service_data):
    a = create_via_api(clients)
    login("supervisor").post(f"/service/{a['id']}/dispatch", data={"assignee_id": user("manager1").id})
    page = login("supervisor").get(f"/service/{a['id']}").get_data(as_text=True)
    assert "服务分配" in page and "张主管" in page and "服务处理" in page and "李经理" in page


def test_menu_shows_service_pages_by_role(login):
    assert "/service/dispatch" in login("supervisor").get("/inbox/").get_data(as_text=True)
    desk = login("service1").get("/inbox/").get_data(as_text=True)
    assert "/service/new" in desk and "/service/feedback" in desk and "/service/dispatch" not in desk


def test_escalated_request_can_be_dispatched_from_the_list(login, clients, db, user, service_data):
    """An overdue dispatch becomes an escalated task; dispatching from the list completes that one."""
    from processes import runtime
    a = create_via_api(clients, summary="超时请求")
    fire_timers_after(db, timedelta(days=8))  # well past one working day, whatever today is
    steps = [t.bpmn_id for t in db.scalars(select(HumanTask).where(HumanTask.business_key == str(a["id"]),
                                                                   HumanTask.completed_at.is_(None)))]
    assert steps == ["escalate"]
    assert "已超期" in login("supervisor").get("/service/dispatch").get_data(as_text=True)
    login("supervisor").post(f"/service/{a['id']}/dispatch", data={"assignee_id": user("manager2").id})
    assert db.get(ServiceRequest, a["id"]).assignee_id == user("manager2").id
    steps = runtime.current_steps(db, key="customer_service", business_key=str(a["id"]))
    assert [(s["bpmn_id"], s["assignee_id"]) for s in steps] == [("handle", user("manager2").id)]

