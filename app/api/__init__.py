"""/api/v1: flask-smorest generates the OpenAPI document from the code; every error is a problem detail."""
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from app.common.messages import api_messages
from app.common.responses import problem


class CrmApi(Api):
    def handle_http_exception(self, error: HTTPException):
        from flask import request
        if not request.path.startswith("/api/"):
            return error  # pages get Flask's own handling
        data = getattr(error, "data", None) or {}
        if error.code == 422 and "messages" in data:
            # webargs puts errors under a location key (json, query): flatten to {field: [msg]}
            messages = data["messages"]
            errors = {}
            for loc_errors in messages.values():
                if isinstance(loc_errors, dict):
                    errors.update(loc_errors)
            return problem(422, "validation_error", "Invalid input", errors=api_messages(errors))
        return problem(error.code or 500, data.get("code") or _code_for(error.code), error.description)


def _code_for(status):
    return {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 415: "unsupported_media_type", 422: "validation_error"}.get(status, "error")


api = CrmApi()
