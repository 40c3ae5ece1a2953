"""Demo service requests: one per state, walked through the real process, and only once."""
from sqlalchemy import func, select

from app.service.models import ServiceRequest
from app.service.seed import seed_demo
from processes.models import HumanTask
from test_service_helpers import service_data  # noqa: F401  (fixture)


def test_demo_requests_cover_every_state_once(app, db, service_data):
    # Assertions stay inside the context: leaving it removes the session, which undoes the test's savepoint.
    with app.app_context():
        seed_demo(db)
        seed_demo(db)
        rows = db.scalars(select(ServiceRequest).order_by(ServiceRequest.id)).all()
        assert [r.status for r in rows] == ["new", "assigned", "handled", "archived"]
        open_steps = db.scalars(select(HumanTask.bpmn_id).where(HumanTask.process_key == "customer_service",
                                                                HumanTask.completed_at.is_(None))
                                .order_by(HumanTask.id)).all()
        assert open_steps == ["dispatch", "handle", "feedback"]
        assert db.scalar(select(func.count()).select_from(ServiceRequest)) == 4
