"""The cyclic garbage collector paused around batch engine work.

A batch start keeps every instance's write (state, inbox rows, history) alive until the batch is written, so the
collector's full passes, triggered by those survivors, scan the whole heap again every few hundred instances: a
quarter of the churn scan's time (bench/churn.py). Reference counting still frees what a step drops; the cycles a
step leaves (SpiffWorkflow's workflow <-> task references, tens of kilobytes per instance) wait for `tick()`,
which collects the young generations only (what the batch allocated) every EVERY instances, so a caller passing
100,000 items holds no more than EVERY instances' garbage at a time."""
import gc
from contextlib import contextmanager


EVERY = 500


@contextmanager
def paused():
    every = EVERY
    was_enabled = gc.isenabled()
    gc.disable()
    count = 0

    def tick():
        nonlocal count
        count += 1
        if count % every == 0:
            gc.collect(1)

    try:
        yield tick
    finally:
        if was_enabled:
            gc.enable()
