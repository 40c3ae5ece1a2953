"""Inbox queries: plain SQL over human_task, never a deserialized workflow.

A user sees the open tasks of the lanes named by their role, narrowed to them when the task has an assignee or
someone of the lane claimed it. Users with process.admin may look at any role's tasks (`role=` filter).
"""
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select

from app.common.errors import Forbidden, NotFound
from app.common.listing import paginate
from processes import clock
from processes.definitions import parsed_for
from processes.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from processes.runtime import can_act

DUE_FILTERS = ("overdue", "today", "week", "none")
SORTS = {
    "waiting": (HumanTask.created_at.asc(),),
    "-waiting": (HumanTask.created_at.desc(),),
    # tasks without a due date go last either way
    "due": (case((HumanTask.due_at.is_(None), 1), else_=0), HumanTask.due_at.asc()),
    "-due": (case((HumanTask.due_at.is_(None), 1), else_=0), HumanTask.due_at.desc()),
    "process": (HumanTask.process_key.asc(), HumanTask.created_at.asc()),
    "name": (HumanTask.name.asc(), HumanTask.created_at.asc()),
}


def _mine(user):
    return and_(HumanTask.completed_at.is_(None), HumanTask.role == user.role_code,
                or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == user.id),
                or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.id))


def tasks_query(user, *, process=None, role=None, due=None, sort="waiting", q=None, columns=(HumanTask,)):
    """The select for a user's inbox with the list filters; invalid filter values are ignored."""
    if role and role != user.role_code and user.can("process.admin"):
        stmt = select(*columns).where(HumanTask.completed_at.is_(None), HumanTask.role == role)
    else:
        stmt = select(*columns).where(_mine(user))
        if role and role != user.role_code:
            stmt = stmt.where(False)
    if process:
        stmt = stmt.where(HumanTask.process_key == process)
    now = clock.utcnow()
    if due == "overdue":
        stmt = stmt.where(HumanTask.due_at < now)
    elif due == "today":
        stmt = stmt.where(HumanTask.due_at < now + timedelta(days=1))
    elif due == "week":
        stmt = stmt.where(HumanTask.due_at < now + timedelta(days=7))
    elif due == "none":
        stmt = stmt.where(HumanTask.due_at.is_(None))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(HumanTask.name.ilike(like), HumanTask.subject.ilike(like),
                              HumanTask.business_key.ilike(like)))
    return stmt.order_by(*SORTS.get(sort, SORTS["waiting"]), HumanTask.id)


def inbox_page(db, user, page, per_page, **filters):
    """One page of the inbox. Ids are picked first (count, filter, sort and page from the covering index alone),
    then only that page's rows are read."""
    result = paginate(db, tasks_query(user, columns=(HumanTask.id,), **filters), page, per_page)
    rows = {t.id: t for t in db.scalars(select(HumanTask).where(HumanTask.id.in_(result.items)))} \
        if result.items else {}
    result.items = [rows[i] for i in result.items if i in rows]
    return result


def count_open(db, user):
    return db.scalar(select(func.count()).select_from(HumanTask).where(_mine(user))) or 0


def process_names(db):
    """{key: display name} from the latest version of every deployed process."""
    latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    rows = db.scalars(select(ProcessDefinition).join(
        latest, and_(ProcessDefinition.key == latest.c.key, ProcessDefinition.version == latest.c.v))).all()
    names = {}
    for row in rows:
        try:
            names[row.key] = parsed_for(row).name
        except Exception:  # a stored model that no longer parses still lists under its key
            names[row.key] = row.key
    return dict(sorted(names.items(), key=lambda kv: kv[1]))


def get_task(db, task_id):
    task = db.get(HumanTask, task_id)
    if task is None:
        raise NotFound("Task not found")
    return task


def check_may_view(task, user, actor):
    """Lane members (and administrators) open a task; process.view users may read it."""
    if can_act(task, actor) or user.can("process.view"):
        return
    raise Forbidden("This task belongs to another role or user.")


def task_context(db, task):
    """What the task page shows besides the form: instance, definition, UI schema, history."""
    instance = db.get(ProcessInstance, task.instance_id)
    definition = db.get(ProcessDefinition, instance.definition_id)
    parsed = parsed_for(definition)
    ui_name = None
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        ts = spec.task_specs.get(task.bpmn_id)
        if ts is not None:
            props = (getattr(ts, "extensions", None) or {}).get("properties", {}) or {}
            ui_name = props.get("formUiSchemaFilename")
            documentation = getattr(ts, "documentation", None)
            instructions = (getattr(ts, "extensions", None) or {}).get("instructionsForEndUser")
            break
    else:
        documentation = instructions = None
    schema = (definition.forms or {}).get(task.form) or {}
    ui = (definition.forms or {}).get(ui_name) or {} if ui_name else {}
    return {"instance": instance, "definition": definition, "process_name": parsed.name, "schema": schema,
            "ui": ui, "instructions": instructions or documentation, "history": history(db, instance.id)}


def history(db, instance_id):
    """The instance's history rows, oldest first, with the acting user's name."""
    from app.auth.models import User
    rows = db.execute(select(ProcessEvent, User.name).outerjoin(User, User.id == ProcessEvent.user_id)
                      .where(ProcessEvent.instance_id == instance_id)
                      .order_by(ProcessEvent.at, ProcessEvent.id)).all()
    return [{"event": e, "user_name": name} for e, name in rows]


def role_labels(db):
    """{role code: role name in the user's language} (lanes are named by codes)."""
    from flask_babel import gettext
    from app.auth.models import Role
    return {code: gettext(name) for code, name in db.execute(select(Role.code, Role.name)).all()}


def user_names(db, ids):
    from app.auth.models import User
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
