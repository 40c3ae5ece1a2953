"""Cost of running BPMN scripts and expressions in the bounded child processes (processes.sandbox).

    .venv/bin/python bench/script_sandbox.py [--runs 2000] [--threads 4]

1. Per evaluation, median and 95th percentile: the same RestrictedPython code run in the app process
   (processes.sandbox_policy, as before the sandbox) and through a child process (pickle over a pipe both ways),
   for a gateway condition and for a script task, on task data of a typical size (16 keys: strings, a Decimal,
   dates, a short list).
2. Evaluations per second with `--threads` threads evaluating at once (each takes a child of the pool).
3. The engine test model (tests/fixtures/engine_demo.bpmn: script, gateway, service task, script, gateway) run to
   its end in memory, per instance, with the sandboxed engine and with the in-process policy.
Figures are printed; nothing is asserted.
"""
import argparse
import statistics
import sys
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from processes import sandbox, sandbox_policy  # noqa: E402

CONDITION = 'approved == "yes" and amount > 1'
SCRIPT = "attempts = 0\ndoubled = amount * 2\ntotal = price * amount"
DATA = {"amount": 3, "approved": "yes", "price": Decimal("19.90"), "record": "R-2024-0001",
        "subject": "Order follow-up for customer KH2401020001", "assignee_id": 12, "due": date(2024, 5, 1),
        "created": datetime(2024, 4, 2, 9, 30), "lines": [1, 2, 3, 4], "customer_id": 4711, "stage": "qualify",
        "note": "x" * 200, "channel": "phone", "priority": 2, "escalate_after": "PT1H", "attempts": 0}


def _timed(fn, runs):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples) * 1e6, samples[int(len(samples) * 0.95)] * 1e6


def per_evaluation(runs):
    sandbox.prestart(1)
    rows = [
        ("condition, in process", lambda: sandbox_policy.evaluate(CONDITION, DATA)),
        ("condition, child process", lambda: sandbox.evaluate(CONDITION, DATA)),
        ("script, in process", lambda: sandbox_policy.execute(SCRIPT, dict(DATA))),
        ("script, child process", lambda: sandbox.execute(SCRIPT, DATA)),
    ]
    print(f"1. per evaluation ({runs} runs each; task data of {len(DATA)} keys)")
    figures = {}
    for name, fn in rows:
        fn()  # compile caches warm on both sides
        median, p95 = _timed(fn, runs)
        figures[name] = median
        print(f"   {name:28} median {median:8.1f} µs   p95 {p95:8.1f} µs")
    for kind in ("condition", "script"):
        extra = figures[f"{kind}, child process"] - figures[f"{kind}, in process"]
        print(f"   overhead of the child process for a {kind}: {extra:.1f} µs per evaluation")


def concurrent(runs, threads):
    sandbox.prestart(threads)
    per_thread = max(1, runs // threads)

    def work():
        for _ in range(per_thread):
            sandbox.evaluate(CONDITION, DATA)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    t = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - t
    print(f"2. {threads} threads x {per_thread} conditions: {threads * per_thread / elapsed:,.0f} evaluations/s "
          f"(pool of {sandbox.limits().processes} children)")


class _InProcess:
    """The policy run in the app process: what every evaluation cost before the sandbox."""

    def evaluate(self, expression, context, external_context=None):
        return sandbox_policy.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        sandbox_policy.execute(script, context, external_context)
        return True


def workflow_runs(runs):
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.util.task import TaskState

    from processes import scripting
    from processes.services import operation

    @operation("test.notify")
    def notify(ctx, record, handler):
        return {"sent_to": handler}

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "tests" / "fixtures" / "engine_demo.bpmn"))
    spec, subs = parser.get_spec("engine_demo"), parser.get_subprocess_specs("engine_demo")

    def one():
        wf = BpmnWorkflow(spec, subs, script_engine=scripting.CrmScriptEngine())
        wf.get_next_task(state=TaskState.READY).data.update(
            {"amount": 2, "record": "R-1", "escalate_after": "PT1H"})
        wf.do_engine_steps()
        for form in ({"approved": "yes", "assignee_id": 7}, {"again": "no"}):
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            task.set_data(**form)
            task.run()
            wf.do_engine_steps()
        assert wf.is_completed()

    n = max(20, runs // 20)
    print(f"3. engine_demo.bpmn to its end in memory ({n} instances; 2 scripts, 2 conditions, 3 expressions)")
    figures = {}
    for name in ("child process", "in process"):
        if name == "in process":
            scripting.SandboxEnvironment.evaluate = lambda self, e, c, x=None: _InProcess().evaluate(e, c, x)
            scripting.SandboxEnvironment.execute = lambda self, s, c, x=None: _InProcess().execute(s, c, x)
        one()
        median, p95 = _timed(one, n)
        figures[name] = median
        print(f"   {name:28} median {median / 1000:8.2f} ms per instance   p95 {p95 / 1000:8.2f} ms")
    print(f"   sandbox cost per instance: {(figures['child process'] - figures['in process']) / 1000:.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print(f"bounds: {sandbox.limits()}")
    per_evaluation(args.runs)
    concurrent(args.runs, args.threads)
    workflow_runs(args.runs)


if __name__ == "__main__":
    main()
