"""Fault runs against a running cluster (scripts/cluster.sh up). Each scenario is bounded in time and prints what
it saw and whether it met its target; the exit status is 1 when one did not.

    .venv/bin/python scripts/faults.py kill-node [--runs 3]   kill -9 node1 amid a stream of task completions
    .venv/bin/python scripts/faults.py kill-worker            kill -9 the worker running a churn scan
    .venv/bin/python scripts/faults.py sigterm                SIGTERM node2 amid requests: in-flight ones finish
    .venv/bin/python scripts/faults.py second-beat            a second beat waits, takes over when the first dies
    .venv/bin/python scripts/faults.py restart-db             restart PostgreSQL under load (affects every user
                                                              of this PostgreSQL server: run it on purpose)

kill-worker waits for the broker to hand the dead worker's scan to another worker: start the cluster with a short
task time limit for it (`CELERY_TASK_TIME_LIMIT=60 scripts/cluster.sh up`: visibility timeout 120 s).
Only 127.0.0.1 is contacted; the database is read with DATABASE_URL (default: the cluster's crm_cluster)."""
import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from cluster_client import (Client, api_login, complete_with_retries, create_service_requests,  # noqa: E402
                            dispatch_tasks)

URL = "http://127.0.0.1:8080"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://root@127.0.0.1:5432/crm_cluster")
# The cluster's defaults (scripts/cluster.sh): the kill-worker run reads the scan's state where the workers put it.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/6")
CLUSTER = [str(ROOT / "scripts" / "cluster.sh")]
failures = []


def cluster(*args):
    subprocess.run(CLUSTER + list(args), check=True)


def wait_ready(port, timeout=90):
    c, deadline = Client(f"http://127.0.0.1:{port}", timeout=5), time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if c.request("GET", "/health/ready")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"port {port} not ready after {timeout} s")


def engine():
    from app.db import make_engine
    return make_engine(DATABASE_URL)


def verdict(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        failures.append(name)


# --- kill -9 an app node amid task completions -------------------------------------------------------------

def kill_node(runs, per_run, clients):
    from sqlalchemy import text
    eng = engine()
    supervisor, _t = api_login(URL, "supervisor")
    service, _t = api_login(URL, "service1")
    customer = supervisor.get_json("/api/v1/customers?per_page=1")["items"][0]
    totals = collections.Counter()
    for run in range(1, runs + 1):
        ids = create_service_requests(service, customer["no"], per_run, f"fault-kill-node-{int(time.time())}")
        tasks = dispatch_tasks(supervisor, ids)
        queue, lock, outcomes = list(tasks.items()), threading.Lock(), collections.Counter()
        done = [0]
        token = supervisor.headers["Authorization"]

        def worker():
            c = Client(URL)
            c.headers["Authorization"] = token
            while True:
                with lock:
                    if not queue:
                        return
                    _sr, task_id = queue.pop()
                status, tries, _body = complete_with_retries(c, task_id, {"assignee_id": customer["manager_id"]})
                with lock:
                    outcomes[f"{status}{' after retry' if tries > 1 else ''}"] += 1
                    done[0] += 1

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        for t in threads:
            t.start()
        while done[0] < per_run // 3:
            time.sleep(0.02)
        killed_at = done[0]
        cluster("kill", "node1")
        for t in threads:
            t.join(timeout=300)
        cluster("start", "node1")
        wait_ready(8081)
        rows = eng.connect().execute(text("""
            SELECT sr.id, sr.status, pi.status AS pstatus,
                   (SELECT count(*) FROM process_event e WHERE e.instance_id = pi.id AND e.event = 'task_completed'
                      AND e.bpmn_id = 'dispatch') AS completions,
                   (SELECT string_agg(h.bpmn_id, ',') FROM human_task h WHERE h.instance_id = pi.id
                      AND h.completed_at IS NULL) AS open_steps
              FROM service_request sr JOIN process_instance pi
                ON pi.definition_key = 'customer_service' AND pi.business_key = CAST(sr.id AS VARCHAR)
             WHERE sr.id = ANY(:ids)"""), {"ids": ids}).all()
        lost = [r.id for r in rows if r.completions == 0]
        doubled = [r.id for r in rows if r.completions > 1]
        disagree = [r.id for r in rows if r.completions == 1 and not (r.status == "assigned" and r.pstatus == "running"
                                                                      and r.open_steps == "handle")]
        totals.update(lost=len(lost), doubled=len(doubled), disagree=len(disagree), completions=len(rows))
        print(f"run {run}: {per_run} completions, node1 killed after {killed_at}; answers {dict(outcomes)}; "
              f"lost {len(lost)}, doubled {len(doubled)}, status/process disagree {len(disagree)}", flush=True)
    eng.dispose()
    verdict("kill -9 app node", totals["lost"] == totals["doubled"] == totals["disagree"] == 0,
            f"{runs} runs, {totals['completions']} completions: {totals['lost']} lost, {totals['doubled']} doubled, "
            f"{totals['disagree']} with a status that disagrees with the process")


# --- kill -9 the worker running the churn scan -------------------------------------------------------------

def silent_customers(eng, n, tag):
    """n customers created 400 days ago that never ordered: each one churn warning for the next scan."""
    from sqlalchemy import text
    with eng.begin() as conn:
        manager = conn.scalar(text("SELECT id FROM user_account WHERE username = 'manager1'"))
        conn.execute(text("""
            INSERT INTO customer (no, name, manager_id, level, status, created_at)
            SELECT :tag || lpad(g::text, 5, '0'), '故障测试客户' || g, :m, 1, 'normal', :at
              FROM generate_series(1, :n) g"""), {"tag": tag, "m": manager, "n": n,
                                                  "at": datetime.utcnow() - timedelta(days=400)})


def kill_worker(customers, wait_seconds):
    from celery.result import AsyncResult
    from sqlalchemy import text
    from scheduler.celery_app import celery
    eng = engine()
    tag = f"F{int(time.time()) % 10**8}"
    silent_customers(eng, customers, tag)
    admin, _t = api_login(URL, "admin")
    scan = admin.post_json("/api/v1/churn-cases/scan", expect=(202,))
    result = AsyncResult(scan["id"], app=celery)
    deadline = time.monotonic() + 60
    while result.state != "STARTED" and time.monotonic() < deadline:
        time.sleep(0.1)
    info = result.info if result.state == "STARTED" else None
    if not info:
        verdict("kill -9 worker during the scan", False, f"the scan did not start in 60 s ({result.state})")
        return
    worker = info["hostname"].split("@")[0]
    time.sleep(1.0)  # well inside the scan: it is starting thousands of process instances
    cluster("kill", worker)
    killed = time.monotonic()
    cluster("start", worker)
    print(f"killed {worker} (pid {info['pid']} ran scan {scan['id']}); waiting for the redelivery", flush=True)
    deadline = killed + wait_seconds
    status = None
    while time.monotonic() < deadline:
        status = admin.get_json(scan["href"])
        if status["status"] in ("done", "failed"):
            break
        time.sleep(2)
    with eng.connect() as conn:
        cases = conn.execute(text("""
            SELECT count(*) AS cases, count(DISTINCT c.customer_id) AS customers,
                   count(DISTINCT pi.id) AS instances
              FROM churn_case c JOIN customer cu ON cu.id = c.customer_id
              LEFT JOIN process_instance pi ON pi.definition_key = 'customer_churn'
                   AND pi.business_key = CAST(c.id AS VARCHAR)
             WHERE cu.no LIKE :tag"""), {"tag": tag + "%"}).one()
    eng.dispose()
    ok = (status or {}).get("status") == "done" and cases.cases == cases.customers == cases.instances == customers
    verdict("kill -9 worker during the churn scan", ok,
            f"scan {(status or {}).get('status')} {round(time.monotonic() - killed)} s after the kill, result "
            f"{(status or {}).get('result')}; {customers} silent customers -> {cases.cases} cases for "
            f"{cases.customers} customers, {cases.instances} process instances")


# --- SIGTERM: in-flight requests finish ---------------------------------------------------------------------

def stream(seconds, clients, paths, token, on_answer):
    stop = time.monotonic() + seconds

    def run(i):
        c = Client(URL)
        c.headers["Authorization"] = f"Bearer {token}"
        j = 0
        while time.monotonic() < stop:
            path = paths[(i + j) % len(paths)]
            j += 1
            t = time.monotonic()
            try:
                status = c.request("GET", path)[0]
            except OSError as exc:
                status = type(exc).__name__
            on_answer(t, status)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    return threads


PATHS = ["/api/v1/tasks?per_page=20", "/api/v1/customers?q=%E5%85%AC%E5%8F%B8", "/api/v1/service-requests"]


def sigterm(clients):
    _supervisor, token = api_login(URL, "supervisor")
    answers = collections.Counter()
    threads = stream(8, clients, PATHS, token,
                     lambda _t, s: answers.update([s]))
    time.sleep(2.5)
    t0 = time.monotonic()
    cluster("stop", "node2")  # SIGTERM, waits for the node to exit
    stopped = time.monotonic() - t0
    for t in threads:
        t.join()
    cluster("start", "node2")
    wait_ready(8082)
    bad = {k: v for k, v in answers.items() if k != 200}
    verdict("SIGTERM app node", not bad, f"node2 stopped gracefully in {stopped:.1f} s amid {clients} clients; "
            f"answers {dict(answers)}")


# --- a second beat ---------------------------------------------------------------------------------------------

def second_beat():
    log = ROOT / "instance" / "cluster" / "logs" / "beat2.log"
    env = {**os.environ, "NODE_NAME": "beat2", "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL",
                                                                                   "redis://127.0.0.1:6379/5")}
    with open(log, "w") as out:
        second = subprocess.Popen([str(ROOT / ".venv/bin/celery"), "-A", "scheduler", "beat", "--loglevel=info",
                                   "--schedule", str(ROOT / "instance/cluster/celerybeat-schedule-2")],
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        def wait_for(text, seconds):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if text in log.read_text():
                    return True
                time.sleep(0.5)
            return False
        waited = wait_for("beat waits", 60)
        time.sleep(5)
        still_waiting = "taken by" not in log.read_text()
        cluster("kill", "beat")
        t0 = time.monotonic()
        took_over = wait_for("taken by", 90)
        verdict("second beat", waited and still_waiting and took_over,
                f"second beat waited while the first ran: {waited and still_waiting}; took over "
                f"{time.monotonic() - t0:.0f} s after the first was killed: {took_over}")
    finally:
        second.kill()
        second.wait()
        cluster("start", "beat")


# --- restart PostgreSQL under load ------------------------------------------------------------------------------

def restart_db(clients):
    _supervisor, token = api_login(URL, "supervisor")
    answers = []
    lock = threading.Lock()

    def record(t, status):
        with lock:
            answers.append((t, status))
    threads = stream(25, clients, PATHS, token, record)
    time.sleep(4)
    version = sorted(os.listdir("/etc/postgresql"))[0]
    t0 = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    done = time.monotonic()
    for t in threads:
        t.join()
    during = collections.Counter(s for t, s in answers if t0 <= t < done)
    after = [(t, s) for t, s in answers if t >= done]
    errors_after = [(t, s) for t, s in after if s != 200]
    recovery = (max(t for t, _s in errors_after) - done) if errors_after else 0.0
    before = collections.Counter(s for t, s in answers if t < t0)
    # During the outage a request is answered 200 or 503 (retry later), never as an internal error.
    wrong = sum(n for status, n in during.items() if status not in (200, 503))
    verdict("restart PostgreSQL under load", recovery <= 10 and not wrong,
            f"restart took {done - t0:.1f} s; answers before {dict(before)}, during {dict(during)}, after "
            f"{dict(collections.Counter(s for _t, s in after))}; last error {recovery:.1f} s after the restart "
            f"completed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", choices=["kill-node", "kill-worker", "sigterm", "second-beat", "restart-db"],
                    nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--completions", type=int, default=90, help="per kill-node run")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--customers", type=int, default=2000, help="silent customers for the kill-worker scan")
    ap.add_argument("--wait", type=int, default=240, help="seconds kill-worker waits for the redelivered scan")
    args = ap.parse_args()
    wait_ready(8080)
    for s in args.scenario:
        if s == "kill-node":
            kill_node(args.runs, args.completions, args.clients)
        elif s == "kill-worker":
            kill_worker(args.customers, args.wait)
        elif s == "sigterm":
            sigterm(args.clients * 2)
        elif s == "second-beat":
            second_beat()
        elif s == "restart-db":
            restart_db(args.clients)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
