"""Two administrators creating the same user name at the same moment (each on its own connection, committed):
one user is created, the other admin gets the field error, not an internal error."""
import pytest
from race_support import race
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.admin import service as admin_service
from app.auth.models import User
from app.common.models import AuditRecord
from app.db import make_engine

NAME = "race_user"


@pytest.fixture
def real_engine(app, engine):
    eng = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4)
    yield eng
    with Session(eng) as s:
        ids = s.scalars(select(User.id).where(User.username == NAME)).all()
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "user",
                                            AuditRecord.entity_id.in_([str(i) for i in ids])))
        s.execute(delete(User).where(User.id.in_(ids)))
        s.commit()
    eng.dispose()


def test_the_same_user_name_created_twice_at_once(app, real_engine):
    def create(s, users):
        admin_service.create_user(s, actor=users["admin"], username=NAME, name="并发用户", password="secret-pass-1",
                                  role="customer_manager")
    results = race(app, real_engine, [create, create])
    with Session(real_engine) as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username == NAME)) == 1
    # The loser: on PostgreSQL the unique index refuses its insert (the field error); on SQLite it may already be
    # refused the write lock, which the web and API answer as a 409 conflict (test below).
    loser = [r for r in results if r != "ok"]
    assert results.count("ok") == 1
    if real_engine.dialect.name == "postgresql":
        assert loser == ["validation_error"]
    else:
        assert loser == ["validation_error"] or "database is locked" in loser[0], loser


def test_a_locked_sqlite_database_is_a_conflict_to_retry(api, login, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from app.catalog import dictionary_service

    def locked(*_a, **_kw):
        raise OperationalError("INSERT INTO dictionary_entry ...", {}, Exception("database is locked"))
    monkeypatch.setattr(dictionary_service, "create_entry", locked)
    c, h = api("admin")
    resp = c.post("/api/v1/dictionary", json={"type": "行业", "item": "x", "value": "1"}, headers=h)
    assert resp.status_code == 409 and resp.get_json()["code"] == "conflict"
    page = login("admin").post("/catalog/dictionary/new", data={"type": "行业", "item": "x", "value": "1"})
    assert page.status_code == 409 and "请重试" in page.get_data(as_text=True)
