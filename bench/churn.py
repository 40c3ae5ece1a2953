"""Churn scan benchmark on PostgreSQL: the first full scan (detection, case rows, process instances) and a repeat
scan with nothing new, next to the raw anti-join detection query in the same run.

    .venv/bin/python -m bench.churn [--db postgresql://root@127.0.0.1:5432/crm_bench_churn] [--scale 1.0]
                                    [--rebuild]

The data set comes from bench/datagen.py (--scale 1: 100k customers, 5M order lines; about 8 % stopped ordering
6–36 months ago and 5 % never ordered, so the first scan opens ~13k cases). It is generated once and kept; every
run removes the churn cases and process instances of the previous run and scans from scratch. Targets: repeat scan
≤ 2× the raw query; first scan with ~15k new cases ≤ 60 s.
"""
import argparse
import statistics
import time
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.churn.models import ChurnCase
from app.churn.scan_service import cutoff_for, detection_query, run_scan
from app.customers.models import Customer
from app.db import make_engine
from bench import datagen
from processes import clock

TZ = "Asia/Shanghai"
MONTHS = 6


def prepare(url, scale, rebuild):
    """datagen's data set, the customer_churn model deployed, and no churn cases or instances left over."""
    datagen.generate(url, scale=scale, rebuild=rebuild)
    from app.config import ROOT
    from processes.definitions import deploy_directory
    from app import load_process_bindings
    load_process_bindings()  # deploy validation checks the models against the operations and bindings
    engine = make_engine(url)
    with Session(engine) as db:
        deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
        db.commit()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM human_task; DELETE FROM process_event; DELETE FROM process_instance; "
                          "DELETE FROM churn_measure; DELETE FROM churn_case"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE churn_case, process_instance, human_task, process_event"))
    return engine


@contextmanager
def timed(store, key):
    t0 = time.perf_counter()
    yield
    store[key] = store.get(key, 0.0) + time.perf_counter() - t0


def raw_query_seconds(engine, repeat=3, jit=True):
    """The detection query alone, as SQL text on a plain connection (jit=False: without PostgreSQL's JIT, which
    a plain query of this cost triggers and the scan's server-side cursor does not)."""
    cutoff, cutoff_utc = cutoff_for(clock.utcnow(), months=MONTHS, tz=TZ)
    sql = str(detection_query(cutoff, cutoff_utc).compile(dialect=engine.dialect,
                                                          compile_kwargs={"literal_binds": True}))
    runs, rows = [], 0
    with engine.connect() as conn:
        if not jit:
            conn.exec_driver_sql("SET jit = off")
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = len(conn.exec_driver_sql(sql).fetchall())
            runs.append(time.perf_counter() - t0)
    return statistics.median(runs), rows


def scan_once(engine, batch_size):
    import processes.api as runtime  # the name app.churn.scan_service calls through
    parts = {}
    real_start = runtime.start_processes

    def start_processes(*a, **kw):  # instance creation, timed apart from detection and inserts
        with timed(parts, "instances"):
            return real_start(*a, **kw)

    runtime.start_processes = start_processes
    try:
        with Session(engine) as db:
            t0 = time.perf_counter()
            result = run_scan(db, months=MONTHS, tz=TZ, batch_size=batch_size)
            with timed(parts, "commit"):
                db.commit()
            parts["total"] = time.perf_counter() - t0
    finally:
        runtime.start_processes = real_start
    parts["detection+records"] = parts["total"] - parts.get("instances", 0) - parts["commit"]
    return result, parts


def engine_floor_ms(engine, n=1000):
    """What starting an instance costs without the database: build the workflow, run it to the manager's task,
    serialize its state (the part a bulk start could not avoid)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from processes import store
    from processes.definitions import latest_or_fail, parsed_for
    from processes.scripting import CrmScriptEngine
    with Session(engine) as db:
        parsed = parsed_for(latest_or_fail(db, "customer_churn"))
    t0 = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=CrmScriptEngine())
        wf.get_next_task(state=TaskState.READY).data.update(
            {"case_id": i, "customer_id": i, "manager_id": 1, "recheck_after": "P30D"})
        wf.do_engine_steps()
        store.dump_state(wf)
    return (time.perf_counter() - t0) / n * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="postgresql://root@127.0.0.1:5432/crm_bench_churn")
    ap.add_argument("--scale", type=float, default=1.0, help="datagen scale: 1 = 100k customers, 5M order lines")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--rebuild", action="store_true", help="generate the data set again")
    args = ap.parse_args()

    engine = prepare(args.db, args.scale, args.rebuild)
    with Session(engine) as db:
        n_cust = db.scalar(select(func.count(Customer.id)))
        n_lines = db.scalar(text("SELECT count(*) FROM order_line"))
    print(f"customers {n_cust:,}, order lines {n_lines:,}, PostgreSQL, batch {args.batch_size}")

    raw_before, candidates = raw_query_seconds(engine)
    first, parts = scan_once(engine, args.batch_size)
    raw_after, left = raw_query_seconds(engine)
    raw_after_nojit, _ = raw_query_seconds(engine, jit=False)
    repeats = [scan_once(engine, args.batch_size) for _ in range(3)]
    repeat_s = statistics.median(p["total"] for _, p in repeats)
    with Session(engine) as db:
        cases = db.scalar(select(func.count(ChurnCase.id)))

    print(f"raw anti-join query, before first scan: {raw_before * 1000:8.1f} ms  ({candidates:,} rows)")
    print(f"first scan: {parts['total']:8.2f} s  ({first.created:,} new cases; "
          f"detection+records {parts['detection+records']:.2f} s, instances {parts.get('instances', 0):.2f} s, "
          f"commit {parts['commit']:.2f} s; {first.created / parts['total']:.0f} cases/s)")
    print(f"raw anti-join query, nothing new:       {raw_after * 1000:8.1f} ms  ({left:,} rows)")
    print(f"repeat scan, nothing new (median of 3): {repeat_s * 1000:8.1f} ms  "
          f"(created {sum(r.created for r, _ in repeats)})")
    print(f"raw anti-join query, nothing new, no JIT: {raw_after_nojit * 1000:6.1f} ms")
    print(f"ratio repeat scan / raw query: {repeat_s / raw_after:.2f} ({repeat_s / raw_after_nojit:.2f} against the "
          f"query without JIT)  (target ≤ 2)")
    print(f"first scan vs target 60 s:     {parts['total'] / 60:.2f}  (target ≤ 1; cases in db {cases:,})")
    per_instance = parts.get("instances", 0) / max(first.created, 1) * 1000
    floor = engine_floor_ms(engine)
    print(f"instance start: {per_instance:.2f} ms each through start_processes; in-memory floor {floor:.1f} ms "
          f"(workflow + serialize, no SQL) -> {floor * first.created / 1000:.1f} s for {first.created:,}")


if __name__ == "__main__":
    main()
