"""What users wait for, over HTTP: the app under gunicorn on PostgreSQL, every figure next to a small static file
served by the same server in the same run (the floor), printed as a ratio to it.

    .venv/bin/python bench/http_bench.py [--db postgresql://root@127.0.0.1:5432/crm_bench] [--scale 1] [--port 8090]
                                   [--quick] [--seconds 5] [--clients 8]

Starts gunicorn with the deployed node's settings (deploy/gunicorn.conf.py: 2 processes × 2 threads by default) on
127.0.0.1:--port (and stops it at the end); the data set is
bench/datagen.py's at --scale (generated when the database has no customers; 1 = 100k customers, 5M order lines).
Measures, single client unless said:
- the static file (/static/favicon.svg) and authenticated `GET /api/v1/me`: median, p95;
- task completion over HTTP (`POST /api/v1/tasks/{id}/complete`, the sales assignment: a user task to the next
  user task): median, p95 and SQL statements per completion (counted in the server: the WSGI app below adds the
  number of statements of each request as a response header; nothing of the app changes);
- the service flow end to end (create, dispatch, handle, feedback: four API calls as three users): flows/s;
- the churn scan at scale, in process: the first scan when no case is open (cases/s), and the repeat scan;
- at --clients (8) concurrent clients for --seconds each: throughput and p50/p95/p99 of the static file, /me,
  the inbox page, the customer list page, the inbox API and every report page and API (contribution unfiltered,
  by year and by a 2-character name; composition by level and by satisfaction; service by year; churn);
- each report's single-client median, and the contribution report's first 200 rows (all years and by year)
  compared with the raw aggregate over the order lines, whose own time is printed too.
The floor is measured next to every figure, not once: single-client figures run in blocks (25 requests, 5 flows)
that alternate with blocks of static-file requests, and each concurrent figure follows its own run of the static
file. On a shared machine the static file alone varied from 1.6 to 3.0 ms between minutes (and 1.85 to 2.97 ms
between blocks of 100 requests); a floor taken once at the start turned that drift into the ratios.
Bounded: fixed counts and durations (--quick: a few seconds in all). Figures are printed; nothing is asserted.

Not named bench/http.py: run as a script, every file in bench/ has this folder first on sys.path, where a module
named `http` would shadow the standard library's package for all of them (datagen.py and werkzeug's imports broke).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from urllib.parse import quote, urlencode  # noqa: E402

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench"
SQL_HEADER = "X-Bench-SQL"
STATIC = "/static/favicon.svg"


# --- the server side: the app with a statement counter (gunicorn imports this module as bench.http_bench) ------

def wsgi():
    """gunicorn's application: the CRM, each response carrying the number of SQL statements its request sent."""
    from sqlalchemy import event

    from app import create_app
    app = create_app()
    local = threading.local()

    @event.listens_for(app.extensions["db_engine"], "before_cursor_execute")
    def _count(*_args):
        local.n = getattr(local, "n", 0) + 1

    _add_floor_routes(app)
    inner = app.wsgi_app

    def counted(environ, start_response):
        local.n = 0

        def start(status, headers, exc_info=None):
            return start_response(status, headers + [(SQL_HEADER, str(local.n))], exc_info)
        return inner(environ, start)
    app.wsgi_app = counted
    return app


def _add_floor_routes(app):
    """Two floors under the pages, for bench/ab_throughput.py --floors: /bench/hello, a public route answering two
    bytes (Flask and the app's request hooks, nothing else), and /bench/frame, an empty page for a signed-in user
    (the sign-in, the menu with its badges, the base template: what every page pays before its own content)."""
    from flask import render_template

    from app.auth.guard import logged_in, public
    frame = app.jinja_env.from_string('{% extends "base.html" %}{% block title %}frame{% endblock %}')
    app.add_url_rule("/bench/hello", "bench_hello", public(lambda: "ok"))
    app.add_url_rule("/bench/frame", "bench_frame", logged_in(lambda: render_template(frame)))


# --- the client side ---------------------------------------------------------------------------------------------

class Client:
    """One keep-alive connection with a bearer token or the cookies of a signed-in browser."""

    def __init__(self, port, token=None, cookies=None):
        self.port, self.token, self.cookies = port, token, dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def copy(self):
        return Client(self.port, self.token, self.cookies)

    def request(self, method, path, body=None, form=None):
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        elif form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # gunicorn closes a keep-alive connection idle for 2 s (between phases): connect again, once.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return resp.status, resp, data


def api_login(port, username):
    status, _resp, data = Client(port).request("POST", "/api/v1/auth/login",
                                               body={"username": username, "password": "demo"})
    assert status == 200, (username, status, data[:300])
    return Client(port, token=json.loads(data)["token"])


def page_login(port, username):
    c = Client(port)
    _s, _r, html = c.request("GET", "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()
    status, _r, _d = c.request("POST", "/login", form={"csrf_token": token, "username": username,
                                                       "password": "demo"})
    assert status == 302, (username, status)
    return c


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def concurrent(client, path, clients, seconds):
    """`clients` threads, each on its own connection, for `seconds`: (requests/s, latencies ms, errors)."""
    latencies, errors = [[] for _ in range(clients)], [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i):
        c = client.copy()
        for _ in range(2):
            c.request("GET", path)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            status, _r, _d = c.request("GET", path)
            latencies[i].append((time.perf_counter() - t0) * 1000)
            errors[i] += status != 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600
    start.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    flat = [x for per in latencies for x in per]
    return len(flat) / elapsed, flat, sum(errors)


# --- setup -------------------------------------------------------------------------------------------------------

def prepare(url, scale):
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from bench import datagen
    from processes.definitions import deploy_directory
    from app import load_process_bindings
    load_process_bindings()  # deploy validation checks the models against the operations and bindings
    print(f"data: {url}, scale {scale}")
    datagen.generate(url, scale=scale)
    engine = make_engine(url)
    with Session(engine) as db:
        deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
        db.commit()
    return engine


def start_server(url, port):
    # The node as deployed (deploy/gunicorn.conf.py: processes, threads, the frozen heap, JSON access lines), its
    # access lines thrown away; only the statement counter of wsgi() is added.
    env = {**os.environ, "DATABASE_URL": url, "DEPLOY_MODELS_AT_START": "0", "SECRET_KEY": "bench-http",
           "PYTHONPATH": str(ROOT), "NODE_NAME": "bench-http"}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
               "-b", f"127.0.0.1:{port}", "bench.http_bench:wsgi()"]
    server = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if Client(port).request("GET", STATIC)[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start")
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def churn_scan(engine, repeats):
    """The first scan when no case is open (all of them opened then), and the repeat scan, in process."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.churn.models import OPEN_CHURN_STATUSES, ChurnCase
    from app.churn.scan_service import run_scan
    with Session(engine) as db:
        open_cases = db.scalar(select(func.count(ChurnCase.id)).where(ChurnCase.status.in_(OPEN_CHURN_STATUSES)))
    if not open_cases:
        with Session(engine) as db:
            t0 = time.perf_counter()
            result = run_scan(db, months=6, tz="Asia/Shanghai")
            db.commit()
            elapsed = time.perf_counter() - t0
        print(f"churn first scan: {result.created:,} cases in {elapsed:.1f} s = {result.created / elapsed:,.0f} "
              f"cases/s (target ≥ 1,000)")
    else:
        print(f"churn first scan: not run ({open_cases:,} cases already open from an earlier run)")
    times = []
    for _ in range(repeats):
        with Session(engine) as db:
            t0 = time.perf_counter()
            result = run_scan(db, months=6, tz="Asia/Shanghai")
            db.commit()
            times.append((time.perf_counter() - t0) * 1000)
            assert result.created == 0
    print(f"churn repeat scan: median {statistics.median(times):.1f} ms of {repeats} "
          f"(candidates read {result.candidates}; target ≤ 100 ms at 1M customers)")


def open_assign_tasks(engine, port, n):
    """n opportunities recorded by manager1 through the API: n assignment tasks in the supervisors' lane."""
    from sqlalchemy import text
    manager = api_login(port, "manager1")
    ids = []
    for i in range(n):
        status, _r, data = manager.request("POST", "/api/v1/opportunities", body={
            "customer_name": f"压测客户{i}", "probability": 50, "summary": "基准", "description": "HTTP 基准测试"})
        assert status == 201, (status, data[:300])
        ids.append(str(json.loads(data)["id"]))
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM human_task WHERE process_key = 'sales_opportunity' "
                                 "AND bpmn_id = 'assign' AND completed_at IS NULL AND business_key = ANY(:keys) "
                                 "ORDER BY id"), {"keys": ids}).scalars().all()


def analyze(engine):
    """Refresh the planner's statistics, as autovacuum would in service after a burst of new rows."""
    from sqlalchemy import text
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def user_ids(engine):
    from sqlalchemy import text
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT username, id FROM user_account")).all())


def raw_contribution(engine, year, limit):
    """The raw aggregate over the order lines (app.reports.queries.contribution_from_orders): (s, first rows)."""
    from sqlalchemy.orm import Session

    from app.reports.queries import contribution_from_orders
    with Session(engine) as db:
        t0 = time.perf_counter()
        rows = db.execute(contribution_from_orders(year=year).limit(limit)).all()
        return time.perf_counter() - t0, [(no, float(amount)) for no, _name, amount in rows]


# --- the run -----------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--scale", type=float, default=1.0, help="datagen scale when the database is empty")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of each concurrent measurement")
    ap.add_argument("--quick", action="store_true", help="a small run: few requests, 1 s per concurrent figure")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        raise SystemExit("bench/http_bench.py runs on PostgreSQL")
    seconds = 1.0 if args.quick else args.seconds
    n_seq, n_tasks, n_flows, n_report = (30, 20, 5, 5) if args.quick else (300, 200, 40, 20)

    engine = prepare(args.db, args.scale)
    churn_scan(engine, 1 if args.quick else 3)
    # A first scan adds some 14,500 cases, instances and tasks at once; autovacuum would analyze them soon after.
    # Without it the admin's menu badges kept a plan made for the tables before the scan: each report page then took
    # 75 ms instead of 13 (session 11's first run).
    analyze(engine)
    server = start_server(args.db, args.port)
    try:
        run(engine, args.port, args.clients, seconds, n_seq, n_tasks, n_flows, n_report, not args.quick)
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()


def paired(floor_client, fn, n, block=25):
    """n runs of fn in blocks of `block`, each block right after a block of static-file requests: (fn's latencies,
    the static file's) in ms. Side by side, a ratio stays fair when the machine's speed drifts during the run
    (on a shared machine the static file alone took 1.6 to 3.0 ms from one minute to the next); in blocks, both
    run back to back as they would alone. Of each static block the first two are not counted (the first request
    after a switch finds colder caches). The static file between heavier requests can still be slower than in a
    tight loop (2.1-2.9 ms against 1.9-2.4 in session 10's runs), which lowers a ratio: every line prints the
    floor it was divided by, next to the tight-loop floor of the first line."""
    times, floor = [], []
    for i in range(-3, 0):  # three unmeasured runs of fn first
        fn(i)
    for start in range(0, n, block):
        for j in range(2 + block):
            t0 = time.perf_counter()
            status, _r, _d = floor_client.request("GET", STATIC)
            assert status == 200
            if j >= 2:
                floor.append((time.perf_counter() - t0) * 1000)
        for i in range(start, min(start + block, n)):
            t0 = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - t0) * 1000)
    return times, floor


def get_ok(client, path):
    def fn(_i):
        status, _r, data = client.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status} {data[:300]!r}")
    return fn


def run(engine, port, clients, seconds, n_seq, n_tasks, n_flows, n_report, raw):
    anonymous = Client(port)
    users = user_ids(engine)

    def line(label, times, floor, extra=""):
        base = statistics.median(floor)
        print(f"  {label:<44}{statistics.median(times):8.2f} ms  p95 {pct(times, 95):7.2f}  "
              f"{statistics.median(times) / base:6.1f}× static ({base:.2f} ms){extra}")

    print(f"\nsingle client ({n_seq} requests; each figure against the static file requested alternately with it)")
    static, floor = paired(anonymous, get_ok(anonymous, STATIC), n_seq)
    line("static file (floor)", static, floor)
    me = api_login(port, "manager2")
    line("GET /api/v1/me", *paired(anonymous, get_ok(me, "/api/v1/me"), n_seq), "  (target ≤ 2×)")

    tasks = open_assign_tasks(engine, port, n_tasks + 3)
    supervisor = api_login(port, "supervisor")
    statements = []

    def complete(i):
        status, resp, data = supervisor.request("POST", f"/api/v1/tasks/{tasks[i]}/complete",
                                                body={"data": {"assignee_id": users["manager1"]}})
        assert status == 200, (status, data[:300])
        statements.append(int(resp.getheader(SQL_HEADER)))
    times, floor = paired(anonymous, complete, n_tasks)
    line(f"task completion (assign → plan), {n_tasks}", times, floor,
         f"  p95 {pct(times, 95) / statistics.median(floor):.1f}×; SQL {statistics.median(statements):.0f} per "
         f"completion (targets ≤ 6×, p95 ≤ 12×, ≤ 8 statements)")

    service1, manager1 = api_login(port, "service1"), api_login(port, "manager1")
    from sqlalchemy import text
    with engine.connect() as conn:
        customer_no = conn.scalar(text("SELECT no FROM customer WHERE status = 'normal' ORDER BY id LIMIT 1"))

    def flow(i):
        status, _r, data = service1.request("POST", "/api/v1/service-requests", body={
            "type": "投诉", "summary": f"基准 {i}", "customer_no": customer_no, "request": "HTTP 基准测试"})
        assert status == 201, (status, data[:300])
        rid = json.loads(data)["id"]
        for client, step, body in ((supervisor, "dispatch", {"assignee": users["manager1"]}),
                                   (manager1, "handle", {"handling": "已处理"}),
                                   (service1, "feedback", {"result": "满意", "satisfaction": 4})):
            status, _r, data = client.request("POST", f"/api/v1/service-requests/{rid}/{step}", body=body)
            assert status == 200, (step, status, data[:300])
    times, floor = paired(anonymous, flow, n_flows, block=5)
    per_flow = statistics.mean(times)
    print(f"  {'service flow (create, dispatch, handle, feedback)':<44}{1000 / per_flow:8.1f} flows/s  "
          f"{per_flow:.1f} ms per flow = {per_flow / statistics.median(floor):.1f}× static "
          f"({statistics.median(floor):.2f} ms) (targets ≥ 25 flows/s, ≤ 30×)")

    year = date.today().year - 1
    admin, inbox_user, inbox_api = page_login(port, "admin"), page_login(port, "bench_mgr001"), \
        api_login(port, "bench_mgr002")
    executive = api_login(port, "executive")
    reports = [("contribution", ""), ("contribution", f"?year={year}"),
               ("contribution", "?customer_name=" + quote("宏达")), ("composition", ""),
               ("composition", "?mode=satisfaction"), ("service", f"?year={year}"), ("churn", "")]

    print(f"\nreports, single client ({n_report} requests each; target ≤ 200 ms)")
    for key, query in reports:
        line(f"page /reports/{key}{query}", *paired(anonymous, get_ok(admin, f"/reports/{key}{query}"), n_report))
        line(f"API  /api/v1/reports/{key}{query}",
             *paired(anonymous, get_ok(executive, f"/api/v1/reports/{key}{query}"), n_report))

    for label, query, ryear in (("all years", "", None), (f"year {year}", f"&year={year}", year)):
        _s, _r, data = executive.request("GET", f"/api/v1/reports/contribution?per_page=200{query}")
        shown = [(r["customer_no"], r["amount"]) for r in json.loads(data)["items"]]
        if raw:
            seconds_raw, expected = raw_contribution(engine, ryear, 200)
            print(f"  contribution, {label}: first 200 rows equal to the raw aggregate over the order lines: "
                  f"{'yes' if shown == expected else 'NO'}; raw aggregate alone {seconds_raw * 1000:,.0f} ms")

    # The phases above added opportunities, service requests and tasks to small tables: refresh the planner's
    # statistics as autovacuum would in service, or a badge query plans for the empty tables it saw last (5 ms
    # instead of 0.5 ms here).
    analyze(engine)
    print(f"\n{clients} clients, {seconds:g} s each (throughput as a share of the static file's, measured for "
          f"{seconds:g} s right before each figure; target p99 ≤ 50 ms)")
    scenarios = [("GET /api/v1/me", me, "/api/v1/me", ""),
                 ("inbox page", inbox_user, "/inbox/", " (target ≥ 40 %)"),
                 ("customer list page (admin)", admin, "/customers/", " (target ≥ 30 %)"),
                 ("inbox API", inbox_api, "/api/v1/tasks", " (target ≥ 60 %)")]
    scenarios += [(f"page {key}{query}", admin, f"/reports/{key}{query}", "") for key, query in reports]
    scenarios += [(f"API {key}{query}", executive, f"/api/v1/reports/{key}{query}", "") for key, query in reports]
    for label, client, path, target in scenarios:
        floor_rps, _lat, _errors = concurrent(anonymous, STATIC, clients, seconds)
        rps, lat, errors = concurrent(client, path, clients, seconds)
        print(f"  {label:<44}{rps:8.0f} req/s {100 * rps / floor_rps:5.0f} % of {floor_rps:5.0f}  "
              f"p50 {pct(lat, 50):6.1f}  p95 {pct(lat, 95):6.1f}  p99 {pct(lat, 99):6.1f} ms"
              f"{'  ERRORS ' + str(errors) if errors else ''}{target}")


if __name__ == "__main__":
    main()
