"""Instance state without the embedded spec.

SpiffWorkflow's serializer writes the whole spec into every instance (about half the blob) and rebuilds it on
every load. The spec of a deployed version never changes, so the state keeps only the task tree and data, and
loading reattaches the spec objects parsed once per version (processes.definitions.spec_for).
"""
import json
from datetime import date
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from processes.spiff_compat import StateConverter, StateEncoder

STATE_FORMAT = "crm-1"


def _registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


REGISTRY = _registry()
_CONVERTER = StateConverter(REGISTRY, STATE_FORMAT)
_ENCODER = StateEncoder(REGISTRY)


def dump_state_json(workflow) -> str:
    """The task tree and data (no spec) as JSON text (see spiff_compat.StateEncoder): what an engine step writes."""
    return _ENCODER.dumps(_CONVERTER.to_dict(workflow))


def dump_state(workflow) -> dict:
    """The same as a JSON-ready dict."""
    return json.loads(dump_state_json(workflow))


def load_state(state: dict, spec, subprocess_specs, script_engine):
    workflow = _CONVERTER.restore(state, spec, subprocess_specs)
    # The script engine is not part of the state: reattach it after every load.
    workflow.script_engine = script_engine
    return workflow
