"""Process management pages and API: definitions, deploy (file, editor, API), instances, history, retry."""
import io

from sqlalchemy import select

from engine_helpers import DEMO_XML, NOTIFY
from processes.models import HumanTask, ProcessDefinition
from processes.runtime import complete_task, start_process

FORMS = ["engine_review.json", "engine_review.uischema.json", "engine_handle.json", "engine_escalated.json"]


def _form_files():
    from engine_helpers import FIXTURES
    return [(io.BytesIO((FIXTURES / "forms" / n).read_bytes()), n) for n in FORMS]


def test_analyst_deploys_a_file_and_sees_versions(db, login):
    c = login("analyst")
    resp = c.post("/processes/definitions", data={"bpmn": (io.BytesIO(DEMO_XML.encode()), "engine_demo.bpmn"),
                                                  "forms": _form_files()}, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = c.get("/processes/definitions").get_data(as_text=True)
    assert "已部署为第 1 版" in page and "Engine demo" in page and "v1" in page
    resp = c.post("/processes/definitions", data={"bpmn": (io.BytesIO(DEMO_XML.encode()), "engine_demo.bpmn"),
                                                  "forms": _form_files()}, content_type="multipart/form-data")
    assert "没有变化" in c.get("/processes/definitions").get_data(as_text=True)
    bad = c.post("/processes/definitions", content_type="multipart/form-data",
                 data={"bpmn": (io.BytesIO(DEMO_XML.replace("attempts += 1", "import os").encode()), "x.bpmn"),
                       "forms": _form_files()})
    assert bad.status_code == 422 and "import is not allowed" in bad.get_data(as_text=True)
    assert db.scalar(select(ProcessDefinition.version).where(ProcessDefinition.key == "engine_demo")) == 1
    assert c.get("/processes/definitions/engine_demo/1").status_code == 200
    assert c.get("/processes/definitions/engine_demo/1/xml").get_data(as_text=True) == DEMO_XML
    assert login("manager1").get("/processes/definitions").status_code == 403


def test_editor_validates_and_deploys_a_new_version(db, demo, login):
    c = login("analyst")
    assert 'id="modeler"' in c.get("/processes/editor?key=engine_demo").get_data(as_text=True)
    bad = c.post("/processes/editor/validate", json={"xml": DEMO_XML.replace("engine_handle.json", "gone.json")})
    assert bad.get_json() == {"ok": False, "errors": ["Handle: 找不到表单“gone.json”"],
                              "findings": [{"element_id": "Handle", "message": "找不到表单“gone.json”"}]}
    assert c.post("/processes/editor/validate", json={"xml": DEMO_XML}).get_json() == \
        {"ok": True, "errors": [], "findings": []}
    changed = DEMO_XML.replace('name="Review request"', 'name="Review it"')
    assert login("manager1").post("/processes/editor/deploy", json={"xml": changed}).status_code == 403
    resp = c.post("/processes/editor/deploy", json={"xml": changed, "filename": "engine_demo.bpmn"})
    assert resp.get_json() == {"ok": True, "key": "engine_demo", "version": 2, "created": True,
                               "message": "engine_demo 已部署为第 2 版。", "versions_url": "/processes/definitions"}
    v2 = db.scalar(select(ProcessDefinition).where(ProcessDefinition.version == 2))
    assert v2.forms == demo.forms and v2.deployed_by is not None  # the forms came along from v1


def test_api_definitions_list_deploy_read(db, api):
    c, h = api("analyst")
    forms = {n: __import__("json").loads(f.read()) for f, n in _form_files()}
    resp = c.post("/api/v1/process-definitions", headers=h, json={"xml": DEMO_XML, "forms": forms})
    assert resp.status_code == 201 and resp.get_json()["version"] == 1 and resp.get_json()["created"] is True
    again = c.post("/api/v1/process-definitions", headers=h, json={"xml": DEMO_XML, "forms": forms}).get_json()
    assert again["created"] is False and again["version"] == 1
    bad = c.post("/api/v1/process-definitions", headers=h, json={"xml": "<nope/>"})
    assert bad.status_code == 422 and bad.get_json()["errors"]["bpmn"]
    items = c.get("/api/v1/process-definitions", headers=h).get_json()["items"]
    assert [(d["key"], d["version"], d["name"]) for d in items] == [("engine_demo", 1, "Engine demo")]
    assert c.get("/api/v1/process-definitions/engine_demo", headers=h).get_json()["bpmn_xml"] == DEMO_XML
    s, sh = api("supervisor")
    assert s.post("/api/v1/process-definitions", headers=sh, json={"xml": DEMO_XML}).status_code == 403


def test_instance_page_and_api_show_steps_history_timers(db, demo, login, api, user, actor):
    inst = start_process(db, "engine_demo", business_key="V-1", subject="看得见的记录",
                         data={"amount": 1, "record": "V-1", "escalate_after": "PT3H"}, user_id=None)
    review = db.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id, "comment": "同意"})
    c = login("analyst")
    listing = c.get("/processes/instances?key=engine_demo").get_data(as_text=True)
    assert "看得见的记录" in listing and "Handle request" in listing
    page = c.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert 'data-current="Handle,HandleTimer"' in page and "Review" in page.split('data-done="')[1].split('"')[0]
    assert "Not handled in time" in page and "同意" in page
    assert user("supervisor").name in page  # who completed the review
    a, h = api("analyst")
    detail = a.get(f"/api/v1/process-instances/{inst.id}", headers=h).get_json()
    assert detail["status"] == "running" and detail["version"] == 1
    assert [s["bpmn_id"] for s in detail["current_steps"]] == ["Handle"]
    assert "Review" in detail["completed_steps"] and detail["pending_timers"][0]["bpmn_id"] == "HandleTimer"
    events = [(e["event"], e["bpmn_id"]) for e in detail["history"]]
    assert ("started", None) in events and ("task_completed", "Review") in events and ("step", "Notify") in events
    completed = [e for e in detail["history"] if e["event"] == "task_completed"][0]
    assert completed["user_name"] == user("supervisor").name and completed["data"]["comment"] == "同意"
    listing = a.get("/api/v1/process-instances?status=running", headers=h).get_json()
    assert listing["total"] == 1 and listing["items"][0]["current_steps"][0]["name"] == "Handle request"
    # without process.view: the users who work in the instance see it, the others do not
    for username, status in (("manager1", 200), ("supervisor", 200), ("manager2", 403)):
        m, mh = api(username)
        assert m.get(f"/api/v1/process-instances/{inst.id}", headers=mh).status_code == status, username
        assert login(username).get(f"/processes/instances/{inst.id}").status_code == status, username
        diagram = login(username).get(f"/processes/instances/{inst.id}/xml")  # what the viewer draws
        assert diagram.status_code == status and (status != 200 or diagram.get_data(as_text=True) == DEMO_XML)
    handle = db.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.completed_at.is_(None)))
    task_page = login("manager1").get(f"/inbox/tasks/{handle.id}").get_data(as_text=True)
    assert f'href="/processes/instances/{inst.id}"' in task_page


def test_users_who_may_open_the_record_follow_its_process(db, demo, login, monkeypatch):
    from app.common.errors import NotFound
    from app.inbox import links
    inst = start_process(db, "engine_demo", business_key="R-9", subject="某客户的请求",
                         data={"amount": 1, "record": "R-9", "escalate_after": "PT3H"}, user_id=None)

    def fetch(_db, user, business_key):  # the domain's scope rule: only manager2 may open record R-9
        if user.username != "manager2":
            raise NotFound("no such record")
        return business_key
    monkeypatch.setitem(links._RECORD_ACCESS, "engine_demo", ("customer.view", fetch))
    assert login("manager2").get(f"/processes/instances/{inst.id}").status_code == 200
    assert login("manager1").get(f"/processes/instances/{inst.id}").status_code == 403
    assert login("service1").get(f"/processes/instances/{inst.id}").status_code == 403  # lacks customer.view


def test_errored_instance_is_retried_by_an_admin_only(db, demo, login, api, user, actor):
    NOTIFY["mode"] = "fail"
    inst = start_process(db, "engine_demo", business_key="F-1", subject="F-1",
                         data={"amount": 1, "record": "F-1", "escalate_after": "PT3H"}, user_id=None)
    review = db.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
    resp = login("supervisor").post(f"/inbox/tasks/{review.id}", follow_redirects=True,
                                    data={"approved": "yes", "assignee_id": str(user("manager1").id)})
    assert resp.status_code == 200 and "流程随后因错误停止" in resp.get_data(as_text=True)
    admin = login("admin")
    page = admin.get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert "notification backend is down" in page and 'id="retry"' in page
    assert 'id="retry"' not in login("analyst").get(f"/processes/instances/{inst.id}").get_data(as_text=True)
    assert login("analyst").post(f"/processes/instances/{inst.id}/retry").status_code == 403
    resp = admin.post(f"/processes/instances/{inst.id}/retry", follow_redirects=True)
    assert "重试再次失败" in resp.get_data(as_text=True)
    assert f"#{inst.id}" not in admin.get("/processes/timers").get_data(as_text=True)  # stopped before the timer
    NOTIFY["mode"] = "ok"
    a, h = api("admin")  # (signs the browser session out: one live session per user)
    out = a.post(f"/api/v1/process-instances/{inst.id}/retry", headers=h).get_json()
    assert out["status"] == "running" and [s["bpmn_id"] for s in out["current_steps"]] == ["Handle"]
    again = a.post(f"/api/v1/process-instances/{inst.id}/retry", headers=h)
    assert again.status_code == 409
    assert f"#{inst.id}" in login("admin").get("/processes/timers").get_data(as_text=True)  # escalation waits
