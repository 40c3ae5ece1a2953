"""Inbox queries: plain SQL over human_task, never a deserialized workflow.

A user sees the open tasks of the lanes named by their role, narrowed to them when the task has an assignee or
someone of the lane claimed it. Users with process.admin may look at any role's tasks (`role=` filter).
"""
import functools
from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import and_, bindparam, false, func, or_, select, union_all

from app.auth.rights_catalog import role_label
from app.common.errors import Forbidden, NotFound
from app.common import reference_cache, statement_cache
from app.common.listing import Page, clamp, paginate
from app.inbox import history as words
from processes import clock
from processes.definitions import parsed_for
from processes.models import HumanTask, ProcessDefinition, ProcessInstance
from processes.errors import ConcurrentUpdate, TaskForbidden, WrongStep
from processes.runtime import can_act, claim_task

DUE_FILTERS = ("overdue", "today", "week", "none")
# The inbox tabs: the work waiting for the user (mine and my role's together: what the menu badge counts, and where
# the inbox opens); its two halves, the tasks assigned to or taken by me and the shared tasks of my role nobody has
# taken; and all I may see (more than the work only for those who watch processes: every open task).
WORK = "work"
TABS = (WORK, "mine", "role", "all")
# A bulk claim takes at most this many tasks (one page of the inbox at its largest).
CLAIM_MAX = 100
# Lists and the menu badge count open tasks up to this many (the page says "100+", the badge "99+"): opening the
# inbox of a user with 20,000 open tasks then costs about what it costs with 20 (bench/engine.py).
COUNT_LIMIT = 100

# Sort orders on the columns of the inbox branches; the id breaks ties so pages never overlap.
SORTS = {
    "waiting": lambda c: (c.created_at.asc(),),
    "-waiting": lambda c: (c.created_at.desc(),),
    # tasks without a due date go last either way; ascending is the order of the *_due indexes
    "due": lambda c: (c.due_at.asc().nulls_last(),),
    "-due": lambda c: (c.due_at.desc().nulls_last(),),
    "process": lambda c: (c.process_key.asc(), c.created_at.asc()),
    "name": lambda c: (c.name.asc(), c.created_at.asc()),
}
_SORT_COLUMNS = {"process": (HumanTask.process_key,), "name": (HumanTask.name,)}
_OPEN = HumanTask.completed_at.is_(None)


def sees_every_task(user) -> bool:
    """Process watchers may see every open task (may_see): their "all" tab holds more than their work."""
    return user.can("process.view")


def tabs_for(user) -> tuple:
    """The tabs a user's inbox shows: "all" only for process watchers (for anyone else it is their work)."""
    return TABS if sees_every_task(user) else (WORK, "mine", "role")


def _branches(user, role, tab="all"):
    """What a user sees on a tab, as the WHERE clauses of the index-friendly branches (see the indexes on
    HumanTask): the lane's unassigned tasks (`ix_human_task_lane*`) and the tasks assigned to the user
    (`ix_human_task_assigned*`)."""
    if role and role != user.role_code:
        return [and_(_OPEN, HumanTask.role == role)] if user.can("process.admin") else []
    if tab == "all" and sees_every_task(user):
        return [_OPEN]
    lane = and_(_OPEN, HumanTask.role == user.role_code, HumanTask.assignee_id.is_(None))
    assigned = and_(_OPEN, HumanTask.assignee_id == user.id, HumanTask.role == user.role_code,
                    or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.id))
    if tab == "mine":
        return [and_(lane, HumanTask.claimed_by == user.id), assigned]
    if tab == "role":
        return [and_(lane, HumanTask.claimed_by.is_(None))]
    return [and_(lane, or_(HumanTask.claimed_by.is_(None), HumanTask.claimed_by == user.id)), assigned]


def _conditions(process=None, due=None, q=None):
    found = []
    if process:
        found.append(HumanTask.process_key == process)
    now = clock.utcnow()
    if due == "overdue":
        found.append(HumanTask.due_at < now)
    elif due == "today":
        found.append(HumanTask.due_at < now + timedelta(days=1))
    elif due == "week":
        found.append(HumanTask.due_at < now + timedelta(days=7))
    elif due == "none":
        found.append(HumanTask.due_at.is_(None))
    if q:
        like = f"%{q.strip()}%"
        found.append(or_(HumanTask.name.ilike(like), HumanTask.subject.ilike(like),
                         HumanTask.business_key.ilike(like)))
    return found


def task_ids_query(user, *, window=None, process=None, role=None, due=None, sort="waiting", q=None, tab="all"):
    """The ids of a user's inbox in list order (first column; the sort columns follow, so a page of it can be
    joined to its rows and keep its order), with the list filters; invalid filter values are ignored.

    A UNION ALL of the branches. With `window`, each branch is sorted and cut to that many rows first, so the
    database reads at most `window` index entries per branch however long the lane is (PostgreSQL cannot merge
    ordered branches that have their own WHERE); the caller's LIMIT/OFFSET must stay within the window."""
    sort = sort if sort in SORTS else "waiting"
    columns = (HumanTask.id, HumanTask.created_at, HumanTask.due_at, *_SORT_COLUMNS.get(sort, ()))
    conditions = _conditions(process, due, q)
    branches = []
    for where in _branches(user, role, tab if tab in (*TABS, WORK) else "all"):
        branch = select(*columns).where(where, *conditions)
        if window is not None:
            cut = branch.order_by(*SORTS[sort](HumanTask), HumanTask.id).limit(window).subquery()
            branch = select(*cut.c)
        branches.append(branch)
    if not branches:
        return select(*columns).where(false())
    rows = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery()
    return select(*rows.c).order_by(*SORTS[sort](rows.c), rows.c.id)


def _preparable(filters) -> bool:
    """Whether an inbox statement with these filters runs prepared (app.db_prepared): not when it searches, as a
    text pattern's best plan depends on the text."""
    return not filters.get("q")


def inbox_page(db, user, page, per_page, *, tab_total=None, **filters):
    """One page of the inbox: the page's ids are picked from the indexes alone (filter, sort, page) and joined to
    their rows in one statement; the count (up to COUNT_LIMIT) is a second one, unless the caller already has it
    from tab_counts with the same filters (`tab_total`: the count of this tab, cut at the same limit)."""
    sort = filters.get("sort") if filters.get("sort") in SORTS else "waiting"
    if page * per_page <= COUNT_LIMIT and not any(filters.get(k) for k in ("process", "role", "due", "q")):
        tab = filters.get("tab") if filters.get("tab") in TABS else "all"
        return _usual_page(db, user, page, per_page, tab, sort, tab_total)
    window = max(COUNT_LIMIT, page * per_page) + 1  # what paginate counts and pages through at most

    def rows_in_order(page_of_ids):
        ids = page_of_ids.subquery()
        return db.scalars(select(HumanTask).join(ids, HumanTask.id == ids.c.id)
                          .order_by(*SORTS[sort](ids.c), ids.c.id)
                          .execution_options(prepare=_preparable(filters))).all()
    # tab_counts cuts at COUNT_LIMIT + 1, which is what paginate counts up to while the page is within the limit.
    known = tab_total if tab_total is not None and page * per_page <= COUNT_LIMIT else None
    return paginate(db, task_ids_query(user, window=window, **filters), page, per_page, count_limit=COUNT_LIMIT,
                    total=known, fetch=rows_in_order)


def _usual_page(db, user, page, per_page, tab, sort, tab_total):
    """The page almost every request asks for (a tab, a sort, no filter, within the counted rows): the same
    statements as inbox_page builds, built once per user (app.common.statement_cache) with the page as parameters.
    Building them cost more Python than running them (an inbox API request spent 13 % of its time building its
    selects and about 10 % more deriving what SQLAlchemy memoizes on each new statement object)."""
    count, rows = statement_cache.for_user(f"inbox_page:{tab}:{sort}", user,
                                           lambda u: _usual_page_statements(u, tab, sort))
    total = tab_total if tab_total is not None else db.scalar(count)
    total, exact, page = clamp(total, COUNT_LIMIT, page, per_page)
    items = db.scalars(rows, {"page_limit": per_page, "page_offset": (page - 1) * per_page}).all()
    return Page(items=items, total=total, page=page, per_page=per_page, total_exact=exact)


def _usual_page_statements(user, tab, sort):
    ids = task_ids_query(user, window=COUNT_LIMIT + 1, tab=tab, sort=sort)
    count = select(func.count()).select_from(ids.order_by(None).limit(COUNT_LIMIT + 1).subquery()) \
        .execution_options(prepare=True)
    page_ids = ids.limit(bindparam("page_limit")).offset(bindparam("page_offset")).subquery()
    rows = (select(HumanTask).join(page_ids, HumanTask.id == page_ids.c.id)
            .order_by(*SORTS[sort](page_ids.c), page_ids.c.id).execution_options(prepare=True))
    return count, rows


def inbox_tasks(db, user, limit, **filters):
    """The whole list (up to `limit` rows) in list order, for the Excel export."""
    ids = db.scalars(task_ids_query(user, window=limit, **filters).limit(limit)).all()
    return _rows_in_order(db, ids)


def _rows_in_order(db, ids):
    if not ids:
        return []
    rows = {t.id: t for t in db.scalars(select(HumanTask).where(HumanTask.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def open_tasks_statement(user):
    """The menu badge's worklist: the user's open tasks (theirs and their role's; not everything a process watcher
    may see), each branch cut at COUNT_LIMIT (app.common.ui counts up to BADGE_LIMIT, the same 100, so the badge
    says "99+" beyond 99)."""
    return task_ids_query(user, window=COUNT_LIMIT, tab=WORK)


def count_open(db, user):
    """The user's open tasks, counted up to COUNT_LIMIT."""
    mine = open_tasks_statement(user).order_by(None).limit(COUNT_LIMIT).subquery()
    return db.scalar(select(func.count()).select_from(mine)) or 0


def tab_counts(db, user, **filters) -> dict:
    """{tab: open tasks on it (up to COUNT_LIMIT + 1, shown as "100+")} in one statement: one scalar subquery per
    tab, each cut after COUNT_LIMIT + 1 rows of its index-friendly branches. Unfiltered (the usual page), the
    statement is built once per user (app.common.statement_cache)."""
    if any(filters.values()):
        statement = _tab_counts_statement(user, **filters)
    else:
        statement = statement_cache.for_user("inbox_tab_counts", user, _tab_counts_statement)
    counts = dict(db.execute(statement).one()._mapping)
    if WORK not in counts:  # mine and role split the work between them (_branches), each counted to the same cut
        counts[WORK] = min(counts["mine"] + counts["role"], COUNT_LIMIT + 1)
    counts.setdefault("all", counts[WORK])  # not a watcher: all they may see is their work
    return {tab: counts[tab] for tab in TABS}


def _counted_tabs(user, role=None):
    """The tabs tab_counts asks the database for; the others follow from them."""
    if role and role != user.role_code:
        return TABS  # another role's lane (process.admin): every tab lists that lane
    return ("mine", "role", "all") if sees_every_task(user) else ("mine", "role")


def _tab_counts_statement(user, **filters):
    columns = []
    for tab in _counted_tabs(user, filters.get("role")):
        ids = task_ids_query(user, window=COUNT_LIMIT + 1, tab=tab, **filters).order_by(None) \
            .limit(COUNT_LIMIT + 1).subquery()
        columns.append(select(func.count()).select_from(ids).scalar_subquery().label(tab))
    return select(*columns).execution_options(prepare=_preparable(filters))


def claim_many(db, user, actor, task_ids) -> list[dict]:
    """Take several shared tasks at once. Each is claimed in its own savepoint, so one taken meanwhile by someone
    else (or invisible, or of another lane) leaves the others claimed: [{task_id, status, detail}] in the given
    order, status one of claimed, not_found, taken, forbidden."""
    results = []
    for task_id in dict.fromkeys(task_ids):  # once each, in order
        try:
            with db.begin_nested():
                visible_task(db, user, task_id)
                claim_task(db, task_id, actor=actor)
            results.append({"task_id": task_id, "status": "claimed", "detail": None})
        except NotFound as err:
            results.append({"task_id": task_id, "status": "not_found", "detail": err.detail})
        except (ConcurrentUpdate, WrongStep):
            results.append({"task_id": task_id, "status": "taken",
                            "detail": gettext("Someone else has already taken or finished this task.")})
        except TaskForbidden:
            results.append({"task_id": task_id, "status": "forbidden",
                            "detail": gettext("You do not have the right to do this.")})
    return results


# {the latest definitions' (id, key, content hash): {key: display name}}: the names come from the parsed models,
# which change only with a deployment (a new row), so they are worked out once per deployment and process.
_NAMES = {}


@functools.cache
def _latest_definitions():
    """Built once: every inbox page runs it (building it cost more than running it)."""
    latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    return (select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.content_hash)
            .join(latest, and_(ProcessDefinition.key == latest.c.key, ProcessDefinition.version == latest.c.v))
            .order_by(ProcessDefinition.key).execution_options(prepare=True))


def process_names(db):
    """{key: display name} from the latest version of every deployed process (a page reads it from the process's
    copy while no deployment happened: app.common.reference_cache)."""
    return dict(reference_cache.kept(("process_names",), lambda: _latest_names(db)))


def _latest_names(db):
    rows = tuple(tuple(r) for r in db.execute(_latest_definitions()))
    names = _NAMES.get(rows)
    if names is None:
        names = {}
        for definition_id, key, _hash in rows:
            try:
                names[key] = parsed_for(db.get(ProcessDefinition, definition_id)).name
            except Exception:  # a stored model that no longer parses still lists under its key
                names[key] = key
        names = dict(sorted(names.items(), key=lambda kv: kv[1]))
        if len(_NAMES) > 16:  # deployments (and tests' rolled-back ones) must not grow it without end
            _NAMES.clear()
        _NAMES[rows] = names
    return names


def may_see(task, user) -> bool:
    """Who may know a task exists: users who watch processes (process.view, process.admin), the users it names
    (assignee, claimer, completer) and the members of its lane while no one else is assigned to it. A task claimed
    by a lane colleague stays visible to the lane, so a late claim hears "someone else took it"."""
    if user.can("process.view") or user.can("process.admin"):
        return True
    if user.id in (task.assignee_id, task.claimed_by, task.completed_by):
        return True
    return task.assignee_id is None and (not task.role or task.role == user.role_code)


def visible_task(db, user, task_id):
    """The task, checked before anything else is done with it: a task the user may not see answers exactly like
    one that does not exist (404, same message), so its subject, record and holder stay unknown."""
    return check_visible(db.get(HumanTask, task_id), user)


def check_visible(task, user):
    """visible_task's check on a row already read (None: no such task)."""
    if task is None or not may_see(task, user):
        raise NotFound(gettext("No such task."))
    return task


def check_may_read(task, user, actor):
    """Of the tasks a user sees, they open those they may do; watchers of processes (process.view) read any."""
    if not can_act(task, actor) and not user.can("process.view"):
        raise Forbidden(gettext("This task belongs to another role or user."))


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
    """The instance's history rows, oldest first, in words (app/inbox/history.py): {event, user_name, step,
    details, bookkeeping}."""
    return words.instance_history(db, instance_id)


def role_labels(db):
    """{role code: role name as pages show it (plain text)} (lanes are named by codes)."""
    from app.auth.models import Role
    return {code: role_label(code, name) for code, name in db.execute(select(Role.code, Role.name)).all()}


def user_names(db, ids):
    from app.auth.models import User
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
