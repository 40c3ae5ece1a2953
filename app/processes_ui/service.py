"""Process management: definitions, deployments from the browser or API, instance lists and details."""
from sqlalchemy import and_, func, or_, select

from app.auth.models import User
from flask_babel import gettext as _

from app.common.errors import Forbidden, NotFound, ValidationFailed
from app.inbox import links
from app.processes_ui import forms_service
from app.config import ROOT
from lxml import etree

from processes.definitions import deploy_model, latest_definition, parse_model, parsed_for
from processes.diff import diff_models
from processes.services import operation_names
from processes.validation import preview_due
from processes.errors import DefinitionInvalid
from processes.models import HumanTask, ProcessDefinition, ProcessInstance

FORMS_DIR = ROOT / "forms"
STATUSES = ("running", "completed", "cancelled", "error")


def definitions(db):
    """Every definition row, newest version first per key, with deployer name and instance counts."""
    counts = dict(db.execute(select(ProcessInstance.definition_id, func.count())
                             .group_by(ProcessInstance.definition_id)).all())
    rows = db.execute(select(ProcessDefinition, User.name).outerjoin(User, User.id == ProcessDefinition.deployed_by)
                      .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).all()
    out = []
    for row, deployer in rows:
        try:
            name = parsed_for(row).name
        except DefinitionInvalid:
            name = row.key
        out.append({"row": row, "name": name, "deployer": deployer, "instances": counts.get(row.id, 0)})
    return out


def get_definition(db, key, version=None):
    stmt = select(ProcessDefinition).where(ProcessDefinition.key == key)
    stmt = stmt.where(ProcessDefinition.version == version) if version else \
        stmt.order_by(ProcessDefinition.version.desc()).limit(1)
    row = db.scalar(stmt)
    if row is None:
        raise NotFound("Process definition not found")
    return row


def _stored_forms(db, xml):
    """Forms kept with the latest deployed version of the processes in `xml` (so an edited model keeps them)."""
    try:
        ids = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml).xpath(
            "//*[local-name()='process']/@id")
    except etree.XMLSyntaxError:
        return {}
    forms = {}
    for key in ids:
        row = latest_definition(db, key)
        if row is not None:
            forms.update(row.forms or {})
    return forms


def _forms_for(db, xml, uploaded):
    """Forms of the previous version, overridden by the repository's forms/ folder, by the forms saved in the form
    editor, by uploads."""
    forms = _stored_forms(db, xml)
    if FORMS_DIR.is_dir():
        forms.update({p.name: p.read_text(encoding="utf-8") for p in FORMS_DIR.glob("*.json")})
    forms.update(forms_service.saved_forms(db))  # saved in the form editor: newer than the folder
    forms.update(uploaded or {})
    return forms


def translated(finding):
    """A validation finding or migration reason in the user's language: its template is a fixed English text of
    processes/ (listed in this package's catalog); the params (element names, ids) are inserted as they are."""
    text = _(finding.template)
    return text % dict(finding.params) if finding.params else text


def finding_dicts(err):
    """[{element_id, message}] of a DefinitionInvalid, translated where the engine gave a template."""
    objects = getattr(err, "finding_objects", None)
    if objects:
        return [{"element_id": f.element_id, "message": translated(f)} for f in objects]
    return [{"element_id": f.get("element_id"), "message": f["message"]} for f in err.extra.get("findings") or []] \
        or [{"element_id": None, "message": m} for m in (err.extra.get("errors") or [err.detail])]


def finding_text(finding):
    return f"{finding['element_id']}: {finding['message']}" if finding["element_id"] else finding["message"]


def validate_model(db, xml, *, uploaded_forms=None, filename=None):
    """The model's findings ([{element_id, message}], empty when it would deploy): the same checks as deploy."""
    if not xml or not xml.strip():
        return [{"element_id": None, "message": _("The diagram is empty.")}]
    try:
        parse_model(xml, forms=_forms_for(db, xml, uploaded_forms), filename=filename)
    except DefinitionInvalid as err:
        return finding_dicts(err)
    return []


NOTE_MAX = 2000


def deploy(db, *, xml, user_id, uploaded_forms=None, filename=None, note=None):
    """Deploy as a new version (no-op when unchanged): returns (definition, created); ValidationFailed lists
    the model's findings under `bpmn` (extra `findings`: [{element_id, message}])."""
    if not xml or not xml.strip():
        raise ValidationFailed({"bpmn": [_("Choose a BPMN file.")]})
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationFailed({"note": [_("Enter at most %(n)s characters.", n=NOTE_MAX)]})
    try:
        return deploy_model(db, xml, forms=_forms_for(db, xml, uploaded_forms), filename=filename,
                            user_id=user_id, note=note)
    except DefinitionInvalid as err:
        findings = finding_dicts(err)
        texts = [finding_text(f) for f in findings]
        exc = ValidationFailed({"bpmn": texts}, detail=_("The model cannot be deployed: %(problems)s",
                                                         problems="; ".join(texts)))
        exc.extra["findings"] = findings
        raise exc from None


def _process_key(xml):
    try:
        ids = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml).xpath(
            "//*[local-name()='process' and @isExecutable='true']/@id")
    except etree.XMLSyntaxError:
        return None
    return ids[0] if len(ids) == 1 else None


def draft_diff(db, xml):
    """What an editor diagram changes against the version running now: {key, base_version, added, removed,
    changed} (base_version None for a process never deployed)."""
    key = _process_key(xml)
    latest = latest_definition(db, key) if key else None
    if latest is None:
        return {"key": key, "base_version": None, "added": [], "removed": [], "changed": []}
    try:
        diff = diff_models(latest.bpmn_xml, xml)
    except etree.XMLSyntaxError:
        raise ValidationFailed({"bpmn": [_("The diagram is not valid XML.")]}) from None
    return {"key": key, "base_version": latest.version, **diff}


def version_diff(db, key, from_version=None, to_version=None):
    """{from_version, to_version, added, removed, changed} between two deployed versions (default: the latest
    against the one before it)."""
    to = get_definition(db, key, to_version)
    if from_version is None:
        from_version = to.version - 1
        if from_version < 1:
            raise ValidationFailed({"from": [_("Version %(v)s is the first one; there is nothing to compare.",
                                               v=to.version)]})
    frm = get_definition(db, key, from_version)
    return {"from_version": frm.version, "to_version": to.version, **diff_models(frm.bpmn_xml, to.bpmn_xml)}


def editor_choices(db, row, role_names):
    """What the editor's properties panel offers instead of free text: the forms (repository folder forms/ and
    those kept with the edited version), the roles lanes can name, the registered service operations."""
    forms = set(row.forms or {}) if row is not None else set()
    forms |= {f["name"] for f in forms_service.catalogue(db, FORMS_DIR)}
    return {"forms": sorted(forms), "roles": sorted(role_names.items()), "operations": operation_names()}


def timer_preview(kind, expression):
    """{ok, message, due_at}: the first due time of a timer started now, in the user's time zone."""
    from app.common.ui import local_time
    due, problem = preview_due({"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}[kind],
                               expression)
    if problem is not None:
        return {"ok": False, "message": translated(problem), "due_at": None}
    if due is None:
        return {"ok": True, "message": _("Depends on the process data; computed when the timer starts."),
                "due_at": None}
    shown = local_time(due)
    return {"ok": True, "message": _("Started now, it would fire at %(at)s.", at=shown), "due_at": shown}


def instances_query(*, key=None, status=None, q=None, timers=False):
    stmt = select(ProcessInstance, ProcessDefinition.version).join(
        ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    if key:
        stmt = stmt.where(ProcessInstance.definition_key == key)
    if status in STATUSES:
        stmt = stmt.where(ProcessInstance.status == status)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(ProcessInstance.business_key.ilike(like), ProcessInstance.subject.ilike(like)))
    if timers:  # upcoming timer fires, soonest first
        return stmt.where(ProcessInstance.next_timer_at.is_not(None),
                          ProcessInstance.status.in_(("running", "error"))).order_by(
            ProcessInstance.next_timer_at, ProcessInstance.id)
    return stmt.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())


def open_steps(db, instance_ids):
    """{instance_id: [(name, role, assignee name)]} of open user tasks, one query for a page of instances."""
    if not instance_ids:
        return {}
    rows = db.execute(select(HumanTask.instance_id, HumanTask.name, HumanTask.role, HumanTask.bpmn_id,
                             HumanTask.id, User.name).outerjoin(User, User.id == func.coalesce(
                                 HumanTask.assignee_id, HumanTask.claimed_by))
                      .where(and_(HumanTask.instance_id.in_(instance_ids), HumanTask.completed_at.is_(None)))
                      .order_by(HumanTask.id)).all()
    result = {}
    for instance_id, name, role, bpmn_id, task_id, who in rows:
        result.setdefault(instance_id, []).append({"task_id": task_id, "bpmn_id": bpmn_id, "name": name,
                                                   "role": role, "assignee": who})
    return result


def get_instance(db, instance_id):
    row = db.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound("Process instance not found")
    return row


def may_view_instance(db, user, instance) -> bool:
    """process.view sees every instance; others see the instances they work in (a task assigned to, claimed or
    completed by them, or open in their lane) and those about a record they may open
    (app.inbox.links.register_record_access)."""
    return instance.id in viewable_instances(db, user, [instance])


def viewable_instances(db, user, instances) -> set:
    """The ids of `instances` the user may view (see may_view_instance): one query for the instances they work
    in, the record rule only for the others (a page listing several instances asks once)."""
    if user.can("process.view"):
        return {i.id for i in instances}
    ids = [i.id for i in instances]
    if not ids:
        return set()
    mine = or_(HumanTask.assignee_id == user.id, HumanTask.claimed_by == user.id, HumanTask.completed_by == user.id,
               and_(HumanTask.completed_at.is_(None), HumanTask.assignee_id.is_(None),
                    HumanTask.role == user.role_code))
    seen = set(db.scalars(select(HumanTask.instance_id).where(HumanTask.instance_id.in_(ids), mine).distinct()))
    return seen | {i.id for i in instances if i.id not in seen
                   and links.may_open_record(db, user, i.definition_key, i.business_key)}


def get_visible_instance(db, user, instance_id):
    """The instance when `user` may view it; NotFound for an unknown id, Forbidden otherwise."""
    instance = get_instance(db, instance_id)
    if not may_view_instance(db, user, instance):
        raise Forbidden(_("You may only open the processes of your own tasks and records."))
    return instance


def instance_model_xml(db, user, instance_id) -> str:
    """The BPMN the instance runs on (its pinned version), for the diagram of the instance view."""
    instance = get_visible_instance(db, user, instance_id)
    return db.get(ProcessDefinition, instance.definition_id).bpmn_xml
