"""Moving running instances between versions (page and API): a dry run, the migration itself and its revert.

This is the edge of the use case: each instance moves in its own transaction (processes.migration locks it), so
one refusal or conflict never undoes the others, and the migration record grows in the same transaction as each
instance it moved. Pass the request session; it is committed here.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.common.errors import Conflict, NotFound, ValidationFailed
from app.processes_ui.service import get_definition, translated
from processes import clock
from processes.errors import ConcurrentUpdate, InstanceNotFound
from processes.migration import MOVABLE_STATUSES, MigrationRefused, check_instance, compare, migrate_instance
from processes.models import ProcessDefinition, ProcessInstance, ProcessMigration

REASON_MAX = 2000


def _selected(session, source, instance_ids):
    if instance_ids:
        found = {i.id: i for i in session.scalars(select(ProcessInstance)
                                                  .where(ProcessInstance.id.in_(instance_ids)))}
        return [(iid, found.get(iid)) for iid in dict.fromkeys(instance_ids)]
    rows = session.scalars(select(ProcessInstance).where(ProcessInstance.definition_id == source.id,
                                                         ProcessInstance.status.in_(MOVABLE_STATUSES))
                           .order_by(ProcessInstance.id)).all()
    return [(i.id, i) for i in rows]


def _refusal(iid, message):
    return {"instance_id": iid, "reason": message}


def run(session, *, key, from_version, to_version, instance_ids=None, dry_run=True, user_id=None, reason=None,
        reverts=None):
    """{migration_id, dry_run, migrated: [ids], refused: [{instance_id, reason}]}. A dry run lists the
    instances that would move as `migrated` and changes nothing."""
    if reason is not None and len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": [_("Enter at most %(n)s characters.", n=REASON_MAX)]})
    if from_version == to_version:
        raise ValidationFailed({"to_version": [_("Choose another version than the one the instances run on.")]})
    source = get_definition(session, key, from_version)
    target = get_definition(session, key, to_version)
    plan = compare(source, target)
    migrated, refused = [], []
    selected = _selected(session, source, instance_ids)
    if dry_run:
        for iid, instance in selected:
            if instance is None or instance.definition_key != key:
                refused.append(_refusal(iid, _("No instance of this process has this number.")))
                continue
            why = check_instance(session, instance, plan)
            if why:
                refused.append(_refusal(iid, translated(why)))
            else:
                migrated.append(iid)
        return {"migration_id": None, "dry_run": True, "migrated": migrated, "refused": refused}
    record = ProcessMigration(process_key=key, from_definition_id=source.id, to_definition_id=target.id,
                              user_id=user_id, reason=(reason or "").strip() or None, at=clock.utcnow(),
                              migrated=[], refused=[], reverts_id=reverts)
    session.add(record)
    session.commit()
    for iid, instance in selected:
        if instance is None or instance.definition_key != key:
            refused.append(_refusal(iid, _("No instance of this process has this number.")))
            continue
        try:
            migrate_instance(session, iid, plan, user_id=user_id, reason=record.reason,
                             migration_id=record.id)
            record.migrated = [*record.migrated, iid]
            session.commit()
            migrated.append(iid)
        except MigrationRefused as err:
            session.rollback()
            refused.append(_refusal(iid, translated(err.reason)))
        except (ConcurrentUpdate, InstanceNotFound) as err:
            session.rollback()
            refused.append(_refusal(iid, str(err.detail)))
    record.refused = refused
    session.commit()
    return {"migration_id": record.id, "dry_run": False, "migrated": migrated, "refused": refused}


def revert(session, migration_id, *, user_id=None, reason=None):
    """Move the instances of a migration back to the version they came from (those that can still move)."""
    record = session.get(ProcessMigration, migration_id)
    if record is None:
        raise NotFound(_("Migration not found"))
    if session.scalar(select(ProcessMigration.id).where(ProcessMigration.reverts_id == record.id)):
        raise Conflict(_("This migration has already been reverted."))
    if not record.migrated:
        raise Conflict(_("This migration moved no instance; there is nothing to revert."))
    frm = session.get(ProcessDefinition, record.to_definition_id)
    to = session.get(ProcessDefinition, record.from_definition_id)
    return run(session, key=record.process_key, from_version=frm.version, to_version=to.version,
               instance_ids=list(record.migrated), dry_run=False, user_id=user_id,
               reason=reason or _("Revert of migration %(id)s", id=record.id), reverts=record.id)


def history(session, key):
    """The migrations of a process, newest first, with their versions and whether they were reverted."""
    rows = session.scalars(select(ProcessMigration).where(ProcessMigration.process_key == key)
                           .order_by(ProcessMigration.id.desc())).all()
    versions = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.version)
                                    .where(ProcessDefinition.key == key)).all())
    reverted = {r.reverts_id for r in rows if r.reverts_id}
    return [{"row": r, "from_version": versions.get(r.from_definition_id),
             "to_version": versions.get(r.to_definition_id), "reverted": r.id in reverted} for r in rows]
