"""Migration 0015 on a database that already holds customers and contacts: after the upgrade every customer is
found by its contacts' names and phones, exactly as the app keeps the text; the downgrade gives the old schema
back without losing a contact."""
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.cli import alembic_config
from app.customers import contact_text
from app.customers.models import Customer
from app.db import ensure_database, make_engine


@pytest.fixture
def scratch_url(engine, tmp_path):
    """An empty database of the kind under test, dropped afterwards."""
    url = engine.url
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migration.sqlite'}"
        return
    name = f"crm_test_migration_{uuid.uuid4().hex[:8]}"
    scratch = url.set(database=name).render_as_string(hide_password=False)
    ensure_database(scratch)
    yield scratch
    admin = create_engine(make_url(scratch).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _contacts(conn):
    rows = conn.execute(text("SELECT customer_id, name, mobile, office_phone FROM contact ORDER BY id")).all()
    return [tuple(r) for r in rows]


def test_the_upgrade_fills_the_contact_text_and_the_downgrade_keeps_the_contacts(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "0014")
    eng = make_engine(scratch_url)
    with eng.begin() as conn:
        for i, no in enumerate(["KHMIG0001", "KHMIG0002", "KHMIG0003"]):
            conn.execute(text("INSERT INTO customer (no, name, level, status, created_at) "
                              "VALUES (:no, :name, 1, 'normal', '2026-01-01')"), {"no": no, "name": f"迁移客户{i}"})
        ids = dict(conn.execute(text("SELECT no, id FROM customer")).all())
        conn.execute(text("INSERT INTO contact (customer_id, name, mobile, office_phone) VALUES "
                          "(:a, '令狐冲', '13800000001', NULL), (:a, '任盈盈', NULL, '010-5550000'), "
                          "(:b, '岳灵珊', '13800000002', '021-5551111')"),
                     {"a": ids["KHMIG0001"], "b": ids["KHMIG0002"]})
        before = _contacts(conn)
    command.upgrade(config, "head")
    with Session(eng) as s:
        migrated = dict(s.execute(select(Customer.no, Customer.contact_text)).all())
        contact_text.refresh(s)  # the text as the app computes it
        assert dict(s.execute(select(Customer.no, Customer.contact_text)).all()) == migrated
        s.rollback()
    assert migrated["KHMIG0003"] is None
    assert sorted(migrated["KHMIG0001"].split("\n")) == sorted(["令狐冲", "13800000001", "", "任盈盈", "",
                                                                "010-5550000"])
    command.downgrade(config, "0014")
    with eng.connect() as conn:
        assert _contacts(conn) == before
        assert "contact_text" not in conn.execute(text("SELECT * FROM customer LIMIT 0")).keys()
    command.upgrade(config, "head")
    eng.dispose()
