"""Which process instances are about a customer.

Instances know their business record only by (definition key, business key = str(record id)); the domain rows
(opportunity, churn case, service request) carry the customer id. This module joins the two sides.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.rights_catalog import role_label
from app.churn.models import ChurnCase
from app.sales.models import Opportunity
from app.service.models import ServiceRequest
from processes import api as engine

# definition key -> the domain model whose id is the business key
PROCESS_RECORDS = {
    "sales_opportunity": Opportunity,
    "customer_churn": ChurnCase,
    "customer_service": ServiceRequest,
}


def records_about(db, customer_id) -> dict[str, list]:
    """{definition key: [domain rows about the customer]}, newest first (deleted opportunities/requests left out)."""
    found = {}
    for key, model in PROCESS_RECORDS.items():
        stmt = select(model).where(model.customer_id == customer_id)
        if hasattr(model, "deleted_at"):
            stmt = stmt.where(model.deleted_at.is_(None))
        found[key] = list(db.scalars(stmt.order_by(model.id.desc())))
    return found


@dataclass
class ProcessRow:
    """One line of the customer page's process table."""
    kind: str                      # definition key
    record: object                 # Opportunity | ChurnCase | ServiceRequest
    instance: object | None         # the engine's ProcessInstance row (read only)
    open_tasks: list = field(default_factory=list)   # [(HumanTask, holder label)]


def process_rows(db, customer_id) -> list[ProcessRow]:
    """Every process about the customer: its record, its (latest) instance and the open steps with who holds them."""
    records = records_about(db, customer_id)
    instances = engine.latest_instances(db, {key: [r.id for r in rows] for key, rows in records.items()})
    tasks = {}
    by_instance = engine.open_tasks_of_instances(db, [i.id for i in instances.values()])
    open_tasks = [t for rows in by_instance.values() for t in rows]
    holders = _holder_labels(db, open_tasks)
    for t in open_tasks:
        tasks.setdefault(t.instance_id, []).append((t, holders[t.id]))
    rows = []
    for key, recs in records.items():
        for rec in recs:
            inst = instances.get((key, str(rec.id)))
            rows.append(ProcessRow(kind=key, record=rec, instance=inst,
                                   open_tasks=tasks.get(inst.id, []) if inst else []))
    # Running first, then the most recently started.
    rows.sort(key=lambda r: (not r.open_tasks, -(r.instance.started_at.timestamp() if r.instance else 0)))
    return rows


def _holder_labels(db, tasks) -> dict[int, dict]:
    """Task id -> {'user': name or None, 'role': role code or None}: a named user, else the lane's role."""
    user_ids = {t.assignee_id or t.claimed_by for t in tasks} - {None}
    names = dict(db.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    role_codes = {t.role for t in tasks} - {None}
    roles = {code: role_label(code, name) for code, name in
             db.execute(select(Role.code, Role.name).where(Role.code.in_(role_codes)))} if role_codes else {}
    return {t.id: {"user": names.get(t.assignee_id or t.claimed_by), "role": roles.get(t.role, t.role)}
            for t in tasks}
