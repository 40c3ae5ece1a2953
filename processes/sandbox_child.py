"""The sandbox child: a separate process that runs BPMN scripts and expressions one at a time under OS bounds.

Started by processes.sandbox with `python -I -c` (fork+exec, safe from threaded and forked parents). Requests and
replies are pickles over two pipes. The bounds:
- memory: RLIMIT_AS at the address space the child has after its imports plus the configured megabytes, so an
  allocation past it raises MemoryError (the child answers "memory" and exits, its successor starts clean);
- CPU time: ITIMER_PROF per evaluation with the default action of SIGPROF, which ends the process even while a
  C-level builtin runs (a Python signal handler would only run after `sum(range(10**10))` returned), with
  RLIMIT_CPU a second later as a backstop.
The child exits when the parent closes its pipe or dies (EOF), so it never outlives the app process.
"""
import os
import pickle
import resource
import signal
import sys

MEMORY_REPLY = pickle.dumps(("memory",))


def _address_space():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _reply(request, policy, clock, cpu_seconds):
    kind, source, context, external_context, clock_offset = pickle.loads(request)
    clock.set_offset(clock_offset)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    backstop = int(usage.ru_utime + usage.ru_stime + cpu_seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (backstop, resource.RLIM_INFINITY))
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        if kind == "execute":
            result = policy.execute(source, context, external_context)
        elif kind == "evaluate":
            result = policy.evaluate(source, context, external_context)
        else:
            result = policy.check(source, expression=kind == "check_expression")
        return pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def _error_reply(exc):
    """The exception itself when it pickles (the parent rebuilds only whitelisted types), its text always."""
    try:
        raw = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        raw = None
    return pickle.dumps(("error", type(exc).__name__, str(exc), raw), protocol=pickle.HIGHEST_PROTOCOL)


def main(read_fd, write_fd, cpu_seconds, memory_mb):
    from multiprocessing.connection import Connection

    from processes import clock
    from processes import sandbox_policy as policy

    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    parent = os.getppid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _address_space() + memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # the parent already runs under a tighter limit (ulimit -v): keep it
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for bound in (signal.SIGPROF, signal.SIGXCPU):
        signal.signal(bound, signal.SIG_DFL)  # an ignored signal survives exec: the bounds must end the process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on a dev server stops the parent, which closes the pipe
    while True:
        try:
            request = inbox.recv_bytes()
        except (EOFError, OSError):
            return
        out_of_memory = False
        try:
            reply = _reply(request, policy, clock, cpu_seconds)
        except MemoryError:
            reply, out_of_memory = MEMORY_REPLY, True
        except BaseException as exc:  # noqa: BLE001 - every script error goes back to the parent
            try:
                reply = _error_reply(exc)
            except MemoryError:
                reply, out_of_memory = MEMORY_REPLY, True
        try:
            outbox.send_bytes(reply)
        except OSError:
            return
        if out_of_memory or os.getppid() != parent:
            return  # a fresh child replaces this one: its heap may be fragmented after the failed allocation


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]), float(sys.argv[3]), int(sys.argv[4]))
