"""The engine's port for domain code: the only processes module app/<domain>/ imports besides the small shared
ones (errors, clock, actor, services for @operation, bindings). The import contract (.importlinter, run by
tests/test_import_contract.py) fails the build when a domain imports anything else of processes/.

Writes (start, complete, cancel, lock, reassign, rename) go through runtime and take the instance lock; reads
(where a record's process waits, worklist conditions, instances, history) are SQL over the engine's tables.
No domain writes human_task, process_event or process_instance itself.
"""
from processes.actor import Actor
from processes.bindings import register_steps, required_steps
from processes.clock import utcnow
from processes.definitions import deploy_directory, deploy_model, latest_definition
from processes.errors import (ConcurrentUpdate, EngineError, FormInvalid, InstanceInError, TaskForbidden,
                              WrongStep)
from processes.records import (element_names, events_of, instances_of, latest_instance, latest_instances,
                               open_steps, open_tasks_of, open_tasks_of_instances, step_info, tasks_of, waiting_at)
from processes.runtime import (can_act, cancel_process, complete_step, complete_task, correlate_message,
                               current_steps, find_instance, lock_record, reassign_open_tasks, set_subject,
                               start_process, start_processes)
from processes.services import operation

__all__ = [
    "Actor", "register_steps", "required_steps", "utcnow", "deploy_directory", "deploy_model", "latest_definition",
    "ConcurrentUpdate", "EngineError", "FormInvalid", "InstanceInError", "TaskForbidden", "WrongStep",
    "element_names", "events_of", "instances_of", "latest_instance", "latest_instances", "open_steps",
    "open_tasks_of", "open_tasks_of_instances", "step_info", "tasks_of", "waiting_at",
    "can_act", "cancel_process", "complete_step", "complete_task", "correlate_message", "current_steps",
    "find_instance", "lock_record", "reassign_open_tasks", "set_subject", "start_process", "start_processes",
    "operation",
]
