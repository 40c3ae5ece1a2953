"""Sandboxed scripts and expressions, and service tasks routed to the operation registry.

Analysts deploy BPMN, so everything a model evaluates (script tasks, pre/post-scripts, gateway conditions, timer
expressions, service-task parameters, the `assignee` property) is compiled with RestrictedPython and runs with a
whitelist of builtins: no imports, no dunder attribute access, no open() (processes.sandbox_policy). It runs in a
child process bounded in CPU time and memory (processes.sandbox), so a script that multiplies a string by 10**9
ends only its own instance, in error. SpiffWorkflow's own environment is plain exec/eval in the app process.
"""
import json
from datetime import date, datetime
from decimal import Decimal

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from processes import sandbox
from processes.sandbox import ScriptBoundExceeded, ScriptCpuTimeExceeded, ScriptMemoryExceeded  # noqa: F401
from processes.sandbox_policy import HELPERS, MAX_ITERATIONS, ScriptRejected, ScriptTooLong  # noqa: F401
from processes.services import OperationContext, get_operation


class ServiceTaskFailed(Exception):
    """A service-task operation raised; `original` keeps the domain error (its `status` decides reject vs error)."""

    def __init__(self, operation, original):
        super().__init__(f"{operation}: {original}")
        self.operation = operation
        self.original = original


def check_source(source, *, expression):
    """Compile without running: used when a definition is deployed, so a bad script is refused up front."""
    sandbox.check(source, expression=expression)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self):
        super().__init__(dict(HELPERS))

    def evaluate(self, expression, context, external_context=None):
        return sandbox.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        result = sandbox.execute(script, context, external_context)
        # task.data is the dict SpiffWorkflow holds: change it in place, as an in-process exec would
        context.clear()
        context.update(result)
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
        # The step's savepoint (execution.Step.advance), opened by the first operation that runs in the step.
        self.step_savepoint, self.in_step = None, False

    def begin_step(self):
        self.step_savepoint, self.in_step = None, True

    def end_step(self):
        """The step's savepoint if an operation opened one (the caller commits or rolls it back)."""
        savepoint, self.step_savepoint, self.in_step = self.step_savepoint, None, False
        return savepoint

    def evaluate(self, task, expression, external_context=None):
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as exc:
            # The library's message names only the expression; a bound (CPU time, memory) must be named too.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, (ScriptBoundExceeded, sandbox.ScriptProcessFailed)):
                raise WorkflowTaskException(f"Error evaluating expression '{expression}': {cause}", task=task,
                                            exception=cause) from cause
            raise

    def call_service(self, task, operation_name=None, operation_params=None, **_kw):
        # PythonScriptEngine.call_service hides the real error behind a NameError; report the operation's own.
        fn = get_operation(operation_name)
        if fn is None:
            raise ServiceTaskFailed(operation_name, LookupError(f"unknown service operation '{operation_name}'"))
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        ctx = OperationContext(db=self.db, instance=self.instance, user_id=self.user_id)
        try:
            if self.db is not None and self.in_step and self.step_savepoint is None:
                # The step's first operation: nothing was written in the step before it, so the step's savepoint is
                # its own (one SAVEPOINT and one RELEASE per step instead of two each).
                self.step_savepoint = self.db.begin_nested()
                try:
                    result = fn(ctx, **params)
                except Exception:
                    self.step_savepoint.rollback()
                    self.step_savepoint = None
                    raise
            elif self.db is not None:
                # A failing operation leaves no half-written domain rows behind the error state.
                with self.db.begin_nested():
                    result = fn(ctx, **params)
            else:
                result = fn(ctx, **params)
        except Exception as exc:
            raise ServiceTaskFailed(operation_name, exc) from exc
        return json.dumps(result, default=_json_default)
