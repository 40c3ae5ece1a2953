"""In a real browser, the service desk picks the customer of a new request by typing: two characters, the
suggestions below the field, the arrow keys and Enter, and the request is recorded for that customer."""
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_service_helpers import ensure_service_data  # noqa: E402

from app.service.models import ServiceRequest  # noqa: E402


def test_a_customer_is_picked_from_the_type_ahead_with_the_keyboard(db, user, page, live_server, sign_in):
    ensure_service_data(db, user)
    sign_in(page, "service1")
    page.goto(f"{live_server}/service/new")
    page.select_option("#type", "投诉")
    page.locator("#customer_no").press_sequentially("测试")
    options = page.locator("#customer_no-suggestions [role=option]")
    options.first.wait_for()
    texts = options.all_inner_texts()
    assert "测试甲公司（KHT0001）" in texts and "测试乙公司（KHT0002）" in texts and len(texts) <= 10
    wanted = texts.index("测试乙公司（KHT0002）")
    for _ in range(wanted + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the highlighted customer, does not submit the form
    assert page.input_value("#customer_no") == "KHT0002"
    assert page.locator(".suggest-chosen").inner_text() == "测试乙公司"
    assert options.count() == 0
    page.fill("#summary", "键盘选客户")
    page.fill("#request", "用键盘从建议中选择客户。")
    page.click("button.primary:has-text('保存')")
    page.wait_for_load_state("networkidle")
    sr = db.scalar(select(ServiceRequest).where(ServiceRequest.summary == "键盘选客户"))
    assert sr is not None and sr.customer.no == "KHT0002"
