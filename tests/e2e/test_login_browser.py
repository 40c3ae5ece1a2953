def test_user_signs_in_and_sees_their_inbox_and_menu(page, live_server, sign_in):
    sign_in(page, "manager1")
    assert "/inbox" in page.url
    assert page.locator(".who").inner_text().startswith("李经理")
    page.screenshot(path="/tmp/crm-inbox.png")


def test_wrong_password_is_reported_beside_the_field_and_keeps_the_user_name(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("#username", "manager1")
    page.fill("#password", "nope")
    page.click("button[type=submit].primary")
    assert page.locator(".field-error").count() == 1
    assert page.input_value("#username") == "manager1"


def test_each_role_starts_on_its_own_work_in_the_browser(page, live_server, sign_in):
    """Executive on the dashboards (charts drawn), analyst on the process models, admin on the users."""
    sign_in(page, "executive")
    assert page.url.endswith("/reports/dashboards")
    assert page.locator("h1").inner_text() == "流程看板"
    page.click("form[action$='/logout'] button")
    sign_in(page, "analyst")
    assert page.url.endswith("/processes/definitions")
    assert page.locator("h1").inner_text() == "流程模型与部署"
    page.click("form[action$='/logout'] button")
    sign_in(page, "admin")
    assert page.url.endswith("/admin/users")
    assert page.locator("text=manager1").count() >= 1
