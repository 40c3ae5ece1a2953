"""Hardening (issue 13, item 8): security headers on every answer, no start on the published secret key outside
the demo and tests, a request size limit, cookies and client addresses right behind a TLS proxy."""
import re

import pytest

from app import create_app
from app.config import DEFAULT_SECRET_KEY


def _csp(resp):
    return dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))


def _assert_hardened(resp):
    csp = _csp(resp)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert re.search(r"'nonce-[\w-]{16,}'", csp["script-src"])
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")


def test_pages_api_and_static_files_carry_the_security_headers(client, login, api):
    _assert_hardened(client.get("/login"))
    _assert_hardened(login("manager1").get("/customers/"))
    c, headers = api("supervisor")
    _assert_hardened(c.get("/api/v1/me", headers=headers))
    _assert_hardened(client.get("/api/v1/me"))  # a refusal too
    _assert_hardened(client.get("/static/crm.js"))
    _assert_hardened(client.get("/no-such-page"))


def test_each_request_gets_its_own_nonce_on_the_inline_scripts(login):
    c = login("admin")
    first, second = c.get("/admin/roles/new"), c.get("/admin/roles/new")  # the role form's rights tree script
    nonces = []
    for resp in (first, second):
        nonce = re.search(r"'nonce-([\w-]+)'", resp.headers["Content-Security-Policy"]).group(1)
        body = resp.get_data(as_text=True)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
        assert inline and all(f'nonce="{nonce}"' in attrs or 'type="application/json"' in attrs for attrs in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_inline_event_handlers_or_javascript_urls_on_pages(login):
    c = login("admin")
    for path in ("/customers/", "/catalog/dictionary", "/no-such-page"):
        body = c.get(path).get_data(as_text=True)
        assert not re.search(r"\son[a-z]+=", body), path
        assert "javascript:" not in body, path


def test_the_bokeh_chart_script_carries_the_nonce(login):
    c = login("executive")
    resp = c.get("/reports/")
    links = re.findall(r'href="(/reports/[^"?]+)"', resp.get_data(as_text=True))
    seen = False
    for link in links:
        page = c.get(link)
        nonce = re.search(r"'nonce-([\w-]+)'", page.headers["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.get_data(as_text=True))
        assert all(f'nonce="{nonce}"' in attrs for attrs in scripts), link
        seen = seen or bool(scripts)
    assert seen, "no report page rendered an inline bokeh script"


@pytest.mark.parametrize("config", [{}, {"TESTING": False}])
def test_the_default_secret_key_is_refused_outside_demo_and_tests(engine, config):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": DEFAULT_SECRET_KEY, "DEMO": False, "TESTING": False,
                    "DEPLOY_MODELS_AT_START": False, "DB_BIND": engine, **config})


def test_the_demo_and_a_real_key_start(engine):
    assert create_app({"SECRET_KEY": DEFAULT_SECRET_KEY, "DEMO": True, "DEPLOY_MODELS_AT_START": False,
                       "DB_BIND": engine})
    assert create_app({"SECRET_KEY": "a-real-secret-from-the-environment", "DEPLOY_MODELS_AT_START": False,
                       "DB_BIND": engine})


def test_an_oversized_request_answers_413(app, client, api):
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client.post("/login", data={"username": "x", "password": "y" * (limit + 1)})
    assert resp.status_code == 413
    assert "MB" in resp.get_data(as_text=True)
    c, headers = api("manager1")
    resp = c.post("/api/v1/customers", headers={**headers, "Content-Type": "application/json"},
                  data=b'{"name": "' + b"x" * (limit + 1) + b'"}')
    assert resp.status_code == 413
    assert resp.mimetype == "application/problem+json" and resp.get_json()["code"] == "too_large"


def test_the_limit_is_configurable(app, client):
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        assert client.post("/login", data={"username": "x", "password": "y" * 2000}).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old


def test_behind_a_tls_proxy_cookies_are_secure_and_the_client_address_is_the_forwarded_one(engine, db):
    from app.auth.models import UserSession
    from sqlalchemy import select
    proxied = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "DB_BIND": engine,
                          "DEPLOY_MODELS_AT_START": False, "BEHIND_PROXY": 1,
                          "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    proxied.extensions["db_engine"] = engine
    c = proxied.test_client()
    resp = c.post("/login", data={"username": "manager2", "password": "demo", "remember": "y"},
                  headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert resp.status_code == 302
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)
    assert "Strict-Transport-Security" in resp.headers
    row = db.scalar(select(UserSession).where(UserSession.ended_at.is_(None), UserSession.remote_addr == "203.0.113.7"))
    assert row is not None
