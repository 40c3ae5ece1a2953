"""start_processes: many instances in a few statements, each exactly as start_process would leave it."""
from sqlalchemy import select

from processes.models import HumanTask, ProcessEvent, ProcessInstance
from processes.runtime import complete_task, start_process, start_processes
from test_engine_errors import _unchecked_definition


def _items(n, **extra):
    return [{"business_key": f"R-{i}", "subject": f"Request R-{i}",
             "data": {"amount": i, "record": f"R-{i}", "escalate_after": "PT2H", **extra}} for i in range(n)]


def _picture(db, instance_id):
    """What users and the engine see of an instance: status, inbox rows, history events, workflow data."""
    inst = db.get(ProcessInstance, instance_id)
    tasks = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    events = db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == instance_id)
                        .order_by(ProcessEvent.id)).all()
    return {"status": inst.status, "key": inst.definition_key,
            "tasks": [(t.bpmn_id, t.role, t.assignee_id, t.form, t.completed_at) for t in tasks],
            "events": [(e.event, e.bpmn_id, e.user_id) for e in events],
            "data": inst.state["data"] if inst.state else None}


def test_bulk_start_leaves_each_instance_as_a_single_start_would(db, demo, user):
    supervisor = user("supervisor").id
    single = start_process(db, "engine_demo", business_key="R-0", subject="Request R-0", user_id=supervisor,
                           data={"amount": 0, "record": "R-0", "escalate_after": "PT2H"})
    ids = start_processes(db, "engine_demo", _items(3), user_id=supervisor)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert _picture(db, ids[0]) == _picture(db, single.id)
    for i, instance_id in enumerate(ids):
        inst = db.get(ProcessInstance, instance_id)
        assert (inst.business_key, inst.subject, inst.started_by) == (f"R-{i}", f"Request R-{i}", supervisor)
        [task] = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
        assert (task.bpmn_id, task.role, task.subject, task.business_key) == \
            ("Review", "sales_supervisor", f"Request R-{i}", f"R-{i}")


def test_bulk_started_instances_go_on_through_the_inbox(db, demo, user, actor):
    [instance_id] = start_processes(db, "engine_demo", _items(1), user_id=None)
    [review] = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    [handle] = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                  HumanTask.completed_at.is_(None))).all()
    assert (handle.bpmn_id, handle.assignee_id) == ("Handle", user("manager1").id)
    assert handle.due_at is not None
    assert db.get(ProcessInstance, instance_id).next_timer_at == handle.due_at


def test_a_failing_script_puts_only_its_instance_in_error(db):
    _unchecked_definition(db, "x = 1 // amount")
    items = _items(3)
    ids = start_processes(db, "engine_demo", items)
    statuses = [db.get(ProcessInstance, i).status for i in ids]
    assert statuses == ["error", "running", "running"]
    failed = db.get(ProcessInstance, ids[0])
    assert "ZeroDivisionError" in failed.error
    assert db.scalars(select(HumanTask).where(HumanTask.instance_id == ids[0])).all() == []
    assert "error" in [e.event for e in db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == ids[0]))]


def test_nothing_to_start_is_a_no_op(db, demo):
    assert start_processes(db, "engine_demo", []) == []


def test_a_long_bulk_start_frees_the_workflows_it_is_done_with_and_turns_the_collector_back_on(
        db, demo, user, monkeypatch):
    """The collector is paused during a batch (processes.collector), but a caller's 100,000 items must not hold
    100,000 workflows' garbage: the young generations are collected every EVERY instances."""
    import gc
    import weakref

    from processes import collector, execution, step_writes
    monkeypatch.setattr(collector, "EVERY", 10)
    made, alive_at_write = [], []
    real_new, real_write = execution.Step.new.__func__, step_writes.write

    def new(cls, *args, **kwargs):
        step = real_new(cls, *args, **kwargs)
        made.append(weakref.ref(step.workflow))
        return step

    def write(db_, writes):
        alive_at_write.append(sum(ref() is not None for ref in made))
        return real_write(db_, writes)

    monkeypatch.setattr(execution.Step, "new", classmethod(new))
    monkeypatch.setattr(step_writes, "write", write)
    assert gc.isenabled()
    ids = start_processes(db, "engine_demo", _items(35), user_id=user("supervisor").id)
    assert len(ids) == 35 and len(made) == 35
    assert alive_at_write[0] <= 10  # without the young collections all 35 (cyclic) workflows would still be held
    assert gc.isenabled()
