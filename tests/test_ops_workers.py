"""Workers and beat in a cluster: a dead worker's task comes back within minutes (visibility timeout matched to
the longest task), and only one beat schedules (a lock in Redis: a second beat waits, takes over when the holder
dies)."""
import os
import uuid

import pytest

from scheduler.beat_lock import BeatLock, lock_url
from scheduler.celery_app import TASK_TIME_LIMIT, VISIBILITY_TIMEOUT, celery

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def test_a_dead_workers_task_comes_back_within_minutes_not_an_hour():
    assert celery.conf.task_acks_late and celery.conf.task_reject_on_worker_lost
    timeout = celery.conf.broker_transport_options["visibility_timeout"]
    assert timeout == VISIBILITY_TIMEOUT <= 10 * 60  # Kombu's default is 3600
    # never redelivered while the first worker still runs it: every task is stopped before the timeout
    assert celery.conf.task_time_limit == TASK_TIME_LIMIT < timeout
    assert celery.conf.task_soft_time_limit < celery.conf.task_time_limit


@pytest.fixture
def lock_name():
    name = f"crm:test-beat-lock:{uuid.uuid4().hex}"
    yield name
    BeatLock(REDIS, name).client.delete(name)


def test_a_second_beat_waits_while_the_first_holds_the_lock_and_takes_over_when_it_dies(lock_name):
    first, second = BeatLock(REDIS, lock_name, ttl=1.5), BeatLock(REDIS, lock_name, ttl=1.5)
    assert first.acquire(timeout=5)
    first.keep_alive(on_lost=lambda: pytest.fail("the living holder lost its lock"))
    # The holder renews: the second beat waits through several lifetimes of the key without getting it.
    assert not second.acquire(timeout=4, poll=0.2)
    assert second.holder() == first.token
    # The first beat dies (kill -9: no release, no renewal): the key expires and the second one takes over.
    first._stop.set()
    assert second.acquire(timeout=10, poll=0.2)
    assert second.holder() == second.token
    assert not first.renew()  # the old holder cannot extend a lock it lost
    second.release()
    assert second.holder() is None


def test_a_beat_that_lost_its_lock_stops(lock_name):
    import threading
    first = BeatLock(REDIS, lock_name, ttl=1)
    assert first.acquire(timeout=5)
    first.client.set(lock_name, "someone-else")  # e.g. the key expired while this beat was frozen
    lost = threading.Event()
    first.keep_alive(on_lost=lost.set)
    assert lost.wait(10)


def test_the_lock_lives_in_the_redis_broker_or_where_configured(monkeypatch):
    monkeypatch.delenv("CELERY_BEAT_LOCK_URL", raising=False)
    assert lock_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert lock_url("sqla+sqlite:///x") is None
    monkeypatch.setenv("CELERY_BEAT_LOCK_URL", "redis://r/1")
    assert lock_url("amqp://guest@localhost//") == "redis://r/1"
