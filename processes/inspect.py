"""Read-only views of an instance for people watching it (instance page, API); loads the workflow, so it is for
one instance at a time, never for lists or the inbox."""
from SpiffWorkflow.util.task import TaskState

from processes.definitions import parsed_for
from processes.execution import Step
from processes.models import ProcessDefinition
from processes.timers import pending_timers


def step_names(parsed):
    """{bpmn_id: name} of every element of a parsed model (subprocesses included)."""
    names = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for ts in spec.task_specs.values():
            if ts.bpmn_id:
                names[ts.bpmn_id] = ts.bpmn_name or ts.bpmn_id
    return names


def overview(db, instance):
    """Completed and current BPMN elements, pending timers and the names of the steps."""
    definition = db.get(ProcessDefinition, instance.definition_id)
    parsed = parsed_for(definition)
    result = {"definition": definition, "names": step_names(parsed), "completed": [], "current": [],
              "errored": [], "timers": []}
    if instance.state is None:
        return result
    workflow = Step.load(db, instance, None).workflow
    completed, current, errored = set(), set(), set()
    for task in workflow.get_tasks():
        bpmn_id = task.task_spec.bpmn_id
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING):
            current.add(bpmn_id)
        elif task.state == TaskState.ERROR:
            errored.add(bpmn_id)
    if instance.status in ("running", "error"):
        result["timers"] = pending_timers(workflow)
    else:
        current = set()
    result.update(completed=sorted(completed - current - errored), current=sorted(current),
                  errored=sorted(errored))
    return result
