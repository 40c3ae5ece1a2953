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
