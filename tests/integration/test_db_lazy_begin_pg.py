"""Transactions on PostgreSQL begin with their first write (app.db_lazy_begin): a read costs one round trip and
holds no transaction, BEGIN/SAVEPOINT/RELEASE travel with the next statement, and nothing of what a transaction
guarantees changes (row locks, savepoints, rollbacks, server-side cursors)."""
import psycopg2
import pytest
from psycopg2 import extensions as ext
from sqlalchemy import column, create_engine, select, table, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.db_lazy_begin import LazyBeginConnection, LazyBeginCursor, needs_transaction
from test_churn_pg import _pg_base_url

WIRE = []  # every query string sent to the server, in order


class _WireCursor(ext.cursor):
    def execute(self, query, vars=None):
        WIRE.append(query)
        return super().execute(query, vars)


class _RecordingCursor(LazyBeginCursor, _WireCursor):
    pass


class RecordingConnection(LazyBeginConnection):
    plain_cursor = _WireCursor

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = _RecordingCursor


@pytest.fixture
def engine():
    base = _pg_base_url().set(database="postgres")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS lazy_t"))
        conn.execute(text("CREATE TABLE lazy_t (id int PRIMARY KEY, v text)"))
        conn.execute(text("INSERT INTO lazy_t VALUES (1, 'one')"))
    eng = make_engine(base.render_as_string(hide_password=False), pool_size=2, max_overflow=0,
                      connect_args={"connection_factory": RecordingConnection})
    with eng.connect():
        pass  # the dialect's start-up queries are not what is looked at
    WIRE.clear()
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS lazy_t"))
    admin.dispose()


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, v FROM lazy_t ORDER BY id")).all()


def test_a_read_costs_one_round_trip_and_no_begin_or_rollback(engine):
    with Session(engine) as db:
        assert db.scalar(text("SELECT v FROM lazy_t WHERE id = 1")) == "one"
    assert WIRE == ["SELECT v FROM lazy_t WHERE id = 1"]  # no BEGIN before it, no ROLLBACK after it


def test_the_first_write_carries_its_begin_and_the_commit_holds(engine):
    with Session(engine) as db:
        db.scalar(text("SELECT count(*) FROM lazy_t"))
        db.execute(text("INSERT INTO lazy_t VALUES (2, 'two')"))
        db.execute(text("UPDATE lazy_t SET v = 'TWO' WHERE id = 2"))
        db.commit()
    assert WIRE == ["SELECT count(*) FROM lazy_t", "BEGIN; INSERT INTO lazy_t VALUES (2, 'two')",
                    "UPDATE lazy_t SET v = 'TWO' WHERE id = 2", "COMMIT"]
    assert rows(engine) == [(1, "one"), (2, "TWO")]


def test_savepoints_travel_with_the_next_statement_and_still_undo_only_their_part(engine):
    with Session(engine) as db:
        db.execute(text("INSERT INTO lazy_t VALUES (2, 'kept')"))
        with db.begin_nested():
            db.execute(text("INSERT INTO lazy_t VALUES (3, 'kept too')"))
        with pytest.raises(RuntimeError):
            with db.begin_nested():
                db.execute(text("INSERT INTO lazy_t VALUES (4, 'undone')"))
                raise RuntimeError("an operation failed")
        with db.begin_nested():
            pass  # nothing ran inside: never sent
        db.commit()
    sent = list(WIRE)
    assert rows(engine) == [(1, "one"), (2, "kept"), (3, "kept too")]
    WIRE[:] = sent
    assert not any(q.startswith(("SAVEPOINT", "RELEASE")) and ";" not in q for q in WIRE), WIRE
    assert WIRE[1].startswith("SAVEPOINT sa_savepoint_1; INSERT")
    assert WIRE[2].startswith("RELEASE SAVEPOINT sa_savepoint_1; SAVEPOINT sa_savepoint_2; INSERT")
    assert WIRE[3] == "ROLLBACK TO SAVEPOINT sa_savepoint_2"
    assert WIRE[-1] == "COMMIT" and len(WIRE) == 5


def test_a_failed_statement_aborts_the_transaction_and_the_rollback_recovers(engine):
    with Session(engine) as db:
        db.execute(text("INSERT INTO lazy_t VALUES (2, 'lost')"))
        with pytest.raises(Exception):
            db.execute(text("INSERT INTO lazy_t VALUES (1, 'duplicate')"))
        db.rollback()
        db.execute(text("INSERT INTO lazy_t VALUES (5, 'after')"))
        db.commit()
    assert rows(engine) == [(1, "one"), (5, "after")]


def test_a_row_lock_is_held_until_the_commit(engine):
    with Session(engine) as first, Session(engine) as second:
        first.execute(text("SELECT id FROM lazy_t WHERE id = 1 FOR UPDATE"))
        with pytest.raises(Exception) as err:
            second.execute(text("SELECT id FROM lazy_t WHERE id = 1 FOR UPDATE NOWAIT"))
        assert isinstance(err.value.orig, psycopg2.errors.LockNotAvailable)
        second.rollback()
        first.commit()
        assert second.execute(text("SELECT id FROM lazy_t WHERE id = 1 FOR UPDATE NOWAIT")).scalar() == 1


def test_a_session_that_only_read_blocks_no_migration(engine):
    """Before, a page's read left its session idle in a transaction holding the table's share lock until the
    request ended; now a read holds nothing."""
    with Session(engine) as reader:
        reader.scalar(text("SELECT count(*) FROM lazy_t"))
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            other.execute(text("ALTER TABLE lazy_t ADD COLUMN extra int"))  # needs an exclusive lock
            other.commit()


@pytest.mark.parametrize("write_first", [True, False])
def test_a_server_side_cursor_streams_inside_the_transaction(engine, write_first):
    # As the churn scan: a streamed query, batch by batch, writing as it goes (first or not in its transaction).
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO lazy_t SELECT n, 'n' || n FROM generate_series(2, 7) n"))
    ids = select(column("id")).select_from(table("lazy_t")).order_by(column("id"))
    with Session(engine) as db:
        if write_first:
            db.execute(text("UPDATE lazy_t SET v = 'first' WHERE id = 1"))
        seen = []
        for batch in db.execute(ids.execution_options(yield_per=2)).partitions():
            assert len(batch) <= 2
            seen += [r.id for r in batch]
            db.execute(text("UPDATE lazy_t SET v = 'seen' WHERE id = :i"), {"i": batch[-1].id})
        db.commit()
    assert seen == list(range(1, 8))
    assert [v for _id, v in rows(engine)] == ["first" if write_first else "one", "seen", "n3", "seen", "n5", "seen",
                                              "seen"]


def test_an_autocommit_block_runs_without_a_transaction_and_the_next_use_is_lazy_again(engine):
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM lazy_t"))  # refused inside a transaction block
    WIRE.clear()
    with Session(engine) as db:
        db.scalar(text("SELECT 1"))
        db.execute(text("INSERT INTO lazy_t VALUES (9, 'nine')"))
        db.commit()
    assert WIRE[0] == "SELECT 1" and WIRE[1].startswith("BEGIN; INSERT")


def test_a_server_with_another_default_isolation_keeps_psycopg2s_own_transactions(engine):
    base = _pg_base_url().set(database="postgres")
    strict = make_engine(base.render_as_string(hide_password=False),
                         connect_args={"options": "-c default_transaction_isolation=serializable"})
    try:
        with strict.connect() as conn:
            conn.execute(text("SELECT 1"))
            dbapi = conn.connection.dbapi_connection
            assert dbapi.lazy is False
            assert dbapi.get_transaction_status() == ext.TRANSACTION_STATUS_INTRANS
            conn.rollback()
    finally:
        strict.dispose()


@pytest.mark.parametrize("sql, needed", [
    ("SELECT id FROM t WHERE id = %(id)s", False),
    ("SELECT id FROM t WHERE id = %(id)s FOR UPDATE", True),
    ("SELECT id FROM t FOR NO KEY UPDATE SKIP LOCKED", True),
    ("SELECT nextval('s')", True),
    ("SELECT pg_advisory_xact_lock(1)", True),
    ("WITH x AS (UPDATE t SET v = 1 RETURNING id) SELECT * FROM x", True),
    ("INSERT INTO t VALUES (1)", True),
    ("SET LOCAL work_mem = '32MB'", True),
    ("EXECUTE crm_prepared_r12(%(a)s)", False),
    ("EXECUTE crm_prepared_12(%(a)s)", True),
    ("PREPARE crm_prepared_3 AS SELECT 1 FOR UPDATE", False),
    ("SHOW server_version", False),
])
def test_what_needs_a_transaction(sql, needed):
    assert needs_transaction(sql) is needed


def test_many_rows_written_in_an_autocommit_block_are_committed(engine):
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("INSERT INTO lazy_t VALUES (:i, 'batch')"), [{"i": 20}, {"i": 21}])  # executemany
        assert conn.connection.dbapi_connection.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE
    assert rows(engine)[-2:] == [(20, "batch"), (21, "batch")]
