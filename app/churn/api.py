"""/api/v1/churn-cases: query, read with measures, the manager's decisions and the on-demand scan."""
import uuid

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guard import requires
from app.churn import service
from app.churn.models import CHURN_STATUSES
from app.common.ints import DbInteger
from app.common.listing import paginate
from app.db import db_session
from app.common.api_schemas import PageArgs, PageOut
from app.common.errors import NotFound

blp = Blueprint("api_churn", __name__, url_prefix="/api/v1/churn-cases",
                description="Customer churn cases (客户流失管理)")


class ChurnMeasureOut(Schema):
    text = fields.String()
    by = fields.Integer(attribute="by_id")
    at = fields.DateTime()


class ChurnCaseOut(Schema):
    id = fields.Integer()
    customer_no = fields.Function(lambda c: c.customer.no)
    customer_name = fields.Function(lambda c: c.customer.name)
    manager_id = fields.Integer(allow_none=True)
    last_order_date = fields.Date(allow_none=True)
    measures = fields.List(fields.Nested(ChurnMeasureOut))
    reason = fields.String(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(CHURN_STATUSES)})


class ChurnCasePage(PageOut):
    items = fields.List(fields.Nested(ChurnCaseOut))


class ChurnCaseQuery(PageArgs):
    q = fields.String(load_default=None, metadata={"description": "customer name or number"})
    customer = fields.String(load_default=None, metadata={"description": "customer name or number"})
    manager_id = DbInteger(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(CHURN_STATUSES))


class ChurnPostponeIn(Schema):
    measure = fields.String(required=True, metadata={"description": "the retention measure taken"})


class ChurnConfirmIn(Schema):
    reason = fields.String(required=True, metadata={"description": "why the customer was lost"})


class ChurnScanResult(Schema):
    cutoff = fields.String(metadata={"format": "date",
                                     "description": "customers whose last order is before this date were checked"})
    candidates = fields.Integer()
    created = fields.Integer()
    skipped = fields.Integer(metadata={"description": "customers a concurrent scan warned first"})


class ChurnScanOut(Schema):
    id = fields.String(metadata={"description": "the scan's id (its Celery task id)"})
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    href = fields.String(metadata={"description": "where to follow the scan"})
    result = fields.Nested(ChurnScanResult, allow_none=True)
    error = fields.String(allow_none=True)



@blp.route("")
@blp.arguments(ChurnCaseQuery, location="query")
@blp.response(200, ChurnCasePage)
@requires("churn.view")
def list_cases(args):
    """Churn cases the caller may see (a manager: their own), newest first."""
    stmt = service.query_cases(user=current_user, customer=args["customer"], manager_id=args["manager_id"],
                               status=args["status"], q=args["q"])
    return paginate(db_session, stmt, args["page"], args["per_page"]).as_api(lambda c: c)


@blp.route("/<int:case_id>")
@blp.response(200, ChurnCaseOut)
@requires("churn.view")
def get_case(case_id):
    """One churn case with its measures."""
    return service.get_case(db_session, user=current_user, case_id=case_id)


@blp.route("/<int:case_id>/postpone", methods=["POST"])
@blp.arguments(ChurnPostponeIn)
@blp.response(200, ChurnCaseOut)
@requires("churn.handle")
def postpone(body, case_id):
    """暂缓流失: record a retention measure; 409 when the process is not waiting for the manager."""
    case = service.postpone_case(db_session, user=current_user, case_id=case_id, measure=body["measure"])
    db_session.commit()
    return case


@blp.route("/<int:case_id>/confirm", methods=["POST"])
@blp.arguments(ChurnConfirmIn)
@blp.response(200, ChurnCaseOut)
@requires("churn.handle")
def confirm(body, case_id):
    """确认流失: the customer becomes lost; 409 when the process is not waiting for the manager."""
    case = service.confirm_case(db_session, user=current_user, case_id=case_id, reason=body["reason"])
    db_session.commit()
    return case


@blp.route("/scan", methods=["POST"])
@blp.response(202, ChurnScanOut, headers={"Location": {"description": "the scan to follow",
                                                         "schema": {"type": "string"}}})
@requires("churn.scan")
def scan():
    """Queue the churn scan now (it also runs every Saturday 02:00): 202 with the scan to follow (Location, href).
    A worker runs it with late acknowledgement, so a worker dying mid-scan hands it to another; it never creates
    duplicate cases."""
    from scheduler.tasks import churn_scan
    from scheduler.celery_app import celery
    task_id = str(uuid.uuid4())
    # Recorded before it is sent, so the link answers "queued" at once and an id never issued answers 404
    # (Celery reads any id it has no record of as PENDING). A broker that is down fails here: 503, nothing queued.
    celery.backend.store_result(task_id, None, QUEUED)
    churn_scan.apply_async(kwargs={"user_id": current_user.id}, task_id=task_id)
    body = _scan_status(task_id)
    return body, 202, {"Location": body["href"]}


@blp.route("/scans/<scan_id>")
@blp.response(200, ChurnScanOut)
@requires("churn.scan")
def scan_status(scan_id):
    """A queued scan: queued, running, done (with its counts) or failed. Results are kept for a day; an id that
    was never issued, or is older than that, answers 404."""
    body = _scan_status(scan_id)
    if body is None:
        raise NotFound(_("No such scan (results are kept for a day)."))
    return body


QUEUED = "QUEUED"  # our own state: sent, not yet received by a worker
_SCAN_STATES = {QUEUED: "queued", "RECEIVED": "queued", "STARTED": "running", "RETRY": "queued",
                "SUCCESS": "done", "FAILURE": "failed", "REVOKED": "failed"}


def _scan_status(task_id):
    from flask import url_for
    from scheduler.celery_app import celery
    result = celery.AsyncResult(task_id)
    if result.state == "PENDING":
        return None
    status = _SCAN_STATES.get(result.state, "queued")
    value = result.result
    return {"id": task_id, "status": status, "href": url_for("api_churn.scan_status", scan_id=task_id),
            "result": value if status == "done" else None,
            "error": f"{type(value).__name__}: {value}" if status == "failed" else None}
