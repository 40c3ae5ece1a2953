"""Engine test fixtures: the demo BPMN (lanes, gateway, script, service task, timer, loop) and its operation."""
import pytest

from app.inbox import actor_for
from engine_helpers import DEMO_XML, FIXTURES, NOTIFY
from processes.definitions import deploy_model


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
