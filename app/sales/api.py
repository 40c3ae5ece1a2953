"""/api/v1/opportunities: opportunities, their plan items, assign and close (SPEC §12).

Assign and close complete the process's user tasks; when the process is elsewhere they answer 409 `wrong_step`
with `current_steps`. Marshmallow checks types and documents the limits; the services enforce them, so a bad request gets every
field's problem at once, worded as on the pages.
"""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.auth.guard import requires
from app.common.date_range import range_rule
from app.common.dates import FilterDate
from app.common.ints import DbInteger
from app.common.listing import paginate
from app.customers.models import Customer
from app.db import db_session
from app.sales import plan_service, service
from app.sales.models import OPPORTUNITY_STATUSES
from app.common.api_schemas import PageArgs, PageOut

blp = Blueprint("api_opportunities", __name__, url_prefix="/api/v1/opportunities",
                description="Sales opportunities and customer development plans")


class OpportunityIn(Schema):
    source = fields.String(allow_none=True, load_default=None, metadata={"maxLength": 100})
    customer_name = fields.String(required=True, metadata={"maxLength": 100})
    probability = DbInteger(required=True, metadata={"minimum": 0, "maximum": 100})
    summary = fields.String(required=True, metadata={"maxLength": 200})
    contact = fields.String(allow_none=True, load_default=None, metadata={"maxLength": 50})
    contact_phone = fields.String(allow_none=True, load_default=None, metadata={"maxLength": 30})
    description = fields.String(required=True, metadata={"maxLength": 2000})


class OpportunityCreateIn(OpportunityIn):
    assignee_id = DbInteger(allow_none=True, load_default=None,
                                 metadata={"description": "Assign at once (needs opportunity.assign)"})


class OpportunityPatchIn(OpportunityIn):
    """The same fields, each optional (PATCH)."""


class OpportunityOut(Schema):
    id = fields.Integer()
    source = fields.String(allow_none=True)
    customer_name = fields.String()
    probability = fields.Integer()
    summary = fields.String()
    contact = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    description = fields.String()
    created_by = fields.Integer()
    created_at = fields.DateTime()
    assignee_id = fields.Integer(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(OPPORTUNITY_STATUSES)})
    closed_at = fields.DateTime(allow_none=True)
    customer_no = fields.String(allow_none=True)


class OpportunityPage(PageOut):
    items = fields.List(fields.Nested(OpportunityOut))


class OpportunityQuery(PageArgs):
    q = fields.String()
    customer_name = fields.String()
    summary = fields.String()
    contact = fields.String()
    status = fields.String(validate=validate.OneOf(OPPORTUNITY_STATUSES))
    assignee_id = DbInteger()
    created_from = FilterDate(metadata={"description": "Created on or after this day (company time zone)"})
    created_to = FilterDate(metadata={"description": "Created on or before this day (company time zone)"})
    _range = range_rule(("created_from", "created_to"))


class AssignIn(Schema):
    assignee = DbInteger(required=True, metadata={"description": "User id of a customer manager"})


class CloseIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(service.OUTCOMES))


class PlanItemIn(Schema):
    date = fields.Date(required=True)
    todo = fields.String(required=True, metadata={"maxLength": plan_service.TODO_MAX})
    result = fields.String(allow_none=True, load_default=None, metadata={"maxLength": plan_service.RESULT_MAX})


class PlanItemPatchIn(PlanItemIn):
    """The same fields, each optional (PATCH), e.g. only `result`."""


class PlanItemOut(Schema):
    id = fields.Integer()
    date = fields.Date()
    todo = fields.String()
    result = fields.String(allow_none=True)


class PlanItemList(Schema):
    items = fields.List(fields.Nested(PlanItemOut))


def _utc(value):
    return value.replace(tzinfo=timezone.utc) if value else None


def _day_start_utc(day):
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def dump(opp, customer_nos=None):
    out = {name: getattr(opp, name) for name in service.FIELDS}
    out.update(id=opp.id, created_by=opp.created_by, created_at=_utc(opp.created_at), assignee_id=opp.assignee_id,
               assigned_at=_utc(opp.assigned_at), status=opp.status, closed_at=_utc(opp.closed_at))
    if customer_nos is None:
        customer_nos = _customer_nos([opp])
    out["customer_no"] = customer_nos.get(opp.customer_id)
    return out


def _customer_nos(opps):
    ids = {o.customer_id for o in opps if o.customer_id}
    if not ids:
        return {}
    return dict(db_session.execute(select(Customer.id, Customer.no).where(Customer.id.in_(ids))).all())


@blp.route("")
class Opportunities(MethodView):
    @blp.arguments(OpportunityQuery, location="query")
    @blp.response(200, OpportunityPage)
    @requires("opportunity.view")
    def get(self, args):
        """Query opportunities (a customer manager gets only their own)."""
        flt = service.OpportunityFilter(
            customer_name=args.get("customer_name"), summary=args.get("summary"), contact=args.get("contact"),
            status=args.get("status"), assignee_id=args.get("assignee_id"), q=args.get("q"),
            created_from=_day_start_utc(args["created_from"]) if args.get("created_from") else None,
            created_to=_day_start_utc(args["created_to"] + timedelta(days=1)) if args.get("created_to") else None)
        page = paginate(db_session, service.query_statement(user=current_user, flt=flt), args["page"],
                        args["per_page"])
        nos = _customer_nos(page.items)
        return page.as_api(lambda o: dump(o, nos))

    @blp.arguments(OpportunityCreateIn)
    @blp.response(201, OpportunityOut)
    @requires("opportunity.create")
    def post(self, body):
        """Record an opportunity (starts its process); a supervisor may pass assignee_id to assign it at once."""
        assignee = body.pop("assignee_id", None)
        opp = service.create_opportunity(db_session, user=current_user, data=body, assignee_id=assignee)
        db_session.commit()
        return dump(opp)


@blp.route("/<int:opportunity_id>")
class OpportunityItem(MethodView):
    @blp.response(200, OpportunityOut)
    @requires("opportunity.view")
    def get(self, opportunity_id):
        """Read one opportunity."""
        return dump(service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id))

    @blp.arguments(OpportunityIn)
    @blp.response(200, OpportunityOut)
    @requires("opportunity.edit")
    def put(self, body, opportunity_id):
        """Replace the fields of an unassigned opportunity (409 once assigned)."""
        return self._update(body, opportunity_id)

    @blp.arguments(OpportunityPatchIn(partial=True))
    @blp.response(200, OpportunityOut)
    @requires("opportunity.edit")
    def patch(self, body, opportunity_id):
        """Change some fields of an unassigned opportunity (409 once assigned)."""
        return self._update(body, opportunity_id)

    @staticmethod
    def _update(body, opportunity_id):
        opp = service.update_opportunity(db_session, user=current_user, opportunity_id=opportunity_id, data=body)
        db_session.commit()
        return dump(opp)

    @blp.response(204)
    @requires("opportunity.edit")
    def delete(self, opportunity_id):
        """Delete an unassigned opportunity (409 once assigned); its content stays in the audit trail."""
        service.delete_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
        db_session.commit()


@blp.route("/<int:opportunity_id>/assign", methods=["POST"])
@blp.arguments(AssignIn)
@blp.response(200, OpportunityOut)
@requires("opportunity.assign")
def assign(body, opportunity_id):
    """Assign to one customer manager (completes the `assign` task)."""
    opp = service.assign_opportunity(db_session, user=current_user, opportunity_id=opportunity_id,
                                     assignee_id=body["assignee"])
    db_session.commit()
    return dump(opp)


@blp.route("/<int:opportunity_id>/close", methods=["POST"])
@blp.arguments(CloseIn)
@blp.response(200, OpportunityOut)
@requires("opportunity.develop")
def close(body, opportunity_id):
    """Close as success (creates the customer and its contact), failure or terminated (completes `develop`)."""
    opp = plan_service.close_opportunity(db_session, user=current_user, opportunity_id=opportunity_id,
                                         outcome=body["outcome"])
    db_session.commit()
    return dump(opp)


@blp.route("/<int:opportunity_id>/plan-items")
class PlanItems(MethodView):
    @blp.response(200, PlanItemList)
    @requires("opportunity.view")
    def get(self, opportunity_id):
        """The development plan, by date."""
        return {"items": plan_service.list_items(db_session, user=current_user, opportunity_id=opportunity_id)}

    @blp.arguments(PlanItemIn)
    @blp.response(201, PlanItemOut)
    @requires("opportunity.develop")
    def post(self, body, opportunity_id):
        """Add a plan item (only while in development, only the assignee)."""
        item = plan_service.add_item(db_session, user=current_user, opportunity_id=opportunity_id,
                                     item_date=body["date"], todo=body["todo"], result=body.get("result"))
        db_session.commit()
        return item


@blp.route("/<int:opportunity_id>/plan-items/<int:item_id>")
class PlanItem(MethodView):
    @blp.response(200, PlanItemOut)
    @requires("opportunity.view")
    def get(self, opportunity_id, item_id):
        """Read one plan item."""
        return plan_service.get_item(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id)

    @blp.arguments(PlanItemPatchIn(partial=True))
    @blp.response(200, PlanItemOut)
    @requires("opportunity.develop")
    def patch(self, body, opportunity_id, item_id):
        """Change date, to-do or record the result (执行效果)."""
        kwargs = {("item_date" if k == "date" else k): v for k, v in body.items()}
        item = plan_service.update_item(db_session, user=current_user, opportunity_id=opportunity_id,
                                        item_id=item_id, **kwargs)
        db_session.commit()
        return item

    @blp.arguments(PlanItemIn)
    @blp.response(200, PlanItemOut)
    @requires("opportunity.develop")
    def put(self, body, opportunity_id, item_id):
        """Replace date, to-do and result."""
        item = plan_service.update_item(db_session, user=current_user, opportunity_id=opportunity_id,
                                        item_id=item_id, item_date=body["date"], todo=body["todo"],
                                        result=body.get("result"))
        db_session.commit()
        return item

    @blp.response(204)
    @requires("opportunity.develop")
    def delete(self, opportunity_id, item_id):
        """Remove a plan item."""
        plan_service.remove_item(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id)
        db_session.commit()
