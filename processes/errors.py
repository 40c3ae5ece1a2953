"""Engine errors carry an HTTP-ish status and a machine code so callers can answer without knowing the engine."""


class EngineError(Exception):
    status = 500
    code = "engine_error"

    def __init__(self, detail, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class DefinitionInvalid(EngineError):
    status, code = 422, "definition_invalid"


class DefinitionNotFound(EngineError):
    status, code = 404, "definition_not_found"


class InstanceNotFound(EngineError):
    status, code = 404, "instance_not_found"


class TaskNotFound(EngineError):
    status, code = 404, "task_not_found"


class TaskForbidden(EngineError):
    status, code = 403, "task_forbidden"


class WrongStep(EngineError):
    """The process is not at the step the caller tried to complete; extra['current_steps'] says where it is."""
    status, code = 409, "wrong_step"


class ConcurrentUpdate(EngineError):
    status, code = 409, "conflict"


class FormInvalid(EngineError):
    """extra['errors'] maps field -> list of messages."""
    status, code = 422, "validation_error"


class InstanceInError(EngineError):
    """The instance stopped on an engine error; an administrator must retry it first."""
    status, code = 409, "process_error"
