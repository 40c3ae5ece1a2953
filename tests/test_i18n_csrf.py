"""UI language and form protection."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

APP = Path(__file__).resolve().parent.parent / "app"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}


def _zh_catalog():
    known = set()
    for po in APP.glob("**/translations/zh/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            known |= {m.id for m in read_po(f) if m.id and m.string}
    return known


def test_every_ui_string_has_a_chinese_translation():
    known = _zh_catalog()
    missing = set()
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(str(APP), METHODS, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and msgid not in known:
            missing.add(f"{filename}: {msgid}")
    assert sorted(missing) == []


def test_chinese_by_default_and_english_on_request(login):
    c = login("manager1")
    assert "我的任务" in c.get("/inbox/").get_data(as_text=True)
    c.post("/lang/en", data={"next": "/inbox/"})
    assert "My tasks" in c.get("/inbox/").get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        c = app.test_client()
        resp = c.post("/login", data={"username": "manager1", "password": "demo"})
        assert resp.status_code == 400
        page = c.get("/login").get_data(as_text=True)
        assert 'name="csrf_token"' in page
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_api_problem_for_unknown_route(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code in (401, 404) and resp.mimetype == "application/problem+json"


def test_openapi_document_is_generated_from_the_code(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["info"]["title"] == "CRM API"
    assert "/api/v1/auth/login" in doc["paths"] and "/api/v1/me" in doc["paths"]


def test_no_package_catalog_contradicts_the_shared_one():
    """Package catalogs may differ from each other (the serving package's wins on its pages), but the shared
    catalog's texts (menu, shell) read the same on every page."""
    def load(po):
        with po.open("rb") as f:
            return {m.id: m.string for m in read_po(f) if m.id and m.string}
    shared = load(APP / "translations" / "zh" / "LC_MESSAGES" / "messages.po")
    clashes = []
    for po in APP.glob("*/translations/zh/LC_MESSAGES/messages.po"):
        for msgid, text in load(po).items():
            if msgid in shared and shared[msgid] != text:
                clashes.append(f"{po.parts[-5]}: {msgid!r} {text!r} vs shared {shared[msgid]!r}")
    assert clashes == []
