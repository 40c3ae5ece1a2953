"""Demo opportunities in every state, driven through the real services and process (idempotent)."""
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.config import ROOT
from app.sales import plan_service, service
from app.sales.models import Opportunity
from processes.clock import utcnow

DEMO = [
    # customer name, creator, assignee, plan items [(days from today, to-do, result)], outcome
    ("上海华联商贸有限公司", "manager1", None, [], None),
    ("广州天河电子有限公司", "supervisor", None, [], None),
    ("成都蓉城餐饮管理公司", "supervisor", "manager1",
     [(-7, "电话联系采购经理，了解需求", "对方需要 40 台收银终端"), (3, "上门演示并提交报价", None)], None),
    ("武汉光谷软件有限公司", "manager2", "manager2", [(5, "邀请客户参观样板间", None)], None),
    ("南京紫金建材有限公司", "supervisor", "manager2", [(-20, "拜访总经理", "预算已冻结，年内不采购")], "failure"),
]


def _ensure_model(db):
    """Seeds may run before the app deployed the models (tests, a fresh database)."""
    from processes.api import deploy_model, latest_definition
    if latest_definition(db, service.PROCESS_KEY) is None:
        path = ROOT / "bpmn-models" / f"{service.PROCESS_KEY}.bpmn"
        deploy_model(db, path.read_text("utf-8"), forms_dir=ROOT / "forms", filename=path.name)


def seed_demo(db):
    names = [d[0] for d in DEMO]
    if db.scalar(select(Opportunity.id).where(Opportunity.customer_name.in_(names)).limit(1)):
        return
    users = {u.username: u for u in db.scalars(select(User))}
    if not {"supervisor", "manager1", "manager2"} <= set(users):
        return
    _ensure_model(db)
    today = utcnow().date()
    for i, (name, creator, assignee, items, outcome) in enumerate(DEMO):
        opp = service.create_opportunity(db, user=users[creator], data={
            "source": ["展会", "老客户介绍", "官网咨询", "电话营销", "行业协会"][i], "customer_name": name,
            "probability": [30, 50, 70, 60, 20][i], "summary": "办公设备与系统集成采购",
            "contact": ["刘强", "陈静", "周杰", "吴敏", "郑凯"][i], "contact_phone": f"1390000{1000 + i}",
            "description": f"{name}有意在本年度更新办公设备，需要客户经理跟进。"})
        # Recorded a month ago, so the demo plan can show past steps (plan dates never precede the opportunity).
        opp.created_at = utcnow() - timedelta(days=30)
        if assignee:
            service.assign_opportunity(db, user=users["supervisor"], opportunity_id=opp.id,
                                       assignee_id=users[assignee].id)
            for days, todo, result in items:
                plan_service.add_item(db, user=users[assignee], opportunity_id=opp.id,
                                      item_date=today + timedelta(days=days), todo=todo, result=result)
            if outcome:
                service.close_opportunity(db, user=users[assignee], opportunity_id=opp.id, outcome=outcome)
    db.flush()
