"""Where a task or its business record lives in the domain pages.

Domain packages register, at import (e.g. in their views.py):
    register_record_link("sales_opportunity", lambda key: row_url("sales.show", "id", int(key)))
    register_task_page("sales_opportunity", "assign", lambda task: row_url("sales.assign", "id", int(task.business_key)))
    register_record_access("sales_opportunity", "opportunity.view",
                           lambda db, user, business_key: get_opportunity(db, user=user, opportunity_id=...))
    register_essentials("sales_opportunity", lambda db, business_key: [(label, value), ...])
(app.common.row_urls.row_url is url_for built once per page for all its rows.) A task without a registered page
opens the generic form page (inbox.task). The record access rule lets the users
who may open a record follow its process instances (diagram, history) without the right process.view. The
essentials are what any task page of the process shows above its form (an analyst's new step included), so the
person doing the step need not open the record to learn what it is about.
"""
from app.common.errors import ServiceError
from app.common.row_urls import row_url

_RECORD_LINKS = {}
_TASK_PAGES = {}
_RECORD_ACCESS = {}
_ESSENTIALS = {}
_HISTORY_LABELS = {}


def register_record_link(process_key, fn):
    _RECORD_LINKS[process_key] = fn


def register_record_access(process_key, right, fetch):
    """Users with `right` who can open the record: fetch(db, user, business_key) returns it or raises the domain's
    NotFound/Forbidden (its own scope rules, e.g. a manager's own customers)."""
    _RECORD_ACCESS[process_key] = (right, fetch)


def may_open_record(db, user, process_key, business_key) -> bool:
    rule = _RECORD_ACCESS.get(process_key)
    if rule is None or business_key is None or not user.can(rule[0]):
        return False
    try:
        rule[1](db, user, business_key)
    except (ServiceError, ValueError):
        return False
    return True


def register_essentials(process_key, fn):
    """fn(db, business_key) -> [(label, value)] for the record of that process: value is a text, or a list of
    texts (shown as a list); None when the record is gone."""
    _ESSENTIALS[process_key] = fn


def essentials(db, process_key, business_key) -> list:
    fn = _ESSENTIALS.get(process_key)
    if fn is None or business_key is None:
        return []
    try:
        return fn(db, business_key) or []
    except ValueError:  # a business key that is not the record's id (an instance started by hand)
        return []


def register_history_labels(process_key, labels, *, users=()):
    """The process's variables worth showing in its history that no form names: {variable: label (lazy text)};
    `users`: variables holding a user id (shown as the person's name). Unlabelled variables are bookkeeping and
    stay out of the history (app/inbox/history.py)."""
    _HISTORY_LABELS[process_key] = (dict(labels), tuple(users))


def history_labels(process_key):
    return _HISTORY_LABELS.get(process_key, ({}, ()))


def register_task_page(process_key, bpmn_id, fn):
    """bpmn_id None = every task of the process."""
    _TASK_PAGES[(process_key, bpmn_id)] = fn


def record_url(process_key, business_key):
    fn = _RECORD_LINKS.get(process_key)
    if fn is None or business_key is None:
        return None
    try:
        return fn(business_key)
    except Exception:  # a broken link must not break the inbox
        return None


def task_url(task):
    fn = _TASK_PAGES.get((task.process_key, task.bpmn_id)) or _TASK_PAGES.get((task.process_key, None))
    if fn is not None:
        try:
            url = fn(task)
            if url:
                return url
        except Exception:
            pass
    return row_url("inbox.task", "task_id", task.id)
