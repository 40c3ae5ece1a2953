"""A double click and a client's retry racing the first try (two threads against the app, each request on its own
connection, committed for real, so the fixture cleans up): one service request, one process; both answers are
the first try's."""
import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.catalog.models import DictionaryEntry
from app.common.models import AuditRecord, IdempotencyRecord
from app.customers.models import Customer
from app.service import service as svc
from app.service.models import ServiceRequest
from processes.definitions import deploy_model
from processes.models import ProcessInstance
from race_support import drop_definition, drop_instances
from test_service_helpers import ROOT

TOKEN = re.compile(r'name="_form_token" value="([^"]+)"')
SUMMARY = "并发双击"


@pytest.fixture
def committed(app, engine):
    """The service model, a service type and a customer, committed; afterwards everything the test made goes."""
    created = {"definition": None, "types": [], "customer": None}
    started = datetime.utcnow()
    with app.app_context(), Session(engine) as s:
        path = ROOT / "bpmn-models" / "customer_service.bpmn"
        definition, was_new = deploy_model(s, path.read_text("utf-8"), forms_dir=ROOT / "forms", filename=path.name)
        created["definition"] = definition.id if was_new else None
        if s.scalar(select(DictionaryEntry).where(DictionaryEntry.type == svc.SERVICE_TYPE,
                                                  DictionaryEntry.item == "投诉")) is None:
            entry = DictionaryEntry(type=svc.SERVICE_TYPE, item="投诉", value="complaint", editable=True)
            s.add(entry)
            s.flush()
            created["types"].append(entry.id)
        customer = Customer(no="KHIDEM001", name="幂等测试公司", level=1, status="normal",
                            created_at=datetime(2026, 1, 5))
        s.add(customer)
        s.commit()
        created["customer"] = customer.id
    yield created
    with Session(engine) as s:
        ids = s.scalars(select(ServiceRequest.id).where(ServiceRequest.customer_id == created["customer"])).all()
        keys = [str(i) for i in ids]
        drop_instances(s, svc.PROCESS_KEY, keys)
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "service_request", AuditRecord.entity_id.in_(keys)))
        s.execute(delete(ServiceRequest).where(ServiceRequest.id.in_(ids)))
        s.execute(delete(Customer).where(Customer.id == created["customer"]))
        s.execute(delete(DictionaryEntry).where(DictionaryEntry.id.in_(created["types"])))
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at >= started))
        drop_definition(s, created["definition"])
        s.commit()


def _at_once(*calls):
    """Run the calls at the same moment on their own threads; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        answers[i] = call()
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def _made(engine, customer_id):
    with Session(engine) as s:
        requests = s.scalars(select(ServiceRequest).where(ServiceRequest.customer_id == customer_id)).all()
        processes = s.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.definition_key == svc.PROCESS_KEY,
            ProcessInstance.business_key.in_([str(r.id) for r in requests])))
        return requests, processes


def test_a_double_clicked_page_form_creates_one_request_and_one_process(app, engine, committed):
    first = app.test_client()
    assert first.post("/login", data={"username": "service1", "password": "demo"}).status_code == 302
    second = app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    token = TOKEN.findall(first.get("/service/new").get_data(as_text=True))[-1]
    data = {"type": "投诉", "customer_no": "KHIDEM001", "summary": SUMMARY, "request": "双击",
            "_form_token": token}
    answers = _at_once(lambda: first.post("/service/new", data=data), lambda: second.post("/service/new", data=data))
    requests, processes = _made(engine, committed["customer"])
    assert len(requests) == 1 and processes == 1
    assert [a.status_code for a in answers] == [302, 302]
    assert {a.headers["Location"] for a in answers} == {f"/service/{requests[0].id}"}
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    first.post("/logout")


def test_two_api_creates_with_one_key_at_once_create_one_request(app, engine, committed):
    c = app.test_client()
    token = c.post("/api/v1/auth/login", json={"username": "service1", "password": "demo"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "create-once-7f3a"}
    body = {"type": "投诉", "summary": SUMMARY, "customer_no": "KHIDEM001", "request": "重试"}
    answers = _at_once(*[lambda: app.test_client().post("/api/v1/service-requests", json=body, headers=headers)] * 2)
    requests, processes = _made(engine, committed["customer"])
    assert len(requests) == 1 and processes == 1
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json() == answers[1].get_json() and answers[0].get_json()["id"] == requests[0].id
    c.post("/api/v1/auth/logout", headers=headers)
