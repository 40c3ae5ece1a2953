"""The inbox (the user's home page), claim/unclaim, and the generic task form page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guard import requires
from app.common.listing import page_args, wants_export, xlsx_response
from app.common.ui import local_time, model_text, register_badge
from app.db import db_session
from app.inbox import actor_for, links, service
from app.inbox.forms import build_fields, coerce
from processes import forms as engine_forms
from processes import clock, runtime
from processes.errors import ConcurrentUpdate, FormInvalid, InstanceInError, TaskForbidden, WrongStep
from app.processes_ui.service import may_view_instance
from processes.inspect import step_names
from processes.definitions import parsed_for

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


# The menu badge counts the inbox query itself (with the other badges, in one statement: app.common.ui).
register_badge("inbox.index", "task.view", service.open_tasks_statement)


def _filters():
    args = request.args
    return {"process": args.get("process") or None, "role": args.get("role") or None,
            "due": args.get("due") if args.get("due") in service.DUE_FILTERS else None,
            "sort": args.get("sort") if args.get("sort") in service.SORTS else "waiting",
            "q": (args.get("q") or "").strip() or None,
            "tab": _tab(args.get("tab"))}


def _tab(asked):
    """The inbox opens on the user's work, as does a tab the user does not have ("all" for a user who watches no
    processes, from an old link or bookmark: it listed their work)."""
    return asked if asked in service.tabs_for(current_user) else service.WORK


@bp.route("/")
@requires("task.view")
def index():
    filters = _filters()
    names = {key: model_text(name) for key, name in service.process_names(db_session).items()}  # once, not per row
    if wants_export():
        rows = service.inbox_tasks(db_session, current_user, 50_000, **filters)
        return xlsx_response("tasks.xlsx", [_("Task"), _("Process"), _("Record"), _("Waiting since"), _("Due")],
                             ([model_text(t.name), names.get(t.process_key, t.process_key),
                               t.subject or t.business_key or "", local_time(t.created_at), local_time(t.due_at)]
                              for t in rows))
    counts = service.tab_counts(db_session, current_user, **{k: v for k, v in filters.items()
                                                             if k not in ("tab", "sort")})
    page = service.inbox_page(db_session, current_user, *page_args(), tab_total=counts[filters["tab"]], **filters)
    me = current_user.id
    people = service.user_names(db_session, [t.claimed_by for t in page.items]
                                + [t.assignee_id for t in page.items if t.assignee_id != me])
    return render_template("inbox/index.html", page=page, filters=filters, process_names=names, counts=counts,
                           tabs=service.tabs_for(current_user), count_limit=service.COUNT_LIMIT,
                           task_url=links.task_url, record_url=links.record_url, people=people,
                           now=clock.utcnow())


def _back_to_inbox():
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/inbox") else url_for("inbox.index"))


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@requires("task.view")
def claim(task_id):
    service.visible_task(db_session, current_user, task_id)
    try:
        runtime.claim_task(db_session, task_id, actor=actor_for(current_user))
        db_session.commit()
        flash(_("You took the task; the others of your role no longer see it."), "success")
    except (ConcurrentUpdate, WrongStep):
        db_session.rollback()
        flash(_("Someone else has already taken or finished this task."), "warning")
    except TaskForbidden:
        db_session.rollback()
        flash(_("You do not have the right to do this."), "warning")
    return _back_to_inbox()


@bp.route("/tasks/claim", methods=["POST"])
@requires("task.view")
def claim_selected():
    """Take the ticked tasks at once; those someone else took meanwhile are named, the others stay taken."""
    ids = [int(v) for v in request.form.getlist("task_ids") if v.isdigit() and len(v) < 10][:service.CLAIM_MAX]
    if not ids:
        flash(_("Tick the tasks to take first."), "warning")
        return _back_to_inbox()
    results = service.claim_many(db_session, current_user, actor_for(current_user), ids)
    db_session.commit()
    taken = sum(1 for r in results if r["status"] == "claimed")
    if taken:
        flash(_("You took %(n)s tasks; the others of your role no longer see them.", n=taken), "success")
    if taken < len(results):
        flash(_("%(n)s tasks could not be taken (someone else took them, or they are not yours to take).",
                n=len(results) - taken), "warning")
    return _back_to_inbox()


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@requires("task.view")
def unclaim(task_id):
    service.visible_task(db_session, current_user, task_id)
    try:
        runtime.unclaim_task(db_session, task_id, actor=actor_for(current_user))
        db_session.commit()
        flash(_("The task is back in the shared inbox of your role."), "success")
    except TaskForbidden:
        db_session.rollback()
        flash(_("You do not have the right to do this."), "warning")
    return _back_to_inbox()


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@requires("task.view")
def task(task_id):
    t = service.visible_task(db_session, current_user, task_id)
    actor = actor_for(current_user)
    service.check_may_read(t, current_user, actor)
    ctx = service.task_context(db_session, t)
    may_act = t.completed_at is None and runtime.can_act(t, actor) and ctx["instance"].status == "running"
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        if not may_act:
            flash(_("This task can no longer be completed by you."), "warning")
            return redirect(url_for("inbox.task", task_id=t.id))
        values = request.form
        data, errors = coerce(ctx["schema"], request.form)
        try:
            if errors:
                raise FormInvalid("invalid", errors=errors)
            data = engine_forms.validate(db_session, ctx["schema"], data, translate=_)
            instance = runtime.complete_task(db_session, t.id, actor=actor, data=data)
            db_session.commit()
        except FormInvalid as exc:
            db_session.rollback()
            errors, status = {**exc.extra.get("errors", {}), **errors}, 422
            flash(_("Please correct the marked fields."), "warning")
        except (ConcurrentUpdate, WrongStep):
            db_session.rollback()
            flash(_("This task was completed or changed by someone else meanwhile."), "warning")
            return redirect(url_for("inbox.index"))
        except InstanceInError:
            db_session.rollback()
            flash(_("The process stopped on an error; an administrator must retry it first."), "warning")
            return redirect(url_for("inbox.index"))
        else:
            flash(_("Task completed: %(name)s", name=t.name), "success")
            if instance.status == "error":
                flash(_("The process stopped on an error after your step; an administrator will retry it."),
                      "warning")
            return redirect(url_for("inbox.index"))
    fields = build_fields(db_session, ctx["schema"], ctx["ui"], values, errors)
    names = step_names(parsed_for(ctx["definition"]))
    people = service.user_names(db_session, [t.assignee_id, t.claimed_by, t.completed_by])
    return render_template("inbox/task.html", task=t, fields=fields, may_act=may_act, names=names,
                           people=people, record_link=links.record_url(t.process_key, t.business_key),
                           essentials=links.essentials(db_session, t.process_key, t.business_key),
                           roles=service.role_labels(db_session),
                           may_view_instance=may_view_instance(db_session, current_user, ctx["instance"]),
                           form_errors=errors.get("_form", []), **ctx), status
