"""Registry of service-task operations: the only way a BPMN process reaches domain services.

Domain packages register operations at import (app/<domain>/operations.py); BPMN service tasks name them in
spiffworkflow:serviceTaskOperator.
"""
from dataclasses import dataclass
from typing import Any, Callable

_OPERATIONS: dict[str, Callable] = {}


@dataclass
class OperationContext:
    db: Any
    instance: Any
    user_id: int | None


def operation(name):
    def deco(fn):
        _OPERATIONS[name] = fn
        return fn
    return deco


def get_operation(name):
    return _OPERATIONS.get(name)


def operation_names():
    return sorted(_OPERATIONS)
