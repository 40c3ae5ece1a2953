"""The opportunity page: details; while in development the plan (items, results) and the close actions;
once closed, read-only with the whole plan and the history."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guard import requires
from app.common.errors import ValidationFailed
from app.db import db_session
from app.sales import history, plan_service, service
from app.common.forms import apply_errors
from app.sales.forms import PlanItemForm, ResultForm
from app.sales.labels import OUTCOME_LABELS, status_label
from app.common.process_steps import holders
from app.sales.views import REFUSALS, bp, refusal_message, user_names


def _render(opp, *, status=200, add_form=None, item_forms=None, refusal=None, outcome=None, close_errors=()):
    steps = service.current_steps(db_session, opp)
    step_ids = service.step_ids(steps)
    developing = (service.DEVELOP_STEP in step_ids and opp.assignee_id == current_user.id
                  and current_user.can("opportunity.develop"))
    items = plan_service.list_items(db_session, user=current_user, opportunity_id=opp.id)
    item_forms = item_forms or {}
    held_items = set(item_forms) if refusal else set()  # refused edits: their forms stay, with what was typed
    for item in items:
        if item.id not in item_forms:
            item_forms[item.id] = (PlanItemForm(prefix=f"i{item.id}", data={"date": item.date.isoformat(),
                                                                              "todo": item.todo}),
                                   ResultForm(prefix=f"r{item.id}", data={"result": item.result}))
    entries = history.entries(db_session, opp)
    names = user_names([opp.created_by, opp.assignee_id])
    return render_template(
        "sales/detail.html", opp=opp, items=items, item_forms=item_forms, add_form=add_form or PlanItemForm(prefix="new"),
        developing=developing, step_names=holders(db_session, steps), history=entries, refusal=refusal,
        chosen_outcome=outcome, held_items=held_items, close_errors=close_errors,
        held_add=bool(refusal and add_form is not None and (add_form.todo.data or add_form.date.data)),
        names=names, status_label=status_label,
        outcomes=OUTCOME_LABELS, customer=history.customer_of(db_session, opp),
        config_endpoints=current_app.view_functions,
        can_edit=service.ASSIGN_STEP in step_ids and current_user.can("opportunity.edit"),
        can_assign=service.ASSIGN_STEP in step_ids and current_user.can("opportunity.assign")), status


@bp.route("/opportunities/<int:opportunity_id>")
@requires("opportunity.view")
def show_opportunity(opportunity_id):
    opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
    return _render(opp)


def _back(opp_id, anchor="plan"):
    return redirect(url_for("sales.show_opportunity", opportunity_id=opp_id) + f"#{anchor}")


def _refused(err, opp_id, **forms):
    """A plan change or close the process does not allow now: the page again with what the user entered, saying
    where the process waits now and who holds it (409)."""
    if err.status >= 500:
        raise err
    db_session.rollback()
    opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opp_id)
    return _render(opp, status=err.status, refusal=refusal_message(err), **forms)


def _item_of(opportunity_id, item_id):
    return plan_service.get_item(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id)


def _result_form(opportunity_id, item_id):
    return ResultForm(prefix=f"r{item_id}", formdata=None, data={"result": _item_of(opportunity_id, item_id).result})


def _plan_form(opportunity_id, item_id):
    item = _item_of(opportunity_id, item_id)
    return PlanItemForm(prefix=f"i{item_id}", formdata=None, data={"date": item.date.isoformat(), "todo": item.todo})


@bp.route("/opportunities/<int:opportunity_id>/plan-items", methods=["POST"])
@requires("opportunity.develop")
def add_plan_item(opportunity_id):
    form = PlanItemForm(prefix="new")
    try:
        plan_service.add_item(db_session, user=current_user, opportunity_id=opportunity_id,
                              item_date=form.date.data, todo=form.todo.data)
    except ValidationFailed as err:
        db_session.rollback()
        apply_errors(form, err.errors)
        opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
        return _render(opp, status=422, add_form=form)
    except REFUSALS as err:
        return _refused(err, opportunity_id, add_form=form)
    db_session.commit()
    flash(_("Plan item added."), "success")
    return _back(opportunity_id)


@bp.route("/opportunities/<int:opportunity_id>/plan-items/<int:item_id>", methods=["POST"])
@requires("opportunity.develop")
def update_plan_item(opportunity_id, item_id):
    form = PlanItemForm(prefix=f"i{item_id}")
    try:
        plan_service.update_item(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id,
                                 item_date=form.date.data, todo=form.todo.data)
    except ValidationFailed as err:
        db_session.rollback()
        apply_errors(form, err.errors)
        opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
        item = plan_service.get_item(db_session, user=current_user, opportunity_id=opp.id, item_id=item_id)
        return _render(opp, status=422, item_forms={item_id: (form, ResultForm(prefix=f"r{item_id}",
                                                                               data={"result": item.result}))})
    except REFUSALS as err:
        return _refused(err, opportunity_id, item_forms={item_id: (form, _result_form(opportunity_id, item_id))})
    db_session.commit()
    flash(_("Plan item saved."), "success")
    return _back(opportunity_id, f"item-{item_id}")


@bp.route("/opportunities/<int:opportunity_id>/plan-items/<int:item_id>/result", methods=["POST"])
@requires("opportunity.develop")
def record_result(opportunity_id, item_id):
    form = ResultForm(prefix=f"r{item_id}")
    try:
        plan_service.record_result(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id,
                                   result=form.result.data)
    except ValidationFailed as err:
        db_session.rollback()
        apply_errors(form, err.errors)
        opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
        item = plan_service.get_item(db_session, user=current_user, opportunity_id=opp.id, item_id=item_id)
        plan_form = PlanItemForm(prefix=f"i{item_id}", data={"date": item.date.isoformat(), "todo": item.todo})
        return _render(opp, status=422, item_forms={item_id: (plan_form, form)})
    except REFUSALS as err:
        return _refused(err, opportunity_id, item_forms={item_id: (_plan_form(opportunity_id, item_id), form)})
    db_session.commit()
    flash(_("Result recorded."), "success")
    return _back(opportunity_id, f"item-{item_id}")


@bp.route("/opportunities/<int:opportunity_id>/plan-items/<int:item_id>/delete", methods=["POST"])
@requires("opportunity.develop")
def remove_plan_item(opportunity_id, item_id):
    try:
        plan_service.remove_item(db_session, user=current_user, opportunity_id=opportunity_id, item_id=item_id)
    except REFUSALS as err:
        return _refused(err, opportunity_id)
    db_session.commit()
    flash(_("Plan item removed."), "success")
    return _back(opportunity_id)


@bp.route("/opportunities/<int:opportunity_id>/close", methods=["POST"])
@requires("opportunity.develop")
def close_opportunity(opportunity_id):
    outcome = request.form.get("outcome", "")
    try:
        opp = plan_service.close_opportunity(db_session, user=current_user, opportunity_id=opportunity_id,
                                             outcome=outcome)
    except ValidationFailed as err:
        # The rule's message stays beside the close buttons (422), the page as it was.
        db_session.rollback()
        opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
        return _render(opp, status=422, outcome=outcome,
                       close_errors=[m for msgs in err.errors.values() for m in msgs])
    except REFUSALS as err:
        return _refused(err, opportunity_id, outcome=outcome)
    db_session.commit()
    flash(_("Opportunity %(id)s closed: %(outcome)s.", id=opp.id, outcome=OUTCOME_LABELS[outcome]), "success")
    return _back(opportunity_id, "top")
