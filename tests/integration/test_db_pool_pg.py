"""The connection pool on PostgreSQL: a connection that died while idle in the pool (database restart, idle
timeout, a killed backend) is replaced before use instead of failing the next request; one handed back still in
a transaction is rolled back, one whose transaction already ended costs no round trip."""
import psycopg2.extensions
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import app.db
from app.db import make_engine
from test_churn_pg import _pg_base_url


def test_a_pooled_connection_killed_while_idle_is_replaced(monkeypatch):
    monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    base = _pg_base_url().set(database="postgres")
    engine = make_engine(base.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            dead = conn.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
        with engine.connect() as conn:  # the same pooled connection: checked, found dead, replaced
            assert conn.scalar(text("SELECT pg_backend_pid()")) not in (None, dead)
    finally:
        engine.dispose()
        admin.dispose()


class CountingConnection(psycopg2.extensions.connection):
    rollbacks = 0

    def rollback(self):
        type(self).rollbacks += 1
        return super().rollback()


@pytest.fixture
def counting_engine():
    base = _pg_base_url().set(database="postgres")
    engine = make_engine(base.render_as_string(hide_password=False), pool_size=1, max_overflow=0,
                         connect_args={"connection_factory": CountingConnection})
    with engine.connect():
        pass  # the first connect's own rollbacks (the dialect's start-up queries) are not what is counted
    CountingConnection.rollbacks = 0
    yield engine
    engine.dispose()


def test_a_session_that_ended_its_transaction_is_handed_back_without_a_second_rollback(counting_engine):
    # Every request ends so: one ROLLBACK (a round trip) saved per request.
    with Session(counting_engine) as db:
        assert db.scalar(text("SELECT 1")) == 1
    assert CountingConnection.rollbacks == 1  # the session's own; the pool sent none
    with Session(counting_engine) as db:
        db.execute(text("SELECT 1"))
        db.commit()
    assert CountingConnection.rollbacks == 1  # committed: nothing to reset


def test_a_connection_handed_back_mid_transaction_is_rolled_back(counting_engine):
    raw = counting_engine.raw_connection()
    raw.cursor().execute("SELECT pg_advisory_xact_lock(424242)")  # held until this transaction ends
    raw.close()  # back to the pool without commit or rollback
    other = create_engine(_pg_base_url().set(database="postgres"))
    try:
        with other.connect() as conn:
            assert conn.scalar(text("SELECT pg_try_advisory_xact_lock(424242)")) is True
    finally:
        other.dispose()
    again = counting_engine.raw_connection()
    try:
        assert again.driver_connection.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    finally:
        again.close()
    assert CountingConnection.rollbacks == 1
