"""In a real browser: a customer manager opens a handling task from the inbox and reads the customer's request
above the form; a supervisor switches the inbox tabs and takes two shared tasks at once."""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_service_helpers import ensure_service_data  # noqa: E402

from app.service import actions, deadlines, service  # noqa: E402

LIMITS = deadlines.settings({})


def _request(db, user, customer, summary, text):
    sr, _instance = service.create_request(db, user=user("service1"), type="投诉", summary=summary,
                                           customer_id=customer.id, request=text, limits=LIMITS)
    return sr


def test_the_handling_task_shows_the_request_above_the_form(db, user, page, live_server, sign_in):
    customers = ensure_service_data(db, user)
    sr = _request(db, user, customers["KHT0001"], "打印机卡纸", "三楼打印机每打印两页就卡纸，\n已更换纸张仍然如此。")
    actions.dispatch(db, user=user("supervisor"), request_id=sr.id, assignee_id=user("manager1").id)
    db.flush()

    sign_in(page, "manager1")
    page.goto(f"{live_server}/inbox/")
    page.locator("#inbox-tasks tr", has_text="打印机卡纸").locator("a.task-link", has_text="服务处理").click()
    page.wait_for_load_state("networkidle")
    essentials = page.locator("#record-essentials")
    assert "三楼打印机每打印两页就卡纸" in essentials.inner_text() and "测试甲公司" in essentials.inner_text()
    # above the form: the request comes before the field the handler fills in
    assert essentials.bounding_box()["y"] < page.locator("form.task-form").bounding_box()["y"]


def _count(page, tab):
    return page.locator(f"#inbox-tabs a[data-tab={tab}] .count").inner_text()


def test_switch_tabs_and_take_two_tasks_at_once(db, user, page, live_server, sign_in):
    customers = ensure_service_data(db, user)
    for n in range(3):
        _request(db, user, customers["KHT0001"], f"批量认领 {n}", "客户来电。")
    db.flush()

    sign_in(page, "supervisor")
    page.goto(f"{live_server}/inbox/")
    assert _count(page, "mine") == "0" and _count(page, "role") == "3"
    page.click("#inbox-tabs a[data-tab=role]")
    page.wait_for_load_state("networkidle")
    assert "active" in page.locator("#inbox-tabs a[data-tab=role]").get_attribute("class")
    rows = page.locator("#inbox-tasks tbody tr", has_text="批量认领")
    assert rows.count() == 3
    rows.nth(0).locator("input[name=task_ids]").check()
    rows.nth(1).locator("input[name=task_ids]").check()
    page.click("#bulk-claim button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"2", page.locator(".flash.success").inner_text())
    assert _count(page, "mine") == "2" and _count(page, "role") == "1"
    page.click("#inbox-tabs a[data-tab=mine]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#inbox-tasks tbody tr", has_text="批量认领").count() == 2
