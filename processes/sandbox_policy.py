"""What a BPMN script or expression may do: RestrictedPython compilation, the builtins whitelist, the loop-step
budget, and running one script or expression on a copy of task data.

Runs inside the sandbox child processes (processes.sandbox_child), which add the OS bounds on CPU time and
memory; it imports nothing but RestrictedPython and processes.clock so a child starts in a few milliseconds.
"""
import ast
import operator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import ModuleType

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, \
    safe_builtins
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, \
    safer_getattr

from processes import clock


class ScriptRejected(Exception):
    """The sandbox refused the script before running any of it."""


class ScriptTooLong(Exception):
    """A script looped more than MAX_ITERATIONS times (a runaway loop must not hold a worker forever)."""


MAX_ITERATIONS = 100_000


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a step counter in every `while` body (for loops and comprehensions are
    counted through _getiter_)."""

    def visit_While(self, node):
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        node.body.insert(0, ast.copy_location(tick, node))
        ast.fix_missing_locations(node)
        return node


def _step_guards():
    """Fresh per run: _tick_ counts loop steps, _getiter_ counts items drawn by for loops and comprehensions."""
    count = [0]

    def tick():
        count[0] += 1
        if count[0] > MAX_ITERATIONS:
            raise ScriptTooLong(f"the script ran more than {MAX_ITERATIONS} loop steps")

    def getiter(obj):
        for item in obj:
            tick()
            yield item

    return {"_tick_": tick, "_getiter_": getiter}


_UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash"}
_BUILTINS = {k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS}
_BUILTINS.update({
    "list": list, "tuple": tuple, "dict": dict, "set": set, "frozenset": frozenset, "sorted": sorted,
    "reversed": reversed, "min": min, "max": max, "sum": sum, "any": any, "all": all, "enumerate": enumerate,
    "zip": zip, "map": map, "filter": filter,
})

_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
            "&=": operator.iand}


def _inplacevar(op, x, y):
    return _INPLACE[op](x, y)


def _getitem(obj, index):
    return obj[index]


# Functions a model may call besides the builtins above.
HELPERS = {
    "datetime": datetime, "date": date, "timedelta": timedelta, "Decimal": Decimal,
    "utcnow": clock.utcnow, "today": lambda: clock.utcnow().date(),
}

_GUARDS = {
    "__builtins__": _BUILTINS, "_getattr_": safer_getattr, "_getitem_": _getitem,
    "_write_": full_write_guard, "_inplacevar_": _inplacevar, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
}


def _reject_imports(source):
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ScriptRejected(f"syntax error: {err.msg} (line {err.lineno})") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptRejected(f"import is not allowed in BPMN scripts (line {node.lineno})")


@lru_cache(maxsize=2048)
def compile_script(source):
    _reject_imports(source)
    result = compile_restricted_exec(source, filename="<bpmn-script>", policy=_Policy)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source):
    result = compile_restricted_eval(source.strip(), filename="<bpmn-expression>", policy=_Policy)
    if result.errors:
        raise ScriptRejected("; ".join(result.errors))
    return result.code


def check(source, *, expression):
    """Compile without running (deployment refuses a bad script up front)."""
    (compile_expression if expression else compile_script)(source)


def _globals(context, external_context):
    glb = dict(_GUARDS)
    glb.update(_step_guards())
    glb.update(HELPERS)
    if external_context:
        glb.update(external_context)
    glb.update(context)  # task data shadows helpers of the same name instead of failing
    return glb


def evaluate(expression, context, external_context=None):
    return eval(compile_expression(expression), _globals(context, external_context))


def execute(script, context, external_context=None):
    """Run `script` on `context` (task data), changed in place: names it set are added, names it deleted are
    removed; functions it defined and the helpers are not task data."""
    code = compile_script(script)
    base = dict(_GUARDS, **HELPERS, **(external_context or {}))
    glb = _globals(context, external_context)
    exec(code, glb)
    for key in list(context):
        if key not in glb:
            del context[key]  # the script ran `del key`
    for key, value in glb.items():
        if key.startswith("_") or (key in base and value is base[key] and key not in context):
            continue
        if callable(value) or isinstance(value, ModuleType):
            continue  # functions defined by the script are not task data
        context[key] = value
    return context
