"""Service-task operations of the `customer_service` process: the request's status follows the process.

Each runs inside the engine step that completed the preceding user task, on the same session, so the status
and the process state commit (or roll back) together. Input from the generic inbox form is checked here again:
a ValidationFailed rejects the completion and nothing is saved.
"""
from flask_babel import gettext as _

from app.common.errors import Conflict, ValidationFailed
from app.common.record_update import update_live
from app.service import deadlines
from app.service.actions import HANDLING_MAX, RESULT_MAX
from app.service.models import ServiceRequest
from app.customers.hooks import on_customer_transferred
from app.service.service import check_handler, follow_transfer
from processes.api import operation, utcnow

# A customer handed to another manager: requests waiting for the old manager's handling follow their task.
on_customer_transferred(follow_transfer)


def _update(ctx, request_id, values, **kwargs):
    """The instance's own request changed in one statement (app.common.record_update): a request id that is not
    its business key (a forged form value, a model passing the wrong variable) touches nothing and rejects the
    completion."""
    if ctx.instance is not None and ctx.instance.business_key != str(request_id):
        raise Conflict("The service request does not belong to this process instance.")
    row = update_live(ctx.db, ServiceRequest, int(request_id), values, **kwargs)
    if row is None:
        # Not a user error: the process points at a record that is gone, so the instance goes to error.
        raise LookupError(f"service request {request_id} does not exist")
    return row


@operation("service.deadline")
def deadline(ctx, *, days=None, limit=None, tz="Asia/Shanghai"):
    """The due date of the step that follows, for its boundary timer (and the inbox)."""
    due = deadlines.due_at(utcnow(), days=days if days is not None else 1, limit=limit, tz_name=tz)
    return deadlines.timer_value(due)


@operation("service.assign")
def assign(ctx, *, request_id, assignee_id):
    check_handler(ctx.db, assignee_id if isinstance(assignee_id, int) else None, field="assignee_id")
    _update(ctx, request_id, {"assignee_id": assignee_id, "assigned_at": utcnow(), "status": "assigned"})
    return {"status": "assigned"}


@operation("service.record_handling")
def record_handling(ctx, *, request_id, handling):
    text = (handling or "").strip() if isinstance(handling, str) else ""
    if not text or len(text) > HANDLING_MAX:
        raise ValidationFailed({"handling": [_("Describe what was done (at most %(n)s characters).", n=HANDLING_MAX)]})
    rounds, = _update(ctx, request_id, {"handling": text, "handled_by": ctx.user_id, "handled_at": utcnow(),
                                        "status": "handled"}, increment=("rounds",))
    return {"status": "handled", "rounds": rounds}


@operation("service.record_feedback")
def record_feedback(ctx, *, request_id, result, satisfaction):
    errors = {}
    text = result.strip() if isinstance(result, str) else ""
    if not text or len(text) > RESULT_MAX:
        errors["result"] = [_("Record what the customer said (at most %(n)s characters).", n=RESULT_MAX)]
    if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Satisfaction is a whole number from 1 to 5.")]
    if errors:
        raise ValidationFailed(errors)
    _update(ctx, request_id, {"result": text, "satisfaction": satisfaction})
    return {"satisfaction": satisfaction}


@operation("service.archive")
def archive(ctx, *, request_id):
    _update(ctx, request_id, {"status": "archived", "archived_at": utcnow()})
    return {"status": "archived"}


@operation("service.reopen")
def reopen(ctx, *, request_id):
    """A dissatisfied customer sends the request back to the same handler: it is theirs (assigned) again."""
    _update(ctx, request_id, {"status": "assigned"})
    return {"status": "assigned"}
