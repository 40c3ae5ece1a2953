"""Load through nginx: the inbox page, a task completion and a customer search under N concurrent clients, for
one app node and for two nodes in the same run (scripts/cluster.sh up: nginx on 8080 balances both nodes, 8083
reaches node1 alone through the same nginx).

    scripts/cluster.sh up
    .venv/bin/python bench/load.py [--clients 8] [--seconds 15] [--completions 240]
    scripts/cluster.sh down

Per target and scenario it prints requests, errors, throughput (requests/s) and p50/p95/p99 latency in ms.
- inbox page: GET /inbox/ as manager1 (session cookie from the login form), `--seconds` long;
- customer search: GET /api/v1/customers?q=<two characters> as the supervisor (bearer token), `--seconds` long;
- task completion: POST /api/v1/tasks/<id>/complete of `--completions` dispatch tasks of service requests made
  for the run (setup, not timed), each with an Idempotency-Key.
A bounded client: N threads, one keep-alive connection each, only 127.0.0.1. Nothing is asserted."""
import argparse
import os
import sys
import threading
import time
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_client import (Client, api_login, check_local, complete_with_retries,  # noqa: E402
                            create_service_requests, dispatch_tasks, page_login, percentile)

SEARCHES = ["公司", "上海", "KH", "科技", "北京", "贸易", "集团", "电子"]


def run_clients(n, work, *, seconds=None, items=None):
    """n threads; each calls work(client_index, item) until the time is up or the items are used.
    -> (latencies ms sorted, errors, elapsed s)."""
    lat, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds if seconds else None
    queue = list(items) if items is not None else None
    start_gate = threading.Barrier(n + 1)

    def loop(i):
        start_gate.wait()
        j = 0
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return
            item = j
            if queue is not None:
                with lock:
                    if not queue:
                        return
                    item = queue.pop()
            t0 = time.perf_counter()
            try:
                ok = work(i, item)
            except Exception as exc:  # noqa: BLE001  counted, the run goes on
                ok = repr(exc)
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(ms)
                if ok is not True:
                    errors.append(ok)
            j += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    return sorted(lat), errors, time.monotonic() - t0


def report(target, scenario, lat, errors, elapsed):
    rate = len(lat) / elapsed if elapsed else 0
    print(f"| {target} | {scenario} | {len(lat)} | {len(errors)} | {rate:.1f} | {percentile(lat, 50):.1f} | "
          f"{percentile(lat, 95):.1f} | {percentile(lat, 99):.1f} |", flush=True)
    if errors:
        print(f"    first errors: {errors[:3]}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080", help="nginx, both nodes")
    ap.add_argument("--one-node-url", default="http://127.0.0.1:8083", help="nginx, node1 only")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--completions", type=int, default=240, help="task completions per target")
    args = ap.parse_args()
    targets = [("one node", check_local(args.one_node_url)), ("two nodes", check_local(args.url))]
    n = args.clients

    # Setup through the two-node URL (not timed): logins, and dispatch tasks to complete.
    # One live session per user (pages and API share it): the inbox page runs as manager1 (cookie), the API
    # calls as the supervisor (token), the service requests are recorded by service1.
    supervisor, sup_token = api_login(args.url, "supervisor")
    service, _t = api_login(args.url, "service1")
    customer = supervisor.get_json("/api/v1/customers?per_page=1")["items"][0]
    customer_no, handler_id = customer["no"], customer["manager_id"]  # dispatch to that customer's manager
    cookies = page_login(args.url, "manager1")
    print(f"setup: {args.completions * len(targets)} service requests to dispatch ...", file=sys.stderr, flush=True)
    tag = f"load-{int(time.time())}"
    ids = create_service_requests(service, customer_no, args.completions * len(targets), tag)
    tasks = list(dispatch_tasks(supervisor, ids).values())
    print(f"| target | scenario | requests | errors | req/s | p50 ms | p95 ms | p99 ms |")
    print(f"|---|---|---|---|---|---|---|---|")
    for t_index, (name, url) in enumerate(targets):
        clients = [Client(url) for _ in range(n)]
        for c in clients:
            c.cookies = dict(cookies)

        def inbox(i, _j):
            status, _h, _b = clients[i].request("GET", "/inbox/")
            return True if status == 200 else f"inbox {status}"
        report(name, "inbox page", *run_clients(n, inbox, seconds=args.seconds))

        api_clients = [Client(url) for _ in range(n)]
        for c in api_clients:
            c.headers["Authorization"] = f"Bearer {sup_token}"

        def search(i, j):
            q = SEARCHES[(i + j) % len(SEARCHES)]
            status, _h, _b = api_clients[i].request("GET", "/api/v1/customers?q=" + quote(q))
            return True if status == 200 else f"search {status}"
        report(name, "customer search", *run_clients(n, search, seconds=args.seconds))

        mine = tasks[t_index * args.completions:(t_index + 1) * args.completions]

        def complete(i, task_id):
            status, _tries, body = complete_with_retries(api_clients[i], task_id, {"assignee_id": handler_id},
                                                         attempts=1)
            return True if status == 200 else f"complete {status} {body}"
        report(name, "task completion", *run_clients(n, complete, items=mine))
        for c in clients + api_clients:
            c.close()


if __name__ == "__main__":
    main()
