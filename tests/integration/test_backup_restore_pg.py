"""Backup and restore (scripts/backup.sh, scripts/restore.sh): a backup restored into a new database is served by
the app: a customer recorded before the backup is found through the API of an app on the restored database."""
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.customers.models import Customer
from app.db import db_session
from test_churn_pg import pg_database  # noqa: F401  (fixture: a migrated PostgreSQL database with demo users)

pytestmark = pytest.mark.postgresql
ROOT = Path(__file__).resolve().parents[2]


def _plain(url):
    return url.replace("postgresql+psycopg2://", "postgresql://")


@pytest.fixture
def restored_url(pg_database):
    url = pg_database.url.rsplit("/", 1)[0] + f"/{pg_database.url.rsplit('/', 1)[1]}_restored"[:64]
    yield url
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_into_a_new_database_is_served_by_the_app(pg_database, restored_url, tmp_path, engine):
    name = f"备份客户{uuid.uuid4().hex[:6]}"
    with Session(pg_database.engine) as db:
        manager = db.execute(text("SELECT id FROM user_account WHERE username = 'manager1'")).scalar()
        db.add(Customer(no=f"KHB{uuid.uuid4().int % 10**9:09d}", name=name, manager_id=manager, level=1,
                        status="normal", created_at=__import__("datetime").datetime(2025, 1, 1)))
        db.commit()
    dump = tmp_path / "crm.dump"
    env = {**os.environ, "DATABASE_URL": _plain(pg_database.url)}
    out = subprocess.run([ROOT / "scripts/backup.sh", dump], env=env, capture_output=True, text=True, check=True)
    assert dump.stat().st_size > 0 and "backup:" in out.stdout
    subprocess.run([ROOT / "scripts/restore.sh", dump, _plain(restored_url)], capture_output=True, text=True,
                   check=True)
    # Restoring over a database that has data is refused unless asked for
    again = subprocess.run([ROOT / "scripts/restore.sh", dump, _plain(restored_url)], capture_output=True, text=True)
    assert again.returncode == 3 and "FORCE=1" in again.stderr

    from app import create_app
    db_session.configure(join_transaction_mode="conditional_savepoint")
    app = create_app({"TESTING": True, "DATABASE_URL": restored_url, "SECRET_KEY": "test",
                      "DEPLOY_MODELS_AT_START": False, "CELERY_BROKER_URL": "memory://"})
    try:
        c = app.test_client()
        assert c.get("/health/ready").status_code == 200  # schema at the migration head
        token = c.post("/api/v1/auth/login", json={"username": "manager1", "password": "demo"}).get_json()["token"]
        found = c.get("/api/v1/customers", query_string={"q": name},
                      headers={"Authorization": f"Bearer {token}"}).get_json()
        assert [cu["name"] for cu in found["items"]] == [name]
    finally:
        db_session.remove()
        db_session.configure(bind=engine)
        app.extensions["db_engine"].dispose()
