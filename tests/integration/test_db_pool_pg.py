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


@pytest.fixture
def pg_engine():
    engine = make_engine(_pg_base_url().set(database="postgres").render_as_string(hide_password=False),
                         pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _prepared_statements(conn):
    return conn.execute(text("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'crm_prepared_%'")) \
        .scalars().all()


def test_a_statement_marked_prepare_is_prepared_once_per_connection_and_answers_as_before(pg_engine):
    stmt = text("SELECT CAST(:a AS int) + 1, :b || '%', :a * 2").execution_options(prepare=True)
    with pg_engine.connect() as conn:
        assert conn.execute(stmt, {"a": 4, "b": "x"}).one() == (5, "x%", 8)
        assert conn.execute(stmt, {"a": 6, "b": "y"}).one() == (7, "y%", 12)
        [prepared] = _prepared_statements(conn)
        assert "$1" in prepared and "$2" in prepared and "'%'" in prepared
        conn.rollback()
    with pg_engine.connect() as conn:  # the same pooled connection: still prepared, not prepared again
        assert conn.execute(stmt, {"a": 1, "b": "z"}).one() == (2, "z%", 2)
        assert len(_prepared_statements(conn)) == 1
        plain = conn.execute(text("SELECT CAST(:a AS int)"), {"a": 3}).scalar()  # not marked: runs plain
        assert plain == 3 and len(_prepared_statements(conn)) == 1


def test_a_statement_postgresql_cannot_prepare_runs_plain_without_breaking_the_transaction(pg_engine):
    # "$1 IS NULL" has no type to infer: PREPARE refuses it, the plain statement works.
    stmt = text("SELECT :v IS NULL").execution_options(prepare=True)
    with pg_engine.connect() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE t_prepare (n int)"))
        conn.execute(text("INSERT INTO t_prepare VALUES (1)"))
        assert conn.execute(stmt, {"v": None}).scalar() is True
        assert conn.execute(stmt, {"v": "a"}).scalar() is False
        assert conn.execute(text("SELECT count(*) FROM t_prepare")).scalar() == 1  # the transaction goes on
        assert _prepared_statements(conn) == []
        conn.rollback()


def test_prepared_statements_are_evicted_beyond_the_limit(pg_engine, monkeypatch):
    import app.db_prepared
    monkeypatch.setattr(app.db_prepared, "MAX_PER_CONNECTION", 3)
    with pg_engine.connect() as conn:
        for n in range(5):
            stmt = text(f"SELECT CAST(:a AS int) + {n}").execution_options(prepare=True)
            assert conn.execute(stmt, {"a": 1}).scalar() == 1 + n
        assert len(_prepared_statements(conn)) == 3
        conn.rollback()


def test_prepared_statements_can_be_turned_off_for_a_pooler_in_transaction_mode(monkeypatch):
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "0")
    engine = make_engine(_pg_base_url().set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            stmt = text("SELECT CAST(:a AS int) + 1").execution_options(prepare=True)
            assert conn.execute(stmt, {"a": 1}).scalar() == 2
            assert _prepared_statements(conn) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("lazy", ["1", "0"])
def test_prepared_statements_run_their_generic_plan_on_every_connection(monkeypatch, lazy):
    """Planned once: PostgreSQL would otherwise plan the menu badges anew on every page (4.9 ms for the admin's)
    while it judged a plan for the given values cheaper."""
    monkeypatch.setenv("DB_LAZY_BEGIN", lazy)
    engine = make_engine(_pg_base_url().set(database="postgres").render_as_string(hide_password=False),
                         pool_size=1, max_overflow=0)
    try:
        for _ in range(2):  # also after the first use's rollback
            with engine.connect() as conn:
                assert conn.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
                conn.rollback()
    finally:
        engine.dispose()
