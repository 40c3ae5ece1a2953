"""In a real browser, each department works from its own inbox: the service desk records a request, the supervisor
dispatches it, the customer manager handles it, the desk records 2 stars (back to the same handler), the handler
handles again, 4 stars archive it."""
import re
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_service_helpers import ensure_service_data  # noqa: E402

from app.service.models import ServiceRequest  # noqa: E402

SUMMARY = "投影仪无法开机"


def _open_task_from_inbox(page, live_server, task_name):
    page.goto(f"{live_server}/inbox/")
    row = page.locator("#inbox-tasks tr", has_text=SUMMARY)
    row.locator("a.task-link", has_text=task_name).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == task_name


def _complete(page):
    page.click("button.primary:has-text('完成任务')")
    page.wait_for_load_state("networkidle")
    assert "/inbox" in page.url and page.locator(".flash.success").count() == 1


def test_service_request_travels_through_three_departments(db, user, page, live_server, sign_in):
    customers = ensure_service_data(db, user)

    # 1. The service desk records the request from the menu.
    sign_in(page, "service1")
    page.click("nav.menu >> text=服务创建")
    page.select_option("#type", "投诉")
    page.fill("#customer_no", customers["KHT0001"].no)
    page.fill("#summary", SUMMARY)
    page.fill("#request", "会议室投影仪按电源键无反应。")
    page.click("button.primary:has-text('保存')")
    page.wait_for_load_state("networkidle")
    assert page.locator(".status-new").inner_text() == "新创建"
    sr = db.scalar(select(ServiceRequest).where(ServiceRequest.summary == SUMMARY))

    # 2. A supervisor dispatches it from the inbox, to manager1; the due date shows there.
    sign_in(page, "supervisor")
    page.goto(f"{live_server}/inbox/")
    due = page.locator("#inbox-tasks tr", has_text=SUMMARY).locator("td").nth(4).inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", due.strip())  # the dispatch time limit
    _open_task_from_inbox(page, live_server, "服务分配")
    page.select_option("#in-assignee_id", str(user("manager1").id))
    _complete(page)

    # 3. manager1 handles it (only they see the task).
    sign_in(page, "manager2")
    page.goto(f"{live_server}/inbox/")
    assert page.locator("#inbox-tasks tr", has_text=SUMMARY).count() == 0
    sign_in(page, "manager1")
    _open_task_from_inbox(page, live_server, "服务处理")
    page.fill("#in-handling", "更换了电源适配器。")
    _complete(page)

    # 4. The desk calls back: 2 stars, so it goes back to the same handler.
    sign_in(page, "service1")
    _open_task_from_inbox(page, live_server, "服务反馈")
    page.fill("#in-result", "客户说仍然偶尔黑屏。")
    page.check("#in-satisfaction input[value='2']")
    _complete(page)
    db.refresh(sr)
    assert (sr.status, sr.assignee_id, sr.rounds) == ("assigned", user("manager1").id, 1)

    # 5. The same handler handles it again.
    sign_in(page, "manager1")
    _open_task_from_inbox(page, live_server, "服务处理")
    page.fill("#in-handling", "更换了投影灯泡。")
    _complete(page)

    # 6. 4 stars: archived.
    sign_in(page, "service1")
    _open_task_from_inbox(page, live_server, "服务反馈")
    page.fill("#in-result", "客户满意。")
    page.check("#in-satisfaction input[value='4']")
    _complete(page)

    page.goto(f"{live_server}/service/{sr.id}")
    assert page.locator(".status-archived").first.inner_text() == "已归档"
    assert page.locator("#steps tbody tr").count() == 5  # dispatch, handle, feedback, handle, feedback
    page.screenshot(path="/tmp/crm-service-archived.png", full_page=True)
    db.refresh(sr)
    assert (sr.status, sr.satisfaction, sr.rounds, sr.handling) == ("archived", 4, 2, "更换了投影灯泡。")
