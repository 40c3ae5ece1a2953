"""Texts written in the models (BPMN names and instructions, form titles and choices) are Chinese; the English UI
reads them from app/translations/en."""
import json
import re
from pathlib import Path

from babel.messages.pofile import read_po
from lxml import etree

from test_churn_data import churn_model, clock_at  # noqa: F401 (fixtures of the case fixture)
from test_churn_flow import case  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _model_texts():
    texts = set()
    for path in (ROOT / "bpmn-models").glob("*.bpmn"):
        for el in etree.parse(str(path)).iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag.startswith(BPMN) and not el.tag.endswith("lane") and el.get("name"):
                texts.add(el.get("name"))
            if el.tag in (f"{BPMN}documentation", f"{SPIFF}instructionsForEndUser") and el.text:
                texts.add(el.text.strip())
    for path in (ROOT / "forms").glob("*.json"):
        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("title", "description", "ui:help") and isinstance(value, str):
                        texts.add(value)
                    elif key == "enumNames":
                        texts.update(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)
        walk(json.loads(path.read_text(encoding="utf-8")))
    # written in Chinese: more Chinese characters than Latin letters (an English note may quote a Chinese term)
    return {t for t in texts if len(CHINESE.findall(t)) > len(re.findall(r"[A-Za-z]", t))}


def test_every_chinese_model_text_has_its_english():
    with (ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        known = {m.id for m in read_po(f) if m.id and m.string}
    assert sorted(_model_texts() - known) == []


def test_the_english_ui_reads_the_models_in_english(db, login, case):
    from sqlalchemy import select
    from processes.models import HumanTask
    task = db.scalar(select(HumanTask).where(HumanTask.business_key == str(case.id)))
    c = login("manager1")
    assert "处理流失预警" in c.get("/inbox/").get_data(as_text=True)  # Chinese by default
    c.post("/lang/en", data={"next": "/inbox/"})
    inbox = c.get("/inbox/").get_data(as_text=True)
    assert "Handle churn warning" in inbox and "Customer churn" in inbox and "处理流失预警" not in inbox
    page = c.get(f"/inbox/tasks/{task.id}").get_data(as_text=True)
    assert "Retention measure" in page and "Postpone (retention measure taken)" in page and "挽回措施" not in page
    assert "Churn warning" in page  # the history names the start event
