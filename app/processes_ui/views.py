"""Process management pages: definitions and deployment, the BPMN editor, the form editor, migrations, instances,
retry, upcoming timers."""
import json

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.guard import logged_in, requires
from app.common.errors import Conflict, NotFound, ValidationFailed
from app.common.forms import apply_errors
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.common.ui import local_time
from app.db import db_session
from app.inbox import actor_for
from app.inbox.service import history, process_names, role_labels
from app.inbox.forms import build_fields
from app.processes_ui import forms_service, migrations, service
from app.processes_ui.labels import diagram_labels
from processes import runtime
from processes.errors import WrongStep
from processes.inspect import overview

bp = Blueprint("processes_ui", __name__, url_prefix="/processes")


class DeployForm(FlaskForm):
    bpmn = FileField(_l("BPMN file"), validators=[FileRequired(_l("Choose a BPMN file.")),
                                                 FileAllowed(["bpmn", "xml"], _l("Choose a .bpmn file."))])
    forms = MultipleFileField(_l("Task forms (JSON)"))
    note = TextAreaField(_l("Note (why this version)"), validators=[Optional(), Length(max=service.NOTE_MAX)])


def _uploaded_forms(files):
    return {f.filename: f.read().decode("utf-8", "replace") for f in files or [] if f and f.filename}


@bp.route("/definitions", methods=["GET", "POST"])
@requires("process.deploy")
def list_definitions():
    form = DeployForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.bpmn.data
            try:
                row, created = service.deploy(db_session, xml=upload.read().decode("utf-8", "replace"),
                                              user_id=current_user.id, filename=upload.filename,
                                              uploaded_forms=_uploaded_forms(form.forms.data),
                                              note=form.note.data)
                db_session.commit()
                if created:
                    flash(_("Deployed %(key)s as version %(v)s.", key=row.key, v=row.version), "success")
                else:
                    flash(_("%(key)s is unchanged; version %(v)s stays current.", key=row.key, v=row.version))
                return redirect(url_for("processes_ui.list_definitions"))
            except ValidationFailed as exc:
                db_session.rollback()
                apply_errors(form, exc.errors)
        status = 422
    return render_template("processes_ui/definitions.html", rows=service.definitions(db_session), form=form), status


@bp.route("/definitions/<key>/<int:version>/xml")
@requires("process.view", "process.deploy")
def definition_xml(key, version):
    row = service.get_definition(db_session, key, version)
    return Response(row.bpmn_xml, mimetype="application/xml")


@bp.route("/definitions/<key>/<int:version>")
@requires("process.view", "process.deploy")
def show_definition(key, version):
    row = service.get_definition(db_session, key, version)
    return render_template("processes_ui/definition.html", row=row, names=process_names(db_session),
                           diagram_labels=diagram_labels(row, role_labels(db_session)))


@bp.route("/editor")
@requires("process.deploy")
def editor():
    """The analyst's modeler: opens the latest version of ?key= (or a blank diagram)."""
    key = request.args.get("key")
    row = service.get_definition(db_session, key) if key else None
    return render_template("processes_ui/editor.html", row=row,
                           choices=service.editor_choices(db_session, row, role_labels(db_session)))


@bp.route("/editor/timer-preview", methods=["POST"])
@requires("process.deploy")
def editor_timer_preview():
    """When a timer would fire if it started now (a literal expression), or why it cannot (the panel's preview)."""
    body = request.get_json(silent=True) or {}
    kind, expression = body.get("kind"), body.get("expression")
    if not isinstance(expression, str) or kind not in ("timeDuration", "timeDate", "timeCycle"):
        return jsonify({"ok": False, "message": _("Enter a timer expression.")}), 422
    return jsonify(service.timer_preview(kind, expression))


def _editor_payload():
    body = request.get_json(silent=True) or {}
    xml = body.get("xml") if isinstance(body.get("xml"), str) else ""
    filename = body.get("filename") if isinstance(body.get("filename"), str) else None
    return xml, filename


def _findings_answer(findings):
    return {"ok": not findings, "findings": findings, "errors": [service.finding_text(f) for f in findings]}


@bp.route("/editor/validate", methods=["POST"])
@requires("process.deploy")
def editor_validate():
    xml, filename = _editor_payload()
    return jsonify(_findings_answer(service.validate_model(db_session, xml, filename=filename)))


@bp.route("/editor/preview", methods=["POST"])
@requires("process.deploy")
def editor_preview():
    """Before deploying: the findings (nothing to confirm when there are any) and what changes against the version
    running now, for the confirmation."""
    xml, filename = _editor_payload()
    findings = service.validate_model(db_session, xml, filename=filename)
    answer = _findings_answer(findings)
    if not findings:
        answer["diff"] = service.draft_diff(db_session, xml)
    return jsonify(answer)


@bp.route("/editor/deploy", methods=["POST"])
@requires("process.deploy")
def editor_deploy():
    xml, filename = _editor_payload()
    note = (request.get_json(silent=True) or {}).get("note")
    try:
        row, created = service.deploy(db_session, xml=xml, user_id=current_user.id, filename=filename,
                                      note=note if isinstance(note, str) else None)
    except ValidationFailed as exc:
        db_session.rollback()
        findings = exc.extra.get("findings") or [{"element_id": None, "message": m}
                                                 for msgs in exc.errors.values() for m in msgs]
        return jsonify(_findings_answer(findings)), 422
    db_session.commit()
    message = _("Deployed %(key)s as version %(v)s.", key=row.key, v=row.version) if created else \
        _("%(key)s is unchanged; version %(v)s stays current.", key=row.key, v=row.version)
    return jsonify({"ok": True, "key": row.key, "version": row.version, "created": created, "message": message,
                    "versions_url": url_for("processes_ui.list_definitions")})


def _int_list(text):
    """'12, 13 14' -> [12, 13, 14]; None for an empty text; ValueError for anything else."""
    parts = [p for p in (text or "").replace(",", " ").split() if p]
    if not parts:
        return None
    values = [int(p) for p in parts]
    if any(v < 1 or v > 2**31 - 1 for v in values):
        raise ValueError
    return values


@bp.route("/definitions/<key>/migrations", methods=["GET", "POST"])
@requires("process.deploy")
def migrations_page(key):
    """Move running instances between versions: a dry run first, then the migration; past migrations can be
    reverted."""
    versions = [d["row"] for d in service.definitions(db_session) if d["row"].key == key]
    if not versions:
        service.get_definition(db_session, key)  # 404
    choice = {"from_version": str(versions[1].version) if len(versions) > 1 else "",
              "to_version": str(versions[0].version), "instance_ids": "", "reason": ""}
    errors, result, status = {}, None, 200
    if request.method == "POST":
        choice = {k: (request.form.get(k) or "").strip() for k in choice}
        try:
            ids = _int_list(choice["instance_ids"])
        except ValueError:
            ids, errors["instance_ids"] = None, [_("Enter instance numbers separated by commas.")]
        try:
            frm, to = int(choice["from_version"]), int(choice["to_version"])
        except ValueError:
            errors["from_version"] = [_("Choose the versions.")]
        if not errors:
            try:
                result = migrations.run(db_session, key=key, from_version=frm, to_version=to, instance_ids=ids,
                                        dry_run=request.form.get("action") != "apply", user_id=current_user.id,
                                        reason=choice["reason"])
            except ValidationFailed as exc:
                db_session.rollback()
                errors = exc.errors
        status = 422 if errors else 200
    return render_template("processes_ui/migrations.html", key=key, versions=versions, choice=choice,
                           errors=errors, result=result, history=migrations.history(db_session, key),
                           names=process_names(db_session)), status


@bp.route("/migrations/<int:migration_id>/revert", methods=["POST"])
@requires("process.deploy")
def revert_migration(migration_id):
    from processes.models import ProcessMigration
    record = db_session.get(ProcessMigration, migration_id)
    if record is None:
        return render_template("error.html", status=404, message=_("Migration not found")), 404
    key = record.process_key
    try:
        result = migrations.revert(db_session, migration_id, user_id=current_user.id)
    except Conflict as exc:
        db_session.rollback()
        flash(exc.detail, "warning")
    else:
        flash(_("Moved back: %(moved)s; refused: %(refused)s.", moved=len(result["migrated"]),
                refused=len(result["refused"])), "success" if not result["refused"] else "warning")
    return redirect(url_for("processes_ui.migrations_page", key=key))


class FormImport(FlaskForm):
    files = MultipleFileField(_l("Form files (JSON)"), validators=[FileRequired(_l("Choose at least one file."))])


@bp.route("/forms", methods=["GET", "POST"])
@requires("process.deploy")
def list_forms():
    """The task forms (repository folder and saved versions); import files as new versions."""
    upload, status = FormImport(), 200
    if request.method == "POST":
        if upload.validate_on_submit():
            try:
                saved = []
                for f in upload.files.data or []:
                    if not f or not f.filename:
                        continue
                    name = f.filename.rsplit("/", 1)[-1]
                    row, created = forms_service.save(db_session, name=name, user_id=current_user.id,
                                                      text=f.read().decode("utf-8", "replace"),
                                                      note=_("Imported from a file"))
                    saved.append((row, created))
                db_session.commit()
            except ValidationFailed as exc:
                db_session.rollback()
                upload.files.errors = [f"{k}: {m}" for k, msgs in exc.errors.items() for m in msgs]
            else:
                for row, created in saved:
                    flash(_("Saved %(name)s as version %(v)s.", name=row.name, v=row.version) if created else
                          _("%(name)s is unchanged; version %(v)s stays current.", name=row.name, v=row.version),
                          "success")
                return redirect(url_for("processes_ui.list_forms"))
        status = 422
    return render_template("processes_ui/forms.html", forms=forms_service.catalogue(db_session, service.FORMS_DIR),
                           upload=upload), status


@bp.route("/forms/edit", methods=["GET", "POST"])
@requires("process.deploy")
def edit_form():
    """The form editor: JSON on the left, the task page it renders on the right (live); saving makes a version."""
    name = (request.values.get("name") or "").strip()
    version = request.args.get("version", type=int)
    errors, status, note = {}, 200, ""
    if request.method == "POST":
        text, note = request.form.get("content") or "", request.form.get("note") or ""
        try:
            row, created = forms_service.save(db_session, name=name, text=text, user_id=current_user.id, note=note)
            db_session.commit()
        except ValidationFailed as exc:
            db_session.rollback()
            errors, status = exc.errors, 422
        else:
            flash(_("Saved %(name)s as version %(v)s.", name=row.name, v=row.version) if created else
                  _("%(name)s is unchanged; version %(v)s stays current.", name=row.name, v=row.version), "success")
            return redirect(url_for("processes_ui.edit_form", name=row.name))
    else:
        try:
            forms_service.check_name(name)
            doc, version = forms_service.document(db_session, name, service.FORMS_DIR, version)
            text = json.dumps(doc, ensure_ascii=False, indent=2)
        except (ValidationFailed, NotFound):
            if version is not None:
                raise
            text = '{\n  "type": "object",\n  "required": [],\n  "properties": {}\n}' if name else ""
    history = forms_service.versions(db_session, name) if name else []
    return render_template("processes_ui/form_editor.html", name=name, text=text, note=note, errors=errors,
                           history=history, version=version,
                           forms=[f["name"] for f in forms_service.catalogue(db_session, service.FORMS_DIR)]), status


@bp.route("/forms/preview", methods=["POST"])
@requires("process.deploy")
def preview_form():
    """The task page's fields for a form being edited (HTML fragment), or why it cannot render (422)."""
    try:
        schema = forms_service.parse(request.form.get("content") or "")
        ui_name = request.form.get("ui") or ""
        ui = {}
        if ui_name:
            ui, _v = forms_service.document(db_session, forms_service.check_name(ui_name, "ui"), service.FORMS_DIR)
        if forms_service.is_ui_schema(schema):
            schema, ui = {"type": "object", "properties": {k: {"type": "string", "title": k}
                                                           for k in schema if not k.startswith("ui:")}}, schema
    except (ValidationFailed, NotFound) as exc:
        messages = [m for msgs in getattr(exc, "errors", {"": [exc.detail]}).values() for m in msgs]
        return render_template("processes_ui/_form_problems.html", messages=messages), 422
    return render_template("processes_ui/_form_preview.html", title=schema.get("title"),
                           fields=build_fields(db_session, schema, ui))


@bp.route("/forms/download")
@requires("process.deploy")
def download_form():
    name = forms_service.check_name(request.args.get("name") or "")
    doc, _v = forms_service.document(db_session, name, service.FORMS_DIR, request.args.get("version", type=int))
    body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _instance_filters():
    args = request.args
    return {"key": args.get("key") or None, "status": args.get("status") or None,
            "q": (args.get("q") or "").strip() or None}


@bp.route("/instances")
@requires("process.view")
def list_instances():
    filters = _instance_filters()
    stmt = service.instances_query(**filters)
    names = process_names(db_session)
    if wants_export():
        rows = db_session.execute(stmt.limit(50_000)).all()
        return xlsx_response("process-instances.xlsx",
                             [_("No."), _("Process"), _("Version"), _("Record"), _("Status"), _("Started"),
                              _("Ended")],
                             ([i.id, names.get(i.definition_key, i.definition_key), v, i.subject or i.business_key,
                               i.status, local_time(i.started_at), local_time(i.ended_at)] for i, v in rows))
    page = paginate(db_session, stmt, *page_args(), scalars=False)
    steps = service.open_steps(db_session, [i.id for i, _v in page.items])
    return render_template("processes_ui/instances.html", page=page, steps=steps, filters=filters,
                           names=names, statuses=service.STATUSES, roles=role_labels(db_session))


@bp.route("/timers")
@requires("process.admin")
def upcoming_timers():
    page = paginate(db_session, service.instances_query(timers=True), *page_args(), scalars=False)
    return render_template("processes_ui/timers.html", page=page, names=process_names(db_session))


@bp.route("/instances/<int:instance_id>")
@logged_in  # process.view, or the user's own tasks and records: service.may_view_instance
def view_instance(instance_id):
    instance = service.get_visible_instance(db_session, current_user, instance_id)
    view = overview(db_session, instance)
    steps = service.open_steps(db_session, [instance.id]).get(instance.id, [])
    roles = role_labels(db_session)
    labels = diagram_labels(view["definition"], roles)
    return render_template("processes_ui/instance.html", instance=instance, view=view, steps=steps,
                           history=history(db_session, instance.id), names=view["names"],
                           process_name=process_names(db_session).get(instance.definition_key),
                           roles=roles, diagram_labels=labels)


@bp.route("/instances/<int:instance_id>/xml")
@logged_in  # the instance view's diagram: whoever may view the instance (service.may_view_instance)
def instance_xml(instance_id):
    return Response(service.instance_model_xml(db_session, current_user, instance_id), mimetype="application/xml")


@bp.route("/instances/<int:instance_id>/retry", methods=["POST"])
@requires("process.admin")
def retry(instance_id):
    try:
        instance = runtime.retry_instance(db_session, instance_id, actor=actor_for(current_user))
        db_session.commit()
    except WrongStep:
        db_session.rollback()
        flash(_("This process is not stopped on an error."), "warning")
    else:
        if instance.status == "error":
            flash(_("The retry failed again: %(error)s", error=instance.error), "warning")
        else:
            flash(_("The process runs again."), "success")
    return redirect(url_for("processes_ui.view_instance", instance_id=instance_id))
