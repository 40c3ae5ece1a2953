"""Integration on PostgreSQL with committed data: two churn scans racing each other. The second one's insert waits
on the first one's uncommitted rows in the partial unique index, then skips them (ON CONFLICT DO NOTHING)
instead of failing or duplicating. Also provides the database fixture the beat test uses."""
import os
import threading
import time
from collections import namedtuple
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.catalog.models import Order
from app.churn.models import ChurnCase
from app.churn.scan_service import run_scan
from app.customers import last_order
from app.customers.models import Customer
from app.db import make_engine, normalize_url
from processes.models import ProcessInstance

PgDatabase = namedtuple("PgDatabase", "url engine")


def _pg_base_url():
    url = os.environ.get("TEST_DATABASE_URL") or ""
    if not url.startswith("postgres"):
        url = os.environ.get("TEST_PG_URL", "postgresql://root@127.0.0.1:5432/crm_test")
    return make_url(normalize_url(url))


@pytest.fixture(scope="module")
def pg_database(request):
    """A PostgreSQL database of this module's own, migrated, with the demo users and the deployed models."""
    base = _pg_base_url()
    name = f"{base.database}_{request.module.__name__.rsplit('.', 1)[-1]}"[:63]
    url = base.set(database=name)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url_str = url.render_as_string(hide_password=False)
    from app.cli import upgrade_database
    upgrade_database(url_str)
    engine = make_engine(url_str)
    with Session(engine) as db:
        from app.auth.seed import seed_demo
        from processes.definitions import deploy_directory
        from app.config import ROOT
        seed_demo(db)
        deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
        db.commit()
    try:
        yield PgDatabase(url_str, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_customers(db, specs, today):
    """specs: (name, manager id, order dates | [] (none, customer for 400 days) | None (none, customer for 30 days),
    expected warning?, status='normal'). Returns {customer_id: ('warning', manager_id, last order)} expected."""
    expected = {}
    today_date = today.date() if isinstance(today, datetime) else today
    for spec in specs:
        name, manager, orders, warn = spec[:4]
        status = spec[4] if len(spec) > 4 else "normal"
        since = today_date - timedelta(days=30 if orders is None else 400)
        cust = Customer(no=f"KHI{time.monotonic_ns() % 10**12:012d}", name=f"集成{name}", manager_id=manager,
                        level=1, status=status, created_at=datetime.combine(since, datetime.min.time()))
        db.add(cust)
        db.flush()
        for i, day in enumerate(orders or []):
            order = Order(order_no=f"I{cust.id}-{i}", customer_id=cust.id, order_date=day, status="paid", total=0,
                          imported_at=datetime(2020, 1, 1))
            db.add(order)
            last_order.record_order(db, order)  # the customer's last order date, as the order hook keeps it
        if warn:
            expected[cust.id] = ("warning", manager, max(orders) if orders else None)
    db.flush()
    return expected


def _lock_waiters(engine):
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND wait_event_type = 'Lock'"))


def test_a_scan_racing_another_waits_then_skips_instead_of_failing(pg_database):
    engine = pg_database.engine
    today = datetime.now(timezone.utc)
    with Session(engine) as db:
        from app.auth.models import User
        m1 = db.scalar(select(User.id).where(User.username == "manager1"))
        expected = make_customers(db, [(f"race{i}", m1, [date(2000, 1, 1)], True) for i in range(20)], today)
        db.commit()

    first_session = Session(engine)
    first = run_scan(first_session, months=6, tz="Asia/Shanghai")  # holds its new index entries, uncommitted
    outcome = {}

    def second_scan():
        with Session(engine) as db:
            try:
                outcome["result"] = run_scan(db, months=6, tz="Asia/Shanghai")
                db.commit()
            except Exception as exc:  # reported through the assertion below
                outcome["error"] = exc

    racer = threading.Thread(target=second_scan)
    racer.start()
    deadline = time.monotonic() + 30
    while _lock_waiters(engine) == 0:  # the second scan must be blocked on the first one's rows
        assert time.monotonic() < deadline and racer.is_alive(), f"second scan did not wait: {outcome}"
        time.sleep(0.05)
    first_session.commit()
    first_session.close()
    racer.join(60)
    assert "error" not in outcome, outcome.get("error")
    second = outcome["result"]
    assert (first.created, second.candidates, second.created, second.skipped) == (20, 20, 0, 20)
    with Session(engine) as db:
        rows = db.execute(select(ChurnCase.customer_id, func.count()).where(
            ChurnCase.customer_id.in_(list(expected))).group_by(ChurnCase.customer_id)).all()
        assert {cid: n for cid, n in rows} == {cid: 1 for cid in expected}
        assert db.scalar(select(func.count(ProcessInstance.id)).where(
            ProcessInstance.business_key.in_([str(i) for i in first.case_ids]))) == 20
