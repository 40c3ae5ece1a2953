"""Test data for the churn tests: customers with orders, a clock set to a chosen instant, the inbox rows."""
import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.catalog.models import Order
from app.customers import last_order
from app.customers.models import Customer
from processes import clock

_seq = itertools.count(1)
# A Saturday 02:00 in Shanghai (18:00 UTC on Friday) — when the weekly scan runs.
SCAN_AT_UTC = datetime(2030, 1, 5, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc) \
    .replace(tzinfo=None)


def make_customer(db, *, name=None, manager=None, created_at=None, status="normal", orders=()):
    n = next(_seq)
    cust = Customer(no=f"KHT{n:08d}", name=name or f"测试客户{n}", manager_id=manager.id if manager else None,
                    level=1, status=status, created_at=created_at or datetime(2020, 1, 1))
    db.add(cust)
    db.flush()
    for i, day in enumerate(orders):
        # The customer's last order date as the order hook keeps it (what the scan reads).
        last_order.record_order(db, add_order(db, cust, day, suffix=i))
    return cust


def add_order(db, customer, day, suffix=0):
    order = Order(order_no=f"T{customer.id}-{suffix}-{next(_seq)}", customer_id=customer.id, order_date=day,
                  status="paid", total=0, imported_at=clock.utcnow())
    db.add(order)
    db.flush()
    return order


def open_tasks(db, case_id):
    from processes.models import HumanTask
    return db.scalars(select(HumanTask).where(HumanTask.process_key == "customer_churn",
                                              HumanTask.business_key == str(case_id),
                                              HumanTask.completed_at.is_(None))).all()


@pytest.fixture
def churn_model(db):
    """The repository's customer_churn model deployed in the test transaction."""
    from app.config import ROOT
    from processes.definitions import deploy_model
    row, _created = deploy_model(db, (ROOT / "bpmn-models" / "customer_churn.bpmn").read_text(encoding="utf-8"),
                                 filename="customer_churn.bpmn", forms_dir=ROOT / "forms")
    return row


@pytest.fixture
def clock_at():
    """clock_at(naive_utc) moves processes.clock so utcnow() reads that instant (and runs on from there)."""
    def _set(instant):
        clock.set_offset(instant - datetime.now(timezone.utc).replace(tzinfo=None))
    yield _set
    clock.set_offset(None)


def advance_clock(delta: timedelta):
    current = clock._offset or timedelta(0)
    clock.set_offset(current + delta)
