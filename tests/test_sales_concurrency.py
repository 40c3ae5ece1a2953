"""Domain actions racing the process, each on its own connection and thread (commits for real, so it cleans up):
plan items added while the manager closes, and a delete racing an assignment. Whatever the interleaving, the
opportunity, its plan and its process agree afterwards."""

import pytest
from fixtures.sales_support import OPP, ROOT
from race_support import (
    committed_session,
    drop_definition,
    drop_instances,
    race,
    users_by_name,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.common.models import AuditRecord
from app.db import make_engine
from app.sales import plan_service, service
from app.sales.models import Opportunity, PlanItem
from processes.definitions import deploy_model
from processes.models import HumanTask, ProcessInstance

ADDERS = 6


@pytest.fixture
def real_engine(app, engine):
    eng = make_engine(engine.url.render_as_string(hide_password=False), pool_size=ADDERS + 4)
    created = {"definition": None, "opportunities": []}
    with app.app_context(), Session(eng) as s:
        path = ROOT / "bpmn-models" / "sales_opportunity.bpmn"
        definition, was_new = deploy_model(s, path.read_text("utf-8"), forms_dir=ROOT / "forms", filename=path.name)
        s.commit()
        created["definition"] = definition.id if was_new else None
    yield eng, created
    with Session(eng) as s:
        ids = created["opportunities"]
        keys = [str(i) for i in ids]
        drop_instances(s, "sales_opportunity", keys)
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "opportunity", AuditRecord.entity_id.in_(keys)))
        s.execute(delete(PlanItem).where(PlanItem.opportunity_id.in_(ids)))
        s.execute(delete(Opportunity).where(Opportunity.id.in_(ids)))
        drop_definition(s, created["definition"])
        s.commit()
    eng.dispose()






def _opportunity(app, eng, created, *, assigned):
    with committed_session(app, eng) as s:
        users = users_by_name(s)
        opp = service.create_opportunity(s, user=users["supervisor"], data=OPP,
                                         assignee_id=users["manager1"].id if assigned else None)
        s.commit()
        created["opportunities"].append(opp.id)
        return opp.id




def test_plan_items_never_land_after_a_concurrent_close(app, real_engine):
    eng, created = real_engine
    opp_id = _opportunity(app, eng, created, assigned=True)

    def add(n):
        return lambda s, u: plan_service.add_item(s, user=u["manager1"], opportunity_id=opp_id,
                                                  item_date="2030-03-02", todo=f"item {n}")

    def close(s, u):
        service.close_opportunity(s, user=u["manager1"], opportunity_id=opp_id, outcome="failure")

    results = race(app, eng, [add(n) for n in range(ADDERS)] + [close])
    # Losers are told to retry (409): on SQLite a writer whose snapshot went stale gets `conflict`.
    assert set(results) <= {"ok", "wrong_step", "conflict"} and "ok" in results, results
    with Session(eng) as s:
        opp = s.get(Opportunity, opp_id)
        assert opp.status == ("failed" if results[-1] == "ok" else "in_development")
        items = s.scalars(select(PlanItem).where(PlanItem.opportunity_id == opp_id)).all()
        assert len(items) == results[:-1].count("ok")
        added = s.scalars(select(AuditRecord.at).where(AuditRecord.entity_id == str(opp_id),
                                                       AuditRecord.action == "plan_item_added")).all()
        assert all(at <= opp.closed_at for at in added) if opp.closed_at else True


def test_a_delete_racing_an_assignment_leaves_one_consistent_outcome(app, real_engine):
    eng, created = real_engine
    opp_id = _opportunity(app, eng, created, assigned=False)

    def remove(s, u):
        service.delete_opportunity(s, user=u["supervisor"], opportunity_id=opp_id)

    def assign(s, u):
        service.assign_opportunity(s, user=u["supervisor"], opportunity_id=opp_id, assignee_id=u["manager2"].id)

    results = race(app, eng, [remove, assign])
    assert sorted(results) in (["conflict", "ok"], ["ok", "wrong_step"]), results
    with Session(eng) as s:
        opp = s.get(Opportunity, opp_id)
        instance = s.scalar(select(ProcessInstance).where(ProcessInstance.business_key == str(opp_id)))
        open_steps = s.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance.id,
                                                               HumanTask.completed_at.is_(None))).all()
        if results[0] == "ok":
            assert (opp.deleted_at is not None, opp.status, instance.status, open_steps) == (
                True, "unassigned", "cancelled", [])
        else:
            assert (opp.deleted_at, opp.status, instance.status, open_steps) == (
                None, "in_development", "running", ["develop"])
