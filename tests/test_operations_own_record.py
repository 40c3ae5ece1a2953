"""Service-task operations touch only their own instance's record (business key): a model or form data passing
another record's id is refused (the completion is rejected, nothing changes) — sales already did this; the
service and churn operations do too."""
from datetime import date

import pytest

from app.churn.models import ChurnCase
from app.churn.scan_service import run_scan
from app.common.errors import Conflict
from app.service.models import ServiceRequest
from processes import api as engine
from processes.services import OperationContext, get_operation
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at, make_customer  # noqa: F401
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401


def _context(db, key, business_key, user_id=None):
    [instance] = engine.instances_of(db, key, business_key)
    return OperationContext(db=db, instance=instance, user_id=user_id)


@pytest.mark.parametrize("name, params", [
    ("service.assign", {"assignee_id": None}),
    ("service.record_handling", {"handling": "改了别人的请求"}),
    ("service.record_feedback", {"result": "x", "satisfaction": 5}),
    ("service.archive", {}),
    ("service.reopen", {}),
])
def test_a_service_operation_refuses_another_requests_id(db, user, clients, service_data, name, params):
    mine, other = create_via_api(clients)["id"], create_via_api(clients, summary="另一个请求")["id"]
    if name == "service.assign":
        params = {"assignee_id": user("manager1").id}
    with pytest.raises(Conflict):
        get_operation(name)(_context(db, "customer_service", mine), request_id=other, **params)
    db.expire_all()
    victim = db.get(ServiceRequest, other)
    assert (victim.status, victim.assignee_id, victim.handling, victim.result) == ("new", None, None, None)


@pytest.mark.parametrize("name, params", [
    ("churn.postpone", {"measure": "改了别人的案例"}),
    ("churn.confirm", {"reason": "x"}),
    ("churn.retain", {}),
    ("churn.recheck", {}),
    ("churn.manager", {}),
])
def test_a_churn_operation_refuses_another_cases_id(db, user, clock_at, churn_model, name, params):
    clock_at(SCAN_AT_UTC)
    a = make_customer(db, name="甲", manager=user("manager1"), orders=[date(2029, 1, 1)])
    b = make_customer(db, name="乙", manager=user("manager1"), orders=[date(2029, 1, 1)])
    run_scan(db, months=6, tz="Asia/Shanghai")
    mine = db.query(ChurnCase).filter_by(customer_id=a.id).one().id
    other = db.query(ChurnCase).filter_by(customer_id=b.id).one()
    with pytest.raises(Conflict):
        get_operation(name)(_context(db, "customer_churn", mine, user("manager1").id), case_id=other.id, **params)
    db.expire_all()
    assert (other.status, other.measures, other.reason) == ("warning", [], None)
    assert b.status == "normal"
