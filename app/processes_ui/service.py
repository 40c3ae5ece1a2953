"""Process management: definitions, deployments from the browser or API, instance lists and details."""
from sqlalchemy import and_, func, or_, select

from app.auth.models import User
from flask_babel import gettext as _

from app.common.errors import Forbidden, NotFound, ValidationFailed
from app.inbox import links
from app.config import ROOT
from lxml import etree

from processes.definitions import deploy_model, latest_definition, parse_model, parsed_for
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
    """Forms of the previous version, overridden by the repository's forms/ folder, overridden by uploads."""
    forms = _stored_forms(db, xml)
    if FORMS_DIR.is_dir():
        forms.update({p.name: p.read_text(encoding="utf-8") for p in FORMS_DIR.glob("*.json")})
    forms.update(uploaded or {})
    return forms


def validate_model(db, xml, *, uploaded_forms=None, filename=None):
    """Problems of a model as a list of messages (empty when it would deploy)."""
    try:
        parse_model(xml, forms=_forms_for(db, xml, uploaded_forms), filename=filename)
    except DefinitionInvalid as err:
        return err.extra.get("errors") or [err.detail]
    return []


def deploy(db, *, xml, user_id, uploaded_forms=None, filename=None):
    """Deploy as a new version (no-op when unchanged): returns (definition, created); ValidationFailed lists
    the model's problems under `bpmn`."""
    if not xml or not xml.strip():
        raise ValidationFailed({"bpmn": ["Choose a BPMN file."]})
    try:
        return deploy_model(db, xml, forms=_forms_for(db, xml, uploaded_forms), filename=filename, user_id=user_id)
    except DefinitionInvalid as err:
        raise ValidationFailed({"bpmn": err.extra.get("errors") or [err.detail]}) from None


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
