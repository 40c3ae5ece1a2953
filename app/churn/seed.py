"""Demo churn data: the scan runs once over the demo customers (some are silent for months, some never ordered),
and the first manager's two oldest warnings are handled through the process, one postponed and one confirmed,
so the inbox, the churn pages and the churn report all have something to show."""
from sqlalchemy import select

from app.auth.models import User
from app.churn import service
from app.churn.models import ChurnCase
from app.churn.scan_service import PROCESS_KEY, run_configured_scan


def seed_demo(db):
    """Idempotent: a second run opens no case (the scan never duplicates) and handles none."""
    from processes.api import latest_definition
    if latest_definition(db, PROCESS_KEY) is None:
        return  # models are deployed at app start; until then the weekly scan catches up
    result = run_configured_scan(db)
    if not result.created:
        return
    first = db.scalars(select(ChurnCase).where(ChurnCase.id.in_(result.case_ids), ChurnCase.manager_id.is_not(None))
                       .order_by(ChurnCase.manager_id, ChurnCase.id).limit(2)).all()
    for case, decide in zip(first, (_postpone, _confirm)):
        decide(db, db.get(User, case.manager_id), case)


def _postpone(db, manager, case):
    service.postpone_case(db, user=manager, case_id=case.id, measure="电话回访，赠送下季度九折优惠券")


def _confirm(db, manager, case):
    service.confirm_case(db, user=manager, case_id=case.id, reason="客户业务调整，已转向其他供应商")
