"""The garbage collector's pauses in an app process serving pages, with and without freezing the heap the app
allocated at start (what deploy/gunicorn.conf.py's post_worker_init does in every gunicorn worker).

    .venv/bin/python bench/gc_pauses.py [--db postgresql://root@127.0.0.1:5432/crm_bench_gc] [--requests 6000]

Each mode runs in its own Python process (the collector's state is per process): the app is created, 30 pages
warm it, then `--requests` inbox pages are served through Flask's test client while `gc.callbacks` time every
collection. Prints, per mode, the pages' p50 / p99 / max and, per generation, the number of collections and their
median and longest pause. A full (generation 2) collection stops every thread of the process, so its pause is
added to every request in flight. The database is rebuilt by the migrations. Nothing is asserted.
"""
import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(url, requests, freeze):
    from sales import make_app
    app = make_app(url)
    if freeze:
        gc.freeze()  # as post_worker_init: right after the app is loaded, before any request
    pauses, started = {0: [], 1: [], 2: []}, {}

    def timed(phase, info):
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            pauses[info["generation"]].append((time.perf_counter() - started["t"]) * 1000)

    client = app.test_client()
    assert client.post("/login", data={"username": "manager1", "password": "demo"}).status_code == 302
    for _ in range(30):
        client.get("/inbox/")
    gc.callbacks.append(timed)
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        assert client.get("/inbox/").status_code == 200
        latencies.append((time.perf_counter() - t0) * 1000)
    gc.callbacks.remove(timed)
    latencies.sort()
    return {"p50": latencies[len(latencies) // 2], "p99": latencies[int(len(latencies) * 0.99) - 1],
            "max": latencies[-1], "tracked": len(gc.get_objects()), "pauses": pauses}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgresql://root@127.0.0.1:5432/crm_bench_gc")
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--mode", choices=["plain", "frozen"], help=argparse.SUPPRESS)  # one child's run
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.db, args.requests, args.mode == "frozen")))
        return
    from sales import prepare
    prepare(args.db)
    print(f"{args.requests} inbox pages per mode, {args.db}")
    for mode in ("plain", "frozen"):
        out = subprocess.run([sys.executable, __file__, "--db", args.db, "--requests", str(args.requests),
                              "--mode", mode], check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{mode:>7}: pages p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; "
              f"objects the collector tracks at the end: {r['tracked']:,}")
        for gen, p in r["pauses"].items():
            if p:
                print(f"         generation {gen}: {len(p):5} collections, median {statistics.median(p):6.2f} ms, "
                      f"longest {max(p):7.2f} ms")


if __name__ == "__main__":
    main()
