"""Strict model checks, the same in the editor (findings drawn on the diagram) and at deployment (refused).

A finding names the BPMN element it is about, so the editor can mark it and the deploy problem can name it:
- the flow structure (read from the XML): every element has the incoming and outgoing flows it needs, every flow
  joins two elements of its process, every path can reach an end event, exclusive/inclusive gateways choose
  (a condition on every outgoing flow but the default);
- what the parsed spec refers to: service operations registered, timer expressions that are literals parse as
  ISO 8601, the steps a domain binding acts on still exist (processes.bindings), scripts and expressions compile
  in the sandbox, user tasks sit in a lane. Forms are checked by processes.definitions (it loads them anyway).
"""
import ast
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from processes.bindings import required_steps
from processes.scripting import ScriptRejected, check_source
from processes.services import get_operation

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
CHOOSING_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}


@dataclass(frozen=True)
class Finding:
    """`template` % `params` is the English message; the UI translates the template (a fixed text of this module)
    and fills in the params, which are element names and ids from the model."""
    element_id: str | None
    template: str
    params: tuple = ()

    @property
    def message(self):
        return self.template % dict(self.params) if self.params else self.template

    def text(self):
        return f"{self.element_id}: {self.message}" if self.element_id else self.message

    def as_dict(self):
        return {"element_id": self.element_id, "message": self.message}


def finding(element_id, template, **params):
    return Finding(element_id, template, tuple(sorted(params.items())))


def _local(el):
    return el.tag.split("}", 1)[1] if isinstance(el.tag, str) and "}" in el.tag else el.tag


def _label(el):
    name = (el.get("name") or "").strip()
    return f"'{name}'" if name else el.get("id")


def _scopes(root):
    """Every process and (embedded) subprocess: each is checked as its own graph."""
    for el in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess", f"{{{BPMN}}}transaction"):
        yield el


def _scope_findings(scope):
    nodes = {c.get("id"): c for c in scope if _local(c) in FLOW_NODES and c.get("id")}
    flows = [c for c in scope if _local(c) == "sequenceFlow"]
    findings, incoming, outgoing = [], {i: [] for i in nodes}, {i: [] for i in nodes}
    for flow in flows:
        src, dst = flow.get("sourceRef"), flow.get("targetRef")
        if src not in nodes or dst not in nodes:
            missing = src if src not in nodes else dst
            findings.append(finding(flow.get("id"), "the flow is dangling: it joins '%(target)s', which is not an "
                                    "element of this process", target=missing or ""))
            continue
        outgoing[src].append(flow)
        incoming[dst].append(flow)
    boundaries = {}
    for nid, node in nodes.items():
        if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes:
            boundaries.setdefault(node.get("attachedToRef"), []).append(nid)
    for nid, node in nodes.items():
        kind = _local(node)
        event_sub = kind == "subProcess" and node.get("triggeredByEvent") == "true"
        if event_sub:
            continue
        if not incoming[nid] and kind not in ("startEvent", "boundaryEvent"):
            findings.append(finding(nid, "%(element)s has no incoming flow: nothing can reach it",
                                    element=_label(node)))
        if not outgoing[nid] and kind != "endEvent":
            findings.append(finding(nid, "%(element)s has no outgoing flow: the path stops here without an end event",
                                    element=_label(node)))
        if kind in CHOOSING_GATEWAYS and len(outgoing[nid]) > 1:
            default = node.get("default")
            bare = [f.get("id") for f in outgoing[nid] if f.get("id") != default and not _has_condition(f)]
            if bare:
                findings.append(finding(nid, "the gateway %(element)s needs a condition on every outgoing flow except "
                                             "its default (none on %(flows)s)", element=_label(node),
                                        flows=", ".join(bare)))
    ends = [nid for nid, n in nodes.items() if _local(n) == "endEvent"]
    starts = [nid for nid, n in nodes.items() if _local(n) == "startEvent"]
    if starts and not ends:
        findings.append(finding(scope.get("id"), "the process has no end event"))
    # Which nodes can reach an end event: walk the flows backwards from the ends. A boundary event leaves its
    # activity, so an activity also counts when one of its boundary events reaches an end.
    reach, todo = set(ends), list(ends)
    while todo:
        nid = todo.pop()
        for flow in incoming[nid]:
            src = flow.get("sourceRef")
            if src not in reach:
                reach.add(src)
                todo.append(src)
        node = nodes[nid]
        if _local(node) == "boundaryEvent":
            host = node.get("attachedToRef")
            if host in nodes and host not in reach:
                reach.add(host)
                todo.append(host)
    if ends:
        for nid, node in nodes.items():
            if nid in reach or not outgoing[nid] or (_local(node) == "subProcess"
                                                      and node.get("triggeredByEvent") == "true"):
                continue
            findings.append(finding(nid, "no path from %(element)s reaches an end event", element=_label(node)))
    return findings


def _has_condition(flow):
    cond = flow.find(f"{{{BPMN}}}conditionExpression")
    return cond is not None and (cond.text or "").strip() != ""


def structure_findings(root):
    """Findings about the flow structure of a parsed XML document (lxml root)."""
    findings = []
    for scope in _scopes(root):
        findings += _scope_findings(scope)
    return findings


def _properties(task_spec):
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def code_sources(spec):
    """(bpmn_id, what, source, is_expression) for everything the model will evaluate at run time."""
    for ts in spec.task_specs.values():
        bid = ts.bpmn_id or ts.name
        if getattr(ts, "script", None):
            yield bid, "script", ts.script, False
        for attr in ("prescript", "postscript"):
            if getattr(ts, attr, None):
                yield bid, attr, getattr(ts, attr), False
        for cond, target in getattr(ts, "cond_task_specs", []) or []:
            if cond is not None and getattr(cond, "args", None):
                yield bid, "condition", cond.args[0], True
        event = getattr(ts, "event_definition", None)
        if isinstance(event, TimerEventDefinition):
            yield bid, "timer", event.expression, True
        for name, param in (getattr(ts, "operation_params", None) or {}).items():
            yield bid, f"parameter {name}", param["value"], True
        if _properties(ts).get("assignee"):
            yield bid, "assignee", _properties(ts)["assignee"], True


def timer_problem(kind, expression):
    """Why a timer expression cannot work (a Finding without element; None when it can). Expressions that read
    task data are only known at run time; a literal (the usual '"P3D"') is parsed here exactly as SpiffWorkflow
    will parse it."""
    try:
        value = ast.literal_eval((expression or "").strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None  # not a literal: it reads task data; compiled by the script check
    if not isinstance(value, str):
        return finding(None, "the timer expression must give an ISO 8601 text, not %(type)s",
                       type=type(value).__name__)
    try:
        if kind == "cycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif kind == "date":
            TimerEventDefinition.get_datetime(value)
        else:
            TimerEventDefinition.parse_iso_duration(value)
    except Exception:  # SpiffWorkflow raises bare Exception / ValueError / AttributeError on bad texts
        example = {"cycle": '"R3/PT1H"', "date": '"2030-01-31T09:00:00"'}.get(kind, '"P3D"')
        template = {"cycle": "the timer expression %(value)s is not a valid ISO 8601 cycle (e.g. %(example)s)",
                    "date": "the timer expression %(value)s is not a valid ISO 8601 date (e.g. %(example)s)"}.get(
            kind, "the timer expression %(value)s is not a valid ISO 8601 duration (e.g. %(example)s)")
        return finding(None, template, value=repr(value), example=example)
    return None


def preview_due(kind, expression):
    """(first due time as naive UTC, None) for a literal timer started now; (None, None) when the expression reads
    task data (known only at run time); (None, Finding) when it cannot work."""
    from datetime import timezone
    from processes import clock
    problem = timer_problem(kind, expression)
    if problem is not None:
        return None, problem
    try:
        value = ast.literal_eval((expression or "").strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        try:
            check_source(expression or "", expression=True)
        except ScriptRejected as err:
            return None, finding(None, "(%(what)s) %(error)s", what="timer", error=str(err))
        return None, None
    now = clock.utcnow().replace(tzinfo=timezone.utc)
    if kind == "cycle":
        _cycles, due, _duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    elif kind == "date":
        due = TimerEventDefinition.get_datetime(value)
    else:
        due = now + TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value), now)
    return due.astimezone(timezone.utc).replace(tzinfo=None), None


def timer_kind(event):
    if isinstance(event, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(event, TimeDateEventDefinition):
        return "date"
    if isinstance(event, DurationTimerEventDefinition):
        return "duration"
    return "duration"


def spec_findings(key, spec, subprocess_specs):
    """Findings about what the parsed spec refers to (operations, timers, scripts, lanes, binding steps)."""
    findings, present = [], set()
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            if ts.bpmn_id:
                present.add(ts.bpmn_id)
            if isinstance(ts, UserTask) and not getattr(ts, "lane", None):
                findings.append(finding(ts.bpmn_id, "a user task must sit in a lane named by a role code"))
            op = getattr(ts, "operation_name", None)
            if op is not None and get_operation(op) is None:
                findings.append(finding(ts.bpmn_id, "service operation '%(operation)s' is not registered",
                                        operation=op))
            event = getattr(ts, "event_definition", None)
            if isinstance(event, TimerEventDefinition):
                problem = timer_problem(timer_kind(event), event.expression)
                if problem:
                    findings.append(Finding(ts.bpmn_id, problem.template, problem.params))
        for bid, what, source, is_expr in code_sources(s):
            try:
                check_source(source, expression=is_expr)
            except ScriptRejected as err:
                findings.append(finding(bid, "(%(what)s) %(error)s", what=what, error=str(err)))
    for step, users in sorted(required_steps(key).items()):
        if step not in present:
            findings.append(finding(step, "step %(step)s is needed by %(users)s; keep it in the model (or change those "
                                          "pages first)", step=step, users=", ".join(users)))
    return findings
