"""Runs BPMN scripts and expressions in a small pool of child processes bounded in CPU time and memory.

RestrictedPython (processes.sandbox_policy) decides what a script may touch, but not what it costs: one C-level
call such as `sum(range(4 * 10**8))` or `'a' * (2 * 10**9)` holds the GIL for seconds or takes gigabytes. Each
evaluation therefore goes to a child process (processes.sandbox_child) with OS limits; the calling thread waits on
a pipe without the GIL, so other requests of the app process carry on, and a child over its bound ends alone.

Per app process (gunicorn worker, Celery worker, test run) the pool starts lazily, keyed by os.getpid(): a forked
process never uses, and at fork closes, its parent's pipes. Each concurrent evaluation takes an idle child or
starts one, up to `processes`, then waits. Task data crosses as pickles; what comes back is unpickled with a
whitelist (task-data types and exceptions), so a child can never hand the parent code to run.
"""
import ast
import atexit
import builtins
import decimal
import functools
import io
import keyword
import os
import pickle
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from processes import clock
from processes.sandbox_policy import ScriptRejected, ScriptTooLong

_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); from processes.sandbox_child import main; "
         "main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))")
MAX_USES = 10_000  # evaluations before a child is replaced (keeps fragmentation from eating the memory bound)


class ScriptBoundExceeded(Exception):
    """A script went past one of its OS bounds; the message names the bound."""


class ScriptCpuTimeExceeded(ScriptBoundExceeded):
    pass


class ScriptMemoryExceeded(ScriptBoundExceeded):
    pass


class ScriptProcessFailed(Exception):
    """The child process died without naming a bound (killed from outside, crashed in C code)."""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 1.0
    memory_mb: int = 64
    wall_seconds: float = 30.0  # the parent's last resort when the machine is too busy to give the child its CPU
    processes: int = 4

    @classmethod
    def from_env(cls):
        env = os.environ
        return cls(cpu_seconds=float(env.get("SCRIPT_CPU_SECONDS", cls.cpu_seconds)),
                   memory_mb=int(env.get("SCRIPT_MEMORY_MB", cls.memory_mb)),
                   wall_seconds=float(env.get("SCRIPT_WALL_SECONDS", cls.wall_seconds)),
                   processes=int(env.get("SCRIPT_SANDBOX_PROCESSES", cls.processes)))


_CPU_SIGNALS = {-signal.SIGPROF, -signal.SIGXCPU}


def _cpu_exceeded(limits):
    return ScriptCpuTimeExceeded(f"the script exceeded its CPU time bound ({limits.cpu_seconds:g} s)")


def _memory_exceeded(limits):
    return ScriptMemoryExceeded(f"the script exceeded its memory bound ({limits.memory_mb} MB)")


class _NotDelivered(Exception):
    """The child was gone before it could read the request."""


class _Child:
    def __init__(self, limits):
        self.limits, self.uses = limits, 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, _ROOT, str(to_child_r), str(from_child_w),
                 repr(limits.cpu_seconds), str(limits.memory_mb)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                close_fds=True)
        except BaseException:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)

    def call(self, request):
        """The child's reply, or the bound exception when it died over one."""
        try:
            self.outbox.send_bytes(request)
        except OSError:
            raise _NotDelivered() from None
        if not self.inbox.poll(self.limits.wall_seconds):
            self.kill()
            raise ScriptCpuTimeExceeded(
                f"the script exceeded its time bound ({self.limits.wall_seconds:g} s of wall-clock time)")
        try:
            reply = self.inbox.recv_bytes()
        except (EOFError, OSError):
            raise self._died() from None
        self.uses += 1
        return reply

    def _died(self):
        self.close()
        code = self.proc.wait()
        if code in _CPU_SIGNALS:
            return _cpu_exceeded(self.limits)
        return ScriptProcessFailed(f"the script process ended unexpectedly (exit status {code})")

    def close(self):
        """Closing the pipes ends an idle child (EOF); a busy one ends at its CPU bound."""
        self.outbox.close()
        self.inbox.close()

    def kill(self):
        self.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def forget(self):
        """After fork: this process does not own the child; drop its pipe ends without signalling it."""
        for conn in (self.outbox, self.inbox):
            try:
                conn.close()
            except OSError:
                pass
        self.proc.returncode = 0  # Popen must not try to reap a process that is not ours


class _Pool:
    def __init__(self, limits):
        self.limits, self.pid = limits, os.getpid()
        self.idle, self.started = [], 0
        self.live = set()  # idle and busy: all of them must be forgotten in a forked process
        self.ready = threading.Condition()

    def acquire(self):
        with self.ready:
            while not self.idle and self.started >= self.limits.processes:
                self.ready.wait()
            if self.idle:
                return self.idle.pop()
            self.started += 1
        try:
            child = _Child(self.limits)
        except BaseException:
            self._gone()
            raise
        with self.ready:
            self.live.add(child)
        return child

    def release(self, child, healthy):
        if healthy and child.uses < MAX_USES and self.pid == os.getpid():
            with self.ready:
                self.idle.append(child)
                self.ready.notify()
            return
        child.kill()
        self._gone(child)

    def _gone(self, child=None):
        with self.ready:
            self.live.discard(child)
            self.started -= 1
            self.ready.notify()

    def shutdown(self):
        with self.ready:
            idle, self.idle = self.idle, []
        for child in idle:
            child.kill()
            self._gone(child)

    def forget(self):
        for child in self.live:
            child.forget()
        self.idle, self.live = [], set()


_limits = Limits.from_env()
_pool = None
_pool_lock = threading.Lock()


def limits():
    return _limits


def configure(**changes):
    """Change the bounds (cpu_seconds, memory_mb, wall_seconds, processes); children start again with them."""
    global _limits, _pool
    with _pool_lock:
        _limits = replace(_limits, **changes)
        old, _pool = _pool, None
    if old is not None and old.pid == os.getpid():
        old.shutdown()


def _current_pool():
    global _pool
    pool = _pool
    if pool is None or pool.pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool.pid != os.getpid():
                _pool = _Pool(_limits)
            pool = _pool
    return pool


def prestart(count=1):
    """Start `count` children now (e.g. in gunicorn's post_fork) instead of on the first evaluations."""
    pool = _current_pool()
    children = [pool.acquire() for _ in range(min(count, pool.limits.processes))]
    for child in children:
        pool.release(child, healthy=True)


def _after_fork_in_child():
    global _pool, _pool_lock
    _pool_lock = threading.Lock()  # another thread may have held it at the fork
    pool, _pool = _pool, None
    if pool is not None:
        pool.forget()


def _shutdown():
    pool = _pool
    if pool is not None and pool.pid == os.getpid():
        pool.shutdown()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_shutdown)


# What a child may send back: task-data types and the exceptions a script can raise. Anything else (a function,
# an arbitrary class) is refused, so even a child whose sandbox was broken cannot run code in the app process.
_ALLOWED = {
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("uuid", "UUID"), ("uuid", "SafeUUID"),
    ("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("builtins", "complex"), ("builtins", "range"), ("builtins", "slice"),
    ("processes.sandbox_policy", "ScriptRejected"), ("processes.sandbox_policy", "ScriptTooLong"),
}
_EXCEPTION_MODULES = {"builtins": builtins, "decimal": decimal}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        found = getattr(_EXCEPTION_MODULES.get(module), name, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} cannot be task data")


def _loads(raw):
    return _Unpickler(io.BytesIO(raw)).load()


def _run(kind, source, context, external_context):
    request = pickle.dumps((kind, source, context, external_context or None, clock._offset),
                           protocol=pickle.HIGHEST_PROTOCOL)
    pool = _current_pool()
    status, rest = _exchange(pool, request)
    if status == "ok":
        return rest[0]
    if status == "memory":
        raise _memory_exceeded(pool.limits)
    name, message, raw = rest
    exc = None
    if raw is not None:
        try:
            exc = _loads(raw)
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        exc = RuntimeError(f"{name}: {message}")
    raise exc


def _exchange(pool, request, retry=True):
    """(status, rest) of the child's reply. A child found dead before it read the request (ended from outside
    while idle) is replaced once; a child that ran out of memory answers and ends, so it is not reused."""
    child = pool.acquire()
    try:
        reply = child.call(request)
        status, *rest = _loads(reply)
    except _NotDelivered:
        pool.release(child, healthy=False)  # before the retry: with a pool of one it would wait for itself
        if not retry:
            raise ScriptProcessFailed("the script process could not be started") from None
        return _exchange(pool, request, retry=False)
    except BaseException:
        pool.release(child, healthy=False)
        raise
    pool.release(child, healthy=status != "memory")
    return status, rest


@functools.lru_cache(maxsize=4096)
def _literal(expression):
    """(True, value) when the expression is one plain literal ("PT1H", 3, None), else (False, None)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return False, None
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        return True, node.value
    return False, None


def _trivial(expression, context):
    """A bare task-data name or a literal costs nothing to bound: answered here, without a round trip (most
    service-task parameters, assignee properties and timers are one of the two). Anything else, including a
    name that is not in task data (its error must read as the sandbox's), goes to a child."""
    name = expression.strip()
    if name in context and name.isidentifier() and not name.startswith("_") and not keyword.iskeyword(name):
        return True, context[name]
    return _literal(expression)


def evaluate(expression, context, external_context=None):
    """The value of a BPMN expression on task data (a condition, a timer, a service-task parameter, ...)."""
    known, value = _trivial(expression, context)
    if known:
        return value
    return _run("evaluate", expression, context, external_context)


def execute(script, context, external_context=None):
    """Run a BPMN script; returns the task data it leaves (the caller's dict is not changed)."""
    return _run("execute", script, context, external_context)


def check(source, *, expression):
    """Compile without running; raises ScriptRejected (a bound hit while compiling is a rejection too)."""
    try:
        _run("check_expression" if expression else "check_script", source, {}, None)
    except (ScriptBoundExceeded, ScriptProcessFailed) as exc:
        raise ScriptRejected(str(exc)) from None


__all__ = ["Limits", "ScriptBoundExceeded", "ScriptCpuTimeExceeded", "ScriptMemoryExceeded",
           "ScriptProcessFailed", "ScriptRejected", "ScriptTooLong", "check", "configure", "evaluate", "execute",
           "limits", "prestart"]
