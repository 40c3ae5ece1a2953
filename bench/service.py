"""Service requests end to end through the domain layer, on PostgreSQL.

    .venv/bin/python bench/service.py [--db postgresql://root@127.0.0.1:5432/crm_bench_service]
                                      [--requests 200] [--archive 20000]

1. Full cycles: create (start process) -> dispatch -> handle -> feedback 2 stars -> handle -> feedback 4 stars
   (archived), each step one committed transaction as the pages and the API run it (service rule, process
   lock/load/save, status operations, inbox sync, history). Prints ms per step (median, p95) and cycles/s.
2. The archive query a supervisor runs (count + first page of 20, newest first) over --archive requests,
   unfiltered and with type + date-range + status filters.
Figures are printed; nothing is asserted. The database is rebuilt from the migrations at the start.
"""
import argparse
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine import fresh_schema  # noqa: E402  (bench/engine.py: create the database, migrate)

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench_service"
STEPS = ["create", "dispatch", "handle", "feedback (2 stars)", "handle again", "feedback (4 stars)"]


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def setup(engine, app):
    from app.auth.models import User
    from app.auth.seed import seed_demo as seed_users
    from app.catalog.models import DictionaryEntry
    from app.customers.models import Customer
    from processes.definitions import deploy_directory
    with app.app_context(), Session(engine) as s:
        seed_users(s)
        for item, value in (("咨询", "consultation"), ("建议", "suggestion"), ("投诉", "complaint")):
            s.add(DictionaryEntry(type="服务类型", item=item, value=value, editable=True))
        manager = s.scalar(select(User).where(User.username == "manager1"))
        s.add(Customer(no="KHBENCH001", name="基准测试公司", manager_id=manager.id, level=1, status="normal",
                       created_at=datetime(2026, 1, 5)))
        deploy_directory(s, ROOT / "bpmn-models", ROOT / "forms")
        s.commit()


def cycles(engine, app, n):
    from app.auth.models import User
    from app.customers.models import Customer
    from app.service import actions, deadlines
    from app.service import service as svc
    timings = {step: [] for step in STEPS}
    with app.app_context():
        limits = deadlines.settings(app.config)
        with Session(engine) as s:
            users = {u.username: u.id for u in s.scalars(select(User))}
            customer_id = s.scalar(select(Customer.id).where(Customer.no == "KHBENCH001"))
        started = time.perf_counter()
        for _ in range(n):
            request_id = None

            def run(step, fn):
                with Session(engine, expire_on_commit=False) as s:
                    user = {name: s.get(User, uid) for name, uid in users.items()}
                    t0 = time.perf_counter()
                    result = fn(s, user)
                    s.commit()
                    timings[step].append((time.perf_counter() - t0) * 1000)
                    return result

            request_id = run("create", lambda s, u: svc.create_request(
                s, user=u["service1"], type="投诉", summary="基准", request="基准测试", customer_id=customer_id,
                limits=limits).id)
            run("dispatch", lambda s, u: actions.dispatch(s, user=u["supervisor"], request_id=request_id,
                                                          assignee_id=u["manager1"].id))
            run("handle", lambda s, u: actions.handle(s, user=u["manager1"], request_id=request_id, handling="处理"))
            run("feedback (2 stars)", lambda s, u: actions.feedback(s, user=u["service1"], request_id=request_id,
                                                                    result="不满意", satisfaction=2))
            run("handle again", lambda s, u: actions.handle(s, user=u["manager1"], request_id=request_id,
                                                            handling="再处理"))
            run("feedback (4 stars)", lambda s, u: actions.feedback(s, user=u["service1"], request_id=request_id,
                                                                    result="满意", satisfaction=4))
        elapsed = time.perf_counter() - started
    print(f"\n{n} full cycles (6 committed steps each) in {elapsed:.1f} s: {n / elapsed:.1f} cycles/s, "
          f"{6 * n / elapsed:.0f} steps/s")
    print(f"{'step':<22}{'median ms':>10}{'p95 ms':>10}")
    for step in STEPS:
        print(f"{step:<22}{statistics.median(timings[step]):>10.1f}{_pct(timings[step], 95):>10.1f}")


def archive_queries(engine, app, rows, runs=20):
    from app.auth.models import User
    from app.common.listing import paginate
    from app.customers.models import Customer
    from app.service import service as svc
    from app.service.models import ServiceRequest
    with Session(engine) as s:
        customer_id = s.scalar(select(Customer.id).where(Customer.no == "KHBENCH001"))
        creator = s.scalar(select(User.id).where(User.username == "service1"))
        start = datetime(2024, 1, 1)
        batch = []
        for i in range(rows):
            batch.append({"type": ("咨询", "建议", "投诉")[i % 3], "summary": f"请求 {i}", "customer_id": customer_id,
                          "request": "批量", "created_by": creator, "created_at": start + timedelta(minutes=97 * i),
                          "rounds": 1, "status": ("new", "assigned", "handled", "archived")[i % 4]})
            if len(batch) == 5000:
                s.execute(insert(ServiceRequest), batch)
                batch = []
        if batch:
            s.execute(insert(ServiceRequest), batch)
        s.commit()
    cases = {"unfiltered": {}, "type+dates+status": {"type": "投诉", "created_from": date(2024, 6, 1),
                                                     "created_to": date(2025, 6, 1), "status": "archived"}}
    print(f"\narchive query over {rows} requests (count + first page of 20), {runs} runs")
    with app.app_context(), Session(engine) as s:
        supervisor = s.scalar(select(User).where(User.username == "supervisor"))
        for name, filters in cases.items():
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                page = paginate(s, svc.query_requests(s, user=supervisor, filters=filters), 1, 20)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"  {name:<20} total {page.total:>6}  median {statistics.median(times):6.1f} ms  "
                  f"p95 {_pct(times, 95):6.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--archive", type=int, default=20000)
    args = parser.parse_args()
    engine = fresh_schema(args.db)
    from app import create_app
    app = create_app({"DATABASE_URL": args.db, "DEPLOY_MODELS_AT_START": False, "TESTING": True})
    setup(engine, app)
    cycles(engine, app, args.requests)
    archive_queries(engine, app, args.archive)


if __name__ == "__main__":
    main()
