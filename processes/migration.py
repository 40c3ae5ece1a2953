"""Moving a running instance to another version of its process, only when that is safe.

An instance's state is stored without its spec (processes.store): migrating re-attaches the target version's spec
to the same task tree. It is safe when no element the target removed or changed is ready, waiting or on the
instance's completed path, every task the instance has reached exists in the target, and the data the target's
new or changed elements read is there. The steps not reached yet (predicted tasks) are dropped and predicted again
from the target, so the instance follows the new flow from where it stands. The inbox rows stay (their tasks did not
change) and the instance history gets a `migrated` row saying who moved it, from which version to which, and why.

Callers run one instance per transaction (migrate_instance locks it); processes never commits.
"""
import ast
import builtins
import copy

from SpiffWorkflow.util.task import TaskState

from processes import store
from processes.definitions import parsed_for
from processes.diff import diff_models
from processes.errors import EngineError
from processes.execution import Step, lock_with_definition, open_tasks
from processes.scripting import HELPERS
from processes.spiff_compat import predict
from processes.validation import BPMN, code_sources, finding

REACHED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR | TaskState.COMPLETED
NOT_REACHED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR
MOVABLE_STATUSES = ("running", "error")
_KNOWN_NAMES = set(dir(builtins)) | set(HELPERS)


class MigrationRefused(EngineError):
    status, code = 409, "migration_refused"


def compare(source, target):
    """Everything about two versions an instance check needs, worked out once per migration."""
    diff = diff_models(source.bpmn_xml, target.bpmn_xml)
    touched = {d["id"]: "removed" for d in diff["removed"]}
    touched.update({d["id"]: "changed" for d in diff["changed"]})
    return {"source": source, "target": target, "diff": diff, "touched": touched,
            "needs": _data_needs(target, {d["id"] for d in diff["added"] + diff["changed"]})}


def _names_read(source, expression):
    try:
        tree = ast.parse(source.strip() if expression else source, mode="eval" if expression else "exec")
    except SyntaxError:
        return set()
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
    return loads - stores - _KNOWN_NAMES


def _written_names(parsed):
    """Variables some element of the model sets: form fields, script assignments, service results, messages."""
    names = set()
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for ts in spec.task_specs.values():
            props = (getattr(ts, "extensions", None) or {}).get("properties", {}) or {}
            form = parsed.forms.get(props.get("formJsonSchemaFilename") or "") or {}
            names |= set((form.get("properties") or {}))
            for attr in ("script", "prescript", "postscript"):
                source = getattr(ts, attr, None)
                if source:
                    try:
                        names |= {n.id for n in ast.walk(ast.parse(source))
                                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                    except SyntaxError:
                        pass
            for attr in ("result_variable", "variable"):
                if getattr(ts, attr, None):
                    names.add(getattr(ts, attr))
            event = getattr(ts, "event_definition", None)
            for attr in ("variable", "message_var"):
                if getattr(event, attr, None):
                    names.add(getattr(event, attr))
    return names


def _data_needs(target, new_ids):
    """{variable: 'element (what)'} read by the target's new or changed elements (a gateway counts when one of
    its outgoing flows is new or changed) and set by no element of the target: it must come with the instance."""
    from lxml import etree
    root = etree.fromstring(target.bpmn_xml.encode("utf-8"))
    gateways = {f.get("sourceRef") for f in root.iter(f"{{{BPMN}}}sequenceFlow") if f.get("id") in new_ids}
    parsed = parsed_for(target)
    written = _written_names(parsed)
    needs = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for bid, what, source, is_expr in code_sources(spec):
            if bid not in new_ids and bid not in gateways:
                continue
            for name in sorted(_names_read(source, is_expr) - written):
                needs.setdefault(name, f"{bid} ({what})")
    return needs


def _reached(workflow):
    # Filtered here rather than by get_tasks(state=...): a state filter skips completed tasks under unfinished
    # parents (docs: SPIFFWORKFLOW.md, known pitfalls).
    return [t for t in workflow.get_tasks() if t.state & REACHED]


def _instance_data(workflow):
    data = dict(workflow.data or {})
    for task in _reached(workflow):
        data.update(task.data or {})
    return data


def refusal(workflow, plan):
    """Why this loaded instance cannot move to plan['target'] (a Finding; None: it can)."""
    target = plan["target"]
    parsed = parsed_for(target)
    specs = {parsed.spec.name: parsed.spec, **{s.name: s for s in parsed.subprocess_specs.values()}}
    for task in _reached(workflow):
        spec = task.task_spec
        bid = spec.bpmn_id
        if bid in plan["touched"]:
            template = {("removed", True): "%(step)s (%(id)s) was removed in version %(version)s and the instance "
                                           "has passed it",
                        ("removed", False): "%(step)s (%(id)s) was removed in version %(version)s and the instance "
                                            "is at it",
                        ("changed", True): "%(step)s (%(id)s) was changed in version %(version)s and the instance "
                                           "has passed it",
                        ("changed", False): "%(step)s (%(id)s) was changed in version %(version)s and the instance "
                                            "is at it"}[(plan["touched"][bid], task.state == TaskState.COMPLETED)]
            return finding(bid, template, step=f"'{spec.bpmn_name or bid}'", id=bid, version=target.version)
        target_spec = specs.get(task.workflow.spec.name)
        if target_spec is None or spec.name not in target_spec.task_specs:
            return finding(bid, "the instance's step '%(step)s' has no counterpart in version %(version)s",
                           step=spec.bpmn_name or spec.name, version=target.version)
    have = _instance_data(workflow)
    missing = {name: where for name, where in plan["needs"].items() if name not in have}
    if missing:
        return finding(None, "data the new version needs is missing: %(names)s",
                       names=", ".join(f"{name} (read by {where})" for name, where in sorted(missing.items())))
    return None


def _prune(state):
    """The state without the steps not reached yet below the open ones (they are predicted again on load)."""
    state = copy.deepcopy(state)
    for part in [state, *state.get("subprocesses", {}).values()]:
        tasks = part["tasks"]
        drop = []
        for task in tasks.values():
            if not task["state"] & OPEN:
                continue
            keep = []
            for child in task["children"]:
                if tasks.get(child, {}).get("state", 0) & NOT_REACHED:
                    drop.append(child)
                else:
                    keep.append(child)
            task["children"] = keep
        while drop:
            tid = drop.pop()
            gone = tasks.pop(tid, None)
            if gone is not None:
                drop.extend(gone["children"])
    return state


def reattach(state, target, script_engine):
    """The instance's workflow on the target version's spec (call only after refusal() said None)."""
    parsed = parsed_for(target)
    workflow = store.load_state(_prune(state), parsed.spec, parsed.subprocess_specs, script_engine)
    predict(workflow)
    return workflow


def check_instance(db, instance, plan):
    """Dry run for one instance: None when it would move, else the reason as a Finding (nothing is changed)."""
    if instance.definition_id != plan["source"].id:
        return finding(None, "the instance runs on another version, not %(version)s", version=plan["source"].version)
    if instance.status not in MOVABLE_STATUSES:
        return finding(None, "the process is %(status)s", status=instance.status)
    step = Step(db, instance, plan["source"], None)
    return refusal(step.workflow, plan)


def migrate_instance(db, instance_id, plan, *, user_id, reason=None, migration_id=None):
    """Move one instance under its row lock; raises MigrationRefused with the reason when it is not safe."""
    instance, definition = lock_with_definition(db, instance_id)
    source, target = plan["source"], plan["target"]
    why = None
    if definition.id != source.id:
        why = finding(None, "the instance runs on another version, not %(version)s", version=source.version)
    elif instance.status not in MOVABLE_STATUSES:
        why = finding(None, "the process is %(status)s", status=instance.status)
    step = None if why else Step(db, instance, source, user_id)
    why = why or refusal(step.workflow, plan)
    if why:
        err = MigrationRefused(why.message, instance_id=instance.id)
        err.reason = why
        raise err
    moved = Step(db, instance, target, user_id,
                 workflow=reattach(store.dump_state(step.workflow), target, step.engine))
    moved.open_rows = open_tasks(db, instance.id)
    instance.definition_id = target.id
    moved.event("migrated", data={"from_version": source.version, "to_version": target.version,
                                  "from_definition_id": source.id, "to_definition_id": target.id,
                                  "migration_id": migration_id, "reason": reason})
    return moved.save()

