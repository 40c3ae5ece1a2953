"""GET /health: the process answers. GET /health/ready: this node can serve, i.e. the database answers and its
schema is at the migration head, and the broker answers; otherwise 503 with a problem naming what is down.

Both are public and answer JSON with the `node` that served them (NODE_NAME, else host:pid), so a check through
the load balancer shows which node answered."""
import os
import socket
from functools import lru_cache

from flask import Blueprint, current_app
from sqlalchemy import text

from app.auth.guard import public
from app.common.responses import problem
from app.db import db_session

bp = Blueprint("health", __name__)
BROKER_TIMEOUT_SECONDS = 2


def node_name():
    return os.environ.get("NODE_NAME") or f"{socket.gethostname()}:{os.getpid()}"


@bp.route("/health")
@public
def alive():
    return {"status": "ok", "node": node_name()}


@bp.route("/health/ready")
@public
def ready():
    checks = {"database": _database(), "broker": _broker()}
    down = {name: detail for name, detail in checks.items() if detail != "ok"}
    if down:
        resp = problem(503, "not_ready", "; ".join(f"{name}: {detail}" for name, detail in down.items()),
                       title="Service Unavailable", node=node_name(), checks=checks, down=sorted(down))
        resp.headers["Retry-After"] = "5"
        return resp
    return {"status": "ready", "node": node_name(), "checks": checks}


@lru_cache(maxsize=1)
def migration_head():
    from alembic.script import ScriptDirectory
    from app.cli import alembic_config
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return heads[0] if len(heads) == 1 else ",".join(sorted(heads))


def _database():
    try:
        current = db_session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception as exc:  # noqa: BLE001  any failure means "not ready"; its first line says why
        db_session.rollback()
        return f"unavailable ({type(exc).__name__}: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]})"
    head = migration_head()
    if ",".join(sorted(current)) != head:
        return f"schema at {','.join(current) or 'nothing'}, migration head is {head}: run `flask db upgrade`"
    return "ok"


def _broker():
    url = current_app.config.get("CELERY_BROKER_URL") or ""
    try:
        if url.startswith(("redis://", "rediss://")):
            import redis
            client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_SECONDS,
                                          socket_connect_timeout=BROKER_TIMEOUT_SECONDS)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection
            with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
                conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''})"
    return "ok"
