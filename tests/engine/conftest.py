"""Engine test fixtures: the demo BPMN (lanes, gateway, script, service task, timer, loop) and its operation."""
from pathlib import Path

import pytest

from app.common.errors import ValidationFailed
from app.inbox import actor_for
from processes.definitions import deploy_model
from processes.services import operation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_XML = (FIXTURES / "engine_demo.bpmn").read_text(encoding="utf-8")

# What test.notify saw, and how it should behave next; tests switch it to fail or reject.
NOTIFY = {"mode": "ok", "calls": []}


@operation("test.notify")
def notify(ctx, record, handler):
    NOTIFY["calls"].append((record, handler, ctx.instance.id, ctx.user_id))
    if NOTIFY["mode"] == "fail":
        raise RuntimeError("notification backend is down")
    if NOTIFY["mode"] == "reject":
        raise ValidationFailed({"record": ["unknown record"]})
    return {"sent_to": handler}


@pytest.fixture(autouse=True)
def _reset_notify():
    NOTIFY.update(mode="ok", calls=[])
    yield
    NOTIFY.update(mode="ok", calls=[])


@pytest.fixture
def demo(db):
    """The demo process deployed (version 1)."""
    row, _created = deploy_model(db, DEMO_XML, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    return row


@pytest.fixture
def actor(user):
    def _actor(username):
        return actor_for(user(username))
    return _actor


@pytest.fixture
def clock_shift():
    """clock_shift(timedelta): move the engine clock (timers included); reset after the test."""
    from processes import clock
    yield clock.set_offset
    clock.set_offset(None)
