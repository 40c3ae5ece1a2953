"""Churn pages: the list (filters, paging, Excel), the case page with its decisions, and the on-demand scan."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.guard import requires, sees_all
from app.auth.models import Role, User
from app.churn import process, service
from app.churn.forms import (INSTANCE_LABELS, STATUS_LABELS, ConfirmForm, FilterForm, PostponeForm,
                             choices)
from app.churn.scan_service import run_configured_scan
from app.common.errors import ServiceError, ValidationFailed
from app.common.forms import apply_errors
from app.common.process_steps import holders, where_it_waits
from app.common.ints import db_int
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.common.ui import local_time
from app.db import db_session
from processes.api import EngineError, FormInvalid, WrongStep

# The process binding (key, step, worklist, inbox links, record access): app/churn/process.py.
bp = Blueprint("churn", __name__, url_prefix="/churn")


def _managers():
    return db_session.scalars(select(User).join(User.role).where(Role.code == "customer_manager")
                              .order_by(User.name)).all()


@bp.route("/")
@requires("churn.view")
def list_cases():
    form = FilterForm(request.args)
    form.manager_id.choices = choices([("", _("All"))] + [(str(u.id), u.name) for u in _managers()])
    form.validate()
    stmt = service.query_cases(user=current_user, customer=form.customer.data,
                               manager_id=db_int(form.manager_id.data),
                               status=form.status.data or None, q=request.args.get("q"))
    if wants_export():
        return xlsx_response("churn-cases.xlsx", _export_headers(), _export_rows(stmt))
    page = paginate(db_session, stmt, *page_args())
    return render_template("churn/list.html", page=page, form=form, labels=STATUS_LABELS,
                           show_manager_filter=sees_all(current_user))


@bp.route("/to-handle")
@requires("churn.handle")
def to_handle():
    """The cases whose process waits for the current manager's decision (the inbox's churn tasks)."""
    page = paginate(db_session, process.worklist_statement(current_user), *page_args())
    return render_template("churn/worklist.html", page=page, labels=STATUS_LABELS)


def _export_headers():
    return [_("Case"), _("Customer no."), _("Customer"), _("Customer manager"), _("Last order date"),
            _("Status"), _("Warned at"), _("Measures"), _("Reason"), _("Confirmed lost at")]


def _export_rows(stmt):
    for case in db_session.scalars(stmt):
        yield [case.id, case.customer.no, case.customer.name, case.manager.name if case.manager else "",
               case.last_order_date.isoformat() if case.last_order_date else "", str(STATUS_LABELS[case.status]),
               local_time(case.created_at), "\n".join(m.text for m in case.measures), case.reason or "",
               local_time(case.confirmed_at)]


def _render_case(case, postpone_form=None, confirm_form=None, status=200, refusal=None):
    instance = process.latest_instance(db_session, case)
    steps = process.current_steps(db_session, case)
    can_handle = service.can_handle(db_session, current_user, case)
    return render_template("churn/case.html", case=case, labels=STATUS_LABELS, instance=instance,
                           instance_labels=INSTANCE_LABELS, step_names=holders(db_session, steps),
                           last_order=process.last_order_text(db_session, case),
                           # a refused decision keeps its form on the page with what was typed
                           can_handle=can_handle or refusal is not None, refusal=refusal,
                           postpone_form=postpone_form or PostponeForm(formdata=None),
                           confirm_form=confirm_form or ConfirmForm(formdata=None)), status


@bp.route("/<int:case_id>")
@requires("churn.view")
def show_case(case_id):
    return _render_case(service.get_case(db_session, user=current_user, case_id=case_id))


_ENGINE_MESSAGES = {
    "wrong_step": lambda: _("The case is not waiting for a decision now (it may be waiting for its re-check)."),
    "conflict": lambda: _("Someone else changed this case meanwhile; reload the page and try again."),
    "task_forbidden": lambda: _("Only the customer's manager can handle this churn case."),
}


def _refusal(err):
    """Why a decision was refused, in the user's language (engine details are English for API clients): where the
    process waits now and who holds it, else what the engine said."""
    steps = err.extra.get("current_steps") if isinstance(err, WrongStep) else None
    if steps:
        return where_it_waits(db_session, steps)
    if isinstance(err, ServiceError):
        return err.detail
    return _ENGINE_MESSAGES.get(err.code, lambda: _("The process could not take this decision now."))()


def _decide(case_id, form, field, action, done_message):
    case = service.get_case(db_session, user=current_user, case_id=case_id)
    if form.validate_on_submit():
        try:
            action(db_session, user=current_user, case_id=case_id, **{field: form[field].data})
            db_session.commit()
            flash(done_message, "success")
            return redirect(url_for("churn.show_case", case_id=case_id))
        except (ValidationFailed, FormInvalid) as err:
            db_session.rollback()
            apply_errors(form, err.extra.get("errors") or {field: [err.detail]})
        except (ServiceError, EngineError) as err:  # wrong step, closed case, another manager
            db_session.rollback()
            forms = {"postpone_form": form} if field == "measure" else {"confirm_form": form}
            return _render_case(db_session.get(type(case), case_id), status=err.status, refusal=_refusal(err),
                                **forms)
    forms = {"postpone_form": form} if field == "measure" else {"confirm_form": form}
    return _render_case(db_session.get(type(case), case_id), status=422, **forms)


@bp.route("/<int:case_id>/postpone", methods=["POST"])
@requires("churn.handle")
def postpone(case_id):
    return _decide(case_id, PostponeForm(), "measure", service.postpone_case,
                   _("Churn postponed; the measure is recorded and the customer will be re-checked."))


@bp.route("/<int:case_id>/confirm", methods=["POST"])
@requires("churn.handle")
def confirm(case_id):
    return _decide(case_id, ConfirmForm(), "reason", service.confirm_case,
                   _("Churn confirmed; the customer is now marked as lost."))


@bp.route("/scan", methods=["POST"])
@requires("churn.scan")
def scan():
    result = run_configured_scan(db_session, user_id=current_user.id)
    db_session.commit()
    flash(_("Churn scan done (last orders before %(cutoff)s): %(n)s new warnings.",
            cutoff=result.cutoff.isoformat(), n=result.created), "success")
    return redirect(url_for("churn.list_cases"))
