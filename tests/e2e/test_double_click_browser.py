"""In a real browser, a fast double click on a create form saves one record (and starts one process); the button
shows that the form is on its way and is usable again after Back."""
import sys
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_customers_support import make_customer  # noqa: E402
from test_service_helpers import ensure_service_data  # noqa: E402

from app.customers.models import Activity  # noqa: E402
from app.service.models import ServiceRequest  # noqa: E402
from processes.models import ProcessInstance  # noqa: E402


def _count(db, stmt):
    return db.scalar(select(func.count()).select_from(stmt.subquery()))


def _double_click(page, selector):
    """Two clicks as a hand makes them: the second lands while the first post is on its way (Playwright's dblclick
    sends both within one task, where the browser itself merges the two submissions)."""
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.mouse.click(x, y)


def test_double_clicking_save_on_an_interaction_record_saves_one(db, page, live_server, sign_in):
    customer = make_customer(db, name="双击测试公司")
    db.commit()
    sign_in(page, "manager1")
    page.goto(f"{live_server}/customers/{customer.no}/activities/new")
    page.fill("#date", "2025-01-20")
    page.fill("#summary", "双击保存的交往记录")
    _double_click(page, "button.primary:has-text('保存')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/customers/{customer.no}/activities")
    assert _count(db, select(Activity.id).where(Activity.summary == "双击保存的交往记录")) == 1
    assert page.locator("text=双击保存的交往记录").count() == 1


def test_double_clicking_save_on_a_service_request_records_one_and_starts_one_process(db, user, page, live_server,
                                                                                      sign_in):
    customers = ensure_service_data(db, user)
    db.commit()
    sign_in(page, "service1")
    page.goto(f"{live_server}/service/new")
    page.select_option("#type", "投诉")
    page.fill("#customer_no", "KHT0001")  # the type-ahead field takes the number as typed
    page.fill("#summary", "双击提交的服务请求")
    page.fill("#request", "客户说点了两下。")
    _double_click(page, "button.primary:has-text('保存')")
    page.wait_for_load_state("networkidle")
    [sr] = db.scalars(select(ServiceRequest).where(ServiceRequest.summary == "双击提交的服务请求")).all()
    assert page.url.endswith(f"/service/{sr.id}")
    assert _count(db, select(ProcessInstance.id).where(ProcessInstance.definition_key == "customer_service",
                                                       ProcessInstance.business_key == str(sr.id))) == 1


def test_two_posts_that_both_leave_the_browser_still_save_one(db, page, live_server, sign_in):
    """Without the busy button (a script blocked, an old page): the form token alone keeps it to one record."""
    customer = make_customer(db, name="两次提交公司")
    db.commit()
    sign_in(page, "manager1")
    page.goto(f"{live_server}/customers/{customer.no}/activities/new")
    page.fill("#date", "2025-01-21")
    page.fill("#summary", "提交两次的交往记录")
    # The same form's data posted twice at once from the page (as an old page without the busy button, or a
    # script, would): both posts leave the browser. (Frames cannot be used: the app forbids being framed.)
    statuses = page.evaluate("""async () => {
        const form = document.querySelector('form.form');
        const post = () => fetch(form.action || location.href, {method: 'POST', body: new FormData(form),
                                                                  redirect: 'manual', credentials: 'same-origin'});
        const answers = await Promise.all([post(), post()]);
        return answers.map(a => a.type === 'opaqueredirect' ? 302 : a.status);
    }""")
    assert statuses == [302, 302], "both posts answer with the redirect to the saved record"
    assert _count(db, select(Activity.id).where(Activity.summary == "提交两次的交往记录")) == 1


def test_the_button_is_busy_while_the_form_is_posted_and_usable_after_back(db, page, live_server, sign_in):
    customer = make_customer(db, name="忙碌按钮公司")
    db.commit()
    sign_in(page, "manager1")
    page.goto(f"{live_server}/customers/{customer.no}/activities/new")
    page.fill("#date", "2025-01-22")
    page.fill("#summary", "忙碌状态")
    # The answer opens in another tab, so this page stays in flight-state for the assertions. (A frame cannot
    # be used: the app forbids being framed.)
    page.evaluate("() => { document.querySelector('form.form').target = '_blank'; }")
    with page.context.expect_page() as answer:
        page.click("button.primary:has-text('保存')")
        page.wait_for_function("() => document.querySelector('button.primary').disabled")
        assert page.locator("button.primary").inner_text() == "处理中…"
        page.click("button.primary", force=True)  # a second click on the busy button posts nothing
    answer.value.wait_for_url("**/activities")
    assert _count(db, select(Activity.id).where(Activity.summary == "忙碌状态")) == 1
    # Back to a page the browser kept: it shows the page again (pageshow) with its buttons usable.
    page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.locator("button.primary").inner_text() == "保存" and page.locator("button.primary").is_enabled()
