"""Handing a customer to another manager: the customer's open work about it moves, nothing else does."""
from sqlalchemy import select

from app.churn.models import ChurnCase
from app.common.models import AuditRecord
from app.customers.models import Customer
from app.service.models import ServiceRequest
from processes.models import HumanTask, ProcessEvent
from test_customers_support import (make_churn_case, make_customer, make_instance, make_opportunity,
                                    make_service_request, uid)


def _assignees(db, inst):
    return {t.bpmn_id: t.assignee_id for t in db.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id))}


def test_handing_over_moves_open_tasks_and_open_churn_cases(db, login):
    m1, m2, sup = uid(db, "manager1"), uid(db, "manager2"), uid(db, "supervisor")
    customer = make_customer(db, name="移交客户")
    other = make_customer(db, name="不相干的客户")
    churn = make_churn_case(db, customer, manager_id=m1, status="postponed")
    old_case = make_churn_case(db, customer, manager_id=m1, status="confirmed")
    churn_inst = make_instance(db, "customer_churn", churn, tasks=[
        ("handle_warning", "处理流失预警", "customer_manager", m1, False),
        ("recheck", "再次处理流失预警", "customer_manager", m1, True)])
    request = make_service_request(db, customer, created_by=uid(db, "service1"), assignee_id=m1, status="assigned")
    service_inst = make_instance(db, "customer_service", request, tasks=[
        ("dispatch", "服务分配", "sales_supervisor", None, False),
        ("handle", "服务处理", "customer_manager", m1, True)])
    opportunity = make_opportunity(db, customer, assignee_id=m1)
    opp_inst = make_instance(db, "sales_opportunity", opportunity, tasks=[
        ("review", "复核", "sales_supervisor", sup, True)])
    # Same manager, another customer: must stay put.
    other_case = make_churn_case(db, other, manager_id=m1)
    other_inst = make_instance(db, "customer_churn", other_case, tasks=[
        ("handle_warning", "处理流失预警", "customer_manager", m1, True)])

    c = login("supervisor")
    page = c.get(f"/customers/{customer.no}/transfer").get_data(as_text=True)
    assert "王经理" in page and f'value="{m1}"' not in page, "the current manager is not offered"
    resp = c.post(f"/customers/{customer.no}/transfer", data={"manager_id": str(m2)}, follow_redirects=True)
    assert resp.status_code == 200
    assert "移交客户 已移交给 王经理；2 个待办任务和 1 个流失记录随之移交" in resp.get_data(as_text=True)

    db.expire_all()
    assert db.get(Customer, customer.id).manager_id == m2
    assert _assignees(db, churn_inst) == {"handle_warning": m1, "recheck": m2}, "completed steps keep their doer"
    assert _assignees(db, service_inst) == {"dispatch": None, "handle": m2}
    assert _assignees(db, opp_inst) == {"review": sup}, "another person's task stays theirs"
    assert _assignees(db, other_inst) == {"handle_warning": m1}, "another customer's work stays"
    assert db.get(ChurnCase, churn.id).manager_id == m2
    assert db.get(ChurnCase, old_case.id).manager_id == m1, "closed cases keep their history"
    assert db.get(ChurnCase, other_case.id).manager_id == m1
    assert db.get(ServiceRequest, request.id).assignee_id == m2
    events = db.scalars(select(ProcessEvent).where(ProcessEvent.event == "task_reassigned")).all()
    assert sorted(e.instance_id for e in events) == sorted([churn_inst.id, service_inst.id])
    audit = db.scalar(select(AuditRecord).where(AuditRecord.entity == "customer", AuditRecord.action == "transfer",
                                                AuditRecord.entity_id == customer.no))
    assert audit.data["from"] == m1 and audit.data["to"] == m2 and audit.user_id == sup

    # The new manager now sees the customer and the moved tasks; the old one does neither.
    assert login("manager2").get(f"/customers/{customer.no}").status_code == 200
    assert login("manager1").get(f"/customers/{customer.no}").status_code == 404


def test_handing_over_is_refused_for_a_bad_target(db, login):
    customer = make_customer(db)
    c = login("supervisor")
    for target in ("", str(uid(db, "manager1")), str(uid(db, "executive")), "999999"):
        resp = c.post(f"/customers/{customer.no}/transfer", data={"manager_id": target})
        assert resp.status_code == 422, target
        assert 'class="field-error"' in resp.get_data(as_text=True)
    db.expire_all()
    assert db.get(Customer, customer.id).manager_id == uid(db, "manager1")


def test_only_holders_of_the_transfer_right_hand_over(db, login):
    customer = make_customer(db)
    resp = login("manager1").post(f"/customers/{customer.no}/transfer", data={"manager_id": uid(db, "manager2")})
    assert resp.status_code == 403
    db.expire_all()
    assert db.get(Customer, customer.id).manager_id == uid(db, "manager1")
