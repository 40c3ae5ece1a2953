"""A process history in words, for every page that shows one (task, record, instance pages).

Rows say who did what and with which business data: people by name, times in the company time zone, fields by
their label in the UI language, choices by their label. What a user does not need is left out: automatic passes
through gateways and unnamed events (history rows of automatic steps that changed no data), and variables
nobody labelled (bookkeeping such as company_tz, dispatch_limit, internal ids, operation results).

A variable is labelled by the title of a form field in the instance's model version (the analyst's new forms
included) or by its process binding (`app.inbox.links.register_history_labels`, for data a form does not ask,
e.g. the data a process starts with). User fields (`x-users` in a form, or the binding's `users`) show names.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.common.ui import history_value, model_text
from app.inbox import links
from processes.definitions import parsed_for
from processes.models import ProcessDefinition, ProcessEvent, ProcessInstance

# What the engine itself writes into history rows: an error's message, a cancellation's reason.
# A reassignment (customer transfer) names the people it moved the task between.
# The engine's event codes (processes/) in words; a domain's history may reword some (app/service/history.py).
EVENT_LABELS = {
    "started": _l("Process started"),
    "task_completed": _l("Step completed"),
    "step": _l("Automatic step"),
    "timer_fired": _l("Timer fired"),
    "completed": _l("Process finished"),
    "cancelled": _l("Process cancelled"),
    "error": _l("Process error"),
    "retried": _l("Process retried"),
    "task_reassigned": _l("Handed over"),
    "migrated": _l("Moved to another model version"),
}

COMMON_LABELS = {"message": _l("Message"), "reason": _l("Reason"), "from": _l("Handed over from"),
                 "to": _l("Handed over to")}
COMMON_USERS = {"from", "to"}


class Vocabulary:
    """What one process's variables are called, from its binding and the forms of the versions involved."""

    def __init__(self, process_key, definitions):
        self.binding, users = links.history_labels(process_key)
        self.titles, self.users, self.choices = {}, set(users) | COMMON_USERS, {}
        for definition in definitions:
            for schema in (definition.forms or {}).values():
                for name, prop in ((schema or {}).get("properties") or {}).items():
                    if not isinstance(prop, dict):
                        continue
                    if prop.get("title"):
                        self.titles.setdefault(name, prop["title"])
                    if prop.get("x-users"):
                        self.users.add(name)
                    if prop.get("enum") and prop.get("enumNames"):
                        self.choices.setdefault(name, dict(zip(prop["enum"], prop["enumNames"])))

    def label(self, name):
        """The binding's label (UI text), else the form's title (a model text), else the common ones."""
        if name in self.binding:
            return str(self.binding[name])
        if name in self.titles:
            return model_text(self.titles[name])
        return str(COMMON_LABELS[name]) if name in COMMON_LABELS else None

    def details(self, data, names):
        """[(label, text)] of the labelled variables in `data` (nested operation results included)."""
        out = []
        for name, value in _flatten(data).items():
            label = self.label(name)
            if label is None or value in (None, ""):
                continue
            out.append((label, self.text(name, value, names)))
        return out

    def text(self, name, value, names):
        if name in self.users and isinstance(value, int):
            return names.get(value, str(value))
        choices = self.choices.get(name)
        if choices and value in choices:
            return model_text(choices[value])
        return str(history_value(value))


def _flatten(data):
    out = {}
    for key, value in (data or {}).items() if isinstance(data, dict) else ():
        if isinstance(value, dict):
            out.update({k: v for k, v in _flatten(value).items() if k not in out})
        else:
            out[key] = value
    return out


def is_bookkeeping(event, elements) -> bool:
    """An automatic pass that changed nothing and means nothing to a reader: a gateway (分配汇合), an unnamed
    event. Named start and end events stay (流失预警, 已挽回 say how it began and ended)."""
    if event.event != "step" or event.data:
        return False
    kind, name = elements.get(event.bpmn_id, ("", None))
    return "Gateway" in kind or not name


def _elements(definitions):
    """{bpmn_id: (spec class name, BPMN name)} of the versions involved."""
    found = {}
    for definition in definitions:
        parsed = parsed_for(definition)
        for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
            for ts in spec.task_specs.values():
                if ts.bpmn_id:
                    found[ts.bpmn_id] = (type(ts).__name__, ts.bpmn_name)
    return found


def readable(db, events, *, process_key, definitions):
    """[{event, label, user_name, step, details, bookkeeping}] for history rows `events` (oldest first)."""
    vocabulary = Vocabulary(process_key, definitions)
    elements = _elements(definitions)
    payloads = [_payload(e) for e in events]
    ids = {e.user_id for e in events}
    for payload in payloads:
        ids |= {v for k, v in _flatten(payload).items() if k in vocabulary.users and isinstance(v, int)}
    ids = {i for i in ids if isinstance(i, int)}
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [{"event": e, "label": str(EVENT_LABELS.get(e.event, e.event)), "user_name": names.get(e.user_id),
             "bookkeeping": is_bookkeeping(e, elements),
             "step": model_text(elements.get(e.bpmn_id, ("", None))[1] or e.bpmn_id) if e.bpmn_id else "",
             "details": vocabulary.details(payload, names)} for e, payload in zip(events, payloads)]


def _payload(event):
    """The data a row carries: a start carries {"data": the start data}; errors say their message."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.event == "started":
        return data.get("data", data)
    return data


def instance_history(db, instance_id):
    instance = db.get(ProcessInstance, instance_id)
    events = db.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == instance_id)
                        .order_by(ProcessEvent.at, ProcessEvent.id)).all()
    definition = db.get(ProcessDefinition, instance.definition_id)
    return readable(db, events, process_key=instance.definition_key, definitions=[definition])


def record_history(db, instances, events):
    """The history of a record's instances (one process, possibly several versions)."""
    if not instances:
        return []
    definitions = db.scalars(select(ProcessDefinition).where(
        ProcessDefinition.id.in_({i.definition_id for i in instances}))).all()
    return readable(db, events, process_key=instances[0].definition_key, definitions=definitions)
