"""The cyclic garbage collector paused around batch engine work.

A batch start keeps every instance's write (state, inbox rows, history) alive until the batch is written, so the
collector's full passes, triggered by those survivors, scan the whole heap again every few hundred instances: a
quarter of the churn scan's time (bench/churn.py). Reference counting still frees what a step drops; the cycles a
step leaves (SpiffWorkflow's workflow <-> task references) wait for the next collection after the batch, so the
memory held is bounded by the caller's batch size."""
import gc
from contextlib import contextmanager


@contextmanager
def paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
