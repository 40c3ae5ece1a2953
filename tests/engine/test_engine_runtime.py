"""The engine contract end to end on the demo process: lanes, forms, gateway, script, service task, loop."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from processes import clock
from processes.errors import FormInvalid, TaskForbidden, WrongStep
from processes.models import HumanTask, ProcessEvent
from processes.runtime import (cancel_process, complete_step, complete_task, current_steps, start_process)
from engine_helpers import NOTIFY


def open_tasks(db, instance):
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                              HumanTask.completed_at.is_(None))).all()


def start(db, demo, user, **data):
    return start_process(db, "engine_demo", business_key="R-1", subject="Request R-1",
                         data={"amount": 21, "record": "R-1", "escalate_after": "PT2H", **data},
                         user_id=user("supervisor").id)


def test_start_runs_the_script_and_waits_in_the_supervisor_lane(db, demo, user):
    inst = start(db, demo, user)
    [task] = open_tasks(db, inst)
    assert (task.bpmn_id, task.role, task.assignee_id) == ("Review", "sales_supervisor", None)
    assert (task.subject, task.business_key, task.form) == ("Request R-1", "R-1", "engine_review.json")
    assert inst.status == "running" and inst.definition_id == demo.id
    assert "spec" not in inst.state and "subprocess_specs" not in inst.state
    events = [e.event for e in db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == inst.id))]
    assert events[0] == "started" and "step" in events  # the Prepare script ran


def test_review_then_service_task_then_assigned_handler_with_due_date(db, demo, user, actor):
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    manager = user("manager1")
    before = clock.utcnow()
    complete_task(db, review.id, actor=actor("supervisor"), data={"approved": "yes", "assignee_id": manager.id})
    assert NOTIFY["calls"] == [("R-1", manager.id, inst.id, user("supervisor").id)]
    [handle] = open_tasks(db, inst)
    assert (handle.bpmn_id, handle.role, handle.assignee_id) == ("Handle", "customer_manager", manager.id)
    assert before + timedelta(hours=2) <= handle.due_at <= clock.utcnow() + timedelta(hours=2)
    assert inst.next_timer_at == handle.due_at
    db.refresh(review)
    assert (review.outcome, review.completed_by) == ("completed", user("supervisor").id)
    notified = db.scalar(select(ProcessEvent).where(ProcessEvent.instance_id == inst.id,
                                                    ProcessEvent.bpmn_id == "Notify"))
    assert notified.data["notified"] == {"sent_to": manager.id}


def test_lane_role_and_assignee_are_enforced(db, demo, user, actor):
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    with pytest.raises(TaskForbidden):
        complete_task(db, review.id, actor=actor("manager1"), data={"approved": "yes"})
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    [handle] = open_tasks(db, inst)
    with pytest.raises(TaskForbidden):
        complete_task(db, handle.id, actor=actor("manager2"), data={"handling": "x", "again": "no"})


def test_form_is_validated_and_only_declared_fields_reach_the_process(db, demo, user, actor):
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    with pytest.raises(FormInvalid) as err:
        complete_task(db, review.id, actor=actor("supervisor"),
                      data={"approved": "maybe", "priority": 9, "follow_up": "tomorrow"})
    errors = err.value.extra["errors"]
    assert set(errors) == {"approved", "priority", "follow_up", "assignee_id"}
    assert [t.id for t in open_tasks(db, inst)] == [review.id]  # nothing moved
    with pytest.raises(FormInvalid) as err:  # a customer manager id only: the supervisor is not offered
        complete_task(db, review.id, actor=actor("supervisor"),
                      data={"approved": "yes", "assignee_id": user("supervisor").id})
    assert "assignee_id" in err.value.extra["errors"]
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id, "escalate_after": "PT0S"})
    [handle] = open_tasks(db, inst)
    assert handle.due_at > clock.utcnow() + timedelta(hours=1)  # the injected field was dropped


def test_loop_runs_until_the_gateway_lets_it_out(db, demo, user, actor):
    inst = start(db, demo, user)
    manager = user("manager1")
    complete_step(db, key="engine_demo", business_key="R-1", bpmn_id="Review", actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": manager.id})
    seen = []
    for _ in range(3):
        [handle] = open_tasks(db, inst)
        seen.append(handle.task_uuid)
        complete_task(db, handle.id, actor=actor("manager1"), data={"handling": "called back", "again": "yes"})
    assert len(set(seen)) == 3  # each round is a new task
    assert inst.status == "completed" and inst.ended_at is not None and inst.next_timer_at is None
    assert open_tasks(db, inst) == []


def test_rejection_ends_at_the_gateway(db, demo, user, actor):
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "no", "assignee_id": user("manager1").id})
    assert inst.status == "completed" and NOTIFY["calls"] == []


def test_complete_step_at_the_wrong_step_answers_with_the_current_step(db, demo, user, actor):
    start(db, demo, user)
    with pytest.raises(WrongStep) as err:
        complete_step(db, key="engine_demo", business_key="R-1", bpmn_id="Handle", actor=actor("manager1"),
                      data={"handling": "x", "again": "no"})
    assert err.value.status == 409
    assert [s["bpmn_id"] for s in err.value.extra["current_steps"]] == ["Review"]
    assert [s["bpmn_id"] for s in current_steps(db, key="engine_demo", business_key="R-1")] == ["Review"]


def test_cancel_takes_the_tasks_out_of_the_inbox(db, demo, user, actor):
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    cancel_process(db, key="engine_demo", business_key="R-1", user_id=user("supervisor").id, reason="duplicate")
    db.refresh(review)
    assert inst.status == "cancelled" and review.outcome == "cancelled" and open_tasks(db, inst) == []
    assert current_steps(db, key="engine_demo", business_key="R-1") == []


def test_boundary_timer_moves_the_task_to_the_supervisor(db, demo, user, actor, clock_shift):
    from processes.runtime import fire_due_timers
    inst = start(db, demo, user)
    [review] = open_tasks(db, inst)
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    [handle] = open_tasks(db, inst)
    assert fire_due_timers(db) is None  # not due yet
    clock_shift(timedelta(hours=2, minutes=1))
    assert fire_due_timers(db).id == inst.id
    [escalated] = open_tasks(db, inst)
    db.refresh(handle)
    assert handle.outcome == "interrupted"
    assert (escalated.bpmn_id, escalated.role, escalated.assignee_id) == ("Escalated", "sales_supervisor", None)
    assert "timer_fired" in [e.event for e in db.scalars(select(ProcessEvent)
                                                         .where(ProcessEvent.instance_id == inst.id))]
    complete_task(db, escalated.id, actor=actor("supervisor"), data={"decision": "took it over"})
    assert inst.status == "completed"


def test_a_message_from_outside_interrupts_the_waiting_task(db, user):
    from engine_helpers import FIXTURES
    from processes.definitions import deploy_model
    from processes.runtime import correlate_message
    deploy_model(db, (FIXTURES / "engine_message.bpmn").read_text(encoding="utf-8"), filename="engine_message.bpmn")
    inst = start_process(db, "engine_message", business_key="K-1", subject="K-1", data={}, user_id=None)
    assert [t.bpmn_id for t in open_tasks(db, inst)] == ["Decide"]
    assert correlate_message(db, key="engine_message", business_key="K-1", message="something_else") is None
    assert correlate_message(db, key="engine_message", business_key="nobody", message="order_received") is None
    done = correlate_message(db, key="engine_message", business_key="K-1", message="order_received",
                             payload={"order_no": "X1"})
    assert done.id == inst.id and inst.status == "completed" and open_tasks(db, inst) == []
    events = db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == inst.id)).all()
    assert any(e.event == "message" and e.data["payload"] == {"order_no": "X1"} for e in events)


def test_renaming_the_record_renames_its_inbox_rows(db, demo, user):
    from processes.runtime import set_subject
    inst = start(db, demo, user)
    set_subject(db, key="engine_demo", business_key="R-1", subject="新名字")
    db.refresh(inst)
    assert inst.subject == "新名字" and [t.subject for t in open_tasks(db, inst)] == ["新名字"]
