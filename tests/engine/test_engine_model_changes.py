"""Changing a deployed model: strict validation naming each element, the change summary between versions, and
moving running instances to a new version only when it is safe (and back)."""
import re

import pytest
from sqlalchemy import select

from engine_helpers import DEMO_XML, FIXTURES, with_check_step
from processes import bindings
from processes.definitions import deploy_model
from processes.diff import diff_models
from processes.errors import DefinitionInvalid
from processes.migration import MigrationRefused, check_instance, compare, migrate_instance
from processes.models import HumanTask, ProcessDefinition, ProcessEvent
from processes.runtime import complete_task, start_process

FORMS = FIXTURES / "forms"


def deploy(db, xml, **kw):
    return deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FORMS, **kw)


def refused(db, xml):
    with pytest.raises(DefinitionInvalid) as err:
        deploy(db, xml)
    assert db.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "engine_demo")) is None
    return {(f["element_id"], f["message"]) for f in err.value.extra["findings"]}, err.value.detail


def without(xml, *patterns):
    for p in patterns:
        xml, n = re.subn(p, "", xml, flags=re.S)
        assert n, p
    return xml


def test_a_deleted_end_event_is_refused_naming_the_step_left_without_an_end(db):
    # what bpmn-js leaves when an analyst deletes 'Escalated' (the end): the element, its flow and their shapes
    xml = without(DEMO_XML, r'<bpmn:endEvent id="EndEscalated".*?</bpmn:endEvent>',
                  r'<bpmn:sequenceFlow id="Flow_escalated"[^>]*/>', r'<bpmn:outgoing>Flow_escalated</bpmn:outgoing>',
                  r'<bpmn:flowNodeRef>EndEscalated</bpmn:flowNodeRef>', r'<bpmndi:BPMNShape id="EndEscalated_di".*?'
                  r'</bpmndi:BPMNShape>', r'<bpmndi:BPMNEdge id="Flow_escalated_di".*?</bpmndi:BPMNEdge>')
    findings, detail = refused(db, xml)
    assert ("Escalated", "'Handle escalation' has no outgoing flow: the path stops here without an end event") \
        in findings
    assert "Escalated: 'Handle escalation' has no outgoing flow" in detail


def test_a_process_without_any_end_event_is_refused(db):
    xml = DEMO_XML
    for end in ("EndRejected", "EndEscalated", "EndDone"):
        xml = xml.replace(f'<bpmn:endEvent id="{end}"', f'<bpmn:task id="{end}"')
    xml = re.sub(r"(<bpmn:task id=\"End\w+\" name=\"\w+\">\s*<bpmn:incoming>\w+</bpmn:incoming>\s*)</bpmn:endEvent>",
                 r"\1</bpmn:task>", xml)
    findings, _detail = refused(db, xml)
    assert ("engine_demo", "the process has no end event") in findings
    assert ("EndDone", "'Done' has no outgoing flow: the path stops here without an end event") in findings


def test_a_dangling_flow_and_an_unreachable_step_are_refused(db):
    xml = DEMO_XML.replace('<bpmn:sequenceFlow id="Flow_notified" sourceRef="Notify" targetRef="Handle" />',
                           '<bpmn:sequenceFlow id="Flow_notified" sourceRef="Notify" targetRef="Gone" />')
    findings, _detail = refused(db, xml)
    assert ("Flow_notified", "the flow is dangling: it joins 'Gone', which is not an element of this process") \
        in findings
    # the step the flow used to lead to is no longer reachable
    xml = without(DEMO_XML, r'<bpmn:sequenceFlow id="Flow_escalate"[^>]*/>',
                  r'<bpmn:incoming>Flow_escalate</bpmn:incoming>', r'<bpmn:outgoing>Flow_escalate</bpmn:outgoing>',
                  r'<bpmndi:BPMNEdge id="Flow_escalate_di".*?</bpmndi:BPMNEdge>')
    findings, _detail = refused(db, xml)
    assert ("Escalated", "'Handle escalation' has no incoming flow: nothing can reach it") in findings
    assert ("HandleTimer", "'Not handled in time' has no outgoing flow: the path stops here without an end event") \
        in findings


def test_a_gateway_without_conditions_or_default_is_refused(db):
    findings, _detail = refused(db, DEMO_XML.replace(' default="Flow_rejected"', ""))
    assert ("Approved", "the gateway 'Approved?' needs a condition on every outgoing flow except its default "
                        "(none on Flow_rejected)") in findings


def test_a_step_a_page_needs_cannot_be_removed(db, monkeypatch):
    monkeypatch.setattr(bindings, "_STEPS", {})
    bindings.register_steps("engine_demo", {"Handle": ["page /requests/<id>/handle",
                                                       "POST /api/v1/requests/<id>/handle"]})
    renamed = DEMO_XML.replace('"Handle"', '"HandleIt"').replace(">Handle<", ">HandleIt<")
    findings, detail = refused(db, renamed)
    assert ("Handle", "step Handle is needed by page /requests/<id>/handle, POST /api/v1/requests/<id>/handle; keep "
                      "it in the model (or change those pages first)") in findings
    assert deploy(db, DEMO_XML)[1]  # the model that keeps the step deploys


def test_a_missing_form_an_unknown_operation_and_a_bad_timer_are_refused(db):
    xml = (DEMO_XML.replace("engine_handle.json", "nowhere.json").replace('id="test.notify"', 'id="test.nowhere"')
           .replace(">escalate_after<", '>"P3X"<'))
    findings, detail = refused(db, xml)
    assert ("Handle", "form 'nowhere.json' not found") in findings
    assert ("Notify", "service operation 'test.nowhere' is not registered") in findings
    assert ("HandleTimer", "the timer expression 'P3X' is not a valid ISO 8601 duration (e.g. \"P3D\")") in findings
    assert "Notify: service operation 'test.nowhere' is not registered" in detail


def test_a_good_literal_timer_and_the_demo_model_deploy(db):
    row, created = deploy(db, DEMO_XML.replace(">escalate_after<", '>"PT8H"<'))
    assert created and row.version == 1


def test_the_diff_of_an_added_review_step_and_the_stored_summary_and_note(db, user):
    diff = diff_models(DEMO_XML, with_check_step())
    assert diff == {"added": [{"id": "Check", "name": "Check handling", "type": "bpmn:UserTask"},
                              {"id": "Flow_checked", "name": "", "type": "bpmn:SequenceFlow"}],
                    "removed": [],
                    "changed": [{"id": "Flow_handled", "name": "", "type": "bpmn:SequenceFlow"}]}
    assert diff_models(with_check_step(), DEMO_XML)["removed"][0]["id"] == "Check"
    renamed = diff_models(DEMO_XML, DEMO_XML.replace('name="Review request"', 'name="Review it"'))
    assert renamed["changed"] == [{"id": "Review", "name": "Review it", "type": "bpmn:UserTask"}]
    v1, _ = deploy(db, DEMO_XML)
    v2, _ = deploy(db, with_check_step(), note="a second look at every handling", user_id=user("analyst").id)
    assert v1.change_summary is None and v2.change_summary == diff
    assert v2.note == "a second look at every handling"
    event = db.scalar(select(ProcessEvent).where(ProcessEvent.event == "deployed").order_by(ProcessEvent.id.desc()))
    assert event.data["note"] == "a second look at every handling"


def _start(db, key):
    return start_process(db, "engine_demo", business_key=key, subject=key,
                         data={"amount": 1, "record": key, "escalate_after": "PT8H"}, user_id=None)


def _open(db, inst):
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                              HumanTask.completed_at.is_(None))).all()


def _to_handle(db, inst, user, actor):
    [review] = _open(db, inst)
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    [handle] = _open(db, inst)
    assert handle.bpmn_id == "Handle"
    return handle


def test_an_instance_at_a_changed_step_is_refused(db, user, actor):
    v1, _ = deploy(db, DEMO_XML)
    inst = _start(db, "R-1")
    v2, _ = deploy(db, DEMO_XML.replace("engine_review.json", "engine_escalated.json"))
    plan = compare(v1, v2)
    reason = "'Review request' (Review) was changed in version 2 and the instance is at it"
    assert check_instance(db, inst, plan).message == reason
    with pytest.raises(MigrationRefused) as err:
        migrate_instance(db, inst.id, plan, user_id=user("analyst").id)
    assert err.value.detail == reason
    assert inst.definition_id == v1.id


def test_missing_data_the_new_version_reads_is_refused(db, user, actor):
    v1, _ = deploy(db, DEMO_XML)
    inst = _start(db, "D-1")
    _to_handle(db, inst, user, actor)
    v2, _ = deploy(db, DEMO_XML.replace('again == "yes" and attempts &lt; 3',
                                        'again == "yes" and attempts &lt; max_rounds'))
    assert check_instance(db, inst, compare(v1, v2)).message == \
        "data the new version needs is missing: max_rounds (read by Again (condition))"


def test_a_safe_bulk_migration_continues_on_the_new_version_and_is_reverted(db, user, actor):
    v1, _ = deploy(db, DEMO_XML)
    a, b = _start(db, "M-1"), _start(db, "M-2")
    handle_a, handle_b = _to_handle(db, a, user, actor), _to_handle(db, b, user, actor)
    v2, _ = deploy(db, with_check_step())
    plan = compare(v1, v2)
    analyst = user("analyst").id
    for inst in (a, b):
        assert check_instance(db, inst, plan) is None
        migrate_instance(db, inst.id, plan, user_id=analyst, reason="everyone gets the check", migration_id=7)
        assert inst.definition_id == v2.id
    event = db.scalar(select(ProcessEvent).where(ProcessEvent.instance_id == a.id, ProcessEvent.event == "migrated"))
    assert event.user_id == analyst and event.data["reason"] == "everyone gets the check"
    assert (event.data["from_version"], event.data["to_version"], event.data["migration_id"]) == (1, 2, 7)
    assert [t.id for t in _open(db, a)] == [handle_a.id]  # the inbox row is the same task
    # a continues on version 2: after handling comes the new check
    complete_task(db, handle_a.id, actor=actor("manager1"), data={"handling": "called back", "again": "no"})
    [check] = _open(db, a)
    assert (check.bpmn_id, check.name, check.role) == ("Check", "Check handling", "customer_manager")
    # back to version 1: b moves back, a has passed the check (which version 1 does not have) and stays
    back = compare(v2, v1)
    assert check_instance(db, a, back).message == \
        "'Check handling' (Check) was removed in version 1 and the instance is at it"
    migrate_instance(db, b.id, back, user_id=analyst, reason="revert")
    assert b.definition_id == v1.id
    complete_task(db, handle_b.id, actor=actor("manager1"), data={"handling": "done", "again": "no"})
    assert b.status == "completed" and not _open(db, b)
    complete_task(db, check.id, actor=actor("manager1"), data={"decision": "ok"})
    assert a.status == "completed"
    steps = db.scalars(select(ProcessEvent.bpmn_id).where(ProcessEvent.instance_id == a.id,
                                                          ProcessEvent.event == "task_completed")).all()
    assert steps == ["Review", "Handle", "Check"]
