"""Errors raised by services; the web and API edges turn them into pages or RFC 9457 problem details."""


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationFailed(ServiceError):
    """extra['errors']: {field: [message, ...]}"""
    status, code = 422, "validation_error"

    def __init__(self, errors, detail="Invalid input"):
        super().__init__(detail, errors=errors)
        self.errors = errors


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"
