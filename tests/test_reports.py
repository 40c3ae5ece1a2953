"""The four reports and dashboards (SPEC §9), on a small prepared data set."""
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.catalog import hooks
from app.catalog.models import Order, OrderLine, Product
from app.churn.models import ChurnCase
from app.customers.models import Customer
from app.service.models import ServiceRequest


@pytest.fixture
def data(db, user):
    m1, m2 = user("manager1"), user("manager2")
    prod = Product(name="服务器", unit="台", unit_price=Decimal("100.00"))
    db.add(prod)
    now = datetime(2026, 1, 1)
    custs = {}
    for no, name, mgr, level, credit in (("KH1", "甲公司", m1, 1, 3), ("KH2", "乙公司", m2, 3, 5),
                                         ("KH3", "丙公司", m1, 3, None)):
        c = Customer(no=no, name=name, manager_id=mgr.id, level=level, credit=credit, status="normal",
                     created_at=now)
        db.add(c)
        custs[no] = c
    db.flush()

    def order(no, cust, day, lines):
        o = Order(order_no=no, customer_id=custs[cust].id, order_date=day, status="paid", imported_at=now,
                  total=sum(q * p for q, p in lines))
        o.lines = [OrderLine(product_id=prod.id, quantity=q, unit_price=p) for q, p in lines]
        db.add(o)
        db.flush()
        hooks.order_created(db, o)  # as the order API and the import do

    order("O1", "KH1", date(2025, 3, 1), [(2, Decimal("10")), (1, Decimal("5"))])   # 25
    order("O2", "KH2", date(2025, 4, 1), [(10, Decimal("10"))])                     # 100
    order("O3", "KH1", date(2024, 5, 1), [(100, Decimal("10"))])                    # 1000 (2024)
    for t, created in (("咨询", datetime(2025, 2, 1)), ("咨询", datetime(2025, 3, 1)), ("投诉", datetime(2024, 3, 1))):
        db.add(ServiceRequest(type=t, summary="s", customer_id=custs["KH1"].id, request="r", created_by=m1.id,
                              created_at=created, assignee_id=m1.id, status="new"))
    db.add(ChurnCase(customer_id=custs["KH3"].id, manager_id=m1.id, status="confirmed", reason="价格",
                     confirmed_at=datetime(2025, 6, 1), created_at=now))
    db.add(ChurnCase(customer_id=custs["KH2"].id, manager_id=m2.id, status="warning", created_at=now))
    db.flush()
    return custs


def test_contribution_sums_quantity_times_price_per_customer_sorted(api, data):
    c, h = api("supervisor")
    rows = c.get("/api/v1/reports/contribution?year=2025", headers=h).get_json()["items"]
    assert [(r["customer_no"], r["amount"]) for r in rows] == [("KH2", 100.0), ("KH1", 25.0)]
    all_years = c.get("/api/v1/reports/contribution", headers=h).get_json()["items"]
    assert all_years[0] == {"customer_no": "KH1", "customer_name": "甲公司", "amount": 1025.0}


def test_contribution_filters_by_customer_name(api, data):
    c, h = api("supervisor")
    rows = c.get("/api/v1/reports/contribution?customer_name=乙", headers=h).get_json()["items"]
    assert [r["customer_no"] for r in rows] == ["KH2"]


def test_composition_by_level_and_by_credit(api, data):
    c, h = api("executive")
    by_level = {r["bucket"]: r["count"] for r in c.get("/api/v1/reports/composition", headers=h).get_json()["items"]}
    assert by_level[1] >= 1 and by_level[3] >= 2
    by_credit = c.get("/api/v1/reports/composition?mode=credit", headers=h).get_json()["items"]
    assert {r["bucket"] for r in by_credit} >= {3, 5, None}


def test_service_report_counts_by_type_in_the_year(api, data):
    c, h = api("supervisor")
    rows = c.get("/api/v1/reports/service?year=2025", headers=h).get_json()["items"]
    assert rows == [{"type": "咨询", "count": 2}]


def test_churn_report_lists_confirmed_cases_only(api, data):
    c, h = api("supervisor")
    body = c.get("/api/v1/reports/churn", headers=h).get_json()
    assert body["total"] == 1
    assert body["items"][0] == {"year": 2025, "customer_no": "KH3", "customer_name": "丙公司", "manager": "李经理",
                                "reason": "价格"}


def test_bad_year_is_a_field_error(api, login, data):
    c, h = api("supervisor")
    resp = c.get("/api/v1/reports/contribution?year=abc", headers=h)
    assert resp.status_code == 422 and "year" in resp.get_json()["errors"]
    page = login("supervisor").get("/reports/contribution?year=abc")
    assert page.status_code == 422 and 'value="abc"' in page.get_data(as_text=True)


def test_report_page_shows_table_and_chart_and_exports_excel(login, data):
    c = login("supervisor")
    html = c.get("/reports/contribution").get_data(as_text=True)
    assert "甲公司" in html and "Bokeh" in html and "bokeh.min.js" in html
    resp = c.get("/reports/contribution?export=xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = list(ws.values)
    assert values[1][:2] == ("KH1", "甲公司") and values[1][2] == 1025.0


def test_bokeh_js_is_served_locally(client):
    resp = client.get("/reports/vendor/bokeh/bokeh.min.js")
    assert resp.status_code == 200 and len(resp.data) > 100_000


def test_managers_cannot_open_reports(login, api):
    assert login("manager1").get("/reports/contribution").status_code == 403
    c, h = api("manager1")
    assert c.get("/api/v1/reports/churn", headers=h).status_code == 403


def test_dashboards_show_win_rate_and_open_tasks(login, data, db, user):
    from app.sales.models import Opportunity
    sup = user("supervisor")
    for status in ("succeeded", "failed", "succeeded", "in_development"):
        db.add(Opportunity(customer_name="x", probability=50, summary="s", description="d", created_by=sup.id,
                           created_at=datetime(2025, 1, 1), status=status))
    db.flush()
    html = login("supervisor").get("/reports/dashboards").get_data(as_text=True)
    assert '<span id="win-rate">66.7%</span>' in html


def test_dashboards_name_roles_and_count_in_whole_numbers(login, data, db, user):
    from processes.models import HumanTask, ProcessDefinition, ProcessInstance
    from app.sales.models import Opportunity
    sup = user("supervisor")
    db.add(Opportunity(customer_name="x", probability=50, summary="s", description="d", created_by=sup.id,
                       created_at=datetime(2025, 1, 1), status="in_development"))
    definition = ProcessDefinition(key="p", version=1, content_hash="x", bpmn_xml="", forms={},
                                   deployed_at=datetime(2025, 1, 1))
    db.add(definition)
    db.flush()
    instance = ProcessInstance(definition_id=definition.id, definition_key="p", status="running",
                               started_at=datetime(2025, 1, 1))
    db.add(instance)
    db.flush()
    db.add(HumanTask(instance_id=instance.id, task_uuid="00000000-0000-0000-0000-00000000d001", process_key="p",
                     bpmn_id="t", name="t", role="customer_manager", created_at=datetime(2025, 1, 1)))
    db.flush()
    html = login("supervisor").get("/reports/dashboards").get_data(as_text=True)
    row = html[html.index("<h2>各角色待办任务</h2>"):]
    assert "<td>客户经理</td>" in row and "customer_manager" not in row
    # one opportunity in one column: the axis must not step by fractions (labels "0, 0, 1, 1")
    assert '"min_interval":1' in html


def test_a_customer_name_in_the_chart_cannot_end_its_script(login, data, db):
    data["KH1"].name = "</script><script>alert(1)</script>"
    db.flush()
    html = login("supervisor").get("/reports/contribution").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in html  # the chart's bar label, escaped for JS
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html              # the table cell, escaped for HTML
