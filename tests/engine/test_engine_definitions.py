"""Deployment: validation, versions, no-op on unchanged content, version pinning of running instances."""
import pytest
from sqlalchemy import select

from processes.definitions import deploy_directory, deploy_model, parsed_for
from processes.errors import DefinitionInvalid
from processes.models import HumanTask, ProcessDefinition
from processes.runtime import complete_task, start_process
from engine_helpers import DEMO_XML, FIXTURES

FORMS = FIXTURES / "forms"


def deploy(db, xml, **kw):
    return deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FORMS, **kw)


def test_unchanged_content_is_a_no_op_and_a_change_is_a_new_version(db, user):
    first, created = deploy(db, DEMO_XML, user_id=user("analyst").id)
    assert created and first.version == 1 and first.deployed_by == user("analyst").id
    assert set(first.forms) == {"engine_review.json", "engine_review.uischema.json", "engine_handle.json",
                                "engine_escalated.json"}
    again, created = deploy(db, DEMO_XML)
    assert not created and again.id == first.id
    second, created = deploy(db, DEMO_XML.replace('name="Review request"', 'name="Review the request"'))
    assert created and second.version == 2
    reverted, created = deploy(db, DEMO_XML)  # going back to old content is a new version too
    assert created and reverted.version == 3


def test_deploy_directory_deploys_each_model_once(db, tmp_path):
    (tmp_path / "engine_demo.bpmn").write_text(DEMO_XML, encoding="utf-8")
    [(row, created)] = deploy_directory(db, tmp_path, FORMS)
    assert created and row.key == "engine_demo"
    assert [c for _r, c in deploy_directory(db, tmp_path, FORMS)] == [False]
    assert deploy_directory(db, tmp_path / "missing", FORMS) == []


@pytest.mark.parametrize("change, message", [
    (lambda x: x.replace("<bpmn:process ", "<bpmn:processs "), "invalid BPMN"),
    (lambda x: x.replace('id="Prepare"', 'id="Start"').replace('"Prepare"', '"Start"')
     .replace(">Prepare<", ">Start<"), "reserved"),
    (lambda x: x.replace("engine_handle.json", "nowhere.json"), "form 'nowhere.json' not found"),
    (lambda x: x.replace("attempts += 1", "import os"), "import is not allowed"),
    (lambda x: x.replace("attempts += 1", "x = ().__class__.__base__.__subclasses__()"), "__class__"),
    (lambda x: x.replace('approved == "yes"', 'approved =="'), "condition"),
    (lambda x: x.replace("<bpmn:flowNodeRef>Handle</bpmn:flowNodeRef>", ""), "must sit in a lane"),
])
def test_invalid_models_are_refused_with_the_reason(db, change, message):
    with pytest.raises(DefinitionInvalid) as err:
        deploy(db, change(DEMO_XML))
    assert message in str(err.value.detail)
    assert db.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "engine_demo")) is None


def test_invalid_form_schema_is_refused(db):
    with pytest.raises(DefinitionInvalid) as err:
        deploy_model(db, DEMO_XML, filename="engine_demo.bpmn",
                     forms={"engine_review.json": {"type": "object", "properties": {"a": {"type": "nope"}}},
                            "engine_review.uischema.json": {}, "engine_handle.json": {"type": "object"},
                            "engine_escalated.json": "{not json"})
    assert "engine_review.json" in err.value.detail and "engine_escalated.json" in err.value.detail


def test_spec_is_parsed_once_per_version(db):
    row, _ = deploy(db, DEMO_XML)
    assert parsed_for(row) is parsed_for(row)


def test_a_stored_row_that_no_longer_parses_is_refused_again_without_a_new_parse(db, monkeypatch):
    from datetime import datetime
    from processes import definitions
    row = ProcessDefinition(key="broken_demo", version=1, content_hash="0" * 64, bpmn_xml="<definitions/>",
                            forms={}, deployed_at=datetime(2026, 1, 1))
    db.add(row)
    db.flush()
    parses = []
    real = definitions.parse_model
    monkeypatch.setattr(definitions, "parse_model", lambda *a, **kw: parses.append(1) or real(*a, **kw))
    with pytest.raises(DefinitionInvalid) as first:
        parsed_for(row)
    with pytest.raises(DefinitionInvalid) as again:
        parsed_for(row)
    assert len(parses) == 1 and again.value.detail == first.value.detail and "invalid BPMN" in again.value.detail
    assert again.value is not first.value


def test_an_instance_started_on_v1_finishes_on_v1_after_v2(db, user, actor):
    v1, _ = deploy(db, DEMO_XML)
    old = start_process(db, "engine_demo", business_key="old", subject="old",
                        data={"amount": 1, "record": "old", "escalate_after": "PT1H"}, user_id=None)
    # v2 renames the review task and drops the gateway's second round
    v2, created = deploy(db, DEMO_XML.replace('name="Review request"', 'name="Check request v2"'))
    assert created and v2.version == 2
    new = start_process(db, "engine_demo", business_key="new", subject="new",
                        data={"amount": 1, "record": "new", "escalate_after": "PT1H"}, user_id=None)
    assert (old.definition_id, new.definition_id) == (v1.id, v2.id)
    names = {t.business_key: t.name for t in db.scalars(select(HumanTask).where(HumanTask.completed_at.is_(None)))}
    assert names == {"old": "Review request", "new": "Check request v2"}
    review = db.scalar(select(HumanTask).where(HumanTask.business_key == "old"))
    complete_task(db, review.id, actor=actor("supervisor"), data={"approved": "no",
                                                                   "assignee_id": user("manager1").id})
    assert old.status == "completed" and old.definition_id == v1.id


def test_flask_commands_deploy_and_fire_timers(app, db, tmp_path, clock_shift, user):
    from datetime import timedelta

    from processes.actor import Actor
    (tmp_path / "engine_demo.bpmn").write_text(DEMO_XML, encoding="utf-8")
    runner = app.test_cli_runner()
    out = runner.invoke(args=["process", "deploy", "--models", str(tmp_path), "--forms", str(FORMS)]).output
    assert out.strip() == "engine_demo: v1 deployed"
    out = runner.invoke(args=["process", "deploy", "--models", str(tmp_path), "--forms", str(FORMS)]).output
    assert out.strip() == "engine_demo: v1 unchanged"
    inst = start_process(db, "engine_demo", business_key="C", subject="C",
                         data={"amount": 1, "record": "C", "escalate_after": "PT1H"}, user_id=None)
    review = db.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
    complete_task(db, review.id, actor=Actor.system(),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    db.commit()  # into the test's outer transaction: the command's own session sees it
    assert "0 instance(s)" in runner.invoke(args=["process", "fire-timers"]).output
    clock_shift(timedelta(hours=2))
    out = runner.invoke(args=["process", "fire-timers"]).output
    assert f"instance {inst.id}: running" in out and "1 instance(s)" in out
