"""The analyst's side of changing a model: validate (findings with element ids), deploy with a note (refused with
each finding named), compare versions, migrate instances (dry run, apply, revert) through the API and the pages."""
from sqlalchemy import select

from engine_helpers import DEMO_XML, with_check_step
from processes.definitions import deploy_model
from processes.models import HumanTask, ProcessEvent, ProcessInstance, ProcessMigration
from processes.runtime import complete_task, start_process
from engine_helpers import FIXTURES


def _deploy(db, xml):
    return deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")[0]


def test_validate_api_and_editor_name_the_elements(db, demo, api, login):
    c, h = api("analyst")
    bad = DEMO_XML.replace('id="test.notify"', 'id="test.nowhere"').replace("engine_handle.json", "gone.json")
    body = c.post("/api/v1/process-definitions/validate", headers={**h, "Accept-Language": "en"},
                  json={"xml": bad}).get_json()
    assert body["ok"] is False
    assert {"element_id": "Notify", "message": "service operation 'test.nowhere' is not registered"} \
        in body["findings"]
    assert {(f["element_id"]) for f in body["findings"]} == {"Notify", "Handle"}
    assert c.post("/api/v1/process-definitions/validate", headers=h, json={"xml": DEMO_XML}).get_json() == \
        {"ok": True, "findings": []}
    # the editor gets the same findings, in Chinese
    page = login("analyst").post("/processes/editor/validate", json={"xml": bad}).get_json()
    assert {"element_id": "Notify", "message": "服务操作“test.nowhere”未注册"} in page["findings"]
    assert "Notify: 服务操作“test.nowhere”未注册" in page["errors"]


def test_api_deploy_is_refused_naming_each_finding_and_keeps_the_note(db, demo, api):
    c, h = api("analyst")
    h = {**h, "Accept-Language": "en"}
    bad = DEMO_XML.replace("engine_handle.json", "nowhere.json")
    resp = c.post("/api/v1/process-definitions", headers=h, json={"xml": bad, "note": "x"})
    problem = resp.get_json()
    assert resp.status_code == 422 and problem["code"] == "validation_error"
    assert "Handle: form 'nowhere.json' not found" in problem["detail"]
    assert problem["findings"] == [{"element_id": "Handle", "message": "form 'nowhere.json' not found"}]
    resp = c.post("/api/v1/process-definitions", headers=h,
                  json={"xml": with_check_step(), "note": "every handling gets a second look"})
    assert resp.status_code == 201
    out = resp.get_json()
    assert out["version"] == 2 and out["note"] == "every handling gets a second look"
    assert [e["id"] for e in out["change_summary"]["added"]] == ["Check", "Flow_checked"]
    diff = c.get("/api/v1/process-definitions/engine_demo/diff?from=1&to=2", headers=h).get_json()
    assert diff == {"from_version": 1, "to_version": 2,
                    "added": [{"id": "Check", "name": "Check handling", "type": "bpmn:UserTask"},
                              {"id": "Flow_checked", "name": "", "type": "bpmn:SequenceFlow"}],
                    "removed": [], "changed": [{"id": "Flow_handled", "name": "", "type": "bpmn:SequenceFlow"}]}
    assert c.get("/api/v1/process-definitions/engine_demo/diff", headers=h).get_json()["added"] == diff["added"]
    back = c.get("/api/v1/process-definitions/engine_demo/diff?from=2&to=1", headers=h).get_json()
    assert [e["id"] for e in back["removed"]] == ["Check", "Flow_checked"]
    assert c.get("/api/v1/process-definitions/engine_demo/diff?from=1&to=9", headers=h).status_code == 404


def test_editor_preview_shows_the_diff_then_deploys_with_the_note(db, demo, login):
    c = login("analyst")
    preview = c.post("/processes/editor/preview", json={"xml": with_check_step()}).get_json()
    assert preview["ok"] and preview["diff"]["base_version"] == 1
    assert [e["id"] for e in preview["diff"]["added"]] == ["Check", "Flow_checked"]
    refused = c.post("/processes/editor/preview", json={"xml": DEMO_XML.replace('id="test.notify"', 'id="x.y"')})
    assert refused.get_json()["ok"] is False and "diff" not in refused.get_json()
    done = c.post("/processes/editor/deploy", json={"xml": with_check_step(), "filename": "engine_demo.bpmn",
                                                    "note": "第二次检查"}).get_json()
    assert done["ok"] and done["version"] == 2
    page = c.get("/processes/definitions").get_data(as_text=True)
    assert "第二次检查" in page and "新增 2，修改 1，删除 0" in page and "Check handling" in page


def _at_handle(db, key, user, actor):
    inst = start_process(db, "engine_demo", business_key=key, subject=key,
                         data={"amount": 1, "record": key, "escalate_after": "PT8H"}, user_id=None)
    review = db.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    return inst


def test_api_migration_dry_run_apply_and_revert(db, demo, api, user, actor):
    a, b = _at_handle(db, "A-1", user, actor), _at_handle(db, "A-2", user, actor)
    waiting = _at_handle(db, "A-3", user, actor)  # handled once and back at the handling: it has passed Count
    handle = db.scalar(select(HumanTask).where(HumanTask.instance_id == waiting.id, HumanTask.completed_at.is_(None)))
    complete_task(db, handle.id, actor=actor("manager1"), data={"handling": "not yet", "again": "yes"})
    _deploy(db, with_check_step().replace("attempts += 1", "attempts += 2"))
    db.commit()
    c, h = api("analyst")
    h = {**h, "Accept-Language": "en"}
    url = "/api/v1/process-definitions/engine_demo/migrations"
    dry = c.post(url, headers=h, json={"from_version": 1, "to_version": 2}).get_json()
    assert dry == {"migration_id": None, "dry_run": True, "migrated": [a.id, b.id], "refused": [
        {"instance_id": waiting.id,
         "reason": "'Count attempts' (Count) was changed in version 2 and the instance has passed it"}]}
    assert db.scalar(select(ProcessInstance.definition_id).where(ProcessInstance.id == a.id)) == demo.id
    done = c.post(url, headers=h, json={"from_version": 1, "to_version": 2, "dry_run": False,
                                        "instance_ids": [a.id, b.id, waiting.id, 999999],
                                        "reason": "second look for all"}).get_json()
    assert done["migrated"] == [a.id, b.id] and [r["instance_id"] for r in done["refused"]] == [waiting.id, 999999]
    event = db.scalar(select(ProcessEvent).where(ProcessEvent.instance_id == a.id, ProcessEvent.event == "migrated"))
    assert event.user_id == user("analyst").id and event.data["reason"] == "second look for all"
    listed = c.get(url, headers=h).get_json()["items"]
    assert [(m["id"], m["migrated"], m["reverted"]) for m in listed] == [(done["migration_id"], [a.id, b.id], False)]
    revert = c.post(f"/api/v1/process-migrations/{done['migration_id']}/revert", headers=h, json={}).get_json()
    assert revert["migrated"] == [a.id, b.id] and revert["refused"] == []
    assert c.post(f"/api/v1/process-migrations/{done['migration_id']}/revert", headers=h,
                  json={}).status_code == 409
    db.expire_all()
    assert {i.definition_id for i in db.scalars(select(ProcessInstance)
                                                .where(ProcessInstance.id.in_([a.id, b.id])))} == {demo.id}
    assert db.scalar(select(ProcessMigration).where(ProcessMigration.reverts_id == done["migration_id"]))
    s, sh = api("supervisor")
    assert s.post(url, headers=sh, json={"from_version": 1, "to_version": 2}).status_code == 403


def test_migration_page_dry_run_then_migrate_then_revert(db, demo, login, user, actor):
    a = _at_handle(db, "P-1", user, actor)
    _deploy(db, with_check_step())
    db.commit()
    c = login("analyst")
    url = "/processes/definitions/engine_demo/migrations"
    page = c.get(url).get_data(as_text=True)
    assert "迁移实例" in page and 'value="1" selected' in page and 'value="2" selected' in page
    bad = c.post(url, data={"from_version": "1", "to_version": "2", "instance_ids": "a, b", "action": "dry_run",
                            "reason": "keep me"})
    assert bad.status_code == 422 and "请输入以逗号分隔的实例编号" in bad.get_data(as_text=True)
    assert "keep me" in bad.get_data(as_text=True)
    dry = c.post(url, data={"from_version": "1", "to_version": "2", "instance_ids": "", "action": "dry_run"})
    assert "安全，可迁移" in dry.get_data(as_text=True)
    db.expire_all()
    assert db.get(ProcessInstance, a.id).definition_id == demo.id
    done = c.post(url, data={"from_version": "1", "to_version": "2", "instance_ids": str(a.id), "action": "apply",
                             "reason": "试点"}).get_data(as_text=True)
    assert "已迁移" in done and "试点" in done
    record = db.scalar(select(ProcessMigration))
    resp = c.post(f"/processes/migrations/{record.id}/revert")
    assert resp.status_code == 302
    assert "已撤销" in c.get(url).get_data(as_text=True)
    db.expire_all()
    assert db.get(ProcessInstance, a.id).definition_id == demo.id
