"""In a real browser, a date range whose start is after its end is said beside the end field, the dates kept."""


def test_an_impossible_range_shows_the_message_beside_the_field(page, live_server, sign_in):
    sign_in(page, "supervisor")
    page.goto(f"{live_server}/service/archive")
    page.fill("#created_from", "2026-12-01")
    page.fill("#created_to", "2026-01-01")
    page.click("form.filters button.primary")
    page.wait_for_load_state("networkidle")
    end_label = page.locator("form.filters label", has=page.locator("#created_to"))
    assert end_label.locator(".field-error").inner_text() == "结束日期早于开始日期。"
    assert page.locator("form.filters .field-error").count() == 1
    assert page.input_value("#created_from") == "2026-12-01" and page.input_value("#created_to") == "2026-01-01"
