"""The sandbox's child processes belong to one app process: a forked worker (gunicorn, Celery prefork) starts its
own, threads beyond the pool size wait for a child instead of sharing one, and children end with their parent."""
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from processes import sandbox

ROOT = Path(__file__).resolve().parents[2]


def _children_pids():
    pool = sandbox._pool
    return {child.proc.pid for child in pool.idle} if pool is not None and pool.pid == os.getpid() else set()


def _in_forked_worker(conn):
    conn.send((sandbox.evaluate("amount * 2", {"amount": 21}), sorted(_children_pids())))
    conn.close()


def test_a_forked_worker_starts_its_own_children_and_the_parent_keeps_its_own():
    assert sandbox.evaluate("amount + 1", {"amount": 1}) == 2
    parents = _children_pids()
    assert parents
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_in_forked_worker, args=(send,))
    worker.start()
    send.close()
    value, worker_children = receive.recv()
    worker.join()
    assert value == 42
    assert worker_children and not set(worker_children) & parents
    # the parent's children were not disturbed by the fork or by the worker's exit
    assert sandbox.evaluate("amount + 2", {"amount": 1}) == 3
    assert _children_pids() & parents


@pytest.fixture
def two_children():
    before = sandbox.limits()
    sandbox.configure(processes=2)
    yield
    sandbox.configure(processes=before.processes)


def test_more_threads_than_children_each_get_their_own_answer(two_children):
    results, barrier = {}, threading.Barrier(8)

    def work(i):
        barrier.wait()
        results[i] = [sandbox.execute("total = base * 10 + step", {"base": i, "step": step})["total"]
                      for step in range(20)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: [i * 10 + step for step in range(20)] for i in range(8)}
    assert len(_children_pids()) <= 2


_OWNER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from processes import sandbox
assert sandbox.evaluate("1 + 1", {}) == 2
print(" ".join(str(c.proc.pid) for c in sandbox._pool.idle), flush=True)
time.sleep(600)
"""


def _ended(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie has ended; init reaps it
    except FileNotFoundError:
        return True


def test_children_end_when_their_app_process_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, str(ROOT)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert pids and not any(_ended(pid) for pid in pids)
    owner.kill()
    owner.wait()
    owner.stdout.close()
    deadline = time.monotonic() + 120  # a safety net against hanging the suite, not a measured bound
    while not all(_ended(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_ended(pid) for pid in pids)


@pytest.fixture
def one_child():
    before = sandbox.limits()
    sandbox.configure(processes=1)
    yield
    sandbox.configure(processes=before.processes)


def test_a_child_killed_while_idle_is_replaced_without_failing_the_next_script(one_child):
    assert sandbox.evaluate("amount + 1", {"amount": 1}) == 2
    [pid] = _children_pids()
    os.kill(pid, signal.SIGKILL)  # e.g. the kernel's OOM killer
    while not _ended(pid):
        time.sleep(0.01)
    assert sandbox.execute("doubled = amount * 2", {"amount": 4}) == {"amount": 4, "doubled": 8}
    assert _children_pids() and pid not in _children_pids()
