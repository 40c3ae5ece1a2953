"""`POST /api/v1/tasks/{id}/complete` (the sales assignment: user task -> service task -> user task) through the real
app in process (Flask test client: routing, authentication, rights, engine, SQL; no network), on PostgreSQL.

    .venv/bin/python bench/completion_path.py [--db postgresql://root@127.0.0.1:5432/crm_bench_completion] [--n 200]

Prints the median and 95th percentile of the completion, of `GET /api/v1/me` (authentication alone) as the floor
of an authenticated request in the same run, and the SQL statements per completion: authentication (app/auth) and
the request's own. The database is rebuilt by the migrations. Figures are printed; nothing is asserted.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sales import make_app, prepare, signed_in  # noqa: E402
from statement_log import counting  # noqa: E402


def p95(values):
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgresql://root@127.0.0.1:5432/crm_bench_completion")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    prepare(args.db)
    app = make_app(args.db)
    engine = app.extensions["db_engine"]
    from app.db import db_session
    from processes.models import HumanTask
    from sqlalchemy import select

    sup, hs = signed_in(app, "supervisor")
    mgr, hm = signed_in(app, "manager1")
    manager_id = mgr.get("/api/v1/me", headers=hm).get_json()["id"]
    ids = []
    for i in range(args.n):
        resp = sup.post("/api/v1/opportunities", headers=hs, json={
            "customer_name": f"基准客户{i:05d}", "probability": 50, "summary": "基准", "contact": "张三",
            "contact_phone": "13800138000", "description": "bench"})
        assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
        ids.append(str(resp.get_json()["id"]))
    with app.app_context():
        tasks = dict(db_session.execute(select(HumanTask.business_key, HumanTask.id).where(
            HumanTask.process_key == "sales_opportunity", HumanTask.bpmn_id == "assign",
            HumanTask.completed_at.is_(None))).all())
        db_session.remove()
    done, me, statements = [], [], None
    for i, key in enumerate(ids):
        t0 = time.perf_counter()
        sup.get("/api/v1/me", headers=hs)
        me.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        if i == 0:
            with counting(engine) as statements:
                resp = sup.post(f"/api/v1/tasks/{tasks[key]}/complete", headers=hs,
                                json={"data": {"assignee_id": manager_id}})
        else:
            resp = sup.post(f"/api/v1/tasks/{tasks[key]}/complete", headers=hs, json={"data": {"assignee_id": manager_id}})
        done.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    auth, own = statements.split()
    print(f"completion path on {args.db}, {args.n} completions (in process, no network)")
    print(f"  GET /api/v1/me                median {statistics.median(me):6.2f} ms   p95 {p95(me):6.2f} ms")
    print(f"  POST /api/v1/tasks/{{id}}/complete median {statistics.median(done):6.2f} ms   p95 {p95(done):6.2f} ms"
          f"   ({statistics.median(done) / statistics.median(me):.1f}x /me)")
    print(f"  statements per completion: {len(statements)} = {len(auth)} authentication (app/auth) + "
          f"{len(statements) - len(auth)} the request's own (BEGIN and COMMIT are no cursor statements: add them "
          f"per transaction)")
    print(statements.summary())


if __name__ == "__main__":
    main()
