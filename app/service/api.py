"""/api/v1/service-requests: the service process for automated clients (same rights and scope as the pages).

dispatch, handle and feedback complete the matching BPMN user task; when the process is elsewhere they answer
409 `wrong_step` with `current_steps`."""
from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guard import requires
from app.common.date_range import range_rule
from app.common.dates import FilterDate
from app.common.ints import DbInteger
from app.common.listing import paginate
from app.db import db_session
from app.service import actions, deadlines
from app.service import service as svc
from app.service.actions import HANDLING_MAX, RESULT_MAX
from app.service.history import open_tasks_by_request
from app.service.models import SERVICE_STATUSES
from app.common.api_schemas import PageArgs, PageOut

blp = Blueprint("api_service", __name__, url_prefix="/api/v1/service-requests",
                description="Service requests (服务管理) and their process steps")


class ServiceRequestOut(Schema):
    id = fields.Integer()
    type = fields.String()
    summary = fields.String()
    customer_no = fields.String()
    customer_name = fields.String()
    request = fields.String()
    created_by = fields.Integer()
    created_at = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    assigned_at = fields.String(allow_none=True)
    handling = fields.String(allow_none=True)
    handled_by = fields.Integer(allow_none=True)
    handled_at = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    rounds = fields.Integer(metadata={"description": "How many times the request was handled"})
    status = fields.String(metadata={"enum": list(SERVICE_STATUSES)})
    archived_at = fields.String(allow_none=True)
    current_steps = fields.List(fields.String(), metadata={"description": "BPMN ids of the open steps"})


class ServiceRequestList(PageOut):
    items = fields.List(fields.Nested(ServiceRequestOut))


class ServiceRequestQuery(PageArgs):
    q = fields.String()
    type = fields.String()
    summary = fields.String()
    customer_no = fields.String()
    customer = fields.String(metadata={"description": "customer name fragment or number"})
    status = fields.String(validate=validate.OneOf(SERVICE_STATUSES))
    assignee_id = DbInteger()
    created_from = FilterDate()
    created_to = FilterDate()
    _range = range_rule(("created_from", "created_to"))


class ServiceRequestIn(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=svc.SUMMARY_MAX))
    customer_no = fields.String(required=True, validate=validate.Length(min=1, max=20))
    request = fields.String(required=True, validate=validate.Length(min=1, max=svc.REQUEST_MAX))


class ServiceDispatchIn(Schema):
    assignee = DbInteger(required=True, strict=True, metadata={"description": "user id of a customer manager"})


class ServiceHandleIn(Schema):
    handling = fields.String(required=True, validate=validate.Length(min=1, max=HANDLING_MAX))


class ServiceFeedbackIn(Schema):
    result = fields.String(required=True, validate=validate.Length(min=1, max=RESULT_MAX))
    satisfaction = DbInteger(required=True, strict=True, validate=validate.Range(min=1, max=5))


def _dump(sr, tasks=None):
    out = svc.dump_request(sr)
    if tasks is None:
        tasks = open_tasks_by_request(db_session, [sr.id])
    out["current_steps"] = [t.bpmn_id for t in tasks.get(sr.id, [])]
    return out


def _committed(sr, instance):
    """The answer to a start or a step: the request as it left it and the steps the process opened (the engine's
    write returned them), so nothing is read back after the commit."""
    out = svc.dump_request(sr)
    steps = instance.open_steps if instance.status == "running" and instance.open_steps is not None else []
    out["current_steps"] = [s["bpmn_id"] for s in steps]
    db_session.commit()
    return out


@blp.route("")
class Requests(MethodView):
    @blp.arguments(ServiceRequestQuery, location="query")
    @blp.response(200, ServiceRequestList)
    @requires("service.view")
    def get(self, args):
        """Query service requests (customer managers: only their own)."""
        page, per_page = args.pop("page"), args.pop("per_page")
        args["tz"] = current_app.config["TIMEZONE"]
        result = paginate(db_session, svc.query_requests(db_session, user=current_user, filters=args),
                          page, per_page)
        tasks = open_tasks_by_request(db_session, [sr.id for sr in result.items])
        return result.as_api(lambda sr: _dump(sr, tasks))

    @blp.arguments(ServiceRequestIn)
    @blp.response(201, ServiceRequestOut)
    @requires("service.create")
    def post(self, body):
        """Record a service request; its process starts and waits for dispatch."""
        return _committed(*svc.create_request(db_session, user=current_user, type=body["type"],
                                               summary=body["summary"], customer_no=body["customer_no"],
                                               request=body["request"],
                                               limits=deadlines.settings(current_app.config)))


@blp.route("/<int:request_id>")
class RequestItem(MethodView):
    @blp.response(200, ServiceRequestOut)
    @requires("service.view")
    def get(self, request_id):
        """Read one service request."""
        return _dump(svc.get_request(db_session, user=current_user, request_id=request_id))

    @blp.response(204)
    @requires("service.dispatch")
    def delete(self, request_id):
        """Delete a request that is still new (not dispatched): 409 afterwards. Its process is cancelled."""
        svc.delete_request(db_session, user=current_user, request_id=request_id)
        db_session.commit()


@blp.route("/<int:request_id>/dispatch", methods=["POST"])
@blp.arguments(ServiceDispatchIn)
@blp.response(200, ServiceRequestOut)
@requires("service.dispatch")
def dispatch(body, request_id):
    """Dispatch to a customer manager (also answers an escalated, overdue dispatch)."""
    return _committed(*actions.dispatch(db_session, user=current_user, request_id=request_id,
                                        assignee_id=body["assignee"]))


@blp.route("/<int:request_id>/handle", methods=["POST"])
@blp.arguments(ServiceHandleIn)
@blp.response(200, ServiceRequestOut)
@requires("service.handle")
def handle(body, request_id):
    """Record the handling (only the dispatched handler)."""
    return _committed(*actions.handle(db_session, user=current_user, request_id=request_id,
                                      handling=body["handling"]))


@blp.route("/<int:request_id>/feedback", methods=["POST"])
@blp.arguments(ServiceFeedbackIn)
@blp.response(200, ServiceRequestOut)
@requires("service.feedback")
def feedback(body, request_id):
    """Record the customer's feedback: satisfaction 3–5 archives, 1–2 sends it back to the same handler."""
    return _committed(*actions.feedback(db_session, user=current_user, request_id=request_id,
                                        result=body["result"], satisfaction=body["satisfaction"]))
