"""Customer development plan (SPEC §4): plan items (date + to-do) and their results (执行效果).

Plan items are domain actions, not task completions: they are allowed while the process waits at `develop`, and
only for the manager it is assigned to. Every change is written to the opportunity's audit trail (its history).
"""

from flask_babel import gettext as _
from sqlalchemy import select

from app.common.date_range import as_date
from app.common.errors import Forbidden, NotFound, ValidationFailed
from app.common.ui import local_day
from app.sales.models import PlanItem
from app.sales import service
from app.sales.service import DEVELOP_STEP, audit, get_opportunity, lock_process, require_step

TODO_MAX = 500
RESULT_MAX = 500
_UNSET = object()


def clean_item(*, item_date=_UNSET, todo=_UNSET, result=_UNSET, not_before=None):
    """Validate the given plan-item fields (those left unset are not touched); raises ValidationFailed.
    `not_before`: the earliest date a plan item may have (the opportunity's creation day)."""
    errors, out = {}, {}
    if item_date is not _UNSET:
        parsed = as_date(item_date)
        if parsed is None:
            errors["date"] = [_("Enter a date (YYYY-MM-DD).")]
        elif not_before is not None and parsed < not_before:
            errors["date"] = [_("The date cannot be before the opportunity was created (%(day)s).",
                                day=not_before.isoformat())]
        out["date"] = parsed
    if todo is not _UNSET:
        text = todo.strip() if isinstance(todo, str) else todo
        if not text:
            errors["todo"] = [_("This field is required.")]
        elif not isinstance(text, str):
            errors["todo"] = [_("Must be text.")]
        elif len(text) > TODO_MAX:
            errors["todo"] = [_("At most %(n)s characters (now %(m)s).", n=TODO_MAX, m=len(text))]
        out["todo"] = text
    if result is not _UNSET:
        text = result.strip() if isinstance(result, str) else result
        if text is not None and not isinstance(text, str):
            errors["result"] = [_("Must be text.")]
        elif text and len(text) > RESULT_MAX:
            errors["result"] = [_("At most %(n)s characters (now %(m)s).", n=RESULT_MAX, m=len(text))]
        out["result"] = text or None
    if errors:
        raise ValidationFailed(errors)
    return out


def _developing(db, *, user, opportunity_id):
    """The opportunity, if the process is at `develop` and `user` is the manager developing it."""
    opp = lock_process(db, get_opportunity(db, user=user, opportunity_id=opportunity_id))
    require_step(db, opp, DEVELOP_STEP, _("The plan can be changed only while the opportunity is in development."))
    if opp.assignee_id != user.id:
        raise Forbidden(_("Only the assigned customer manager works on this plan."))
    return opp


def _created_day(opp):
    """The opportunity's creation day in the company's time zone (plan dates are local calendar days)."""
    return local_day(opp.created_at) if opp.created_at else None


def _item(db, opp, item_id):
    item = db.scalar(select(PlanItem).where(PlanItem.id == item_id, PlanItem.opportunity_id == opp.id))
    if item is None:
        raise NotFound(_("Plan item %(id)s not found.", id=item_id))
    return item


def _snapshot(item):
    return {"id": item.id, "date": item.date.isoformat() if item.date else None, "todo": item.todo,
            "result": item.result}


def list_items(db, *, user, opportunity_id):
    opp = get_opportunity(db, user=user, opportunity_id=opportunity_id)
    return db.scalars(select(PlanItem).where(PlanItem.opportunity_id == opp.id)
                      .order_by(PlanItem.date, PlanItem.id)).all()


def get_item(db, *, user, opportunity_id, item_id):
    return _item(db, get_opportunity(db, user=user, opportunity_id=opportunity_id), item_id)


def add_item(db, *, user, opportunity_id, item_date, todo, result=None):
    opp = _developing(db, user=user, opportunity_id=opportunity_id)
    fields = clean_item(item_date=item_date, todo=todo, result=result, not_before=_created_day(opp))
    item = PlanItem(opportunity_id=opp.id, **fields)
    db.add(item)
    db.flush()
    audit(db, opp=opp, action="plan_item_added", user=user, data=_snapshot(item))
    return item


def update_item(db, *, user, opportunity_id, item_id, item_date=_UNSET, todo=_UNSET, result=_UNSET):
    """Change any of date, to-do and result; a change of the result alone is logged as a recorded result."""
    opp = _developing(db, user=user, opportunity_id=opportunity_id)
    item = _item(db, opp, item_id)
    fields = clean_item(item_date=item_date, todo=todo, result=result, not_before=_created_day(opp))
    changes = {k: v for k, v in fields.items() if getattr(item, k) != v}
    for name, value in changes.items():
        setattr(item, name, value)
    if changes:
        action = "plan_item_result" if set(changes) == {"result"} else "plan_item_updated"
        audit(db, opp=opp, action=action, user=user, data=_snapshot(item))
    return item


def record_result(db, *, user, opportunity_id, item_id, result):
    return update_item(db, user=user, opportunity_id=opportunity_id, item_id=item_id, result=result)


def remove_item(db, *, user, opportunity_id, item_id):
    opp = _developing(db, user=user, opportunity_id=opportunity_id)
    item = _item(db, opp, item_id)
    audit(db, opp=opp, action="plan_item_removed", user=user, data=_snapshot(item))
    db.delete(item)
    db.flush()


def has_recorded_result(db, opp) -> bool:
    return db.scalar(select(PlanItem.id).where(PlanItem.opportunity_id == opp.id, PlanItem.result.is_not(None),
                                               PlanItem.result != "").limit(1)) is not None


def close_opportunity(db, *, user, opportunity_id, outcome):
    """Close the opportunity; as succeeded only once the plan has at least one recorded result (a success without
    any executed plan step is a data-entry slip, not a customer won). The instance lock is taken first, so a
    result removed at the same moment cannot slip under the check."""
    if outcome == "success":
        opp = lock_process(db, get_opportunity(db, user=user, opportunity_id=opportunity_id))
        # Elsewhere than `develop` the process itself refuses the close (409 naming where it waits).
        at_develop = DEVELOP_STEP in service.step_ids(service.current_steps(db, opp))
        if at_develop and not has_recorded_result(db, opp):
            raise ValidationFailed({"outcome": [
                _("Record the result of at least one plan item before closing as succeeded.")]})
    return service.close_opportunity(db, user=user, opportunity_id=opportunity_id, outcome=outcome)
