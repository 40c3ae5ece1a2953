"""Customer list, search and customer page times at scale (SPEC §6), on PostgreSQL.

    .venv/bin/python bench/customers.py [--db postgresql://root@127.0.0.1:5432/crm_bench_customers]
                                        [--scale 1.0] [--runs 30] [--rebuild] [--only TEXT]

The data comes from bench/datagen.py (at --scale 1: 100k customers, ≈200k contacts, 5M order lines), plus what
the customer page shows besides: one won opportunity per customer with its finished sales_opportunity instance,
and an open churn case with its open inbox task for one customer in ten. Data is kept between runs (--rebuild
starts over). Each request is served by the real app (routing, rights, SQL, templates) through Flask's test
client, so network time is not included; the queries are taken from the data (1, 2 and 6 characters of a customer
name, a number prefix, a contact's name, part of a mobile number). Prints the median and 95th percentile per
scenario, and the median time spent in SQL. Target: median ≤ 50 ms.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # datagen

from sqlalchemy import create_engine, event, text  # noqa: E402

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench_customers"


def build(url, scale, rebuild):
    from datagen import generate
    from app.db import make_engine
    counts = generate(url, scale=scale, rebuild=rebuild)
    engine = make_engine(url)
    with engine.connect() as conn:
        drift = _schema_drift(conn)
        if drift:
            sys.exit(f"the bench database predates the current models ({drift[:3]}…): run with --rebuild")
        has_processes = conn.scalar(text("SELECT count(*) FROM opportunity WHERE customer_id IS NOT NULL"))
    if not has_processes:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            _processes(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"  processes about the customers added in {time.perf_counter() - t0:.0f} s")
    return engine, counts


def _schema_drift(conn):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from app.db import ALL_METADATA
    return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), ALL_METADATA)


def _processes(conn):
    """Won opportunities with finished instances (two completed inbox rows each); open churn cases for one
    customer in ten, each with a running instance and an open task."""
    conn.execute(text("""
        INSERT INTO process_definition (key, version, content_hash, bpmn_xml, forms, deployed_at)
        SELECT k, 1, md5(k), '<definitions/>', '{}', now()
        FROM unnest(ARRAY['sales_opportunity', 'customer_churn', 'customer_service']) AS k
        ON CONFLICT DO NOTHING"""))
    conn.execute(text("""
        INSERT INTO opportunity (customer_name, probability, summary, description, created_by, created_at,
                                 assignee_id, assigned_at, status, closed_at, customer_id)
        SELECT c.name, 80, '首单', '需求明确', c.manager_id, c.created_at, c.manager_id, c.created_at, 'succeeded',
               c.created_at, c.id
        FROM customer c"""))
    conn.execute(text("""
        INSERT INTO churn_case (customer_id, manager_id, last_order_date, status, created_at)
        SELECT c.id, c.manager_id, DATE '2024-01-01', 'warning', now() FROM customer c WHERE c.id % 10 = 0"""))
    conn.execute(text("""
        INSERT INTO process_instance (definition_id, definition_key, business_key, subject, status, state,
                                      lock_version, started_at, ended_at)
        SELECT d.id, d.key, o.id::text, o.customer_name, 'completed', CAST('{}' AS json), 0, o.created_at, o.closed_at
        FROM opportunity o, process_definition d WHERE d.key = 'sales_opportunity'
        UNION ALL
        SELECT d.id, d.key, cc.id::text, '流失预警', 'running', CAST('{}' AS json), 0, cc.created_at, NULL
        FROM churn_case cc, process_definition d WHERE d.key = 'customer_churn'"""))
    conn.execute(text("""
        INSERT INTO human_task (instance_id, task_uuid, process_key, business_key, subject, bpmn_id, name, role,
                                assignee_id, created_at, completed_at, completed_by)
        SELECT pi.id, md5(pi.id::text || k), pi.definition_key, pi.business_key, pi.subject,
               CASE WHEN pi.definition_key = 'customer_churn' THEN 'handle_warning' ELSE 'step' || k END,
               CASE WHEN pi.definition_key = 'customer_churn' THEN '处理流失预警' ELSE '步骤' || k END,
               'customer_manager', NULL, pi.started_at,
               CASE WHEN pi.status = 'running' THEN NULL ELSE pi.started_at + INTERVAL '1 day' END, NULL
        FROM process_instance pi, generate_series(1, 2) AS k
        WHERE pi.definition_key = 'sales_opportunity' OR k = 1"""))


SCENARIOS = [
    # (label, user, path) — {no} is replaced by a customer of that user, different on each run
    ("baseline: task inbox (not customers)", "admin", "/inbox/"),
    ("list, admin, first page", "admin", "/customers/"),
    ("list, manager's own", "manager1", "/customers/"),
    ("list, filters region+level", "admin", "/customers/?region=华北&level=3"),
    ("list, manager filter", "admin", "/customers/?manager_id={manager2}"),
    ("list, page 100", "admin", "/customers/?page=100"),
    ("search, name 1 char", "admin", "/customers/?q={name1}"),
    ("search, name 2 chars", "admin", "/customers/?q={name2}"),
    ("search, name 6 chars", "admin", "/customers/?q={name6}"),
    ("search, customer no. prefix", "admin", "/customers/?q={no_prefix}"),
    ("search, contact name 3 chars", "admin", "/customers/?q={contact3}"),
    ("search, contact name 2 chars", "admin", "/customers/?q={contact2}"),
    ("search, contact mobile 7 digits", "admin", "/customers/?q={mobile7}"),
    ("search, manager, name 2 chars", "manager1", "/customers/?q={own_name2}"),
    ("search, no match", "admin", "/customers/?q=不存在的公司"),
    # texts most customers contain: counted up to app.customers.search.SEARCH_COUNT_LIMIT ("5000+")
    ("search, most customers, 2 chars (公司)", "admin", "/customers/?q=%E5%85%AC%E5%8F%B8"),
    ("search, most customers, 4 chars (有限公司)", "admin", "/customers/?q=%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8"),
    ("search, every number (KH)", "admin", "/customers/?q=KH"),
    ("search, manager, most of theirs (公司)", "manager1", "/customers/?q=%E5%85%AC%E5%8F%B8"),
    ("API search, most customers (公司)", "api:supervisor", "/api/v1/customers?q=%E5%85%AC%E5%8F%B8"),
    ("customer page", "admin", "/customers/{no}"),
    ("customer page, manager", "manager1", "/customers/{own_no}"),
    ("order history page", "admin", "/customers/{no}/orders"),
    ("API list", "api:supervisor", "/api/v1/customers"),
    ("API search, name 6 chars", "api:supervisor", "/api/v1/customers?q={name6}"),
    ("API customer", "api:supervisor", "/api/v1/customers/{no}"),
]


def measure(url, runs, only=None):
    import random
    from app import create_app
    app = create_app({"DATABASE_URL": url, "DEPLOY_MODELS_AT_START": False, "WTF_CSRF_ENABLED": False,
                      "TESTING": True, "SESSION_IDLE_MINUTES": 600})
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT username, id FROM user_account")).all())
        nos = [r[0] for r in conn.execute(text(
            "SELECT no FROM customer WHERE status <> 'deleted' ORDER BY random() LIMIT :n"), {"n": runs * 4})]
        own = [r[0] for r in conn.execute(text(
            "SELECT no FROM customer WHERE status <> 'deleted' AND manager_id = :m ORDER BY random() LIMIT :n"),
            {"m": ids["manager1"], "n": runs * 4})]
        samples = _samples(conn, ids["manager1"])
    print("queries:", ", ".join(f"{k}={v}" for k, v in samples.items()))
    samples = {k: quote(v) for k, v in samples.items()}
    clients = {}
    rng = random.Random(7)
    # Time spent in the database per request, to tell SQL from Python and templates.
    sql = {"ms": 0.0}
    db_engine = app.extensions["db_engine"]

    @event.listens_for(db_engine, "before_cursor_execute")
    def _before(conn, *_args):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(db_engine, "after_cursor_execute")
    def _after(conn, *_args):
        sql["ms"] += (time.perf_counter() - conn.info.pop("t0")) * 1000

    def client(username):
        """A signed-in client; one per user, since a user has one live session (web or API)."""
        if username not in clients:
            c = app.test_client()
            if username.startswith("api:"):
                resp = c.post("/api/v1/auth/login", json={"username": username[4:], "password": "demo"})
                clients[username] = (c, {"Authorization": "Bearer " + resp.get_json()["token"]})
            else:
                assert c.post("/login", data={"username": username, "password": "demo"}).status_code == 302
                clients[username] = (c, {})
        return clients[username]

    print(f"{'scenario':38} {'median ms':>10} {'p95 ms':>8} {'SQL ms':>8}  rows")
    for label, username, path in SCENARIOS:
        if only and only not in label:
            continue
        c, headers = client(username)
        times, sql_times = [], []
        for i in range(runs + 3):
            p = path.format(no=rng.choice(nos), own_no=rng.choice(own), manager2=ids["manager2"], **samples)
            sql["ms"] = 0.0
            t0 = time.perf_counter()
            resp = c.get(p, headers=headers)
            elapsed = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, (p, resp.status_code, resp.get_data(as_text=True)[:300])
            if i >= 3:  # the first requests warm caches and compile templates
                times.append(elapsed)
                sql_times.append(sql["ms"])
        total = _total(resp)
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:38} {statistics.median(times):10.1f} {p95:8.1f} {statistics.median(sql_times):8.1f}  {total}",
              flush=True)


def _samples(conn, manager_id):
    """Search texts taken from the data, so the scenarios find something whatever the generator's vocabulary."""
    def one(sql, **params):
        return conn.scalar(text(sql + " ORDER BY md5(id::text) LIMIT 1"), params)  # a fixed, arbitrary row
    name = one("SELECT name FROM customer WHERE status = 'normal' AND char_length(name) >= 8")
    own_name = one("SELECT name FROM customer WHERE status = 'normal' AND manager_id = :m", m=manager_id)
    return {"name1": name[2:3], "name2": name[2:4], "name6": name[:6],
            "no_prefix": one("SELECT no FROM customer WHERE status = 'normal'")[:8],
            "contact3": one("SELECT name FROM contact WHERE char_length(name) = 3"),
            "contact2": one("SELECT name FROM contact WHERE char_length(name) = 2"),
            "mobile7": one("SELECT mobile FROM contact WHERE mobile IS NOT NULL")[3:10],
            "own_name2": own_name[2:4]}


def _total(resp):
    if resp.is_json:
        return resp.get_json().get("total", "")
    import re
    m = re.search(r"共 (\d+\+?) 条", resp.get_data(as_text=True))
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 100k customers, 5M order lines (bench/datagen.py)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--only", help="run the scenarios whose label contains this text")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("this benchmark runs on PostgreSQL")
    engine, counts = build(args.db, args.scale, args.rebuild)
    with engine.connect() as conn:
        counts["process_instance"] = conn.scalar(text("SELECT count(*) FROM process_instance"))
    print("rows:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    measure(args.db, args.runs, args.only)


if __name__ == "__main__":
    main()
