"""8-client throughput of the inbox page, the inbox API and the admin's customer list under gunicorn, each right
after its own static-file run, for the checkout this file is in: to compare two commits, run it alternately from
two worktrees (`git worktree add /tmp/before <rev>`) on the same database, a few times each.

    .venv/bin/python bench/ab_throughput.py [--seconds 4] [--db postgresql://root@127.0.0.1:5432/crm_bench] [--floors]

--floors adds, first, what every page pays before its own content: a bare public route, `GET /api/v1/me` and an
empty page for a signed-in user (bench.http_bench adds the two routes to the benchmarked server only).

The database must hold bench/datagen.py's data (bench/http_bench.py makes it). Prints one line. Nothing asserted.
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import http_bench as hb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", hb.DEFAULT_DB))
    ap.add_argument("--port", type=int, default=8093)
    ap.add_argument("--floors", action="store_true",
                    help="also the floors under the pages: a bare public route, /me and an empty signed-in page")
    args = ap.parse_args()
    server = hb.start_server(args.db, args.port)
    try:
        print(ROOT.name, " | ".join(measure(args.port, args.seconds, args.floors)), flush=True)
    finally:
        server.terminate()
        server.wait()


def measure(port, secs, floors=False):
    anon = hb.Client(port)
    page_user, api_user, admin = hb.page_login(port, "bench_mgr001"), hb.api_login(port, "bench_mgr002"), \
        hb.page_login(port, "admin")
    out = []
    runs = [("inbox page", page_user, "/inbox/"), ("inbox API", api_user, "/api/v1/tasks"),
            ("customers", admin, "/customers/")]
    if floors:  # routes added by bench.http_bench.wsgi(), not part of the app
        runs = [("bare route", anon, "/bench/hello"), ("/me", api_user, "/api/v1/me"),
                ("empty page", page_user, "/bench/frame")] + runs
    for label, client, path in runs:
        floor, _lat, _errors = hb.concurrent(anon, hb.STATIC, 8, secs)
        rps, lat, errors = hb.concurrent(client, path, 8, secs)
        out.append(f"{label} {rps:.0f} req/s ({100 * rps / floor:.0f} % of {floor:.0f}, p99 {hb.pct(lat, 99):.0f} ms"
                   f"{', ERRORS ' + str(errors) if errors else ''})")
    return out


if __name__ == "__main__":
    main()
