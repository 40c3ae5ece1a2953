"""Engine errors: failing scripts and service tasks put the instance in `error` (never a 500), admins retry;
the script sandbox refuses imports, open() and dunder escapes."""
import os

import pytest
from sqlalchemy import select

from app.common.errors import ValidationFailed
from processes import clock
from processes.definitions import content_hash
from processes.errors import TaskForbidden
from processes.models import HumanTask, ProcessDefinition
from processes.runtime import complete_task, retry_instance, start_process
from engine_helpers import DEMO_XML, NOTIFY


def open_tasks(db, instance):
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                              HumanTask.completed_at.is_(None))).all()


def approve(db, demo, user, actor):
    inst = start_process(db, "engine_demo", business_key="E-1", subject="E-1",
                         data={"amount": 2, "record": "E-1", "escalate_after": "PT1H"}, user_id=None)
    [review] = open_tasks(db, inst)
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    return inst, review


def test_failing_service_task_puts_the_instance_in_error_and_admin_retries(db, demo, user, actor):
    NOTIFY["mode"] = "fail"
    inst, review = approve(db, demo, user, actor)
    assert inst.status == "error"
    assert "test.notify" in inst.error and "notification backend is down" in inst.error
    db.refresh(review)
    assert review.outcome == "completed"  # the supervisor's work is kept
    assert open_tasks(db, inst) == []
    with pytest.raises(TaskForbidden):
        retry_instance(db, inst.id, actor=actor("supervisor"))
    NOTIFY["mode"] = "ok"
    retry_instance(db, inst.id, actor=actor("admin"))
    assert inst.status == "running" and inst.error is None
    assert [t.bpmn_id for t in open_tasks(db, inst)] == ["Handle"]


def test_domain_rejection_from_a_service_task_keeps_nothing(db, demo, user, actor):
    NOTIFY["mode"] = "reject"
    inst = start_process(db, "engine_demo", business_key="E-2", subject="E-2",
                         data={"amount": 2, "record": "E-2", "escalate_after": "PT1H"}, user_id=None)
    [review] = open_tasks(db, inst)
    state_before = inst.state
    with pytest.raises(ValidationFailed):
        complete_task(db, review.id, actor=actor("supervisor"),
                      data={"approved": "yes", "assignee_id": user("manager1").id})
    db.refresh(inst)
    db.refresh(review)
    assert inst.status == "running" and review.completed_at is None and inst.state == state_before


def _unchecked_definition(db, script):
    """A stored definition whose script slipped past deployment (e.g. deployed before a rule existed)."""
    xml = DEMO_XML.replace("attempts = 0\ndoubled = amount * 2", script)
    row = ProcessDefinition(key="engine_demo", version=1, content_hash=content_hash(xml, {}), bpmn_xml=xml, forms={},
                            deployed_at=clock.utcnow())
    db.add(row)
    db.flush()
    return row


@pytest.mark.parametrize("script, expected", [
    ("marker = 1\nimport os\nos.system('touch /tmp/crm-sandbox-escaped')", "import is not allowed"),
    ("open('/tmp/crm-sandbox-escaped', 'w').write('x')", "open"),
    ("x = ().__class__.__base__.__subclasses__()", "__class__"),
    ("x = getattr((), '__class__')", "getattr"),
    ("while True:\n    pass", "more than 100000 loop steps"),
    ("x = [i for i in range(10 ** 9)]", "more than 100000 loop steps"),
])
def test_sandbox_escapes_fail_into_the_error_state(db, script, expected):
    _unchecked_definition(db, script)
    if os.path.exists("/tmp/crm-sandbox-escaped"):
        os.remove("/tmp/crm-sandbox-escaped")
    inst = start_process(db, "engine_demo", business_key="S", subject="S", data={"amount": 1}, user_id=None)
    assert inst.status == "error" and expected in inst.error and "Prepare" in inst.error
    assert not os.path.exists("/tmp/crm-sandbox-escaped")
    assert open_tasks(db, inst) == []
    # nothing of the refused script ran: its first statement left no trace in the data
    assert "marker" not in str(inst.state)


def test_scripts_get_useful_builtins_and_keep_data_types(db):
    _unchecked_definition(db, "from_list = sorted([3, 1, 2])\ntotal = sum(x for x in from_list)\n"
                              "when = date(2024, 1, 2)\nnames = {'a': 1}\nnames['b'] = 2\n"
                              "def helper(v):\n    return v * 2\ndoubled = helper(amount)")
    inst = start_process(db, "engine_demo", business_key="S", subject="S", data={"amount": 4}, user_id=None)
    assert inst.status == "running", inst.error
    from processes.execution import Step
    data = Step.load(db, inst, None).workflow.get_tasks(spec_name="Review")[0].data
    assert data["total"] == 6 and data["doubled"] == 8 and data["names"] == {"a": 1, "b": 2}
    assert str(data["when"]) == "2024-01-02" and "helper" not in data
