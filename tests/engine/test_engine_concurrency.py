"""Twenty users completing the same task at the same moment, each on its own connection and thread: exactly one
wins, the others get ConcurrentUpdate (409), and the instance still loads. Commits for real, so it cleans up."""
import threading

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from app.auth.models import User
from app.db import make_engine
from app.inbox import actor_for
from engine_helpers import DEMO_XML, FIXTURES
from processes.definitions import deploy_model
from processes.errors import ConcurrentUpdate
from processes.execution import Step
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from processes.runtime import complete_task, start_process

THREADS = 20
KEY = "engine_concurrency"


def _setup(engine):
    with Session(engine) as s:
        xml = DEMO_XML.replace('id="engine_demo"', f'id="{KEY}"').replace('processRef="engine_demo"',
                                                                          f'processRef="{KEY}"')
        definition, _ = deploy_model(s, xml, filename=f"{KEY}.bpmn", forms_dir=FIXTURES / "forms")
        inst = start_process(s, KEY, business_key="C-1", subject="C-1",
                             data={"amount": 1, "record": "C-1", "escalate_after": "PT1H"}, user_id=None)
        task = s.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
        manager_id = s.scalar(select(User.id).where(User.username == "manager1"))
        s.commit()
        return definition.id, inst.id, task.id, manager_id, inst.lock_version


def _cleanup(engine, definition_id, instance_id):
    with Session(engine) as s:
        s.execute(delete(ProcessEvent).where(ProcessEvent.instance_id == instance_id))
        s.execute(delete(ProcessEvent).where(ProcessEvent.event == "deployed",
                                             ProcessEvent.data["key"].as_string() == KEY))
        s.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        s.execute(delete(ProcessInstance).where(ProcessInstance.id == instance_id))
        s.execute(delete(ProcessDefinition).where(ProcessDefinition.id == definition_id))
        s.commit()


def test_concurrent_completions_of_one_task(app, engine):
    engine = make_engine(engine.url.render_as_string(hide_password=False), pool_size=THREADS + 2)
    definition_id, instance_id, task_id, manager_id, version = _setup(engine)
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def worker(i):
        with Session(engine) as s:
            actor = actor_for(s.scalar(select(User).where(User.username == "supervisor")))
            barrier.wait()
            try:
                complete_task(s, task_id, actor=actor, data={"approved": "yes", "assignee_id": manager_id})
                s.commit()
                results[i] = "ok"
            except ConcurrentUpdate:
                s.rollback()
                results[i] = "conflict"
            except Exception as exc:  # anything else is a failure of the test
                s.rollback()
                results[i] = repr(exc)

    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(results) == ["conflict"] * (THREADS - 1) + ["ok"], results
        with Session(engine) as s:
            inst = s.get(ProcessInstance, instance_id)
            step = Step.load(s, inst, None)  # the saved state still loads
            assert [t.task_spec.bpmn_id for t in step.workflow.get_tasks(state=TaskState.READY, manual=True)] == ["Handle"]
            completions = s.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == instance_id,
                                                               ProcessEvent.event == "task_completed")).all()
            assert len(completions) == 1
            assert inst.status == "running" and inst.lock_version == version + 1  # saved once
            assert [t.bpmn_id for t in s.scalars(select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None)))] == ["Handle"]
    finally:
        _cleanup(engine, definition_id, instance_id)
        engine.dispose()
