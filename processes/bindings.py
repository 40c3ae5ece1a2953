"""Registry of the steps domain pages depend on: which BPMN element ids of a process a binding
(app/<domain>/process.py) acts on, and which pages or API calls need each one.

Domain bindings register at import; deploy validation refuses a model that drops a step some page needs,
naming the step and those pages. Kept here (not in app/) so the engine can validate without importing Flask code.
"""
_STEPS: dict[str, dict[str, list[str]]] = {}


def register_steps(process_key: str, steps: dict[str, list[str]]):
    """steps: BPMN element id -> names of the pages / API calls that act on it."""
    current = _STEPS.setdefault(process_key, {})
    for step_id, users in steps.items():
        current.setdefault(step_id, [])
        current[step_id].extend(u for u in users if u not in current[step_id])


def required_steps(process_key: str) -> dict[str, list[str]]:
    return {k: list(v) for k, v in _STEPS.get(process_key, {}).items()}
