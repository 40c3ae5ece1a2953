"""Administrative changes (accounts, role rights) leave an append-only trace in audit_record."""
from app.common.models import AuditRecord
from processes.clock import utcnow


def audit(db, entity, entity_id, action, actor, data=None):
    db.add(AuditRecord(entity=entity, entity_id=str(entity_id), action=action,
                       user_id=getattr(actor, "id", None), data=data, at=utcnow()))
