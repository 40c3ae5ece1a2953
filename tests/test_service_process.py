"""The customer_service process itself: time limits, escalation, and completion through the generic inbox."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.inbox import actor_for
from app.service import deadlines
from app.service.models import ServiceRequest
from processes import runtime
from processes.errors import FormInvalid, WrongStep
from processes.models import HumanTask, ProcessEvent
from test_service_helpers import clients, create_via_api, fire_timers_after, service_data  # noqa: F401


def _open(db, request_id):
    return list(db.scalars(select(HumanTask).where(HumanTask.process_key == "customer_service",
                                                   HumanTask.business_key == str(request_id),
                                                   HumanTask.completed_at.is_(None))))


def _dispatch(clients, request_id, assignee_id):
    c, h = clients("supervisor")
    resp = c.post(f"/api/v1/service-requests/{request_id}/dispatch", headers=h, json={"assignee": assignee_id})
    assert resp.status_code == 200, resp.get_json()


def test_due_dates_are_one_working_day_to_dispatch_and_three_to_handle(db, clients, user, service_data):
    sr = create_via_api(clients)
    [task] = _open(db, sr["id"])
    created = db.get(ServiceRequest, sr["id"]).created_at
    expected = deadlines.add_working_days(created, 1, "Asia/Shanghai")
    assert abs(task.due_at - expected) < timedelta(seconds=5)
    _dispatch(clients, sr["id"], user("manager1").id)
    [task] = _open(db, sr["id"])
    assigned = db.get(ServiceRequest, sr["id"]).assigned_at
    assert abs(task.due_at - deadlines.add_working_days(assigned, 3, "Asia/Shanghai")) < timedelta(seconds=5)


def test_time_limits_come_from_config_through_the_process_data(app, db, clients, service_data):
    app.config["SERVICE_DISPATCH_LIMIT"] = "PT1H"
    try:
        sr = create_via_api(clients)
    finally:
        app.config["SERVICE_DISPATCH_LIMIT"] = None
    [task] = _open(db, sr["id"])
    assert timedelta(minutes=59) < task.due_at - task.created_at <= timedelta(hours=1, seconds=5)


def test_undispatched_request_escalates_to_the_supervisors(db, clients, user, service_data):
    sr = create_via_api(clients)
    assert fire_timers_after(db, timedelta(hours=1)) == []  # not due yet: nothing happens
    assert [t.bpmn_id for t in _open(db, sr["id"])] == ["dispatch"]
    fire_timers_after(db, timedelta(days=8))
    [task] = _open(db, sr["id"])
    assert (task.bpmn_id, task.role, task.assignee_id) == ("escalate", "sales_supervisor", None)
    assert db.get(ServiceRequest, sr["id"]).status == "new"  # still deletable until someone dispatches it
    fired = db.scalars(select(ProcessEvent.bpmn_id).where(ProcessEvent.event == "timer_fired")).all()
    assert "dispatch_overdue" in fired


def test_unhandled_request_is_taken_back_and_dispatched_again(db, clients, user, service_data):
    sr = create_via_api(clients)
    _dispatch(clients, sr["id"], user("manager1").id)
    fire_timers_after(db, timedelta(days=8))
    assert [t.bpmn_id for t in _open(db, sr["id"])] == ["escalate"]
    c, h = clients("manager1")  # the late handler can no longer complete it
    resp = c.post(f"/api/v1/service-requests/{sr['id']}/handle", headers=h, json={"handling": "迟到的处理"})
    assert resp.status_code in (404, 409)
    _dispatch(clients, sr["id"], user("manager2").id)
    [task] = _open(db, sr["id"])
    assert (task.bpmn_id, task.assignee_id) == ("handle", user("manager2").id)
    assert db.get(ServiceRequest, sr["id"]).status == "assigned"


def test_generic_inbox_forms_drive_the_same_process(db, clients, user, service_data):
    sr = create_via_api(clients)
    [task] = _open(db, sr["id"])
    supervisor = actor_for(user("supervisor"))
    with pytest.raises(FormInvalid):  # the form offers only customer managers
        runtime.complete_task(db, task.id, actor=supervisor, data={"assignee_id": user("service1").id})
    runtime.complete_task(db, task.id, actor=supervisor, data={"assignee_id": user("manager1").id})
    [task] = _open(db, sr["id"])
    runtime.complete_task(db, task.id, actor=actor_for(user("manager1")), data={"handling": "电话指导"})
    [task] = _open(db, sr["id"])
    desk = actor_for(user("service1"))
    with pytest.raises(FormInvalid):
        runtime.complete_task(db, task.id, actor=desk, data={"result": "好", "satisfaction": 7})
    runtime.complete_task(db, task.id, actor=desk, data={"result": "满意", "satisfaction": 5})
    db.expire_all()
    got = db.get(ServiceRequest, sr["id"])
    assert (got.status, got.satisfaction, got.rounds, got.handled_by) == ("archived", 5, 1, user("manager1").id)


def test_a_cancelled_request_has_no_steps_left(db, clients, service_data):
    sr = create_via_api(clients)
    c, h = clients("supervisor")
    c.delete(f"/api/v1/service-requests/{sr['id']}", headers=h)
    assert _open(db, sr["id"]) == []
    with pytest.raises(WrongStep):
        runtime.complete_step(db, key="customer_service", business_key=str(sr["id"]), bpmn_id="dispatch",
                              actor=actor_for(db.get(ServiceRequest, sr["id"]).creator), data={})


def test_the_feedback_call_back_has_a_due_date_that_stays_once_passed(db, clients, user, service_data):
    sr = create_via_api(clients)
    _dispatch(clients, sr["id"], user("manager1").id)
    c, h = clients("manager1")
    assert c.post(f"/api/v1/service-requests/{sr['id']}/handle", headers=h,
                  json={"handling": "远程指导"}).status_code == 200
    [task] = _open(db, sr["id"])
    handled = db.get(ServiceRequest, sr["id"]).handled_at
    expected = deadlines.add_working_days(handled, 2, "Asia/Shanghai")  # SERVICE_FEEDBACK_DAYS
    assert task.bpmn_id == "feedback" and abs(task.due_at - expected) < timedelta(seconds=5)
    fire_timers_after(db, timedelta(days=8))
    [late] = _open(db, sr["id"])
    # still the desk's call-back (the limit only marks it overdue), and it shows as overdue
    assert late.id == task.id and abs(late.due_at - expected) < timedelta(seconds=5)
    d, dh = clients("service1")
    assert d.post(f"/api/v1/service-requests/{sr['id']}/feedback", headers=dh,
                  json={"result": "已解决", "satisfaction": 4}).status_code == 200
    assert db.get(ServiceRequest, sr["id"]).status == "archived"


def test_the_feedback_limit_comes_from_config(app, db, clients, user, service_data):
    app.config["SERVICE_FEEDBACK_LIMIT"] = "PT2H"
    try:
        sr = create_via_api(clients)
    finally:
        app.config["SERVICE_FEEDBACK_LIMIT"] = None
    _dispatch(clients, sr["id"], user("manager1").id)
    c, h = clients("manager1")
    c.post(f"/api/v1/service-requests/{sr['id']}/handle", headers=h, json={"handling": "远程指导"})
    [task] = _open(db, sr["id"])
    assert timedelta(hours=1, minutes=59) < task.due_at - task.created_at <= timedelta(hours=2, seconds=5)
