"""The SpiffWorkflow internals behind processes/spiff_compat.py behave as the glue expects.

An upgrade of SpiffWorkflow that renames or changes one of them fails here, naming it, instead of silently
corrupting stored instances, timer due dates or retries. A tiny workflow: a user task with a boundary timer.
"""
import inspect
import logging
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as WorkflowClass
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from processes import clock, spiff_compat, store, timers

TINY = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="tiny" isExecutable="true">
    <bpmn:startEvent id="Begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Review" name="Review"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Late" attachedToRef="Review"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="EndLate"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Begin" targetRef="Review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Review" targetRef="Done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="Late" targetRef="EndLate"/>
  </bpmn:process>
</bpmn:definitions>"""


def _tiny():
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(TINY)
    spec = parser.get_spec("tiny")
    workflow = BpmnWorkflow(spec, {})
    workflow.do_engine_steps()
    return spec, workflow


def _review(workflow):
    return workflow.get_next_task(state=TaskState.READY, manual=True)


def _late(workflow):
    return next(t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "Late")


def test_the_timer_clock_follows_the_application_clock_and_the_due_time_is_in_the_internal_data():
    assert isinstance(timer_module.datetime, type) and issubclass(timer_module.datetime, datetime), \
        "SpiffWorkflow's timer module no longer reads the module global `datetime`"
    clock.set_offset(timedelta(days=400))
    try:
        _spec, workflow = _tiny()
        due = timers.next_timer_at(workflow)
        expected = clock.utcnow() + timedelta(hours=1)
        assert due is not None and abs(due - expected) < timedelta(minutes=1), \
            f"timer due {due}, expected about {expected}: the patched clock or 'event_value' changed"
        raw = spiff_compat.timer_value(_late(workflow))
        assert raw is not None, "Task._get_internal_data('event_value') no longer holds the timer's due time"
    finally:
        clock.set_offset(None)


def test_force_state_puts_a_task_back_without_running_it():
    _spec, workflow = _tiny()
    task = _review(workflow)
    spiff_compat.force_state(task, TaskState.ERROR)
    assert task.state == TaskState.ERROR and workflow.get_tasks(state=TaskState.ERROR) == [task]
    spiff_compat.force_state(task, TaskState.READY)
    assert _review(workflow) is task
    task.run()
    workflow.do_engine_steps()
    assert workflow.is_completed() and task.state == TaskState.COMPLETED


def test_the_state_converter_round_trips_data_and_keeps_every_key_but_the_spec():
    spec, workflow = _tiny()
    task = _review(workflow)
    task.set_data(amount=Decimal("12.50"), day=date(2026, 1, 2), at=datetime(2026, 1, 2, 3, 4))
    state = store.dump_state(workflow)
    # The upstream converter writes the same dict plus the spec: a key added upstream must be added here too.
    upstream = BpmnWorkflowConverter(WorkflowClass, store.REGISTRY).to_dict(workflow)
    assert set(upstream) - {"spec", "subprocess_specs"} == set(state) - {"format"}, \
        "BpmnWorkflowConverter.to_dict changed its keys: update spiff_compat.StateConverter"
    restored = store.load_state(state, spec, {}, workflow.script_engine)
    again = _review(restored)
    assert again.id == task.id
    assert again.data == {"amount": Decimal("12.50"), "day": date(2026, 1, 2), "at": datetime(2026, 1, 2, 3, 4)}
    assert spiff_compat.timer_value(_late(restored)) == spiff_compat.timer_value(_late(workflow))
    again.run()
    restored.do_engine_steps()
    assert restored.is_completed()


def test_the_registry_encodes_raw_values_only_in_encoder_mode():
    assert hasattr(store.REGISTRY, "_encoder_mode"), "the registry's `_encoder_mode` flag is gone"
    assert store.REGISTRY._encoder_mode is False
    text = spiff_compat.StateEncoder(store.REGISTRY).dumps({"v": Decimal("1.5")})
    assert "1.5" in text and store.REGISTRY._encoder_mode is False


def test_predict_marks_the_unreached_steps_again():
    _spec, workflow = _tiny()
    spiff_compat.predict(workflow)
    ends = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "Done"]
    assert ends and ends[0].state in (TaskState.LIKELY, TaskState.MAYBE, TaskState.FUTURE)


def test_the_converter_helpers_the_copy_calls_still_exist_with_their_signatures():
    for name, params in (("mapping_to_dict", ["self", "mapping"]),
                         ("mapping_from_dict", ["self", "mapping", "key_class"]),
                         ("set_default_attributes", ["self", "workflow", "dct"]),
                         ("subprocesses_from_dict", ["self", "dct", "workflow"])):
        found = list(inspect.signature(getattr(BpmnWorkflowConverter, name)).parameters)
        assert found[:len(params)] == params, f"BpmnWorkflowConverter.{name} changed: {found}"
    spec, _workflow = _tiny()
    assert BpmnWorkflow(spec, {}, deserializing=True).tasks == {}, \
        "BpmnWorkflow(deserializing=True) no longer leaves the task tree to the converter"


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_engine_log_details_are_made_only_when_debug_is_asked_for():
    """SpiffWorkflow assembles a log line's details before its logger decides: a task's dict on every state change,
    and a workflow's list of all its tasks whenever its logger's own level is below INFO."""
    captured = _Records()
    logging.getLogger("spiff").addHandler(captured)
    try:
        spiff_compat.engine_log_level(logging.INFO)
        _spec, workflow = _tiny()
        assert captured.records == []
        assert _review(workflow).collect_log_extras() == {}, "a task's log details are built at INFO"
        assert "tasks" not in workflow.collect_log_extras(), "a workflow lists its task tree for a line not written"

        spiff_compat.engine_log_level(logging.DEBUG)
        _spec, workflow = _tiny()
        changes = [r for r in captured.records if r.getMessage().startswith("State changed")]
        assert changes and {"task_spec", "state", "data"} <= set(vars(changes[0])), \
            "at DEBUG the engine's state changes should carry their details"
        assert "tasks" in workflow.collect_log_extras()
    finally:
        logging.getLogger("spiff").removeHandler(captured)
        spiff_compat.engine_log_level(logging.INFO)


def test_no_other_engine_module_touches_a_private_spiffworkflow_name():
    root = Path(spiff_compat.__file__).parent
    private = re.compile(r"\b(?:task|sibling|workflow|wf|sub|spec|REGISTRY|registry|_timer_module)\._[a-z]\w*")
    offenders = [f"{path.name}: {line.strip()}" for path in sorted(root.glob("*.py")) if path.name != "spiff_compat.py"
                 for line in path.read_text("utf-8").splitlines() if private.search(line)]
    assert offenders == [], "private SpiffWorkflow names outside processes/spiff_compat.py:\n" + "\n".join(offenders)
