"""One wording per rule: a required field and a length limit are worded the same on page forms (WTForms), in the
API (marshmallow), on process task forms (JSON Schema) and by the services."""
from processes.forms import FormInvalid, validate
from test_service_helpers import clients, service_data  # noqa: F401

REQUIRED = "此项为必填。"


def _errors_on_page(html):
    import re
    return re.findall(r'<div class="field-error">([^<]*)</div>', html)


def test_required_is_worded_alike_on_pages_and_in_the_api(login, api, service_data):
    page = login("service1").post("/service/new", data={"type": "投诉", "customer_no": "KHT0001", "summary": "",
                                                         "request": ""}).get_data(as_text=True)
    assert _errors_on_page(page).count(REQUIRED) == 2 and "该字段是必填字段" not in page
    c, h = api("service1")
    body = c.post("/api/v1/service-requests", headers={**h, "Accept-Language": "zh"},
                  json={"type": "投诉", "customer_no": "KHT0001"}).get_json()
    assert body["errors"] == {"summary": [REQUIRED], "request": [REQUIRED]}


def test_a_length_limit_is_worded_alike_on_pages_and_in_the_api(login, api, service_data):
    page = login("service1").post("/service/new", data={"type": "投诉", "customer_no": "KHT0001",
                                                         "summary": "长" * 201, "request": "r"}).get_data(as_text=True)
    assert "最多 200 个字符。" in _errors_on_page(page)
    c, h = api("service1")
    body = c.post("/api/v1/service-requests", headers={**h, "Accept-Language": "zh"},
                  json={"type": "投诉", "customer_no": "KHT0001", "summary": "长" * 201, "request": "r"}).get_json()
    assert body["errors"] == {"summary": ["最多 200 个字符。"]}


def test_process_forms_word_the_rules_alike(app, db):
    from flask_babel import gettext
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "maxLength": 5},
                                                                  "b": {"type": "string", "maxLength": 3}}}
    with app.test_request_context("/"):
        try:
            validate(db, schema, {"b": "abcd"}, translate=gettext)
        except FormInvalid as exc:
            errors = exc.extra["errors"]
    assert errors == {"a": [REQUIRED], "b": ["最多 3 个字符。"]}


def test_pages_carry_the_rule_texts_for_the_browser_checks(login):
    page = login("service1").get("/service/new").get_data(as_text=True)
    assert f'data-msg-required="{REQUIRED}"' in page and 'data-msg-too-long="最多 {n} 个字符。"' in page
