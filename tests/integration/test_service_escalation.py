"""A real broker (Redis, else RabbitMQ), a real Celery worker in a subprocess and PostgreSQL: a service request
nobody dispatches escalates into the supervisors' inbox when its (shortened) time limit passes.

Runs on its own PostgreSQL database (SERVICE_INTEGRATION_DATABASE_URL) because it commits for real; the schema is
built by the migrations at the start and everything it committed is dropped at the end."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cli import upgrade_database
from app.db import drop_all, ensure_database, make_engine

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("SERVICE_INTEGRATION_DATABASE_URL",
                        "postgresql://root@127.0.0.1:5432/crm_test_service_int")


def _broker_url():
    for port, url in ((6379, "redis://127.0.0.1:6379/0"), (5672, "amqp://guest:guest@127.0.0.1:5672//")):
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return url
    pytest.fail("no message broker on 127.0.0.1:6379 (Redis) or :5672 (RabbitMQ)")


def _fresh_database():
    ensure_database(PG_URL)
    engine = make_engine(PG_URL)
    _drop_everything(engine)  # a run killed half-way must not leave rows that change this one's outcome
    upgrade_database(PG_URL)
    return engine


def _drop_everything(engine):
    drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _setup(engine):
    """Demo users, the 服务类型 dictionary, one customer, the deployed model, and one request whose dispatch
    limit is two seconds (the same process-data setting SERVICE_DISPATCH_LIMIT feeds in production)."""
    import app.service.operations  # noqa: F401  (registers the service-task operations in this process)
    from app.auth.seed import seed_demo as seed_users
    from app.auth.models import User
    from app.service import deadlines
    from app.service.service import create_request
    from test_service_helpers import ensure_service_data

    with Session(engine) as s:
        seed_users(s)
        s.flush()

        def user(name):
            return s.scalar(select(User).where(User.username == name))
        customers = ensure_service_data(s, user)
        limits = deadlines.settings({"SERVICE_DISPATCH_LIMIT": "PT2S", "TIMEZONE": "Asia/Shanghai"})
        sr, _instance = create_request(s, user=user("service1"), type="投诉", summary="没人分配的请求",
                                       customer_id=customers["KHT0001"].id, request="客户来电。", limits=limits)
        s.commit()
        return sr.id


def _open_steps(engine, request_id):
    from processes.models import HumanTask
    with Session(engine) as s:
        return [(t.bpmn_id, t.role, t.assignee_id, t.due_at is not None) for t in s.scalars(
            select(HumanTask).where(HumanTask.business_key == str(request_id),
                                    HumanTask.process_key == "customer_service",
                                    HumanTask.completed_at.is_(None)))]


def test_worker_escalates_an_undispatched_request(tmp_path):
    from celery import Celery

    engine = _fresh_database()
    broker = _broker_url()
    queue = f"crm-test-service-{uuid.uuid4().hex[:8]}"  # other test runs on the same broker keep their tasks
    log_path = tmp_path / "worker.log"
    worker = None
    try:
        request_id = _setup(engine)
        assert _open_steps(engine, request_id) == [("dispatch", "sales_supervisor", None, True)]
        env = {**os.environ, "DATABASE_URL": PG_URL, "CELERY_BROKER_URL": broker,
               "CELERY_RESULT_BACKEND": broker if broker.startswith("redis") else "rpc://",
               "CELERY_QUEUE": queue, "DEPLOY_MODELS_AT_START": "0", "PYTHONPATH": str(ROOT),
               "SECRET_KEY": "escalation-worker-test"}  # the default key is refused outside demo/tests
        with open(log_path, "w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "scheduler", "worker", "--pool=solo", "--concurrency=1",
                 "--loglevel=info", "--without-gossip", "--without-mingle", "-Q", queue,
                 "-n", f"{queue}@%h"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = Celery(broker=broker, backend=env["CELERY_RESULT_BACKEND"])
        # The worker answers through the broker only once it is up and reaches the database.
        assert client.send_task("crm.ping", queue=queue).get(timeout=90) == 1, log_path.read_text()

        deadline = time.monotonic() + 60
        steps = _open_steps(engine, request_id)
        while steps[:1] != [("escalate", "sales_supervisor", None, False)] and time.monotonic() < deadline:
            assert worker.poll() is None, log_path.read_text()
            client.send_task("crm.fire_timers", queue=queue).get(timeout=30)  # what beat sends every ~30 s
            steps = _open_steps(engine, request_id)
            if steps[:1] != [("escalate", "sales_supervisor", None, False)]:
                time.sleep(0.5)  # the 2-second limit has not passed yet; poll again before the deadline
        assert steps == [("escalate", "sales_supervisor", None, False)], log_path.read_text()

        from app.service.models import ServiceRequest
        from processes.models import HumanTask, ProcessEvent, ProcessInstance
        with Session(engine) as s:
            dispatch = s.scalar(select(HumanTask).where(HumanTask.business_key == str(request_id),
                                                        HumanTask.bpmn_id == "dispatch"))
            assert dispatch.outcome == "interrupted" and dispatch.completed_by is None
            instance = s.scalar(select(ProcessInstance).where(ProcessInstance.id == dispatch.instance_id))
            assert instance.status == "running" and instance.next_timer_at is None
            fired = s.scalars(select(ProcessEvent.bpmn_id).where(ProcessEvent.instance_id == instance.id,
                                                                 ProcessEvent.event == "timer_fired")).all()
            assert fired == ["dispatch_overdue"]
            assert s.get(ServiceRequest, request_id).status == "new"  # not dispatched: still new, still deletable
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
        _drop_everything(engine)
        engine.dispose()
