"""Under the Content-Security-Policy (no inline script without this request's nonce) the pages that run scripts
still work, and the page fixture fails on any console error, a CSP violation included (issue 13, item 8)."""


def test_bokeh_dashboards_render_under_the_policy(page, live_server, sign_in):
    sign_in(page, "executive")
    resp = page.goto(f"{live_server}/reports/dashboards")
    assert "nonce-" in resp.headers["content-security-policy"]
    page.wait_for_selector("canvas", state="attached")  # bokeh drew the charts: its inline script ran
    page.wait_for_load_state("networkidle")


def test_role_form_script_runs_under_the_policy(page, live_server, sign_in):
    sign_in(page, "admin")
    page.goto(f"{live_server}/admin/roles/new")
    page.wait_for_load_state("networkidle")
    page.locator("#role-form .menu-toggle").first.check()  # the page's inline script ticks the menu's rights
    assert page.locator("#role-form input[name=rights]:checked").count() >= 1


def test_per_page_choice_submits_without_an_inline_handler(page, live_server, sign_in):
    sign_in(page, "admin")
    page.goto(f"{live_server}/catalog/dictionary")
    page.wait_for_load_state("networkidle")  # nothing of this page still loading when the form navigates away
    with page.expect_navigation():
        page.select_option("select[name=per_page]", "50")
    page.wait_for_load_state("networkidle")  # the server stops after the test: no load may still be running
    assert "per_page=50" in page.url

