"""Service actions racing each other, each on its own connection and thread (commits for real, so it cleans up):
a delete racing a dispatch, and two dispatches of the same request. Whatever the interleaving, the request and
its process agree afterwards."""
from datetime import datetime

import pytest
from race_support import (
    committed_session,
    drop_definition,
    drop_instances,
    race,
    users_by_name,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from test_service_helpers import ROOT

from app.catalog.models import DictionaryEntry
from app.common.errors import ServiceError
from app.common.models import AuditRecord
from app.customers.models import Customer
from app.db import make_engine
from app.service import actions, deadlines
from app.service import service as svc
from app.service.models import ServiceRequest
from processes.definitions import deploy_model
from processes.errors import EngineError
from processes.models import HumanTask, ProcessInstance

LIMITS = deadlines.settings({})


@pytest.fixture
def real_engine(app, engine):
    eng = make_engine(engine.url.render_as_string(hide_password=False), pool_size=6)
    created = {"definition": None, "requests": [], "customer": None, "types": []}
    with app.app_context(), Session(eng) as s:
        path = ROOT / "bpmn-models" / "customer_service.bpmn"
        definition, was_new = deploy_model(s, path.read_text("utf-8"), forms_dir=ROOT / "forms", filename=path.name)
        created["definition"] = definition.id if was_new else None
        if s.scalar(select(DictionaryEntry).where(DictionaryEntry.type == svc.SERVICE_TYPE,
                                                  DictionaryEntry.item == "投诉")) is None:
            entry = DictionaryEntry(type=svc.SERVICE_TYPE, item="投诉", value="complaint", editable=True)
            s.add(entry)
            s.flush()
            created["types"].append(entry.id)
        customer = Customer(no="KHRACE001", name="并发测试公司", level=1, status="normal",
                            created_at=datetime(2026, 1, 5))
        s.add(customer)
        s.commit()
        created["customer"] = customer.id
    yield eng, created
    with Session(eng) as s:
        ids = created["requests"]
        keys = [str(i) for i in ids]
        drop_instances(s, svc.PROCESS_KEY, keys)
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "service_request", AuditRecord.entity_id.in_(keys)))
        s.execute(delete(ServiceRequest).where(ServiceRequest.id.in_(ids)))
        s.execute(delete(Customer).where(Customer.id == created["customer"]))
        s.execute(delete(DictionaryEntry).where(DictionaryEntry.id.in_(created["types"])))
        drop_definition(s, created["definition"])
        s.commit()
    eng.dispose()






def _request(app, eng, created):
    with committed_session(app, eng) as s:
        sr, _instance = svc.create_request(s, user=users_by_name(s)["service1"], type="投诉", summary="并发",
                                           request="并发测试", customer_id=created["customer"], limits=LIMITS)
        s.commit()
        created["requests"].append(sr.id)
        return sr.id




def _state(eng, request_id):
    with Session(eng) as s:
        sr = s.get(ServiceRequest, request_id)
        instance = s.scalar(select(ProcessInstance).where(ProcessInstance.definition_key == svc.PROCESS_KEY,
                                                          ProcessInstance.business_key == str(request_id)))
        steps = s.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance.id,
                                                          HumanTask.completed_at.is_(None))).all()
        return sr, instance.status, steps


def test_a_delete_racing_a_dispatch_leaves_one_consistent_outcome(app, real_engine):
    eng, created = real_engine
    request_id = _request(app, eng, created)

    def remove(s, u):
        svc.delete_request(s, user=u["supervisor"], request_id=request_id)

    def dispatch(s, u):
        actions.dispatch(s, user=u["supervisor"], request_id=request_id, assignee_id=u["manager1"].id)

    results = race(app, eng, [remove, dispatch])
    # The loser is told why: deleted first -> the dispatch finds no request (404) or no step (409);
    # dispatched first -> the delete is refused (409). On SQLite a stale writer gets `conflict`.
    assert results.count("ok") == 1 and set(results) <= {"ok", "conflict", "wrong_step", "not_found"}, results
    sr, status, steps = _state(eng, request_id)
    if results[0] == "ok":
        assert (sr.deleted_at is not None, sr.status, status, steps) == (True, "new", "cancelled", [])
    else:
        assert (sr.deleted_at, sr.status, status, steps) == (None, "assigned", "running", ["handle"])


def test_two_supervisors_dispatching_at_once_dispatch_once(app, real_engine):
    eng, created = real_engine
    request_id = _request(app, eng, created)

    def dispatch_to(name):
        return lambda s, u: actions.dispatch(s, user=u["supervisor"], request_id=request_id,
                                             assignee_id=u[name].id)

    results = race(app, eng, [dispatch_to("manager1"), dispatch_to("manager2")])
    assert sorted(results)[1] == "ok" and sorted(results)[0] in ("conflict", "wrong_step"), results
    sr, status, steps = _state(eng, request_id)
    winner = "manager1" if results[0] == "ok" else "manager2"
    with Session(eng) as s:
        assert sr.assignee_id == users_by_name(s)[winner].id
    assert (sr.status, status, steps) == ("assigned", "running", ["handle"])


def test_a_dispatch_landing_while_a_delete_reads_the_request_makes_the_delete_refuse(app, real_engine, monkeypatch):
    """The worst interleaving, forced: the delete has read the request as `new` when a dispatch commits."""
    eng, created = real_engine
    request_id = _request(app, eng, created)
    real_get = svc.get_request

    def get_then_someone_dispatches(db, *, user, request_id):
        sr = real_get(db, user=user, request_id=request_id)
        assert sr.status == "new"
        with committed_session(app, eng) as other:
            actions.dispatch(other, user=users_by_name(other)["supervisor"], request_id=request_id,
                             assignee_id=users_by_name(other)["manager1"].id)
            other.commit()
        return sr

    monkeypatch.setattr(svc, "get_request", get_then_someone_dispatches)
    with committed_session(app, eng) as s:
        with pytest.raises((ServiceError, EngineError)) as refused:
            svc.delete_request(s, user=users_by_name(s)["supervisor"], request_id=request_id)
        s.rollback()
    assert refused.value.code in ("conflict",)  # 409 either way: status moved on (PG), or stale snapshot (SQLite)
    sr, status, steps = _state(eng, request_id)
    assert (sr.deleted_at, sr.status, status, steps) == (None, "assigned", "running", ["handle"])
