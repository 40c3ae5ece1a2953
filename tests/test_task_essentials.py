"""Every task page shows what the step is about above its form (the process binding's essentials): the request
text for service steps, the opportunity and its plan for sales steps (an analyst's new step included), the
customer, its manager and last order for churn; the task API gives the same."""
from datetime import date

from app.churn.scan_service import run_scan
from app.inbox.service import inbox_tasks
from fixtures.sales_support import OPP, sales_deployed  # noqa: F401
from fixtures.step_variants import deploy_variant
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer  # noqa: F401
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401


def _task(db, user, username, business_key, bpmn_id):
    [task] = [t for t in inbox_tasks(db, user(username), 1000)
              if t.business_key == str(business_key) and t.bpmn_id == bpmn_id]
    return task


def _essentials(html):
    start = html.index('id="record-essentials"')
    return html[start:html.index("</div>", start)]


def test_the_handling_task_shows_the_customers_request(db, login, user, clients, service_data):
    sr = create_via_api(clients, summary="投影仪无法开机")
    dispatch = _task(db, user, "supervisor", sr["id"], "dispatch")
    # the dispatcher sees the request before choosing the handler
    sup = login("supervisor")
    page = sup.get(f"/inbox/tasks/{dispatch.id}").get_data(as_text=True)
    assert "客户来电：打印机无法联网。" in _essentials(page) and "测试甲公司" in _essentials(page)
    assert sup.post(f"/inbox/tasks/{dispatch.id}", data={"assignee_id": user("manager1").id}).status_code == 302
    handle = _task(db, user, "manager1", sr["id"], "handle")
    shown = _essentials(login("manager1").get(f"/inbox/tasks/{handle.id}").get_data(as_text=True))
    assert "服务请求" in shown and "客户来电：打印机无法联网。" in shown
    assert "投诉" in shown and "测试甲公司 (KHT0001)" in shown and "投影仪无法开机" in shown
    m, mh = clients("manager1")  # signs manager1's page session out (one session per user)
    record = m.get(f"/api/v1/tasks/{handle.id}", headers=mh).get_json()["record"]
    assert {"label": "服务请求", "value": "客户来电：打印机无法联网。"} in record


def test_an_analysts_new_sales_step_shows_the_opportunity_and_its_plan(db, login, user, sales_deployed):
    deploy_variant(db, "sales_opportunity.bpmn", on_flow="f_mark_develop", task_id="confirm_plan",
                   name="确认开发", role="sales_supervisor")
    sup = login("supervisor")
    resp = sup.post("/sales/opportunities/new", data={**OPP, "contact": "王小明"})
    opp_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert sup.post(f"/sales/opportunities/{opp_id}/assign",
                    data={"assignee_id": user("manager1").id}).status_code == 302
    task = _task(db, user, "supervisor", opp_id, "confirm_plan")
    shown = _essentials(sup.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    for text in (OPP["customer_name"], OPP["summary"], "王小明", OPP["contact_phone"], "70%", "成功机率"):
        assert text in shown, text


def test_a_churn_task_shows_the_customer_its_manager_and_last_order(db, login, user, clock_at, churn_model):
    clock_at(SCAN_AT_UTC)
    make_customer(db, name="流失要点客户", manager=user("manager1"), orders=[date(2029, 1, 1)])
    [case_id] = run_scan(db, months=6, tz="Asia/Shanghai").case_ids
    task = _task(db, user, "manager1", case_id, "handle_warning")
    c = login("manager1")
    shown = _essentials(c.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    assert "流失要点客户" in shown and "李经理" in shown and "2029-01-01" in shown and "最近一次订单" in shown
    assert "2029-01-01" in c.get(f"/churn/{case_id}").get_data(as_text=True)
