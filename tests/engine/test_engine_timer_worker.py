"""A real broker, a real Celery worker and beat (subprocesses) fire an escalation timer: the task moves from the
customer manager's inbox to the supervisors' lane. Commits for real, so it cleans up after itself."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.inbox import actor_for
from engine_helpers import DEMO_XML, FIXTURES
from processes.definitions import deploy_model
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from processes.runtime import complete_task, start_process

ROOT = Path(__file__).resolve().parents[2]
KEY = "engine_timer_worker"


def _broker_url():
    """Redis when it answers, else RabbitMQ (guest/guest): the CI machine starts both."""
    import socket
    for host, port, url in (("127.0.0.1", 6379, "redis://127.0.0.1:6379/0"),
                            ("127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672//")):
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex((host, port)) == 0:
                return url
    pytest.fail("no message broker on 127.0.0.1:6379 (Redis) or :5672 (RabbitMQ)")


def _setup(engine):
    with Session(engine) as s:
        xml = DEMO_XML.replace('id="engine_demo"', f'id="{KEY}"').replace('processRef="engine_demo"',
                                                                          f'processRef="{KEY}"')
        definition, _ = deploy_model(s, xml, filename=f"{KEY}.bpmn", forms_dir=FIXTURES / "forms")
        inst = start_process(s, KEY, business_key="T-1", subject="T-1",
                             data={"amount": 1, "record": "T-1", "escalate_after": "PT3S"}, user_id=None)
        review = s.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id))
        sup = s.scalar(select(User).where(User.username == "supervisor"))
        manager_id = s.scalar(select(User.id).where(User.username == "manager1"))
        complete_task(s, review.id, actor=actor_for(sup), data={"approved": "yes", "assignee_id": manager_id})
        s.commit()
        return definition.id, inst.id


def _cleanup(engine, definition_id, instance_id):
    with Session(engine) as s:
        s.execute(delete(ProcessEvent).where(ProcessEvent.instance_id == instance_id))
        s.execute(delete(ProcessEvent).where(ProcessEvent.event == "deployed",
                                             ProcessEvent.data["key"].as_string() == KEY))
        s.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
        s.execute(delete(ProcessInstance).where(ProcessInstance.id == instance_id))
        s.execute(delete(ProcessDefinition).where(ProcessDefinition.id == definition_id))
        s.commit()


def _open_tasks(engine, instance_id):
    with Session(engine) as s:
        return [(t.bpmn_id, t.role, t.assignee_id) for t in s.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None)))]


def test_worker_and_beat_fire_the_escalation_timer(app, engine, tmp_path):
    definition_id, instance_id = _setup(engine)
    assert [t[0] for t in _open_tasks(engine, instance_id)] == ["Handle"]
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "CELERY_BROKER_URL": _broker_url(), "CELERY_RESULT_BACKEND": "cache+memory://",
           "CELERY_QUEUE": f"crm-test-timers-{os.getpid()}", "TIMER_SCAN_SECONDS": "1",
           "DEPLOY_MODELS_AT_START": "0", "PYTHONPATH": str(ROOT),
           "SECRET_KEY": "timer-worker-test"}  # the app refuses the published default outside demo/tests
    celery = [sys.executable, "-m", "celery", "-A", "scheduler"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}
    worker = subprocess.Popen([*celery, "worker", "--loglevel=info", "--concurrency=1", "--pool=solo",
                               "--without-gossip", "--without-mingle", "-n", f"timers-{os.getpid()}@%h"],
                              cwd=ROOT, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT)
    beat = subprocess.Popen([*celery, "beat", "--loglevel=info", "-s", str(tmp_path / "beat-schedule")],
                            cwd=ROOT, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        tasks = _open_tasks(engine, instance_id)
        while tasks != [("Escalated", "sales_supervisor", None)] and time.monotonic() < deadline:
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.5)  # polling another process's progress, with a deadline
            tasks = _open_tasks(engine, instance_id)
        logs_text = {n: (tmp_path / f"{n}.log").read_text() for n in logs}
        assert tasks == [("Escalated", "sales_supervisor", None)], logs_text
        assert "crm.fire_timers" in logs_text["beat"]
        with Session(engine) as s:
            handle = s.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.bpmn_id == "Handle"))
            assert handle.outcome == "interrupted"
            events = s.scalars(select(ProcessEvent.event).where(ProcessEvent.instance_id == instance_id)).all()
            assert "timer_fired" in events
    finally:
        for proc in (beat, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (beat, worker):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for f in logs.values():
            f.close()
        _cleanup(engine, definition_id, instance_id)
