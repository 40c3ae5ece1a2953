"""Every SpiffWorkflow internal (private name or undocumented mechanism) the glue relies on, in one place.

SpiffWorkflow 3.2.0 has no public API for these; an upgrade may rename or change any of them.
tests/engine/test_spiff_compat.py runs each on a tiny workflow and fails when one no longer behaves as used here,
so an upgrade breaks one test naming the internal instead of corrupting stored instances. Nothing else in
processes/ may touch a `_name` of a SpiffWorkflow object (the same test greps for it).
"""
import json
import logging
import threading
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task


# --- task state and internal data -------------------------------------------------------------------------------

def force_state(task, state):
    """Put a task in `state` without running it (a retry puts ERROR tasks back to READY). Task._set_state also
    stamps last_state_change; the public transitions (run, complete, cancel) each do more than this."""
    task._set_state(state)


def timer_value(task):
    """The due time a waiting timer task keeps (ISO string, datetime or a cycle dict {cycles, next, duration}):
    the timer event definition stores it in the task's internal data under 'event_value'."""
    return task._get_internal_data("event_value")


def predict(workflow):
    """Recompute the predicted (LIKELY/MAYBE) branches of a workflow after its tasks were re-pointed to another spec;
    subprocesses have their own tree."""
    workflow._predict()
    for sub in workflow.subprocesses.values():
        sub._predict()


# --- the engine's clock -------------------------------------------------------------------------------------------

def route_timer_clock(utcnow):
    """SpiffWorkflow's timer module reads `datetime.now(timezone.utc)` from its module global `datetime`: replace
    that global by a datetime whose now() asks `utcnow()` (naive UTC), so moving the application clock moves timer
    due dates too."""

    class _EngineDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            now = utcnow().replace(tzinfo=timezone.utc)
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    _timer_module.datetime = _EngineDatetime
    return _EngineDatetime


# --- the engine's log lines -------------------------------------------------------------------------------------

# SpiffWorkflow builds the details of its log lines before the logger decides whether to write them: every state
# change of every task assembles a dict (Task.collect_log_extras), and a workflow's details list its whole task tree
# whenever its logger's *own* level is below INFO, which NOTSET (0, the default) is. Starting a churn case paid
# about 7 % of its time for lines nobody reads. The engine's loggers get a level of their own, and a task's details
# are built only when its logger would write them.
ENGINE_LOGGERS = ("spiff.workflow", "spiff.task", "spiff.data", "spiff.dmn")
_task_logger = logging.getLogger("spiff.task")
_task_log_extras = Task.collect_log_extras


def engine_log_level(level):
    """Engine details (SpiffWorkflow's INFO and DEBUG lines) are made only when `level` asks for DEBUG."""
    for name in ENGINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)


def _log_extras_when_written(task, dct=None):
    return _task_log_extras(task, dct) if _task_logger.isEnabledFor(logging.INFO) else {}


Task.collect_log_extras = _log_extras_when_written
if all(logging.getLogger(name).level == logging.NOTSET for name in ENGINE_LOGGERS):
    engine_log_level(logging.INFO)  # nobody configured them yet: app.common.json_logging sets them with LOG_LEVEL


# --- state without the spec ---------------------------------------------------------------------------------------

class StateConverter(BpmnWorkflowConverter):
    """The BpmnWorkflow converter minus the spec, copied from BpmnWorkflowConverter.to_dict/from_dict without the
    'spec'/'subprocess_specs' keys (the deployed version's parsed spec is reattached on load). Uses the converter's
    helpers mapping_to_dict, mapping_from_dict, set_default_attributes, subprocesses_from_dict and the
    `deserializing` flag of BpmnWorkflow, none of which is documented."""

    def __init__(self, registry, state_format):
        super().__init__(_Scratch, registry, typename="_crm_state")  # a throwaway typename: the registry keeps its own
        self.state_format = state_format

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["format"] = self.state_format
        return dct

    def restore(self, dct, spec, subprocess_specs):
        dct = dict(dct)
        dct.pop("format", None)
        workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


class _Scratch:
    pass


class StateEncoder:
    """JSON text of a converter's dict the way BpmnWorkflowSerializer.serialize_json makes it: task-data deltas hold
    raw values (dates, Decimals) that only the registry-aware encoder converts, and the encoder converts them only
    while the registry's private `_encoder_mode` flag is set. The flag is shared by the registry, so one dump at a
    time."""

    def __init__(self, registry):
        self.registry = registry
        self.encoder = create_encoder(registry, None)
        self.lock = threading.Lock()

    def dumps(self, dct) -> str:
        with self.lock:
            self.registry._encoder_mode = True
            try:
                # Raw UTF-8 (as the rest of an engine write): half the bytes of \u escapes for Chinese task data.
                return json.dumps(dct, cls=self.encoder, ensure_ascii=False)
            finally:
                self.registry._encoder_mode = False
