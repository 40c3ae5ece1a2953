"""Administration and basic data in the browser: the delete confirmation names the record (and dismissing it keeps
the record), a user created on the page signs in and lands on a page of their own menu."""
from sqlalchemy import select

from app.auth.models import User
from app.catalog.models import DictionaryEntry


def test_dictionary_entry_created_then_deleted_after_a_confirmation_naming_it(page, live_server, sign_in, db):
    sign_in(page, "admin")
    page.goto(f"{live_server}/catalog/dictionary/new")
    page.fill("#type", "行业")
    page.fill("#item", "浏览器测试业")
    page.fill("#value", "browser")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server}/catalog/dictionary?type=行业")
    row = page.locator("tr", has_text="浏览器测试业")
    assert row.count() == 1
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", dismiss)
    row.locator("button.danger").click()
    page.wait_for_timeout(300)
    assert asked == ["确定删除 行业 / 浏览器测试业？"]
    assert db.scalar(select(DictionaryEntry.id).where(DictionaryEntry.item == "浏览器测试业")) is not None
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.danger").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr", has_text="浏览器测试业").count() == 0
    db.expire_all()
    assert db.scalar(select(DictionaryEntry.id).where(DictionaryEntry.item == "浏览器测试业")) is None


def test_a_user_created_on_the_page_signs_in(page, browser, live_server, sign_in, db):
    sign_in(page, "admin")
    page.goto(f"{live_server}/admin/users/new")
    page.fill("#username", "browser_mgr")
    page.fill("#name", "浏览器经理")
    page.select_option("#role", "customer_manager")
    page.fill("#password", "secret-pass-1")
    page.fill("#confirm", "secret-pass-2")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    # the mismatch is reported beside the field; what was typed stays
    assert page.locator(".field-error").count() >= 1
    assert page.input_value("#username") == "browser_mgr" and page.input_value("#name") == "浏览器经理"
    page.fill("#password", "secret-pass-1")
    page.fill("#confirm", "secret-pass-1")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    assert db.scalar(select(User.name).where(User.username == "browser_mgr")) == "浏览器经理"
    other = browser.new_context(locale="zh-CN").new_page()
    try:
        sign_in(other, "browser_mgr", "secret-pass-1")
        assert other.url.endswith("/inbox/")
        assert other.locator(".who").inner_text().startswith("浏览器经理")
    finally:
        other.context.close()
