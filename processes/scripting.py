"""Sandboxed scripts and expressions, and service tasks routed to the operation registry.

Analysts deploy BPMN, so everything a model evaluates (script tasks, gateway conditions, timer expressions,
service-task parameters, the `assignee` property) is compiled with RestrictedPython and runs with a whitelist of
builtins: no imports, no dunder attribute access, no open(). SpiffWorkflow's own environment is plain exec/eval.
"""
import ast
import json
import operator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import ModuleType

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, \
    safe_builtins
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, \
    safer_getattr
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from processes import clock
from processes.services import OperationContext, get_operation


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


class ServiceTaskFailed(Exception):
    """A service-task operation raised; `original` keeps the domain error (its `status` decides reject vs error)."""

    def __init__(self, operation, original):
        super().__init__(f"{operation}: {original}")
        self.operation = operation
        self.original = original


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


def check_source(source, *, expression):
    """Compile without running: used when a definition is deployed, so a bad script is refused up front."""
    (compile_expression if expression else compile_script)(source)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self):
        super().__init__(dict(HELPERS))

    def _globals(self, context, external_context):
        glb = dict(_GUARDS)
        glb.update(_step_guards())
        glb.update(self.globals)
        if external_context:
            glb.update(external_context)
        glb.update(context)  # task data shadows helpers of the same name instead of failing
        return glb

    def evaluate(self, expression, context, external_context=None):
        return eval(compile_expression(expression), self._globals(context, external_context))

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        base = dict(_GUARDS, **self.globals, **(external_context or {}))
        glb = self._globals(context, external_context)
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
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service calls go through CrmScriptEngine.call_service")


_ENVIRONMENT = SandboxEnvironment()


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class CrmScriptEngine(PythonScriptEngine):
    """One per loaded instance: service tasks need the session, the instance and who triggered the step."""

    def __init__(self, db=None, instance=None, user_id=None):
        super().__init__(environment=_ENVIRONMENT)
        self.db, self.instance, self.user_id = db, instance, user_id

    def call_service(self, task, operation_name=None, operation_params=None, **_kw):
        # PythonScriptEngine.call_service hides the real error behind a NameError; report the operation's own.
        fn = get_operation(operation_name)
        if fn is None:
            raise ServiceTaskFailed(operation_name, LookupError(f"unknown service operation '{operation_name}'"))
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        ctx = OperationContext(db=self.db, instance=self.instance, user_id=self.user_id)
        try:
            if self.db is not None:
                # A failing operation leaves no half-written domain rows behind the error state.
                with self.db.begin_nested():
                    result = fn(ctx, **params)
            else:
                result = fn(ctx, **params)
        except Exception as exc:
            raise ServiceTaskFailed(operation_name, exc) from exc
        return json.dumps(result, default=_json_default)
