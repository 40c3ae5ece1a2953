"""Sales opportunity path and list times (SPEC §3-§4), through the real app (routing, rights, engine, SQL).

    .venv/bin/python bench/sales.py [--db URL] [--paths 100] [--rows 20000] [--runs 30]

Default database: a fresh SQLite file in /tmp. With --db postgresql://root@127.0.0.1:5432/crm_bench_sales the
database is created if missing and rebuilt by the migrations. Prints the median and 95th percentile of each API
request of the whole path (record, assign, two plan items, two results, close as success: each close creates a
customer and its contact), whole paths per second, then list/query/export times over --rows opportunities.
Requests go through Flask's test client, so network time is not included.
"""
import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


def prepare(url):
    from app.cli import upgrade_database
    from app.db import drop_all, ensure_database, make_engine
    from app.models import load_all_models
    ensure_database(url)
    engine = make_engine(url)
    load_all_models()
    drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    upgrade_database(url)


def make_app(url):
    from app import create_app
    from app.auth.seed import seed_demo
    from app.config import ROOT
    from app.db import db_session
    from processes.definitions import deploy_model
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "DEPLOY_MODELS_AT_START": False,
                      "SECRET_KEY": "bench"})
    with app.app_context():
        seed_demo(db_session)
        path = ROOT / "bpmn-models" / "sales_opportunity.bpmn"
        deploy_model(db_session, path.read_text("utf-8"), forms_dir=ROOT / "forms", filename=path.name)
        db_session.commit()
    return app


def signed_in(app, username):
    c = app.test_client()
    token = c.post("/api/v1/auth/login", json={"username": username, "password": "demo"}).get_json()["token"]
    return c, {"Authorization": f"Bearer {token}"}


def timed(times, name, fn, expect):
    t0 = time.perf_counter()
    resp = fn()
    times[name].append((time.perf_counter() - t0) * 1000)
    assert resp.status_code == expect, (name, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp.get_json() if resp.is_json else resp


def run_paths(app, n):
    sup, hs = signed_in(app, "supervisor")
    mgr, hm = signed_in(app, "manager1")
    manager_id = mgr.get("/api/v1/me", headers=hm).get_json()["id"]
    times = defaultdict(list)
    url = "/api/v1/opportunities"
    t0 = time.perf_counter()
    for i in range(n):
        opp = timed(times, "record", lambda: sup.post(url, headers=hs, json={
            "customer_name": f"基准测试客户{i:05d}", "probability": 50, "summary": "基准", "contact": "张三",
            "contact_phone": "13800138000", "description": "bench"}), 201)
        oid = opp["id"]
        timed(times, "assign", lambda: sup.post(f"{url}/{oid}/assign", headers=hs, json={"assignee": manager_id}),
              200)
        items = [timed(times, "add plan item", lambda d=d: mgr.post(f"{url}/{oid}/plan-items", headers=hm,
                                                                      json={"date": d, "todo": "拜访"}), 201)
                 for d in ("2026-03-02", "2026-03-09")]
        for it in items:
            timed(times, "record result", lambda it=it: mgr.patch(f"{url}/{oid}/plan-items/{it['id']}", headers=hm,
                                                                  json={"result": "有意向"}), 200)
        timed(times, "close (success)", lambda: mgr.post(f"{url}/{oid}/close", headers=hm,
                                                         json={"outcome": "success"}), 200)
    elapsed = time.perf_counter() - t0
    return times, elapsed


def fill_rows(app, rows):
    from datetime import timedelta

    from app.db import db_session
    from app.sales.models import Opportunity
    from processes.clock import utcnow
    with app.app_context():
        ids = dict(db_session.execute(text("SELECT username, id FROM user_account")).all())
        now = utcnow()
        batch = []
        for i in range(rows):
            status = ("unassigned", "in_development", "succeeded", "failed", "terminated")[i % 5]
            batch.append(dict(customer_name=f"列表客户{i:06d}", probability=i % 101, summary=f"概要{i % 97}",
                              contact=f"联系人{i % 500}", description="x", created_by=ids["supervisor"],
                              created_at=now - timedelta(minutes=i), status=status,
                              assignee_id=None if status == "unassigned" else ids["manager1" if i % 2 else "manager2"]))
            if len(batch) == 5000:
                db_session.execute(Opportunity.__table__.insert(), batch)
                batch = []
        if batch:
            db_session.execute(Opportunity.__table__.insert(), batch)
        db_session.commit()


def run_lists(app, runs):
    sup, hs = signed_in(app, "supervisor")
    mgr, hm = signed_in(app, "manager1")
    web = app.test_client()
    web.post("/login", data={"username": "executive", "password": "demo"})
    times = defaultdict(list)
    for _ in range(runs):
        timed(times, "API list, page 1 (supervisor)", lambda: sup.get("/api/v1/opportunities", headers=hs), 200)
        timed(times, "API query customer_name+status", lambda: sup.get(
            "/api/v1/opportunities?customer_name=列表客户0012&status=failed", headers=hs), 200)
        timed(times, "API list, own only (manager)", lambda: mgr.get(
            "/api/v1/opportunities?status=in_development&page=50", headers=hm), 200)
        timed(times, "page list, date range", lambda: web.get(
            "/sales/opportunities?created_from=2000-01-01&created_to=2999-12-31&per_page=50"), 200)
    t0 = time.perf_counter()
    resp = web.get("/sales/opportunities?export=xlsx")
    export_ms = (time.perf_counter() - t0) * 1000
    assert resp.status_code == 200
    return times, export_ms


def report(times):
    for name, values in times.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"  {name:34s} median {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms   (n={len(values)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=f"sqlite:///{Path(tempfile.mkdtemp(prefix='crm-bench-')) / 'bench.sqlite'}")
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    prepare(args.db)
    app = make_app(args.db)
    print(f"database: {make_url(args.db).get_backend_name()}")
    times, elapsed = run_paths(app, args.paths)
    print(f"whole path x{args.paths}: {elapsed:.1f} s, {args.paths / elapsed:.1f} paths/s "
          f"({7 * args.paths / elapsed:.0f} requests/s)")
    report(times)
    fill_rows(app, args.rows)
    times, export_ms = run_lists(app, args.runs)
    print(f"lists over {args.rows + args.paths} opportunities:")
    report(times)
    print(f"  Excel export of all rows           {export_ms:7.0f} ms")


if __name__ == "__main__":
    main()
