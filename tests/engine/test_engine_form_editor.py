"""The form editor: forms saved in the browser are versioned, previewed as the task page shows them, exported and
imported as files, and taken by the next deployment that names them."""
import io
import json

from sqlalchemy import select

from engine_helpers import DEMO_XML, FIXTURES
from processes.models import ProcessDefinition, ProcessForm

REVIEW = json.loads((FIXTURES / "forms" / "engine_review.json").read_text(encoding="utf-8"))


def test_saving_a_form_makes_versions_and_the_next_deploy_uses_it(db, demo, login):
    c = login("analyst")
    page = c.get("/processes/forms/edit?name=engine_check.json").get_data(as_text=True)
    assert "&#34;type&#34;: &#34;object&#34;" in page  # a new form starts from an empty object schema
    form = {"type": "object", "title": "Check", "required": ["ok"],
            "properties": {"ok": {"type": "string", "title": "Looks right?", "enum": ["yes", "no"]}}}
    resp = c.post("/processes/forms/edit", data={"name": "engine_check.json", "content": json.dumps(form),
                                                 "note": "first"})
    assert resp.status_code == 302
    assert "engine_check.json 已保存为第 1 版" in c.get(resp.headers["Location"]).get_data(as_text=True)
    same = c.post("/processes/forms/edit", data={"name": "engine_check.json", "content": json.dumps(form)})
    assert "没有变化" in c.get(same.headers["Location"]).get_data(as_text=True)
    form["properties"]["ok"]["title"] = "Is it right?"
    c.post("/processes/forms/edit", data={"name": "engine_check.json", "content": json.dumps(form)})
    assert db.scalars(select(ProcessForm.version).where(ProcessForm.name == "engine_check.json")).all() == [1, 2]
    page = c.get("/processes/forms/edit?name=engine_check.json").get_data(as_text=True)
    assert "Is it right?" in page and "v2" in page and "first" in page
    assert "Looks right?" in c.get("/processes/forms/edit?name=engine_check.json&version=1").get_data(as_text=True)
    # a bad form keeps what was typed and says why
    bad = c.post("/processes/forms/edit", data={"name": "engine_check.json", "content": '{"type": "object",'})
    assert bad.status_code == 422 and "不是有效的 JSON" in bad.get_data(as_text=True)
    assert '{&#34;type&#34;: &#34;object&#34;,' in bad.get_data(as_text=True)
    bad = c.post("/processes/forms/edit", data={"name": "../x.json", "content": json.dumps(form)})
    assert bad.status_code == 422 and "表单文件名" in bad.get_data(as_text=True)
    # the next deployment of the model takes the saved review form over the fixture's
    REVIEW_V2 = {**REVIEW, "title": "Review request (saved in the editor)"}
    c.post("/processes/forms/edit", data={"name": "engine_review.json", "content": json.dumps(REVIEW_V2)})
    done = c.post("/processes/editor/deploy", json={"xml": DEMO_XML.replace('name="Review request"',
                                                                            'name="Review it"')}).get_json()
    assert done["version"] == 2
    v2 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert v2.forms["engine_review.json"]["title"] == "Review request (saved in the editor)"


def test_the_preview_renders_the_task_page_fields(db, login):
    c = login("analyst")
    html = c.post("/processes/forms/preview", data={"content": json.dumps(REVIEW)}).get_data(as_text=True)
    assert 'id="preview-approved"' in html and "Approve?" in html and 'id="preview-assignee_id"' in html
    assert "完成任务" in html  # the task page's button, disabled
    bad = c.post("/processes/forms/preview", data={"content": '{"type": "object", "properties": {"a": {"type": 5}}}'})
    assert bad.status_code == 422 and "不是有效的 JSON Schema" in bad.get_data(as_text=True)
    escaped = c.post("/processes/forms/preview", data={"content": json.dumps(
        {"type": "object", "properties": {"a": {"type": "string", "title": "<img src=x onerror=alert(1)>"}}})})
    assert "<img" not in escaped.get_data(as_text=True)


def test_forms_are_exported_and_imported_as_files(db, login):
    c = login("analyst")
    upload = {"files": [(io.BytesIO(json.dumps(REVIEW).encode()), "engine_imported.json"),
                        (io.BytesIO(b'{"ui:order": ["approved"]}'), "engine_imported.uischema.json")]}
    resp = c.post("/processes/forms", data=upload, content_type="multipart/form-data")
    assert resp.status_code == 302
    listing = c.get("/processes/forms").get_data(as_text=True)
    assert "engine_imported.json" in listing and "engine_imported.uischema.json" in listing
    exported = c.get("/processes/forms/download?name=engine_imported.json")
    assert exported.headers["Content-Disposition"] == "attachment; filename=engine_imported.json"
    assert json.loads(exported.get_data(as_text=True)) == REVIEW
    folder = c.get("/processes/forms/download?name=service_handle.json")  # a repository form exports too
    assert folder.status_code == 200 and json.loads(folder.get_data(as_text=True))["type"] == "object"
    bad = c.post("/processes/forms", data={"files": [(io.BytesIO(b"[1]"), "broken.json")]},
                 content_type="multipart/form-data")
    assert bad.status_code == 422 and "表单必须是一个 JSON 对象" in bad.get_data(as_text=True)
    assert db.scalar(select(ProcessForm).where(ProcessForm.name == "broken.json")) is None
    assert login("manager1").get("/processes/forms").status_code == 403
