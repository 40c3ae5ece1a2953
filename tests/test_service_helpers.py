"""Test data for the service tests: the 服务类型 dictionary, customers of two managers, the deployed model,
and a request created through the API. Imported by the service test modules (no tests of its own)."""
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.catalog.models import DictionaryEntry
from app.customers.models import Customer

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TYPES = (("咨询", "consultation"), ("建议", "suggestion"), ("投诉", "complaint"))


def deploy_service_model(db):
    """Deploy the repository's BPMN models and forms (a no-op for unchanged content)."""
    from processes.definitions import deploy_directory
    deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
    db.flush()


def ensure_service_data(db, user):
    for item, value in SERVICE_TYPES:
        if db.scalar(select(DictionaryEntry).where(DictionaryEntry.type == "服务类型",
                                                   DictionaryEntry.item == item)) is None:
            db.add(DictionaryEntry(type="服务类型", item=item, value=value, editable=True))
    customers = {}
    for no, name, manager in (("KHT0001", "测试甲公司", "manager1"), ("KHT0002", "测试乙公司", "manager2")):
        c = db.scalar(select(Customer).where(Customer.no == no))
        if c is None:
            c = Customer(no=no, name=name, manager_id=user(manager).id, level=1, status="normal",
                         created_at=datetime(2026, 1, 5))
            db.add(c)
        customers[no] = c
    db.flush()
    deploy_service_model(db)
    return customers


@pytest.fixture
def service_data(db, user):
    return ensure_service_data(db, user)


@pytest.fixture
def clients(api):
    """clients('manager1') -> (client, headers), one login per user and test (logins hash passwords: slow)."""
    cache = {}

    def get(username):
        if username not in cache:
            cache[username] = api(username)
        return cache[username]
    return get


def create_via_api(clients, *, username="service1", customer_no="KHT0001", summary="打印机无法联网", type="投诉"):
    c, h = clients(username)
    resp = c.post("/api/v1/service-requests", headers=h,
                  json={"type": type, "summary": summary, "customer_no": customer_no, "request": "客户来电：打印机无法联网。"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def fire_timers_after(db, delta):
    """Move the engine clock by `delta` and fire every timer then due, as the scheduler would."""
    from processes import clock, runtime
    clock.set_offset(delta)
    try:
        done = []
        while (instance := runtime.fire_due_timers(db, exclude=done)) is not None:
            done.append(instance.id)
        db.flush()
    finally:
        clock.set_offset(None)
    return done
