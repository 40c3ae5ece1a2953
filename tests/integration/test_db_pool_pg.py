"""The connection pool on PostgreSQL: a connection that died while idle in the pool (database restart, idle
timeout, a killed backend) is replaced before use instead of failing the next request."""
from sqlalchemy import create_engine, text

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
