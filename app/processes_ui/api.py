"""/api/v1/process-definitions and /api/v1/process-instances."""
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guard import logged_in, requires
from app.common.ints import DbInteger, db_int
from app.common.listing import page_args, paginate
from app.db import db_session
from app.inbox import actor_for
from app.inbox.service import history
from app.processes_ui import migrations, service
from processes import runtime
from processes.inspect import overview
from app.common.api_schemas import PageOut

blp = Blueprint("api_processes", __name__, url_prefix="/api/v1", description="Process definitions and instances")


class DefinitionOut(Schema):
    id = fields.Integer()
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    hash = fields.String(attribute="content_hash")
    deployed_at = fields.DateTime()
    deployed_by = fields.Integer(allow_none=True)
    forms = fields.List(fields.String())
    note = fields.String(allow_none=True, metadata={"description": "why it was deployed"})
    change_summary = fields.Raw(allow_none=True, metadata={
        "description": "{added, removed, changed} against the version before it (null for the first)"})


class DefinitionDetail(DefinitionOut):
    bpmn_xml = fields.String()


class DefinitionList(PageOut):
    items = fields.List(fields.Nested(DefinitionOut))


class DeployIn(Schema):
    xml = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "BPMN 2.0 XML"})
    filename = fields.String(load_default=None, metadata={"description": "picks the process when a file has several"})
    forms = fields.Dict(load_default=dict, metadata={"description": "form file name -> JSON Schema; others come "
                                                                    "from the repository folder forms/"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=service.NOTE_MAX),
                         metadata={"description": "why this version is deployed (shown in the version list)"})


class ValidateIn(Schema):
    xml = fields.String(required=True, metadata={"description": "BPMN 2.0 XML"})
    filename = fields.String(load_default=None)
    forms = fields.Dict(load_default=dict)


class FindingOut(Schema):
    element_id = fields.String(allow_none=True, metadata={"description": "the BPMN element it is about"})
    message = fields.String()


class ValidateOut(Schema):
    ok = fields.Boolean()
    findings = fields.List(fields.Nested(FindingOut))


class ElementOut(Schema):
    id = fields.String()
    name = fields.String()
    type = fields.String(metadata={"description": "e.g. bpmn:UserTask"})


class DiffQuery(Schema):
    from_ = DbInteger(data_key="from", metadata={"description": "default: the version before `to`"})
    to = DbInteger(metadata={"description": "default: the latest version"})


class DiffOut(Schema):
    from_version = fields.Integer()
    to_version = fields.Integer()
    added = fields.List(fields.Nested(ElementOut))
    removed = fields.List(fields.Nested(ElementOut))
    changed = fields.List(fields.Nested(ElementOut))


class MigrationIn(Schema):
    from_version = DbInteger(required=True)
    to_version = DbInteger(required=True)
    instance_ids = fields.List(DbInteger(), load_default=None, allow_none=True,
                               metadata={"description": "default: every running instance on from_version"})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "true: only say what would move"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "why (written to each instance's history)"})


class RevertIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RefusalOut(Schema):
    instance_id = fields.Integer()
    reason = fields.String()


class MigrationOut(Schema):
    migration_id = fields.Integer(allow_none=True, metadata={"description": "null for a dry run"})
    dry_run = fields.Boolean()
    migrated = fields.List(fields.Integer(), metadata={"description": "moved (dry run: would move)"})
    refused = fields.List(fields.Nested(RefusalOut))


class MigrationRecordOut(Schema):
    id = fields.Integer()
    from_version = fields.Integer()
    to_version = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    at = fields.DateTime()
    migrated = fields.List(fields.Integer())
    refused = fields.List(fields.Nested(RefusalOut))
    reverts_id = fields.Integer(allow_none=True)
    reverted = fields.Boolean()


class MigrationList(Schema):
    items = fields.List(fields.Nested(MigrationRecordOut))


class DeployOut(DefinitionOut):
    created = fields.Boolean(metadata={"description": "false: the content was unchanged, nothing deployed"})


class InstanceQuery(Schema):
    definition_key = fields.String()
    status = fields.String(validate=validate.OneOf(service.STATUSES))
    q = fields.String()
    page = DbInteger()
    per_page = DbInteger()


class StepOut(Schema):
    task_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)


class InstanceOut(Schema):
    id = fields.Integer()
    definition_key = fields.String()
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    status = fields.String()
    error = fields.String(allow_none=True)
    current_steps = fields.List(fields.Nested(StepOut))
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    next_timer_at = fields.DateTime(allow_none=True)


class InstanceList(PageOut):
    items = fields.List(fields.Nested(InstanceOut))


class EventOut(Schema):
    at = fields.DateTime()
    event = fields.String()
    bpmn_id = fields.String(allow_none=True)
    step = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    user_name = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class TimerOut(Schema):
    bpmn_id = fields.String()
    name = fields.String()
    due_at = fields.DateTime(allow_none=True)


class InstanceDetail(InstanceOut):
    completed_steps = fields.List(fields.String())
    pending_timers = fields.List(fields.Nested(TimerOut))
    history = fields.List(fields.Nested(EventOut))


def _definition(row, name=None):
    return {"id": row.id, "key": row.key, "name": name or row.key, "version": row.version,
            "content_hash": row.content_hash, "deployed_at": row.deployed_at, "deployed_by": row.deployed_by,
            "forms": sorted(row.forms or {}), "bpmn_xml": row.bpmn_xml, "note": row.note,
            "change_summary": row.change_summary}


@blp.route("/process-definitions")
@blp.response(200, DefinitionList)
@requires("process.view", "process.deploy")
def list_definitions():
    """Every deployed version, newest first per process."""
    rows = service.definitions(db_session)
    page, per_page = page_args()
    chunk = rows[(page - 1) * per_page: page * per_page]
    return {"items": [_definition(d["row"], d["name"]) for d in chunk], "total": len(rows), "page": page,
            "per_page": per_page}


@blp.route("/process-definitions", methods=["POST"])
@blp.arguments(DeployIn)
@blp.response(201, DeployOut)
@requires("process.deploy")
def deploy(body):
    """Validate and deploy a model as a new version (unchanged content: `created` false, nothing deployed).
    A model with findings is refused (422) with `findings` [{element_id, message}] naming each one."""
    row, created = service.deploy(db_session, xml=body["xml"], user_id=current_user.id, filename=body["filename"],
                                  uploaded_forms=body["forms"], note=body["note"])
    db_session.commit()
    return {**_definition(row), "created": created}


@blp.route("/process-definitions/validate", methods=["POST"])
@blp.arguments(ValidateIn)
@blp.response(200, ValidateOut)
@requires("process.deploy")
def validate_definition(body):
    """The checks a deployment makes, without deploying: findings with the element each is about."""
    findings = service.validate_model(db_session, body["xml"], uploaded_forms=body["forms"],
                                      filename=body["filename"])
    return {"ok": not findings, "findings": findings}


@blp.route("/process-definitions/<key>/diff")
@blp.arguments(DiffQuery, location="query")
@blp.response(200, DiffOut)
@requires("process.view", "process.deploy")
def diff_definitions(args, key):
    """Elements added, removed and changed between two versions (default: the latest against the one before)."""
    return service.version_diff(db_session, key, args.get("from_"), args.get("to"))


@blp.route("/process-definitions/<key>/migrations", methods=["POST"])
@blp.arguments(MigrationIn)
@blp.response(200, MigrationOut)
@requires("process.deploy")
def migrate(body, key):
    """Move running instances from one version to another (dry_run, the default, only says which would move and
    why the others cannot). Each instance moves in its own transaction and gets a `migrated` history row."""
    return migrations.run(db_session, key=key, from_version=body["from_version"], to_version=body["to_version"],
                          instance_ids=body["instance_ids"], dry_run=body["dry_run"], user_id=current_user.id,
                          reason=body["reason"])


@blp.route("/process-definitions/<key>/migrations")
@blp.response(200, MigrationList)
@requires("process.view", "process.deploy")
def list_migrations(key):
    """The migrations of a process, newest first."""
    return {"items": [_migration(m) for m in migrations.history(db_session, key)]}


@blp.route("/process-migrations/<int:migration_id>/revert", methods=["POST"])
@blp.arguments(RevertIn)
@blp.response(200, MigrationOut)
@requires("process.deploy")
def revert_migration(body, migration_id):
    """Move the instances of a migration back to their former version (a new migration pointing at it)."""
    return migrations.revert(db_session, migration_id, user_id=current_user.id, reason=body["reason"])


def _migration(m):
    r = m["row"]
    return {"id": r.id, "from_version": m["from_version"], "to_version": m["to_version"], "user_id": r.user_id,
            "reason": r.reason, "at": r.at, "migrated": r.migrated, "refused": r.refused,
            "reverts_id": r.reverts_id, "reverted": m["reverted"]}


@blp.route("/process-definitions/<key>")
@blp.response(200, DefinitionDetail)
@requires("process.view", "process.deploy")
def read_definition(key):
    """The latest version of a process (`?version=` for another) with its BPMN XML."""
    from flask import request
    version = request.args.get("version", type=db_int)
    return _definition(service.get_definition(db_session, key, version))


def _instance(inst, version, steps):
    return {"id": inst.id, "definition_key": inst.definition_key, "version": version,
            "business_key": inst.business_key, "subject": inst.subject, "status": inst.status, "error": inst.error,
            "current_steps": steps, "started_at": inst.started_at, "ended_at": inst.ended_at,
            "next_timer_at": inst.next_timer_at}


@blp.route("/process-instances")
@blp.arguments(InstanceQuery, location="query")
@blp.response(200, InstanceList)
@requires("process.view")
def list_instances(args):
    """Instances, newest first. Filters: definition_key, status, q (record)."""
    stmt = service.instances_query(key=args.get("definition_key"), status=args.get("status"), q=args.get("q"))
    page = paginate(db_session, stmt, *page_args(), scalars=False)
    steps = service.open_steps(db_session, [i.id for i, _v in page.items])
    return page.as_api(lambda row: _instance(row[0], row[1], steps.get(row[0].id, [])))


def _detail(inst):
    view = overview(db_session, inst)
    steps = service.open_steps(db_session, [inst.id]).get(inst.id, [])
    events = [{"at": r["event"].at, "event": r["event"].event, "bpmn_id": r["event"].bpmn_id,
               "step": view["names"].get(r["event"].bpmn_id), "user_id": r["event"].user_id,
               "user_name": r["user_name"], "data": r["event"].data} for r in history(db_session, inst.id)]
    return {**_instance(inst, view["definition"].version, steps), "completed_steps": view["completed"],
            "pending_timers": view["timers"], "history": events}


@blp.route("/process-instances/<int:instance_id>")
@blp.response(200, InstanceDetail)
@logged_in  # process.view, or the caller's own tasks and records: service.may_view_instance
def read_instance(instance_id):
    """One instance with its completed steps, open tasks, pending timers and history. Without process.view:
    only instances with a task of the caller or about a record the caller may open (403 otherwise)."""
    return _detail(service.get_visible_instance(db_session, current_user, instance_id))


@blp.route("/process-instances/<int:instance_id>/retry", methods=["POST"])
@blp.response(200, InstanceDetail)
@requires("process.admin")
def retry(instance_id):
    """Run the failed step of an errored instance again (409 when it is not in error)."""
    inst = runtime.retry_instance(db_session, instance_id, actor=actor_for(current_user))
    db_session.commit()
    return _detail(inst)
