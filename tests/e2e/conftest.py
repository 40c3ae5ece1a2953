"""Browser tests: the app served from a thread on the test's own connection (so the test transaction still rolls
back), driven by Debian's chromium through Playwright."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture
def live_server(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    errors = []
    p.on("console", lambda m: errors.append(m.text[:300]) if m.type == "error" else None)
    p.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"[:300]))
    yield p
    context.close()
    # Scripts must not fail or log errors on any page a browser test opened (a missing favicon or a refused
    # bpmn-js option did). Answers the tests ask for on purpose (a wrong password 401, field errors 422, conflicts
    # 409) are logged by chromium as failed loads too; those are fine.
    # ERR_SOCKET_NOT_CONNECTED and ERR_CONNECTION_RESET are chromium losing a speculative socket to the
    # one-request-at-a-time test server (each seen once in 800 tests, the first on a 304 reload of the login page's
    # styles, the second after a wrong password's 401): transport, not the page.
    transport = ("net::ERR_SOCKET_NOT_CONNECTED", "net::ERR_CONNECTION_RESET")
    unexpected = [e for e in errors if not any(f"status of {code}" in e for code in (401, 409, 422))
                  and not any(t in e for t in transport)]
    assert unexpected == [], unexpected


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, 'manager1'): fill the login form like a user."""
    def _sign_in(p, username, password="demo"):
        p.goto(f"{live_server}/login")
        p.fill("#username", username)
        p.fill("#password", password)
        p.click("button[type=submit].primary")
        p.wait_for_load_state("networkidle")
    return _sign_in
