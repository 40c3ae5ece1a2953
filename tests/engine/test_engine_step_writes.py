"""processes.step_writes.changed_columns: a step writes back only the columns it changed, so a column someone else
changed meanwhile without the instance lock (an inbox row's claim) is left as they set it."""
from sqlalchemy import select

from processes.models import HumanTask, ProcessInstance
from processes.runtime import start_process
from processes.step_writes import INSTANCES, TASKS, changed_columns


def _open_row(db, user):
    inst = start_process(db, "engine_demo", business_key="W-1", subject="Request W-1", user_id=user("supervisor").id,
                         data={"amount": 1, "record": "W-1", "escalate_after": "PT2H"})
    db.commit()
    db.expunge_all()
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id)).one()


def test_a_loaded_row_reports_only_what_was_set_to_a_new_value(db, demo, user):
    supervisor, manager = user("supervisor").id, user("manager1").id  # read first: a query flushes pending changes
    row = _open_row(db, user)
    assert changed_columns(row, TASKS) == []
    row.claimed_by = row.claimed_by
    row.role = row.role
    assert changed_columns(row, TASKS) == [], "a value set to what it was is no change"
    row.assignee_id, row.claimed_by = manager, supervisor
    keys = [c.key for c in TASKS.columns]
    assert changed_columns(row, TASKS) == sorted(["assignee_id", "claimed_by"], key=keys.index)


def test_a_loaded_instance_leaves_out_its_lock_version_and_an_untouched_row_writes_nothing(db, demo, user):
    row = _open_row(db, user)
    inst = db.get(ProcessInstance, row.instance_id)
    inst.lock_version += 1
    assert changed_columns(inst, INSTANCES) == []
    inst.subject = "renamed"
    assert changed_columns(inst, INSTANCES) == ["subject"]


def test_a_new_row_reports_every_column_it_was_given(db, demo):
    row = HumanTask(instance_id=1, bpmn_id="Review", name="Review", role="sales_supervisor")
    assert {"instance_id", "bpmn_id", "name", "role"} <= set(changed_columns(row, TASKS))
    assert "id" not in changed_columns(row, TASKS)
