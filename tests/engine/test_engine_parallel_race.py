"""Two users complete the two parallel tasks of one instance at once: the second waits for the first's lock, then
works on what the first left (processes.execution.lock_for_step reads the open inbox rows again when the lock
waited for a concurrent step). Both completions count, the join is reached once, the inbox holds exactly the next
task. Commits for real on its own connections, so it cleans up."""
import threading
import time

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import make_engine
from app.inbox import actor_for
from processes.definitions import deploy_model
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from processes.runtime import complete_task, start_process

KEY = "engine_parallel_race"
XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:collaboration id="c"><bpmn:participant id="p" processRef="{KEY}"/></bpmn:collaboration>
  <bpmn:process id="{KEY}" name="Parallel race" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane" name="sales_supervisor">
      <bpmn:flowNodeRef>Begin</bpmn:flowNodeRef><bpmn:flowNodeRef>Split</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Left</bpmn:flowNodeRef><bpmn:flowNodeRef>Right</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Join</bpmn:flowNodeRef><bpmn:flowNodeRef>After</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Finish</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="Begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="Split"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="Left" name="Left"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Right" name="Right"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="After" name="After"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Finish"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Begin" targetRef="Split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Split" targetRef="Left"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Split" targetRef="Right"/>
    <bpmn:sequenceFlow id="f4" sourceRef="Left" targetRef="Join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="Right" targetRef="Join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="Join" targetRef="After"/>
    <bpmn:sequenceFlow id="f7" sourceRef="After" targetRef="Finish"/>
  </bpmn:process>
</bpmn:definitions>"""


def _setup(engine):
    with Session(engine) as s:
        definition, _ = deploy_model(s, XML, filename=f"{KEY}.bpmn")
        inst = start_process(s, KEY, business_key="R-1", subject="R-1", user_id=None)
        tasks = {t.bpmn_id: t.id for t in s.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id))}
        s.commit()
        return definition.id, inst.id, tasks


def _cleanup(engine, definition_id, instance_id):
    with Session(engine) as s:
        s.execute(delete(ProcessEvent).where(ProcessEvent.instance_id == instance_id))
        s.execute(delete(ProcessEvent).where(ProcessEvent.event == "deployed",
                                             ProcessEvent.data["key"].as_string() == KEY))
        s.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        s.execute(delete(ProcessInstance).where(ProcessInstance.id == instance_id))
        s.execute(delete(ProcessDefinition).where(ProcessDefinition.id == definition_id))
        s.commit()


def _waiting_for_a_lock(engine, deadline=60):
    """PostgreSQL: until another backend waits for a lock (the second completion is queued behind the first)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite: the second writer waits on the database lock (busy timeout) whenever it gets there
    end = time.monotonic() + deadline
    with engine.connect() as conn:
        while time.monotonic() < end:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")).scalar()
            conn.commit()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second completion never waited for the instance lock")


def test_the_parallel_tasks_completed_at_once_both_count(app, engine):
    engine = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4)
    definition_id, instance_id, tasks = _setup(engine)
    assert set(tasks) == {"Left", "Right"}
    outcome = {}
    try:
        with Session(engine) as first:
            actor = actor_for(first.scalar(select(User).where(User.username == "supervisor")))
            complete_task(first, tasks["Left"], actor=actor, data={})  # holds the instance lock, not committed

            def second():
                with Session(engine) as s:
                    try:
                        complete_task(s, tasks["Right"], actor=actor, data={})
                        s.commit()
                        outcome["right"] = "ok"
                    except Exception as exc:
                        s.rollback()
                        outcome["right"] = repr(exc)

            thread = threading.Thread(target=second)
            thread.start()
            _waiting_for_a_lock(engine)
            first.commit()
        thread.join(120)
        assert outcome == {"right": "ok"}
        with Session(engine) as s:
            rows = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                             .order_by(HumanTask.id)).all()
            assert [(r.bpmn_id, r.outcome) for r in rows] == [("Left", "completed"), ("Right", "completed"),
                                                              ("After", None)]
            inst = s.get(ProcessInstance, instance_id)
            assert inst.status == "running" and inst.lock_version == 4  # started, then saved once per completion
            completed = s.scalars(select(ProcessEvent.bpmn_id).where(ProcessEvent.instance_id == instance_id,
                                                                     ProcessEvent.event == "task_completed")).all()
            assert sorted(completed) == ["Left", "Right"]
    finally:
        _cleanup(engine, definition_id, instance_id)
        engine.dispose()
