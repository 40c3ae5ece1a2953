"""The names a process diagram shows: role names for the lanes' codes, the models' texts in the UI language."""
from pathlib import Path
from types import SimpleNamespace

from app.processes_ui.labels import diagram_labels

ROOT = Path(__file__).resolve().parents[1]
XML = (ROOT / "bpmn-models" / "customer_service.bpmn").read_text("utf-8")
MODEL = SimpleNamespace(content_hash="customer_service.bpmn", bpmn_xml=XML)
ROLES_ZH = {"service_rep": "客服专员", "sales_supervisor": "销售主管", "customer_manager": "客户经理"}


def test_lanes_show_role_names_and_chinese_texts_stay(app):
    with app.test_request_context("/"):
        labels = diagram_labels(MODEL, ROLES_ZH)
    assert {code: labels.get(code) for code in ROLES_ZH} == ROLES_ZH
    assert "服务分配" not in labels  # already in the UI language


def test_english_shows_the_translations(app):
    with app.test_request_context("/"):
        from flask import session
        session["lang"] = "en"
        labels = diagram_labels(MODEL, {"service_rep": "Service representative"})
    assert labels["service_rep"] == "Service representative"
    assert labels["服务分配"] == "Dispatch service request"


def test_a_model_that_does_not_parse_gets_no_labels(app):
    with app.test_request_context("/"):
        broken = SimpleNamespace(content_hash="broken", bpmn_xml="<not xml")
        assert diagram_labels(broken, ROLES_ZH) == {}
