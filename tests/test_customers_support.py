"""Factories shared by the customer tests (imported by test_customers_*.py; holds no tests itself)."""
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import User
from app.catalog.models import DictionaryEntry, Order, OrderLine, Product
from app.churn.models import ChurnCase
from app.customers.lookups import LEVEL_TYPE, REGION_TYPE
from app.customers.models import Activity, Contact
from app.customers.service import create_customer
from app.sales.models import Opportunity
from app.service.models import ServiceRequest
from processes.models import HumanTask, ProcessDefinition, ProcessInstance

LEVELS = [("普通客户", "1"), ("重点开发客户", "2"), ("大客户", "3"), ("合作伙伴", "4"), ("战略合作伙伴", "5")]
REGIONS = ["北京", "华北", "中南", "东北", "西部"]
T0 = datetime(2025, 3, 1, 8, 0)


def uid(db, username):
    return db.scalar(select(User.id).where(User.username == username))


def ensure_dictionary(db):
    """The two dictionary types customers are checked against (the demo seed may already hold them)."""
    have = {(e.type, e.item) for e in db.scalars(select(DictionaryEntry))}
    for item, value in LEVELS:
        if (LEVEL_TYPE, item) not in have:
            db.add(DictionaryEntry(type=LEVEL_TYPE, item=item, value=value, editable=False))
    for region in REGIONS:
        if (REGION_TYPE, region) not in have:
            db.add(DictionaryEntry(type=REGION_TYPE, item=region, value=region, editable=True))
    db.flush()


def make_customer(db, manager="manager1", name="北京远望科技有限公司", **kw):
    ensure_dictionary(db)
    return create_customer(db, name=name, manager_id=uid(db, manager) if manager else None, **kw)


def add_contact(db, customer, name="刘洋", **kw):
    contact = Contact(customer_id=customer.id, name=name, **kw)
    db.add(contact)
    db.flush()
    return contact


def add_activity(db, customer, summary="拜访客户", on=date(2025, 1, 10), **kw):
    activity = Activity(customer_id=customer.id, date=on, summary=summary, **kw)
    db.add(activity)
    db.flush()
    return activity


def add_order(db, customer, order_no, on, lines, status="paid"):
    """lines: [(quantity, unit price)] of one product."""
    product = db.scalar(select(Product).where(Product.name == "测试打印机"))
    if product is None:
        product = Product(name="测试打印机", model="P-100", unit="台", unit_price=Decimal("100.00"))
        db.add(product)
        db.flush()
    order = Order(order_no=order_no, customer_id=customer.id, order_date=on, status=status, imported_at=T0,
                  total=sum(Decimal(q) * Decimal(p) for q, p in lines),
                  lines=[OrderLine(product_id=product.id, quantity=q, unit="台", unit_price=Decimal(p))
                         for q, p in lines])
    db.add(order)
    db.flush()
    return order


def _definition(db, key):
    found = db.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key))
    if found is None:
        found = ProcessDefinition(key=key, version=1, content_hash=uuid.uuid4().hex, bpmn_xml="<definitions/>",
                                  forms={}, deployed_at=T0)
        db.add(found)
        db.flush()
    return found


def make_instance(db, key, record, *, tasks=(), status="running", started_at=T0, ended_at=None):
    """A process instance about `record` and its inbox rows; tasks: [(bpmn_id, name, role, assignee_id, open?)]."""
    definition = _definition(db, key)
    inst = ProcessInstance(definition_id=definition.id, definition_key=key, business_key=str(record.id),
                           subject=f"{key} {record.id}", status=status, state={}, started_at=started_at,
                           ended_at=ended_at)
    db.add(inst)
    db.flush()
    for i, (bpmn_id, name, role, assignee_id, is_open) in enumerate(tasks):
        db.add(HumanTask(instance_id=inst.id, task_uuid=str(uuid.uuid4()), process_key=key,
                         business_key=str(record.id), subject=inst.subject, bpmn_id=bpmn_id, name=name, role=role,
                         assignee_id=assignee_id, created_at=started_at + timedelta(hours=i + 1),
                         completed_at=None if is_open else started_at + timedelta(hours=i + 2),
                         completed_by=None if is_open else assignee_id))
    db.flush()
    return inst


def make_opportunity(db, customer, *, assignee_id, status="succeeded"):
    opp = Opportunity(customer_name=customer.name, probability=80, summary="采购打印机", description="需求明确",
                      created_by=assignee_id, created_at=T0, assignee_id=assignee_id, assigned_at=T0, status=status,
                      customer_id=customer.id)
    db.add(opp)
    db.flush()
    return opp


def make_churn_case(db, customer, *, manager_id, status="warning"):
    case = ChurnCase(customer_id=customer.id, manager_id=manager_id, last_order_date=date(2024, 1, 5), status=status,
                     created_at=T0)
    db.add(case)
    db.flush()
    return case


def make_service_request(db, customer, *, created_by, assignee_id=None, status="new"):
    req = ServiceRequest(type="咨询", summary="打印机卡纸", customer_id=customer.id, request="客户来电",
                         created_by=created_by, created_at=T0, assignee_id=assignee_id, status=status)
    db.add(req)
    db.flush()
    return req
