"""A page form posted twice (a double click, a resubmission after Back) acts once: every POST form carries a
one-time token; the second post answers the first's result and creates nothing. A post refused with field errors
does not use the token up: the corrected form goes through."""
import re

from sqlalchemy import func, select

from app.service.models import ServiceRequest
from processes.models import ProcessInstance
from test_service_helpers import service_data  # noqa: F401  (fixture)

TOKEN = re.compile(r'name="_form_token" value="([^"]+)"')


def form_token(page_html):
    tokens = TOKEN.findall(page_html)
    assert tokens, "the form carries no one-time token"
    return tokens[-1]  # the page's own form comes after the header's forms


def _requests(db, summary):
    return db.scalars(select(ServiceRequest).where(ServiceRequest.summary == summary)).all()


def _instances(db, sr):
    return db.scalar(select(func.count()).select_from(ProcessInstance)
                     .where(ProcessInstance.business_key == str(sr.id), ProcessInstance.definition_key == "customer_service"))


def test_every_post_form_gets_its_own_token(login, service_data):
    page = login("service1").get("/service/new").get_data(as_text=True)
    tokens = TOKEN.findall(page)
    assert len(tokens) == page.count('method="post"') >= 3  # language switch, sign out, the form
    assert len(set(tokens)) == len(tokens)
    again = login("manager1").get("/service/new").get_data(as_text=True)
    assert not set(TOKEN.findall(again)) & set(tokens)


def test_the_same_form_posted_twice_creates_one_request_and_one_process(login, db, service_data):
    c = login("service1")
    token = form_token(c.get("/service/new").get_data(as_text=True))
    data = {"type": "咨询", "customer_no": "KHT0001", "summary": "双击提交", "request": "双击",
            "_form_token": token}
    first = c.post("/service/new", data=data)
    second = c.post("/service/new", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    [sr] = _requests(db, "双击提交")
    assert first.headers["Location"].endswith(f"/service/{sr.id}")
    assert _instances(db, sr) == 1
    # The page shown after the replay says what the first post did, once.
    assert c.get(second.headers["Location"]).get_data(as_text=True).count(f"服务请求 {sr.id} 已创建") == 1


def test_a_refused_post_keeps_the_token_for_the_corrected_one(login, db, service_data):
    c = login("service1")
    token = form_token(c.get("/service/new").get_data(as_text=True))
    data = {"type": "咨询", "customer_no": "KHT0001", "summary": "", "request": "先漏填",
            "_form_token": token}
    refused = c.post("/service/new", data=data)
    assert refused.status_code == 422 and "先漏填" in refused.get_data(as_text=True)
    corrected = c.post("/service/new", data={**data, "summary": "补上摘要"})
    assert corrected.status_code == 302 and "Idempotent-Replayed" not in corrected.headers
    again = c.post("/service/new", data={**data, "summary": "补上摘要"})
    assert again.headers["Location"] == corrected.headers["Location"]
    assert len(_requests(db, "补上摘要")) == 1


def test_a_new_rendering_of_the_form_creates_again(login, db, service_data):
    c = login("service1")
    for _ in range(2):
        token = form_token(c.get("/service/new").get_data(as_text=True))
        resp = c.post("/service/new", data={"type": "咨询", "customer_no": "KHT0001",
                                            "summary": "两次新建", "request": "两张表单", "_form_token": token})
        assert resp.status_code == 302
    assert len(_requests(db, "两次新建")) == 2
