"""Demo service requests in each state, walked through the real process (idempotent: only into an empty table)."""
from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.customers.models import Customer
from app.service import actions, deadlines
from app.service import service as svc
from app.service.models import ServiceRequest

# (type, summary, request, how far it goes: new | assigned | handled | archived)
DEMO = [
    ("投诉", "发货延迟一周", "客户来电投诉上周订单至今未发货。", "new"),
    ("咨询", "询问发票开具", "客户询问增值税专用发票的开具时间。", "assigned"),
    ("建议", "希望增加夜间客服", "客户建议增加晚间 8 点后的电话客服。", "handled"),
    ("投诉", "安装人员迟到", "安装人员迟到两小时，客户不满。", "archived"),
]


def seed_demo(db):
    if db.scalar(select(ServiceRequest.id).limit(1)) is not None:
        return
    users = {u.username: u for u in db.scalars(select(User))}
    desk, supervisor, handler = users.get("service1"), users.get("supervisor"), users.get("manager1")
    customer = db.scalar(select(Customer).where(Customer.status == "normal")
                         .order_by((Customer.manager_id == (handler.id if handler else None)).desc(), Customer.id))
    types = svc.service_types(db)
    if not (desk and supervisor and handler and customer and types):
        return  # demo users, customers or the 服务类型 dictionary (catalog seed) are missing
    from app.config import ROOT
    from processes.api import deploy_directory
    deploy_directory(db, ROOT / "bpmn-models", ROOT / "forms")
    limits = deadlines.settings(current_app.config)
    for type_, summary, text, reach in DEMO:
        sr, _instance = svc.create_request(db, user=desk, type=type_, summary=summary, customer_id=customer.id,
                                           request=text, limits=limits)
        if reach == "new":
            continue
        actions.dispatch(db, user=supervisor, request_id=sr.id, assignee_id=handler.id)
        if reach == "assigned":
            continue
        actions.handle(db, user=handler, request_id=sr.id, handling="已电话联系客户并处理。")
        if reach == "archived":
            actions.feedback(db, user=desk, request_id=sr.id, result="客户表示满意。", satisfaction=4)
    db.flush()
