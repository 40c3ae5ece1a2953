"""Instance state without the embedded spec.

SpiffWorkflow's serializer writes the whole spec into every instance (about half the blob) and rebuilds it on
every load. The spec of a deployed version never changes, so the state keeps only the task tree and data, and
loading reattaches the spec objects parsed once per version (processes.definitions.spec_for).
"""
import json
import threading
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = "crm-1"


def _registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


REGISTRY = _registry()


class _StateConverter(BpmnWorkflowConverter):
    """The BpmnWorkflow converter minus the spec: registered on a throwaway typename so the registry keeps its own."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["format"] = STATE_FORMAT
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


_CONVERTER = _StateConverter(_Scratch, REGISTRY, typename="_crm_state")


_ENCODER = create_encoder(REGISTRY, None)
_ENCODER_MODE = threading.Lock()  # the registry's encoder mode is a shared flag: one dump at a time


def dump_state(workflow) -> dict:
    """A JSON-ready dict of the task tree and data (no spec).

    Goes through JSON text like BpmnWorkflowSerializer.serialize_json: task-data deltas hold raw values (dates,
    Decimals) that only the registry-aware encoder converts."""
    with _ENCODER_MODE:
        REGISTRY._encoder_mode = True
        try:
            text = json.dumps(_CONVERTER.to_dict(workflow), cls=_ENCODER)
        finally:
            REGISTRY._encoder_mode = False
    return json.loads(text)


def load_state(state: dict, spec, subprocess_specs, script_engine):
    workflow = _CONVERTER.restore(state, spec, subprocess_specs)
    # The script engine is not part of the state: reattach it after every load.
    workflow.script_engine = script_engine
    return workflow
