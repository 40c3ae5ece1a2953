"""Service-task operations change their record in one UPDATE (app/common/record_update.py) and keep the checks a
load used to make: the row must be live and the instance's own; an object of it already in the session shows the
new values."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app.common.errors import Conflict, NotFound
from app.common.record_update import update_live
from app.sales.models import Opportunity
from app.service.models import ServiceRequest
from processes.services import OperationContext, get_operation
from fixtures.sales_support import OPP, sales_api, sales_deployed  # noqa: F401 (fixtures)
from test_service_helpers import clients, create_via_api, service_data  # noqa: F401 (fixtures)


@pytest.fixture
def request_id(clients, db, service_data):
    rid = create_via_api(clients)["id"]
    db.expunge_all()
    return rid


def _stored(db, rid, *columns):
    return db.execute(text(f"SELECT {', '.join(columns)} FROM service_request WHERE id = :id"), {"id": rid}).one()


def test_a_held_object_shows_the_new_values_and_a_counter_counts(db, request_id):
    sr = db.get(ServiceRequest, request_id)
    assert sr.rounds == 0
    row = update_live(db, ServiceRequest, request_id, {"status": "handled", "handling": "已上门"},
                      increment=("rounds",), returning=("status",))
    assert tuple(row) == (1, "handled")
    assert (sr.status, sr.handling, sr.rounds) == ("handled", "已上门", 1)
    assert not db.dirty, "the new values are the object's loaded state, not a change to flush again"
    assert tuple(_stored(db, request_id, "status", "handling", "rounds")) == ("handled", "已上门", 1)
    update_live(db, ServiceRequest, request_id, {}, increment=("rounds",))
    assert sr.rounds == 2 == _stored(db, request_id, "rounds")[0]


def test_a_deleted_or_unknown_record_is_not_touched(db, request_id):
    db.execute(text("UPDATE service_request SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": request_id})
    assert update_live(db, ServiceRequest, request_id, {"status": "archived"}) is None
    assert update_live(db, ServiceRequest, 10 ** 9, {"status": "archived"}) is None
    assert _stored(db, request_id, "status")[0] != "archived"


def _ctx(db, business_key):
    return OperationContext(db=db, instance=SimpleNamespace(business_key=str(business_key)), user_id=None)


def test_a_service_operation_refuses_another_instances_request_and_errs_on_a_deleted_one(db, request_id):
    archive = get_operation("service.archive")
    with pytest.raises(Conflict):
        archive(_ctx(db, request_id + 1), request_id=request_id)
    assert _stored(db, request_id, "status")[0] != "archived"
    db.execute(text("UPDATE service_request SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": request_id})
    with pytest.raises(LookupError):  # the process points at a record that is gone: the instance goes to error
        archive(_ctx(db, request_id), request_id=request_id)


def test_a_sales_operation_refuses_another_instances_opportunity_and_a_deleted_one(db, sales_api, sales_deployed):
    c, h = sales_api("manager1")
    opp_id = c.post("/api/v1/opportunities", json=OPP, headers=h).get_json()["id"]
    close = get_operation("sales.close")
    with pytest.raises(Conflict):
        close(_ctx(db, opp_id + 1), opportunity_id=opp_id, status="failed")
    assert close(_ctx(db, opp_id), opportunity_id=str(opp_id), status="terminated") == {"status": "terminated"}
    assert db.scalar(select(Opportunity.status).where(Opportunity.id == opp_id)) == "terminated"
    db.execute(text("UPDATE opportunity SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": opp_id})
    with pytest.raises(NotFound):
        close(_ctx(db, opp_id), opportunity_id=opp_id, status="failed")


def test_a_rolled_back_savepoint_takes_the_held_values_back(db, request_id):
    sr = db.get(ServiceRequest, request_id)
    before = sr.status
    savepoint = db.begin_nested()
    update_live(db, ServiceRequest, request_id, {"status": "archived"})
    assert sr.status == "archived"
    savepoint.rollback()
    assert sr.status == before == _stored(db, request_id, "status")[0]
