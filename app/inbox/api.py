"""/api/v1/tasks: my inbox, one task with its form schema, completing and claiming a task."""
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth.guard import requires
from app.common.ints import DbInteger
from app.common.listing import page_args
from app.db import db_session
from app.inbox import actor_for, links, service
from processes import runtime
from processes.api import open_steps
from processes.forms import resolved_schema, choices_for
from app.common.api_schemas import PageOut

blp = Blueprint("api_tasks", __name__, url_prefix="/api/v1/tasks", description="Task inbox")


class TaskQuery(Schema):
    process = fields.String(metadata={"description": "process key, e.g. sales_opportunity"})
    role = fields.String(metadata={"description": "lane role code (other roles: process.admin only)"})
    due = fields.String(validate=validate.OneOf(service.DUE_FILTERS))
    sort = fields.String(validate=validate.OneOf(list(service.SORTS)))
    q = fields.String()
    tab = fields.String(validate=validate.OneOf(service.TABS),
                        metadata={"description": "work (mine and role together: what the menu badge counts; the "
                                                 "default), mine (assigned to or taken by me), role (shared with my "
                                                 "role, not taken), all (everything I may see: more than work only "
                                                 "for process watchers)"})
    page = DbInteger()
    per_page = DbInteger()


class TaskOut(Schema):
    id = fields.Integer()
    process = fields.String(attribute="process_key")
    instance_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    claimed_by = fields.Integer(allow_none=True)
    business_key = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    form = fields.String(allow_none=True)


class TaskList(PageOut):
    items = fields.List(fields.Nested(TaskOut))


class FormOut(Schema):
    name = fields.String(allow_none=True)
    schema = fields.Dict(metadata={"description": "JSON Schema; database choices resolved into enum/enumNames"})
    ui = fields.Dict()


class EssentialOut(Schema):
    label = fields.String()
    value = fields.Raw(metadata={"description": "a text, or a list of texts (e.g. the plan items)"})


class TaskDetail(TaskOut):
    form = fields.Nested(FormOut)
    record = fields.List(fields.Nested(EssentialOut),
                         metadata={"description": "the record's essentials the task page shows above the form"})


class CompleteIn(Schema):
    data = fields.Dict(load_default=dict, metadata={"description": "the form's fields"})


class CompleteOut(Schema):
    instance_id = fields.Integer()
    status = fields.String()
    error = fields.String(allow_none=True)
    current_steps = fields.List(fields.Dict())


_TASK_COLUMNS = ("id", "process_key", "instance_id", "bpmn_id", "name", "role", "assignee_id", "claimed_by",
                 "business_key", "subject", "created_at", "due_at", "completed_at")


@blp.route("")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskList)
@requires("task.view")
def list_tasks(args):
    """My open tasks (lanes of my role, narrowed to me when assigned or claimed). Filters: process, role, due
    (overdue|today|week|none); sort: waiting, -waiting, due, -due, process, name."""
    page = service.inbox_page(db_session, current_user, *page_args(), process=args.get("process"),
                              role=args.get("role"), due=args.get("due"), sort=args.get("sort", "waiting"),
                              q=args.get("q"), tab=args.get("tab", service.WORK))
    return page.as_api(lambda t: t)


class CountsOut(Schema):
    work = fields.Integer()
    mine = fields.Integer()
    role = fields.Integer()
    all = fields.Integer()
    limit = fields.Integer(metadata={"description": "counts stop just above this (limit + 1 means more)"})


@blp.route("/counts")
@blp.response(200, CountsOut)
@requires("task.view")
def counts():
    """How many open tasks each inbox tab holds (one query), up to the limit."""
    return {**service.tab_counts(db_session, current_user), "limit": service.COUNT_LIMIT}


class ClaimManyIn(Schema):
    task_ids = fields.List(DbInteger(), required=True, validate=validate.Length(min=1, max=service.CLAIM_MAX))


class ClaimResult(Schema):
    task_id = fields.Integer()
    status = fields.String(metadata={"description": "claimed, not_found, taken (someone else has it, or it is "
                                                    "done) or forbidden"})
    detail = fields.String(allow_none=True)


class ClaimManyOut(Schema):
    results = fields.List(fields.Nested(ClaimResult))


@blp.route("/claim", methods=["POST"])
@blp.arguments(ClaimManyIn)
@blp.response(200, ClaimManyOut)
@requires("task.view")
def claim_many(body):
    """Take several shared tasks of my lane at once: per task whether it was claimed; one that fails leaves the
    others claimed."""
    results = service.claim_many(db_session, current_user, actor_for(current_user), body["task_ids"])
    db_session.commit()
    return {"results": results}


def _form(task, ctx):
    schema = resolved_schema(db_session, ctx["schema"]) if ctx["schema"] else {}
    for name, prop in (schema.get("properties") or {}).items():
        original = ctx["schema"]["properties"][name]
        if "enum" in prop and "enumNames" not in prop:
            prop["enumNames"] = [label for _v, label in (choices_for(db_session, original) or [])]
    return {"name": task.form, "schema": schema, "ui": ctx["ui"]}


@blp.route("/<int:task_id>")
@blp.response(200, TaskDetail)
@requires("task.view")
def get_task(task_id):
    """One task with its form (404, as for a task that does not exist, for a user outside the task's lane who may
    not watch processes)."""
    task = service.visible_task(db_session, current_user, task_id)
    service.check_may_read(task, current_user, actor_for(current_user))
    ctx = service.task_context(db_session, task)
    record = [{"label": str(label), "value": value if isinstance(value, str) else [str(v) for v in value]}
              for label, value in links.essentials(db_session, task.process_key, task.business_key)]
    return {**{c: getattr(task, c) for c in _TASK_COLUMNS}, "form": _form(task, ctx), "record": record}


def _outcome(instance):
    if instance.status != "running" or instance.business_key is None:
        steps = []
    elif instance.open_steps is not None:  # left by the step just saved: nothing to read back
        steps = instance.open_steps
    else:
        steps = open_steps(db_session, key=instance.definition_key, business_key=instance.business_key)
    return {"instance_id": instance.id, "status": instance.status, "error": instance.error, "current_steps": steps}


@blp.route("/<int:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteIn)
@blp.response(200, CompleteOut)
@requires("task.view")
def complete(body, task_id):
    """Complete a task with its form data: 404 for a task the user may not see, 403 for one they see but may not
    do, 422 with field errors, 409 when someone else completed it first or the process is elsewhere."""
    # The visibility check runs on the row the engine reads under the instance lock (no read of its own), and the
    # answer is built before the commit (no second transaction to read it back).
    user = current_user._get_current_object()
    instance = runtime.complete_task(db_session, task_id, actor=actor_for(user), data=body["data"],
                                     check=lambda task: service.check_visible(task, user))
    outcome = _outcome(instance)
    db_session.commit()
    return outcome


@blp.route("/<int:task_id>/claim", methods=["POST"])
@blp.response(200, TaskOut)
@requires("task.view")
def claim(task_id):
    """Take a shared task of my lane (404 for a task the user may not see)."""
    service.visible_task(db_session, current_user, task_id)
    task = runtime.claim_task(db_session, task_id, actor=actor_for(current_user))
    db_session.commit()
    return task


@blp.route("/<int:task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskOut)
@requires("task.view")
def unclaim(task_id):
    """Give a taken task back to the lane (404 for a task the user may not see)."""
    service.visible_task(db_session, current_user, task_id)
    task = runtime.unclaim_task(db_session, task_id, actor=actor_for(current_user))
    db_session.commit()
    return task
