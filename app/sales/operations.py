"""Service-task operations of the sales_opportunity process: they keep the opportunity in step with the process.

Each runs inside the transaction that completed the user task before it, so the status can never disagree with
the process. Parameters come from task data; the opportunity must be the instance's own (business key), so a
forged opportunity_id in a form cannot touch another record.
"""
from flask_babel import gettext as _

from app.common.errors import Conflict, NotFound, ValidationFailed
from app.common.record_update import update_live
from app.sales import customer_link
from app.sales.models import Opportunity
from app.sales.service import check_assignee
from processes.api import operation, utcnow


def _own_opportunity(ctx, opportunity_id):
    opp = ctx.db.get(Opportunity, opportunity_id)
    if opp is None or opp.deleted_at is not None:
        raise NotFound(_("Opportunity %(id)s not found.", id=opportunity_id))
    if ctx.instance is not None and ctx.instance.business_key != str(opp.id):
        raise Conflict("The opportunity does not belong to this process instance.")
    return opp


def _update_own(ctx, opportunity_id, values):
    """The instance's own opportunity changed in one statement (app.common.record_update), with the checks of
    _own_opportunity."""
    if not isinstance(opportunity_id, int) or isinstance(opportunity_id, bool):
        opportunity_id = _own_opportunity(ctx, opportunity_id).id  # e.g. a string id: read as the load reads it
    if ctx.instance is not None and ctx.instance.business_key != str(opportunity_id):
        raise Conflict("The opportunity does not belong to this process instance.")
    if update_live(ctx.db, Opportunity, opportunity_id, values) is None:
        raise NotFound(_("Opportunity %(id)s not found.", id=opportunity_id))


@operation("sales.assign")
def assign(ctx, *, opportunity_id, assignee_id):
    check_assignee(ctx.db, assignee_id)
    assigned_at = utcnow()
    _update_own(ctx, opportunity_id, {"assignee_id": assignee_id, "assigned_at": assigned_at,
                                      "status": "in_development"})
    return {"assignee_id": assignee_id, "assigned_at": assigned_at.isoformat()}


CLOSING_STATUSES = ("failed", "terminated")


@operation("sales.close")
def close(ctx, *, opportunity_id, status):
    if status not in CLOSING_STATUSES:
        raise ValidationFailed({"status": [f"sales.close takes one of {CLOSING_STATUSES}, not {status!r}"]})
    _update_own(ctx, opportunity_id, {"status": status, "closed_at": utcnow()})
    return {"status": status}


@operation("sales.create_customer")
def create_customer(ctx, *, opportunity_id):
    """Success: the customer (manager = the assignee, level 普通客户, normal) and its first contact."""
    opp = _own_opportunity(ctx, opportunity_id)
    customer = customer_link.create_customer_for(ctx.db, opp)
    opp.customer_id = customer.id
    opp.status = "succeeded"
    opp.closed_at = utcnow()
    return {"customer_id": customer.id, "customer_no": customer.no}
