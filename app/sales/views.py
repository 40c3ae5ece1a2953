"""Opportunity pages: list and export, record, edit, delete, assign. Development pages: develop_views.py."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.guard import requires, sees_all
from app.auth.models import User
from app.common.dates import day_range_message, in_filter_range
from app.common.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.common.ui import local_time, model_text
from app.db import db_session
from app.common.process_steps import where_it_waits
from app.sales import process, service
from app.common.forms import apply_errors
from app.sales.forms import AssignForm, OpportunityFilterForm, OpportunityForm
from app.sales.labels import status_label
from processes.api import ConcurrentUpdate, EngineError, WrongStep

# The process binding (key, steps, worklists, inbox links, record access): app/sales/process.py.
bp = Blueprint("sales", __name__, url_prefix="/sales")


def user_names(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db_session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def manager_choices(blank=None):
    choices = [SelectChoice(m.id, m.name) for m in service.managers(db_session)]
    return ([SelectChoice(0, blank)] if blank else []) + choices


@bp.route("/to-assign")
@requires("opportunity.assign")
def to_assign():
    """Opportunities whose process waits for the assignment (the inbox's assign tasks)."""
    return _worklist("sales.to_assign", _("Opportunities to assign"))


@bp.route("/to-develop")
@requires("opportunity.develop")
def to_develop():
    """Opportunities whose process waits for the current user's development."""
    return _worklist("sales.to_develop", _("Opportunities to develop"))


def _worklist(endpoint, title):
    page = paginate(db_session, process.worklist_statement(endpoint, current_user), *page_args())
    steps = process.open_steps_by_opportunity(db_session, [o.id for o in page.items])
    names = user_names([o.assignee_id for o in page.items] + [o.created_by for o in page.items])
    return render_template("sales/worklist.html", page=page, title=title, endpoint=endpoint, names=names,
                           steps=steps, status_label=status_label)


def _utc_midnight(day: date):
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _parse_filter_date(field):
    if not field.data or field.errors:  # an impossible range: said beside the field, left out of the query
        return None
    try:
        day = date.fromisoformat(field.data.strip())
    except ValueError:
        field.errors = [_("Enter a date (YYYY-MM-DD).")]
        return None
    if not in_filter_range(day):  # its midnight in UTC, or the next one, would overflow at the calendar's edges
        field.errors = [day_range_message()]
        return None
    return day


def _filters(form):
    start, end = _parse_filter_date(form.created_from), _parse_filter_date(form.created_to)
    assignee = form.assignee_id.data
    status = form.status.data if service.valid_status(form.status.data) else None
    return service.OpportunityFilter(
        customer_name=(form.customer_name.data or "").strip() or None,
        summary=(form.summary.data or "").strip() or None,
        contact=(form.contact.data or "").strip() or None,
        status=status,
        assignee_id=int(assignee) if assignee and str(assignee).isdigit() else None,
        created_from=_utc_midnight(start) if start else None,
        created_to=_utc_midnight(end + timedelta(days=1)) if end else None,
        q=(request.args.get("q") or "").strip() or None)


@bp.route("/opportunities")
@requires("opportunity.view")
def list_opportunities():
    form = OpportunityFilterForm(request.args)
    form.created_to.validate(form)  # the range rule (app/common/date_range.py)
    form.assignee_id.choices = [SelectChoice("", _("All"))] + [SelectChoice(str(c.value), c.label)
                                                                 for c in manager_choices()]
    stmt = service.query_statement(user=current_user, flt=_filters(form))
    if wants_export():
        return _export(db_session.scalars(stmt).all())
    page = paginate(db_session, stmt, *page_args())
    names = user_names([o.assignee_id for o in page.items] + [o.created_by for o in page.items])
    status = 422 if form.created_from.errors or form.created_to.errors else 200
    return render_template("sales/list.html", form=form, page=page, names=names, status_label=status_label,
                           show_assignee_filter=sees_all(current_user)), status


def _export(rows):
    names = user_names([o.assignee_id for o in rows] + [o.created_by for o in rows])
    labels = {code: status_label(code) for code in {o.status for o in rows}}  # translate once, not per row
    headers = [_("No."), _("Source"), _("Customer name"), _("Success probability"), _("Summary"), _("Contact"),
               _("Contact phone"), _("Description"), _("Created by"), _("Created at"), _("Assignee"),
               _("Assigned at"), _("Status")]
    data = ([o.id, o.source or "", o.customer_name, o.probability, o.summary, o.contact or "", o.contact_phone or "",
             o.description, names.get(o.created_by, ""), local_time(o.created_at), names.get(o.assignee_id, ""),
             local_time(o.assigned_at), labels[o.status]] for o in rows)
    return xlsx_response("opportunities.xlsx", headers, data)


@bp.route("/opportunities/new", methods=["GET", "POST"])
@requires("opportunity.create")
def create_opportunity():
    form = OpportunityForm()
    can_assign = current_user.can("opportunity.assign")
    form.assignee_id.choices = manager_choices(blank=_("Assign later"))
    if request.method == "POST":
        assignee = form.assignee_id.data if can_assign and form.assignee_id.data else None
        try:
            opp = service.create_opportunity(db_session, user=current_user, data=form.values(), assignee_id=assignee)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
            return render_template("sales/form.html", form=form, opp=None, can_assign=can_assign), 422
        db_session.commit()
        flash(_("Opportunity %(id)s recorded.", id=opp.id), "success")
        return redirect(url_for("sales.show_opportunity", opportunity_id=opp.id))
    return render_template("sales/form.html", form=form, opp=None, can_assign=can_assign)


# 4xx answers that mean "not now" or "not you": the page says why instead of showing an error page.
REFUSALS = (EngineError, Conflict, Forbidden)


def refusal_message(err):
    """Why the process refused a page action, saying where it waits now and who holds it."""
    if isinstance(err, service.StepRefused):  # a sales rule, already translated, then where the process is
        return f"{err.detail} {where_it_waits(db_session, err.extra.get('current_steps') or [])}"
    if isinstance(err, ServiceError):
        return err.detail  # written by the sales services, already translated
    if isinstance(err, WrongStep):
        steps = err.extra.get("current_steps") or []
        if not steps:
            return _("This cannot be done any more: the opportunity's process has ended.")
        return where_it_waits(db_session, steps)
    if isinstance(err, ConcurrentUpdate):
        return _("Someone changed this opportunity at the same moment; look at it again and retry.")
    return _("You may not do this step.")


def refuse(err, opp_id, anchor="top"):
    db_session.rollback()
    flash(refusal_message(err), "warning")
    return redirect(url_for("sales.show_opportunity", opportunity_id=opp_id) + f"#{anchor}")


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
@requires("opportunity.edit")
def edit_opportunity(opportunity_id):
    opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
    form = OpportunityForm(obj=None if request.method == "POST" else opp)
    if request.method == "POST":
        try:
            service.update_opportunity(db_session, user=current_user, opportunity_id=opp.id, data=form.values())
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
            return render_template("sales/form.html", form=form, opp=opp, can_assign=False), 422
        except REFUSALS as err:
            if err.status >= 500:
                raise
            # The form again with what was typed, saying where the process waits now.
            db_session.rollback()
            return render_template("sales/form.html", form=form, opp=opp, can_assign=False,
                                   refusal=refusal_message(err)), 409
        db_session.commit()
        flash(_("Opportunity %(id)s saved.", id=opp.id), "success")
        return redirect(url_for("sales.show_opportunity", opportunity_id=opp.id))
    if process.ASSIGN_STEP not in process.step_ids(process.current_steps(db_session, opp)):
        flash(_("Only an unassigned opportunity can be changed or deleted."), "warning")
        return redirect(url_for("sales.show_opportunity", opportunity_id=opp.id))
    return render_template("sales/form.html", form=form, opp=opp, can_assign=False)


@bp.route("/opportunities/<int:opportunity_id>/delete", methods=["POST"])
@requires("opportunity.edit")
def delete_opportunity(opportunity_id):
    try:
        opp = service.delete_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
    except REFUSALS as err:
        if err.status >= 500:
            raise
        return refuse(err, opportunity_id)
    db_session.commit()
    flash(_("Opportunity %(id)s (%(name)s) deleted.", id=opp.id, name=opp.customer_name), "success")
    return redirect(url_for("sales.list_opportunities"))


@bp.route("/opportunities/<int:opportunity_id>/assign", methods=["GET", "POST"])
@requires("opportunity.assign")
def assign_opportunity(opportunity_id):
    opp = service.get_opportunity(db_session, user=current_user, opportunity_id=opportunity_id)
    form = AssignForm()
    form.assignee_id.choices = manager_choices(blank=_("Choose…"))
    steps = process.current_steps(db_session, opp)

    def page(status=200, **extra):
        return render_template("sales/assign.html", form=form, opp=opp, back=_back_url(),
                               step_title=_step_title(steps), **extra), status

    if request.method == "POST":
        try:
            service.assign_opportunity(db_session, user=current_user, opportunity_id=opp.id,
                                       assignee_id=form.assignee_id.data or None)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
            return page(422)
        except REFUSALS as err:
            if err.status >= 500:
                raise
            db_session.rollback()
            return page(err.status, refusal=refusal_message(err))
        db_session.commit()
        flash(_("Opportunity %(id)s assigned to %(name)s.", id=opp.id,
                name=user_names([opp.assignee_id]).get(opp.assignee_id, "")), "success")
        return redirect(_back_url())
    if process.ASSIGN_STEP not in process.step_ids(steps):
        flash(where_it_waits(db_session, steps), "warning")
        return redirect(url_for("sales.show_opportunity", opportunity_id=opp.id))
    return page()


def _step_title(steps):
    """The page is named as the diagram names its step (an analyst may rename it); the fixed name otherwise."""
    step = next((s for s in steps if s["bpmn_id"] == process.ASSIGN_STEP), None)
    return model_text(step["name"]) if step and step.get("name") else _("Assign opportunity")


def _back_url():
    """Where the assign page returns to: the inbox when opened from it, else the list (local paths only)."""
    target = request.args.get("next") or ""
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if safe else url_for("sales.list_opportunities")


from app.sales import develop_views  # noqa: E402,F401  (registers the development routes on bp)
