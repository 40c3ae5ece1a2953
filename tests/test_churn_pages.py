"""Churn pages as users see them: the list (scope, filters, paging, Excel), the case page and its two forms."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.churn.models import ChurnCase, ChurnMeasure
from app.churn.scan_service import run_scan
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer, open_tasks  # noqa: F401


@pytest.fixture
def cases(db, user, clock_at, churn_model):
    """Two warned customers of manager1, one of manager2, and an older confirmed case of manager1."""
    clock_at(SCAN_AT_UTC)
    m1, m2 = user("manager1"), user("manager2")
    a = make_customer(db, name="甲公司", manager=m1, orders=[date(2029, 1, 1)])
    b = make_customer(db, name="乙公司", manager=m1, orders=[date(2028, 6, 1)])
    c = make_customer(db, name="丙公司", manager=m2, created_at=datetime(2029, 1, 1))
    old = make_customer(db, name="丁公司", manager=m1, status="lost", orders=[date(2027, 1, 1)])
    db.add(ChurnCase(customer_id=old.id, manager_id=m1.id, status="confirmed", reason="倒闭",
                     last_order_date=date(2027, 1, 1), created_at=datetime(2028, 1, 1),
                     confirmed_at=datetime(2028, 2, 1), closed_at=datetime(2028, 2, 1)))
    run_scan(db, months=6, tz="Asia/Shanghai")
    return {cust.name: db.query(ChurnCase).filter_by(customer_id=cust.id).one().id for cust in (a, b, c, old)}


def test_a_manager_lists_only_their_cases_and_filters_them(login, cases):
    page = login("manager1").get("/churn/").get_data(as_text=True)
    assert "甲公司" in page and "乙公司" in page and "丁公司" in page and "丙公司" not in page
    assert 'name="manager_id"' not in page  # a manager has no one else's cases to filter on
    assert "预警" in page and "确认流失" in page
    filtered = login("manager1").get("/churn/?status=confirmed").get_data(as_text=True)
    assert "丁公司" in filtered and "甲公司" not in filtered
    by_name = login("manager1").get("/churn/?customer=乙").get_data(as_text=True)
    assert "乙公司" in by_name and "甲公司" not in by_name


def test_a_supervisor_sees_all_and_filters_by_manager(login, user, cases):
    c = login("supervisor")
    page = c.get("/churn/").get_data(as_text=True)
    assert all(name in page for name in ("甲公司", "乙公司", "丙公司", "丁公司"))
    only_m2 = c.get(f"/churn/?manager_id={user('manager2').id}").get_data(as_text=True)
    assert "丙公司" in only_m2 and "甲公司" not in only_m2
    assert "run-scan" not in page  # no churn.scan right


def test_list_pages_and_exports_to_excel(login, cases):
    c = login("supervisor")
    first = c.get("/churn/?per_page=2").get_data(as_text=True)
    assert "共 4" in first or "Total 4" in first
    second = c.get("/churn/?per_page=2&page=2").get_data(as_text=True)
    assert ("丁公司" in first) != ("丁公司" in second)
    resp = c.get("/churn/?export=xlsx&status=warning")
    assert resp.status_code == 200 and "spreadsheetml" in resp.mimetype
    rows = list(load_workbook(io.BytesIO(resp.data)).active.values)
    assert len(rows) == 1 + 3 and {r[2] for r in rows[1:]} == {"甲公司", "乙公司", "丙公司"}


def test_case_page_postpone_keeps_input_on_errors_and_records_the_measure(db, login, cases):
    c = login("manager1")
    case_id = cases["甲公司"]
    page = c.get(f"/churn/{case_id}").get_data(as_text=True)
    assert 'id="postpone-form"' in page and 'id="confirm-form"' in page and "处理流失预警" in page
    bad = c.post(f"/churn/{case_id}/postpone", data={"measure": "   "})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    too_long = "长" * 2001
    bad = c.post(f"/churn/{case_id}/postpone", data={"measure": too_long})
    assert bad.status_code == 422 and too_long in bad.get_data(as_text=True)  # what was typed is still there
    ok = c.post(f"/churn/{case_id}/postpone", data={"measure": "赠送试用装"}, follow_redirects=True)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "赠送试用装" in html and "李经理" in html and "暂缓流失" in html
    assert 'id="postpone-form"' in html and 'id="confirm-form"' in html  # still open: more measures, or confirm
    assert "将于" in html  # the re-check date is shown beside the open step
    assert [m.text for m in db.query(ChurnMeasure).filter_by(case_id=case_id)] == ["赠送试用装"]


def test_case_page_confirm(db, login, cases):
    c = login("manager1")
    case_id = cases["乙公司"]
    bad = c.post(f"/churn/{case_id}/confirm", data={"reason": ""})
    assert bad.status_code == 422
    ok = c.post(f"/churn/{case_id}/confirm", data={"reason": "转投竞争对手"}, follow_redirects=True)
    assert "转投竞争对手" in ok.get_data(as_text=True)
    case = db.get(ChurnCase, case_id)
    assert case.status == "confirmed" and case.customer.status == "lost"
    again = c.post(f"/churn/{case_id}/confirm", data={"reason": "再次"})
    assert again.status_code == 409 and "已关闭" in again.get_data(as_text=True)


def test_another_manager_cannot_open_or_act_on_the_case(login, cases):
    c = login("manager2")
    case_id = cases["甲公司"]
    assert c.get(f"/churn/{case_id}").status_code == 404
    assert c.post(f"/churn/{case_id}/postpone", data={"measure": "x"}).status_code == 404
    assert c.post(f"/churn/{case_id}/confirm", data={"reason": "x"}).status_code == 404
    # a supervisor sees the case but has no decision to make on it
    page = login("supervisor").get(f"/churn/{case_id}").get_data(as_text=True)
    assert "甲公司" in page and 'id="postpone-form"' not in page
    assert login("supervisor").post(f"/churn/{case_id}/postpone", data={"measure": "x"}).status_code == 403


def test_the_manager_finds_the_warning_in_the_inbox(db, login, cases):
    page = login("manager1").get("/inbox/").get_data(as_text=True)
    assert "甲公司" in page and "乙公司" in page and "丙公司" not in page
    assert len(open_tasks(db, cases["丙公司"])) == 1


def test_postpone_twice_then_confirm_on_the_case_page(db, login, cases):
    c = login("manager1")
    case_id = cases["甲公司"]
    assert c.post(f"/churn/{case_id}/postpone", data={"measure": "第一次回访"}).status_code == 302
    assert c.post(f"/churn/{case_id}/postpone", data={"measure": "第二次回访"}).status_code == 302
    page = c.get(f"/churn/{case_id}").get_data(as_text=True)
    assert "第一次回访" in page and "第二次回访" in page and 'id="confirm-form"' in page
    done = c.post(f"/churn/{case_id}/confirm", data={"reason": "已转向竞争对手"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "已转向竞争对手" in html and 'id="postpone-form"' not in html
    assert db.get(ChurnCase, case_id).status == "confirmed"
    assert [m.text for m in db.query(ChurnMeasure).filter_by(case_id=case_id).order_by(ChurnMeasure.id)] == [
        "第一次回访", "第二次回访"]
