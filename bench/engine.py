"""Process engine throughput and inbox query time, on PostgreSQL.

    .venv/bin/python bench/engine.py [--db postgresql://root@127.0.0.1:5432/crm_bench_engine]
                                     [--instances 300] [--inbox 1000,100000] [--runs 30]

1. Throughput through the service layer (processes.runtime: lock, load, sandboxed scripts, service task, save,
   inbox sync, history; one committed transaction per start or completion) next to raw SpiffWorkflow in memory
   (same BPMN parsed once, plain script engine, nothing stored), measured in the same run: instances started/s,
   tasks completed/s, and the ratio.
2. The inbox page's queries (count + first page of 20, the menu counter) at 1k and 100k open tasks, each size in
   a database of its own (`<db>_inbox1000`, `<db>_inbox100000`), timed alternately within every run.

The workload is the test fixture tests/fixtures/engine_demo.bpmn: start (script) -> review (user task) ->
gateway -> service task -> handle (user task with a boundary timer) -> script -> gateway -> end.
Figures are printed; nothing is asserted.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench_engine"
FIXTURES = ROOT / "tests" / "fixtures"
XML = (FIXTURES / "engine_demo.bpmn").read_text(encoding="utf-8")
ROLES = ["sales_supervisor", "customer_manager", "service_rep", "process_analyst", "admin"]




def fresh_schema(url):
    from app.cli import upgrade_database
    from app.db import drop_all, ensure_database, make_engine
    from app.models import load_all_models
    ensure_database(url)
    engine = make_engine(url)
    load_all_models()
    drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_database(url)
    return engine


def register_operation():
    from processes.services import operation

    @operation("test.notify")
    def notify(ctx, record, handler):
        return {"sent_to": handler}


def bench_service_layer(engine, n):
    from processes.actor import Actor
    from processes.definitions import deploy_model
    from processes.models import HumanTask
    from processes.runtime import complete_task, start_process
    from sqlalchemy import select
    system = Actor.system()
    with Session(engine) as s:
        deploy_model(s, XML, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
        s.commit()
    ids, start_ms = [], []
    t0 = time.perf_counter()
    for i in range(n):
        with Session(engine) as s:
            t1 = time.perf_counter()
            inst = start_process(s, "engine_demo", business_key=f"B-{i}", subject=f"bench {i}",
                                 data={"amount": i, "record": f"B-{i}", "escalate_after": "PT72H"}, user_id=None)
            s.commit()
            start_ms.append((time.perf_counter() - t1) * 1000)
            ids.append(inst.id)
    started = time.perf_counter() - t0
    complete_ms = []
    t0 = time.perf_counter()
    for form in ({"approved": "yes", "assignee_id": 1}, {"handling": "done", "again": "no"}):
        # A client knows the id of the task it completes (the inbox listed it): looked up outside the timing.
        with Session(engine) as s:
            task_ids = dict(s.execute(select(HumanTask.instance_id, HumanTask.id)
                                      .where(HumanTask.completed_at.is_(None))).all())
        for instance_id in ids:
            with Session(engine) as s:
                t1 = time.perf_counter()
                complete_task(s, task_ids[instance_id], actor=system, data=form)
                s.commit()
                complete_ms.append((time.perf_counter() - t1) * 1000)
    completed = time.perf_counter() - t0
    with Session(engine) as s:
        done = s.scalar(text("SELECT count(*) FROM process_instance WHERE status = 'completed'"))
        size = s.scalar(text("SELECT avg(length(state::text)) FROM process_instance"))
    assert done == n, f"only {done} of {n} instances completed"
    return {"start/s": n / started, "complete/s": len(complete_ms) / completed, "state": size,
            "start ms": statistics.median(start_ms), "complete ms": statistics.median(complete_ms),
            "complete p95": sorted(complete_ms)[int(len(complete_ms) * 0.95) - 1]}


def bench_raw(n):
    """Plain SpiffWorkflow: the spec parsed once, workflows kept in memory, no storage, no sandbox."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.util.task import TaskState

    class RawEngine(PythonScriptEngine):
        def call_service(self, task, operation_name=None, operation_params=None, **_kw):
            return json.dumps({"sent_to": operation_params["handler"]["value"]})

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(XML.encode(), filename="engine_demo.bpmn")
    spec, subs = parser.get_spec("engine_demo"), parser.get_subprocess_specs("engine_demo")
    script_engine = RawEngine()
    workflows = []
    t0 = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
        wf.get_next_task(state=TaskState.READY).data.update(
            {"amount": i, "record": f"B-{i}", "escalate_after": "PT72H"})
        wf.do_engine_steps()
        workflows.append(wf)
    started = time.perf_counter() - t0
    complete_ms = []
    t0 = time.perf_counter()
    for form in ({"approved": "yes", "assignee_id": 1}, {"handling": "done", "again": "no"}):
        for wf in workflows:
            t1 = time.perf_counter()
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            task.set_data(**form)
            task.run()
            wf.do_engine_steps()
            complete_ms.append((time.perf_counter() - t1) * 1000)
    completed = time.perf_counter() - t0
    assert all(wf.is_completed() for wf in workflows)
    return {"start/s": n / started, "complete/s": len(complete_ms) / completed,
            "complete ms": statistics.median(complete_ms)}


def fill_inbox(engine, total):
    """Open human tasks spread over the 5 roles; in every lane 1 in 5 is assigned to one of 50 users, the rest is
    the lane's group work (1 in 97 of all claimed by someone). One in 3 has a due date 0–9 hours after it started
    (tasks start a minute apart), so some are overdue at 1k open tasks as well as at 100k."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM human_task"))
        conn.execute(text("DELETE FROM process_instance"))
        def_id = conn.scalar(text("SELECT id FROM process_definition LIMIT 1"))
        conn.execute(text("""
            INSERT INTO process_instance (definition_id, definition_key, business_key, subject, status,
                                          lock_version, started_at)
            SELECT :d, 'engine_demo', 'B-' || g, 'bench ' || g, 'running', 1, now() - (g || ' minutes')::interval
            FROM generate_series(1, :n) g"""), {"d": def_id, "n": total})
        conn.execute(text("""
            INSERT INTO human_task (instance_id, task_uuid, process_key, business_key, subject, bpmn_id, name,
                                    role, assignee_id, claimed_by, form, created_at, due_at)
            SELECT pi.id, md5(pi.id::text || 'task'), 'engine_demo', pi.business_key, pi.subject, 'Handle',
                   'Handle request', (ARRAY['sales_supervisor','customer_manager','service_rep',
                                            'process_analyst','admin'])[1 + pi.id % 5],
                   CASE WHEN (pi.id / 5) % 5 = 1 THEN 1000 + (pi.id / 25) % 50 END,
                   CASE WHEN pi.id % 97 = 0 THEN 2000 END,
                   'engine_handle.json', pi.started_at,
                   CASE WHEN pi.id % 3 = 0 THEN pi.started_at + (pi.id % 10 * 60 || ' minutes')::interval END
            FROM process_instance pi"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE human_task"))  # what autovacuum does to a settled table


class BenchUser:
    def __init__(self, user_id, role):
        self.id, self.role_code = user_id, role

    def can(self, right):
        return False


INBOX_QUERIES = (
    ("inbox page (count + 20 rows, oldest first)", lambda s, u: _page(s, u, 1)),
    ("inbox page, due soonest first", lambda s, u: _page(s, u, 1, sort="due")),
    ("inbox page, overdue filter", lambda s, u: _page(s, u, 1, due="overdue")),
    ("inbox page 50 (offset 980)", lambda s, u: _page(s, u, 50)),
    ("menu counter", lambda s, u: _count(s, u)),
)


def _page(s, user, page, **filters):
    from app.inbox.service import inbox_page
    return inbox_page(s, user, page, 20, **filters)


def _count(s, user):
    from app.inbox.service import count_open
    return count_open(s, user)


def inbox_database(url, total):
    """A database of its own per inbox size (`<db>_inbox<total>`), so the sizes can be timed alternately."""
    from processes.definitions import deploy_model
    sized = make_url(url).set(database=f"{make_url(url).database}_inbox{total}")
    engine = fresh_schema(sized.render_as_string(hide_password=False))
    with Session(engine) as s:
        deploy_model(s, XML, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
        s.commit()
    fill_inbox(engine, total)
    return engine


def time_inbox(engines, runs):
    """{total: {query: (median, p95)}}. Every run times each query on every size back to back (the sizes'
    order alternating), so the machine's drift from minute to minute weighs on all sizes alike and the growth
    ratio compares like with like."""
    user = BenchUser(1001, "customer_manager")
    sessions = {total: Session(engine) for total, engine in engines.items()}
    samples = {total: {label: [] for label, _fn in INBOX_QUERIES} for total in engines}
    try:
        for s in sessions.values():
            for _label, fn in INBOX_QUERIES:
                fn(s, user)  # warm up: pool connection, statement caches
        order = list(sessions)
        for run in range(runs):
            for label, fn in INBOX_QUERIES:
                for total in order if run % 2 == 0 else order[::-1]:
                    t0 = time.perf_counter()
                    fn(sessions[total], user)
                    samples[total][label].append((time.perf_counter() - t0) * 1000)
    finally:
        for s in sessions.values():
            s.close()
    results = {}
    for total, by_label in samples.items():
        results[total] = {}
        for label, times in by_label.items():
            times.sort()
            results[total][label] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=DEFAULT_DB)
    ap.add_argument("--instances", type=int, default=300)
    ap.add_argument("--inbox", default="1000,100000")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    register_operation()
    engine = fresh_schema(args.db)
    print(f"engine bench on {make_url(args.db).render_as_string(hide_password=True)}, {args.instances} instances")
    raw = bench_raw(args.instances)
    svc = bench_service_layer(engine, args.instances)
    print(f"{'':36}{'service layer (PG)':>20}{'raw Spiff (memory)':>22}{'ratio':>8}")
    for label, key in (("instances started / s", "start/s"), ("tasks completed / s", "complete/s")):
        print(f"{label:36}{svc[key]:>20.1f}{raw[key]:>22.1f}{raw[key] / svc[key]:>7.1f}x")
    print(f"{'task completion, median ms':36}{svc['complete ms']:>20.2f}{raw['complete ms']:>22.2f}"
          f"{svc['complete ms'] / raw['complete ms']:>7.1f}x   (target <= 10 ms; p95 {svc['complete p95']:.2f} ms)")
    print(f"{'instance start, median ms':36}{svc['start ms']:>20.2f}")
    print(f"stored instance state (no spec): {svc['state']:.0f} bytes on average")
    sizes = [int(x) for x in args.inbox.split(",") if x]
    engines = {total: inbox_database(args.db, total) for total in sizes}
    inbox = time_inbox(engines, args.runs)
    for total, engine in engines.items():
        with engine.connect() as conn:
            sees = conn.scalar(text("SELECT count(*) FROM human_task WHERE completed_at IS NULL AND role = "
                                    "'customer_manager' AND (assignee_id IS NULL OR assignee_id = 1001) AND "
                                    "(claimed_by IS NULL OR claimed_by = 1001)"))
        engine.dispose()
        print(f"\ninbox with {total:,} open tasks (a customer manager: {total // 5:,} in the lane, sees {sees:,})")
        for label, (median, p95) in inbox[total].items():
            print(f"  {label:46} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    if len(inbox) >= 2:
        small, large = min(inbox), max(inbox)
        print(f"\ninbox growth {large:,} vs {small:,} open tasks, timed alternately "
              f"(target <= 1.5x; <= 15 ms at 100k):")
        for label, (median, _p95) in inbox[large].items():
            print(f"  {label:46} {median / inbox[small][label][0]:5.2f}x")
    engine.dispose()


if __name__ == "__main__":
    main()
