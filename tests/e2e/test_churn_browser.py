"""In a real browser, a customer manager follows up a churn warning: two retention measures on the case page (the
case stays open with both listed and the re-check date shown), then the confirmation."""
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer  # noqa: E402,F401

from app.churn.models import ChurnCase  # noqa: E402
from app.churn.scan_service import run_scan  # noqa: E402


def test_postpone_twice_then_confirm_on_the_case_page(db, user, clock_at, churn_model, page, live_server,
                                                       sign_in):
    clock_at(SCAN_AT_UTC)
    make_customer(db, name="浏览器流失客户", manager=user("manager1"), orders=[date(2029, 1, 1)])
    [case_id] = run_scan(db, months=6, tz="Asia/Shanghai").case_ids
    page.on("dialog", lambda dialog: dialog.accept())  # "confirm that … is lost?"

    sign_in(page, "manager1")
    page.goto(f"{live_server}/inbox/")
    page.locator("#inbox-tasks tr", has_text="浏览器流失客户").locator("a.task-link").click()
    page.wait_for_load_state("networkidle")
    assert f"/churn/{case_id}" in page.url
    for measure in ("电话回访，了解停购原因", "赠送新品试用装"):
        page.fill("#postpone-form textarea[name=measure]", measure)
        page.click("#postpone-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".flash.success").count() == 1
    measures = page.locator("#measures tbody tr")
    assert measures.count() == 2
    assert "电话回访" in measures.nth(0).inner_text() and "赠送新品试用装" in measures.nth(1).inner_text()
    assert page.locator("#recheck-at").count() == 1 and page.locator("#confirm-form").count() == 1

    page.fill("#confirm-form textarea[name=reason]", "已转向竞争对手")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".status-confirmed").count() == 1 and page.locator("#postpone-form").count() == 0
    assert db.get(ChurnCase, case_id).status == "confirmed"
