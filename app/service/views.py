"""Service pages: create, dispatch list, my handling, feedback, archive query and the request page."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.guard import requires
from app.auth.models import User
from app.common.errors import Conflict, ValidationFailed
from app.common.forms import apply_errors
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.db import db_session
from app.common.process_steps import holders, where_it_waits
from app.service import actions, deadlines, history, process
from app.service import service as svc
from app.service.forms import ArchiveFilter, CreateForm, DispatchForm, FeedbackForm, HandleForm
from app.service.labels import STATUS_LABELS, stars, status_label
from app.service.models import SERVICE_STATUSES, ServiceRequest
from processes.api import TaskForbidden, WrongStep, utcnow

# The process binding (key, steps, worklists, inbox links, record access): app/service/process.py.
bp = Blueprint("service", __name__, url_prefix="/service")

_FIELD_ALIASES = {"assignee": "assignee_id"}


@bp.app_template_filter("service_status")
def _status_filter(code):
    return status_label(code)


@bp.app_template_filter("service_type")
def _type_filter(item):
    """A service type (a dictionary item, as stored on the request) in the UI language."""
    return svc.service_type_labels(db_session).get(item, item or "")


@bp.app_template_filter("service_overdue")
def _overdue_filter(due):
    return due is not None and due < utcnow()


@bp.app_template_filter("service_role")
def _role_filter(code):
    from app.auth.rights_catalog import ROLES
    return str(ROLES[code][0]) if code in ROLES else (code or "")


@bp.app_template_filter("service_json")
def _json_filter(data):
    import json
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


@bp.app_template_filter("service_stars")
def _stars_filter(n):
    return stars(n)


def _put_errors(form, exc: ValidationFailed):
    """API names (assignee, customer_no) map onto this page's fields; messages come translated from the service."""
    apply_errors(form, {_FIELD_ALIASES.get(k, k): v for k, v in exc.errors.items()})


def _refusal(exc):
    """Why a page action was refused: where the process waits now and who holds it (someone else was quicker, a
    timer moved it, or an analyst added a step), or that the step is someone else's."""
    if isinstance(exc, WrongStep):
        return where_it_waits(db_session, exc.extra.get("current_steps") or [])
    return _("This task is not yours to complete.")


def _list(stmt, template, export_name, **ctx):
    # Names only: skip the roles and rights a User row would otherwise bring along.
    stmt = stmt.options(*(selectinload(rel).lazyload(User.role) for rel in
                          (ServiceRequest.creator, ServiceRequest.assignee, ServiceRequest.handler)))
    if wants_export():
        rows = db_session.scalars(stmt.limit(50_000))
        return xlsx_response(export_name, _export_headers(), (_export_row(sr) for sr in rows))
    page = paginate(db_session, stmt, *page_args())
    tasks = history.open_tasks_by_request(db_session, [sr.id for sr in page.items])
    return render_template(template, page=page, tasks=tasks, **ctx)


def _export_headers():
    return [_("No."), _("Service type"), _("Summary"), _("Customer"), _("Created by"), _("Created at"),
            _("Handler"), _("Status"), _("Satisfaction"), _("Rounds")]


def _export_row(sr):
    from app.common.ui import local_time
    return [sr.id, sr.type, sr.summary, sr.customer.name, sr.creator.name if sr.creator else "",
            local_time(sr.created_at), sr.assignee.name if sr.assignee else "", status_label(sr.status),
            sr.satisfaction or "", sr.rounds]


@bp.route("/new", methods=["GET", "POST"])
@requires("service.create")
def create_request():
    form = CreateForm()
    form.type.choices = [("", _("Choose…"))] + list(svc.service_type_labels(db_session).items())
    if form.validate_on_submit():
        try:
            sr, _instance = svc.create_request(db_session, user=current_user, type=form.type.data,
                                               summary=form.summary.data,
                                               customer_no=form.customer_no.data.strip().upper(),
                                               request=form.request.data, limits=deadlines.settings(current_app.config))
        except ValidationFailed as exc:
            db_session.rollback()
            _put_errors(form, exc)
        else:
            db_session.commit()
            flash(_("Service request %(id)s recorded; it waits for dispatch.", id=sr.id), "success")
            return redirect(url_for("service.detail", request_id=sr.id))
    status = 422 if request.method == "POST" else 200
    chosen = svc.visible_customer(db_session, current_user, form.customer_no.data) if form.customer_no.data else None
    return render_template("service/create.html", form=form, chosen_name=chosen.name if chosen else None), status


@bp.route("/dispatch")
@requires("service.dispatch")
def dispatch_list(row_errors=None, status=200, held=None):
    stmt = _worklist("service.dispatch_list")
    handlers = svc.handlers(db_session)
    result = _list(stmt, "service/dispatch.html", "service-dispatch.xlsx", handlers=handlers,
                   row_errors=row_errors or {}, chosen=request.form, held=held)
    return result if status == 200 else (result, status)


def _worklist(endpoint):
    """The requests whose process waits at this list's step (not their status), newest first, as the archive
    query lists them (customer joined for its name)."""
    _right, condition = process.WORKLISTS[endpoint]
    return svc.query_requests(db_session, user=current_user, filters={}).where(condition(current_user))


def _held(request_id, exc):
    """A row action refused because the process is elsewhere: the request, why, and what the user entered, so the
    list shows it again above the rows (it is not on the list while the process waits elsewhere)."""
    sr = svc.get_request(db_session, user=current_user, request_id=request_id)
    return {"sr": sr, "message": _refusal(exc), "entered": request.form}


@bp.route("/<int:request_id>/dispatch", methods=["POST"])
@requires("service.dispatch")
def dispatch(request_id):
    form = DispatchForm()
    form.assignee_id.choices = [(u.id, u.name) for u in svc.handlers(db_session)]
    if not form.validate_on_submit():
        return dispatch_list(row_errors={request_id: [_("Choose an active customer manager.")]}, status=422)
    try:
        actions.dispatch(db_session, user=current_user, request_id=request_id, assignee_id=form.assignee_id.data)
    except ValidationFailed as exc:
        db_session.rollback()
        return dispatch_list(row_errors={request_id: [m for ms in exc.errors.values() for m in ms]}, status=422)
    except (WrongStep, TaskForbidden) as exc:
        db_session.rollback()
        return dispatch_list(held=_held(request_id, exc), status=409)
    db_session.commit()
    flash(_("Service request %(id)s dispatched.", id=request_id), "success")
    return redirect(url_for("service.dispatch_list"))


@bp.route("/<int:request_id>/delete", methods=["POST"])
@requires("service.dispatch")
def delete(request_id):
    try:
        svc.delete_request(db_session, user=current_user, request_id=request_id)
    except Conflict as exc:  # dispatched meanwhile: say so on the list the user came from
        db_session.rollback()
        flash(exc.detail, "warning")
        return redirect(url_for("service.dispatch_list"))
    db_session.commit()
    flash(_("Service request %(id)s deleted.", id=request_id), "success")
    return redirect(url_for("service.dispatch_list"))


@bp.route("/handle")
@requires("service.handle")
def handle_list():
    stmt = _worklist("service.handle_list")
    return _list(stmt, "service/handle_list.html", "service-handling.xlsx")


@bp.route("/<int:request_id>/handle", methods=["GET", "POST"])
@requires("service.handle")
def handle(request_id):
    sr = svc.get_request(db_session, user=current_user, request_id=request_id)
    open_tasks = history.open_tasks_by_request(db_session, [sr.id]).get(sr.id, [])
    if request.method == "GET" and not any(t.bpmn_id == process.HANDLE_STEP and t.assignee_id == current_user.id
                                           for t in open_tasks):
        # Handled already, taken back by an overdue escalation, or someone else's: nothing to do here.
        flash(f'{_("This request is not waiting for your handling.")} {where_it_waits(db_session, open_tasks)}',
              "warning")
        return redirect(url_for("service.detail", request_id=sr.id))
    form = HandleForm()
    if form.validate_on_submit():
        try:
            actions.handle(db_session, user=current_user, request_id=request_id, handling=form.handling.data)
        except ValidationFailed as exc:
            db_session.rollback()
            _put_errors(form, exc)
        except (WrongStep, TaskForbidden) as exc:
            # The page again with the text typed, saying where the process waits now.
            db_session.rollback()
            return render_template("service/handle.html", sr=sr, form=form, tasks={sr.id: open_tasks},
                                   refusal=_refusal(exc)), 409
        else:
            db_session.commit()
            flash(_("Handling of request %(id)s recorded; the service desk will call the customer back.",
                    id=request_id), "success")
            return redirect(url_for("service.handle_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("service/handle.html", sr=sr, form=form, tasks={sr.id: open_tasks}), status


@bp.route("/feedback")
@requires("service.feedback")
def feedback_list(row_errors=None, status=200, held=None):
    stmt = _worklist("service.feedback_list")
    result = _list(stmt, "service/feedback.html", "service-feedback.xlsx", row_errors=row_errors or {},
                   entered=request.form if request.method == "POST" else {},
                   posted_id=request.view_args.get("request_id"), held=held)
    return result if status == 200 else (result, status)


@bp.route("/<int:request_id>/feedback", methods=["POST"])
@requires("service.feedback")
def feedback(request_id):
    form = FeedbackForm()
    if not form.validate_on_submit():
        return feedback_list(row_errors={request_id: form.errors}, status=422)
    try:
        actions.feedback(db_session, user=current_user, request_id=request_id, result=form.result.data,
                         satisfaction=form.satisfaction.data)
    except ValidationFailed as exc:
        db_session.rollback()
        return feedback_list(row_errors={request_id: {k: list(v) for k, v in exc.errors.items()}},
                             status=422)
    except (WrongStep, TaskForbidden) as exc:
        db_session.rollback()
        return feedback_list(held=_held(request_id, exc), status=409)
    db_session.commit()
    sr = db_session.get(ServiceRequest, request_id)
    if sr.status == "archived":
        flash(_("Feedback recorded; request %(id)s is archived.", id=request_id), "success")
    else:
        flash(_("Feedback recorded; the customer is not satisfied, so request %(id)s goes back to its handler.",
                id=request_id), "warning")
    return redirect(url_for("service.feedback_list"))


@bp.route("/archive")
@requires("service.view")
def archive():
    form = ArchiveFilter(request.args)
    form.type.choices = [("", _("All"))] + list(svc.service_type_labels(db_session).items())
    form.status.choices = [("", _("All"))] + [(s, str(STATUS_LABELS[s])) for s in SERVICE_STATUSES]
    valid = form.validate()
    # A field in error (a malformed date, an impossible range) is left out of the query and said beside the field.
    filters = {k: form[k].data for k in ("customer", "summary", "type", "created_from", "created_to", "status")
               if not form[k].errors}
    filters["tz"] = current_app.config["TIMEZONE"]
    stmt = svc.query_requests(db_session, user=current_user, filters=filters)
    result = _list(stmt, "service/archive.html", "service-requests.xlsx", form=form)
    return result if valid or wants_export() else (result, 422)


@bp.route("/<int:request_id>")
@requires("service.view")
def detail(request_id):
    sr = svc.get_request(db_session, user=current_user, request_id=request_id)
    open_tasks = history.open_tasks_by_request(db_session, [sr.id]).get(sr.id, [])
    return render_template("service/detail.html", sr=sr, steps=history.steps(db_session, sr.id),
                           events=history.events(db_session, sr.id), open_tasks=open_tasks,
                           current=holders(db_session, open_tasks))
