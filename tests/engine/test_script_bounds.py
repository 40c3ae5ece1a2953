"""Process scripts are bounded: a script or expression that burns CPU in one C-level call or allocates gigabytes
puts only its own instance in error, with a message naming the bound, and other users' work carries on meanwhile."""
import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine_helpers import DEMO_XML, FIXTURES
from processes import sandbox, scripting
from processes.definitions import deploy_model, parsed_for
from processes.execution import Step
from processes.models import HumanTask
from processes.runtime import complete_task, start_process

PREPARE = "attempts = 0\ndoubled = amount * 2"
CPU = "CPU time bound"
MEMORY = "memory bound"

BOMBS = [
    ("total = sum(range(4 * 10**8))", CPU),                     # one C-level call: no Python loop step to count
    ("m = max(range(10**10))", CPU),
    ("big = 10**10**8", CPU),                                   # int ** int
    ("s = 'a' * (2 * 10**9)", MEMORY),                          # str * int
    ("zeros = [0] * 10**9", MEMORY),                            # list * int
    ("items = list(range(10**9))", MEMORY),
    ("wide = f'{amount:>999999999}'", MEMORY),                  # a format width
    ("wide = '%0999999999d' % amount", MEMORY),
    ("padded = 'x'.ljust(10**9)", MEMORY),                      # str methods that pad or repeat
    ("padded = 'x'.center(10**9)", MEMORY),
    ("padded = 'x'.zfill(10**9)", MEMORY),
    ("tabs = ('\\t' * 10**5).expandtabs(10**5)", MEMORY),
    ("grown = ('a' * 10**4).replace('', 'x' * 10**5)", MEMORY),
]


def _model(script=PREPARE):
    return DEMO_XML.replace(PREPARE, script)


def _deploy(db, xml):
    return deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")[0]


def _open_tasks(db, inst):
    return db.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id,
                                              HumanTask.completed_at.is_(None))).all()


def _start(db, key="B"):
    return start_process(db, "engine_demo", business_key=key, subject=key,
                         data={"amount": 2, "record": key, "escalate_after": "PT1H"}, user_id=None)


@pytest.mark.parametrize("bomb, bound", BOMBS, ids=[b for b, _ in BOMBS])
def test_a_script_over_its_bound_puts_its_instance_in_error(db, bomb, bound):
    _deploy(db, _model(f"attempts = 0\n{bomb}\ndoubled = amount * 2"))
    inst = _start(db)
    assert inst.status == "error"
    assert bound in inst.error and "Prepare" in inst.error
    assert _open_tasks(db, inst) == []
    # the next instance of the same app process runs normally: the bomb ended only its own child process
    _deploy(db, _model())
    healthy = _start(db, "B-2")
    assert healthy.status == "running", healthy.error
    assert [t.bpmn_id for t in _open_tasks(db, healthy)] == ["Review"]


def test_a_big_power_ends_at_one_of_the_bounds(db):
    # 2 ** (10 ** 9) needs 125 MB and minutes of squaring: whichever bound it meets first is named
    _deploy(db, _model("huge = 2 ** (10 ** 9)"))
    inst = _start(db)
    assert inst.status == "error" and (CPU in inst.error or MEMORY in inst.error), inst.error


def test_a_runaway_while_loop_still_meets_the_step_budget(db):
    _deploy(db, _model("x = 0\nwhile True:\n    x += 1"))
    inst = _start(db)
    assert inst.status == "error" and "more than 100000 loop steps" in inst.error


EXPRESSION_BOMB = "len('x' * (2 * 10**9))"
EXPRESSION_PLACES = {
    "gateway condition": ('approved == "yes"', f'approved == "yes" and {EXPRESSION_BOMB} > 0', "Approved"),
    "service-task parameter": ('value="record"', f'value="{EXPRESSION_BOMB}"', "Notify"),
    # a timer's error names no task, but quotes the expression
    "timer expression": (">escalate_after<", f">\"PT1H\" if {EXPRESSION_BOMB} else \"PT2H\"<", "PT1H"),
}


@pytest.mark.parametrize("place", list(EXPRESSION_PLACES))
def test_an_expression_over_its_bound_errors_the_instance_and_keeps_the_users_step(db, user, actor, place):
    old, new, where = EXPRESSION_PLACES[place]
    assert old in DEMO_XML
    _deploy(db, DEMO_XML.replace(old, new))
    inst = _start(db)
    [review] = _open_tasks(db, inst)
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    assert inst.status == "error" and MEMORY in inst.error and where in inst.error, inst.error
    db.refresh(review)
    assert review.outcome == "completed"


def test_task_data_keeps_its_types_through_the_sandbox(db):
    _deploy(db, _model("price = Decimal('19.90') * amount\nwhen = date(2024, 2, 29) + timedelta(days=1)\n"
                       "at = datetime(2024, 1, 2, 3, 4, 5)\ntags = {'a', 'b'}\ndoubled = amount * 2"))
    inst = _start(db)
    assert inst.status == "running", inst.error
    data = Step.load(db, inst, None).workflow.get_tasks(spec_name="Review")[0].data
    assert data["price"] == Decimal("39.80") and isinstance(data["price"], Decimal)
    assert data["when"] == date(2024, 3, 1) and type(data["when"]) is date
    assert data["at"] == datetime(2024, 1, 2, 3, 4, 5)


def test_other_work_completes_while_a_bomb_runs(db, engine, monkeypatch):
    """While one instance's script burns its CPU bound, another user's query and engine step finish first.

    `started` is set when the bomb is handed to its child process; in-process evaluation (no child) sets it only
    when the bomb's whole step is over, so the order below then comes out the other way round."""
    normal_def = _deploy(db, _model())
    _deploy(db, _model("total = sum(range(4 * 10**8))"))
    sandbox.prestart(2)
    started, order = threading.Event(), []
    handed_over = sandbox._Child.call

    def call(self, request):
        if b"sum(range" in request:
            started.set()
        return handed_over(self, request)

    original = scripting.SandboxEnvironment.execute

    def observed(self, script, context, external_context=None):
        try:
            return original(self, script, context, external_context)
        finally:
            if "sum(range" in script:
                order.append("bomb ended")

    monkeypatch.setattr(sandbox._Child, "call", call, raising=False)
    monkeypatch.setattr(scripting.SandboxEnvironment, "execute", observed)
    session, outcome = db(), {}

    def run_bomb():
        try:
            outcome["instance"] = _start(session, "BOMB")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc
        finally:
            started.set()

    bomb = threading.Thread(target=run_bomb)
    bomb.start()
    assert started.wait(600)
    # another user's request: a query on its own connection and a normal engine step with a script
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    parsed = parsed_for(normal_def)
    wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=scripting.CrmScriptEngine())
    wf.get_next_task(state=TaskState.READY).data.update({"amount": 21})
    wf.do_engine_steps()
    assert wf.get_tasks(spec_name="Review")[0].data["doubled"] == 42
    order.append("other work done")
    bomb.join()
    assert order == ["other work done", "bomb ended"]
    assert "error" not in outcome, outcome.get("error")
    assert outcome["instance"].status == "error" and CPU in outcome["instance"].error
