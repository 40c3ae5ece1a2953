"""Demo opportunities: every state, driven through the process, and seeding twice adds nothing."""
from sqlalchemy import func, select

from app.sales import seed
from app.sales.models import Opportunity, PlanItem
from fixtures.sales_support import open_tasks


def test_demo_opportunities_cover_the_states_and_follow_the_process(db, user):
    seed.seed_demo(db)
    seed.seed_demo(db)
    opps = {o.customer_name: o for o in db.scalars(select(Opportunity))}
    assert len(opps) == len(seed.DEMO)
    assert sorted({o.status for o in opps.values()}) == ["failed", "in_development", "unassigned"]
    for o in opps.values():
        steps = [(t.bpmn_id, t.assignee_id) for t in open_tasks(db, o.id)]
        expected = {"unassigned": [("assign", None)], "in_development": [("develop", o.assignee_id)],
                    "failed": []}[o.status]
        assert steps == expected, o.customer_name
    developing = opps["成都蓉城餐饮管理公司"]
    assert developing.assignee_id == user("manager1").id
    assert db.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.opportunity_id == developing.id)) == 2
