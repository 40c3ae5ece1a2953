"""Integration: the weekly churn scan through a real broker, a real Celery worker and beat (subprocesses) on
PostgreSQL, with the clock moved to just before Saturday 02:00 company time.

Beat and the worker load a small Celery module written for the test: it keeps the real beat entry and the real
task but gives the entry's crontab a shifted `now` (beat asks the schedule itself what time it is) and moves
processes.clock by the same offset in the worker, so the scan's cutoff is computed on that Saturday. Data is
committed in a database of its own, dropped at the end; the broker keys carry a per-run prefix.
"""
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.churn.models import ChurnCase
from processes.models import HumanTask, ProcessInstance
from test_churn_pg import make_customers, pg_database  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/0")
SHANGHAI = ZoneInfo("Asia/Shanghai")

CELERY_MODULE = textwrap.dedent('''
    """Celery for the churn integration test: the real app, tasks and beat entry on a shifted clock."""
    import copy
    import os
    from datetime import datetime, timezone

    from processes import clock
    from scheduler.celery_app import celery
    import scheduler.tasks  # noqa: F401  (registers the tasks and the real beat schedule)
    from scheduler.schedule import BEAT_SCHEDULE

    # The fake clock reads CHURN_IT_FAKE_START at the moment this module is imported.
    OFFSET = datetime.fromisoformat(os.environ["CHURN_IT_FAKE_START"]) - datetime.now(timezone.utc)
    clock.set_offset(OFFSET)


    def fake_now():
        return (datetime.now(timezone.utc) + OFFSET).astimezone(celery.timezone)


    entry = dict(BEAT_SCHEDULE["churn-weekly-scan"])
    entry["schedule"] = copy.copy(entry["schedule"])
    entry["schedule"].nowfun = fake_now
    entry["options"] = {"queue": os.environ["CHURN_IT_QUEUE"]}
    keys = {"global_keyprefix": os.environ["CHURN_IT_PREFIX"]}
    celery.conf.update(broker_url=os.environ["CHURN_IT_BROKER"], result_backend=os.environ["CHURN_IT_BROKER"],
                       broker_transport_options=keys, result_backend_transport_options=keys,
                       task_default_queue=os.environ["CHURN_IT_QUEUE"],
                       beat_schedule={"churn-weekly-scan": entry})
''')


def _next_saturday_0159(now_utc):
    local = now_utc.astimezone(SHANGHAI)
    days = (5 - local.weekday()) % 7 or 7
    return datetime.combine(local.date() + timedelta(days=days), datetime.min.time(), SHANGHAI) \
        .replace(hour=1, minute=59, second=50)


@pytest.fixture(scope="module")
def celery_run(tmp_path_factory, pg_database):
    """Starts a worker (2 processes) and beat; yields (client app, queue, fake Saturday, start_beat)."""
    tmp = tmp_path_factory.mktemp("churn-celery")
    (tmp / "churn_it_celery.py").write_text(CELERY_MODULE)
    run = uuid.uuid4().hex[:10]
    saturday = _next_saturday_0159(datetime.now(timezone.utc))
    env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}", "DATABASE_URL": pg_database.url,
           "CELERY_BROKER_URL": BROKER, "CHURN_IT_BROKER": BROKER, "CHURN_IT_QUEUE": f"churn-it-{run}",
           "CHURN_IT_PREFIX": f"churn-it-{run}:", "CHURN_IT_FAKE_START": saturday.isoformat(),
           "CHURN_MONTHS": "6", "TIMEZONE": "Asia/Shanghai",
           "SECRET_KEY": "churn-beat-test"}  # the app refuses the published default outside demo/tests
    celery_bin = str(Path(sys.executable).with_name("celery"))
    procs = []

    def start(*args, name):
        log = open(tmp / f"{name}.log", "w")
        procs.append((subprocess.Popen([celery_bin, "-A", "churn_it_celery", *args], cwd=tmp, env=env,
                                       stdout=log, stderr=subprocess.STDOUT), log, tmp / f"{name}.log"))

    start("worker", "-P", "prefork", "-c", "2", "-Q", env["CHURN_IT_QUEUE"], "-n", f"churn-it-{run}@%h",
          "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "INFO", name="worker")
    client = Celery("churn-it-client", broker=BROKER, backend=BROKER)
    keys = {"global_keyprefix": env["CHURN_IT_PREFIX"]}
    client.conf.update(broker_transport_options=keys, result_backend_transport_options=keys)
    try:
        # Worker up, database reachable, and both pool processes warm (each builds its Flask app on first use),
        # so the two concurrent scans below really run side by side.
        pings = [client.send_task("crm.ping", queue=env["CHURN_IT_QUEUE"]) for _ in range(4)]
        assert [p.get(timeout=180) for p in pings] == [1, 1, 1, 1]
        yield client, env["CHURN_IT_QUEUE"], saturday, \
            lambda: start("beat", "-S", "celery.beat:Scheduler", "--max-interval", "1", "-l", "INFO", name="beat")
    finally:
        for proc, log, path in procs:
            proc.terminate()
        for proc, log, path in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
            print(f"--- {path.name} ---\n" + path.read_text()[-3000:])


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)  # polling a committed state, with a deadline
    raise AssertionError(f"timed out waiting for {what}")


def test_beat_on_saturday_two_am_opens_exactly_the_expected_cases_and_reruns_add_none(pg_database, celery_run):
    client, queue, saturday, start_beat = celery_run
    engine = pg_database.engine
    cutoff = saturday.date() - relativedelta(months=6)
    with Session(engine) as db:
        from app.auth.models import User
        m1 = db.scalar(select(User.id).where(User.username == "manager1"))
        m2 = db.scalar(select(User.id).where(User.username == "manager2"))
        expected = make_customers(db, [
            ("over", m1, [cutoff - timedelta(days=1)], True),
            ("exact", m1, [cutoff], False),
            ("recent", m2, [cutoff - timedelta(days=400), saturday.date() - timedelta(days=3)], False),
            ("never_old", m2, [], True),
            ("never_new", m2, None, False),
            ("lost", m1, [cutoff - timedelta(days=90)], False, "lost"),
        ], saturday)
        db.commit()
        assert db.scalar(select(func.count(ChurnCase.id))) == 0

    start_beat()  # nothing else sends the scan: the cases below come from beat's Saturday 02:00 entry
    with Session(engine) as db:
        count = lambda: db.scalar(select(func.count(ChurnCase.id)))  # noqa: E731
        _wait_for(lambda: (db.rollback(), count())[1], 120, "beat's churn scan")
        cases = db.scalars(select(ChurnCase)).all()
        assert {c.customer_id: (c.status, c.manager_id, c.last_order_date) for c in cases} == expected
        warned_at = cases[0].created_at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI)
        assert warned_at.date() == saturday.date() and warned_at.hour == 2  # on the moved clock
        tasks = db.scalars(select(HumanTask).where(HumanTask.completed_at.is_(None))).all()
        assert sorted((t.business_key, t.bpmn_id, t.assignee_id) for t in tasks) == \
            sorted((str(c.id), "handle_warning", c.manager_id) for c in cases)

    second = client.send_task("crm.churn_scan", queue=queue).get(timeout=120)
    assert (second["candidates"], second["created"]) == (0, 0)

    # Two scans at once over new candidates: together they open one case per customer, and neither fails.
    # (Whether the second one's insert meets the first one's uncommitted rows depends on timing here;
    # test_churn_pg forces that race deterministically.)
    with Session(engine) as db:
        new = make_customers(db, [(f"batch{i}", m1, [cutoff - timedelta(days=30)], True) for i in range(150)],
                             saturday)
        db.commit()
    a, b = (client.send_task("crm.churn_scan", queue=queue) for _ in range(2))
    ra, rb = a.get(timeout=180), b.get(timeout=180)
    assert ra["created"] + rb["created"] == 150
    with Session(engine) as db:
        per_customer = db.execute(select(ChurnCase.customer_id, func.count()).where(
            ChurnCase.customer_id.in_(list(new))).group_by(ChurnCase.customer_id)).all()
        assert len(per_customer) == 150 and {n for _, n in per_customer} == {1}
        assert db.scalar(select(func.count(ProcessInstance.id))) == db.scalar(select(func.count(ChurnCase.id)))
