"""Database plumbing: one declarative base for the domain tables and a request-scoped session.

Services take the session explicitly and never commit; the edge (view, API handler, CLI, Celery task) commits.
"""
import os
import time

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

from processes.models import EngineBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Both bases share one database; Alembic compares against both.
ALL_METADATA = [Base.metadata, EngineBase.metadata]

db_session = scoped_session(sessionmaker(expire_on_commit=False))


def normalize_url(url: str) -> str:
    """SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; this project ships psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def ensure_database(url):
    """Create the PostgreSQL database `url` names when it does not exist yet (tests, benchmarks); SQLite files
    are created on first connect, so nothing to do there."""
    u = make_url(normalize_url(url))
    if u.get_backend_name() != "postgresql":
        return
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}):
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    finally:
        admin.dispose()


def make_engine(url, **kw):
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)
        _sqlite_fixups(engine)
        return engine
    kw.setdefault("pool_reset_on_return", None)  # _reset_only_in_transaction does it
    if os.environ.get("DB_LAZY_BEGIN", "1") != "0":
        from app.db_lazy_begin import LazyBeginConnection
        kw["connect_args"] = {"connection_factory": LazyBeginConnection, **kw.get("connect_args", {})}
    engine = create_engine(url, **kw)
    _ping_idle_connections(engine)
    if kw["pool_reset_on_return"] is None:
        _reset_only_in_transaction(engine)
    from app import db_prepared
    db_prepared.install(engine)
    return engine


def _reset_only_in_transaction(engine):
    """The pool's reset on check-in, without a round trip when there is nothing to reset.

    A request's session ends by rolling its transaction back (or committing it) and then hands the connection
    back; SQLAlchemy does not tell the pool that the transaction already ended, so its default reset sent a second
    ROLLBACK, one more round trip on every request. libpq knows locally whether a transaction is open: roll back
    only then (a connection someone left mid-transaction, or in an aborted one). A lazy connection
    (app.db_lazy_begin) decides that itself, and forgets what it held back for a next statement."""
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    @event.listens_for(engine, "reset")
    def _reset(dbapi_conn, _record, state):
        if state.terminate_only:
            return
        if getattr(dbapi_conn, "lazy", False) or dbapi_conn.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            dbapi_conn.rollback()


# A pooled connection back in use within this many seconds is not pinged (HikariCP's "alive bypass window"):
# a busy server does not pay a round trip per request, a connection idle longer is checked before use.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine):
    """pool_pre_ping, but only for connections that sat idle in the pool: after a database restart the first
    checkout of each idle connection finds it dead and the pool replaces it (DisconnectionError -> reconnect)."""
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection is gone; reconnecting")


def _sqlite_fixups(engine):
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; let SQLAlchemy drive it.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A connection may ask for BEGIN IMMEDIATE (sqlite_begin option): it takes the write lock first, so it
        # waits for the current writer instead of failing later on a stale snapshot (app/common/idempotency.py).
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def only_on(dialect_name, item):
    """Declare a schema item (e.g. an expression index) for one database only: create_all skips it elsewhere, and
    Alembic leaves it out there too when configured with `include_object=include_object_for(dialect)`."""
    item.info["only_on"] = dialect_name
    return item.ddl_if(dialect=dialect_name)


def include_object_for(dialect_name):
    """Alembic `include_object` hook: the schema items of this database (see only_on)."""
    def include(obj, _name, _type, _reflected, _compare_to):
        return getattr(obj, "info", {}).get("only_on", dialect_name) == dialect_name
    return include


def create_all(engine):
    for md in ALL_METADATA:
        md.create_all(engine)


def drop_all(engine):
    for md in reversed(ALL_METADATA):
        md.drop_all(engine)
