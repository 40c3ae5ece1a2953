"""An analyst inserts a supervisor review (主管复核) between the handling and the feedback of customer_service and
deploys it, with no Python change. A new request then goes create -> dispatch -> handle -> review (generic task
page) -> feedback -> archived, and at every step each worklist, its menu badge and the inbox agree; the feedback
page refuses while the process waits at the review, saying where it waits, and keeps what was typed. A request
started before the change finishes on its version, without the review."""
import re

from app.inbox.service import inbox_tasks
from app.service import deadlines
from app.service import service as svc
from app.service.models import ServiceRequest
from fixtures.step_variants import deploy_variant
from processes import api as engine
from test_service_helpers import clients, service_data  # noqa: F401

WORKLISTS = {  # user -> (list page, the steps it lists)
    "supervisor": ("/service/dispatch", ("dispatch", "escalate")),
    "manager1": ("/service/handle", ("handle",)),
    "service1": ("/service/feedback", ("feedback",)),
}


def _record(app, db, user, customer, summary):
    sr, _instance = svc.create_request(db, user=user("service1"), type="投诉", summary=summary,
                                       customer_id=customer.id, request="客户来电：打印机无法联网。",
                                       limits=deadlines.settings(app.config))
    db.commit()
    return sr.id


def _listed(html):
    return {int(i) for i in re.findall(r'<tr data-request="(\d+)"', html)}


def _badge(html, path):
    link = re.search(rf'<a href="{re.escape(path)}"[^>]*>[^<]*(?: <span class="badge">(\d+)</span>)?</a>', html)
    assert link, f"no menu entry {path}"
    return int(link.group(1) or 0)


def _in_inbox(db, user, steps):
    return {int(t.business_key) for t in inbox_tasks(db, user, 1000)
            if t.process_key == "customer_service" and t.bpmn_id in steps}


def _agree(db, user, pages):
    """Each user's worklist, its menu badge and their inbox list the same requests; returns them per user."""
    found = {}
    for name, (path, steps) in WORKLISTS.items():
        html = pages[name].get(path).get_data(as_text=True)
        listed = _listed(html)
        assert listed == _in_inbox(db, user(name), steps), name
        assert _badge(html, path) == len(listed), name
        found[name] = listed
    return found


def test_a_request_goes_through_an_inserted_review_and_every_list_follows(app, db, login, user, service_data):
    customer = service_data["KHT0001"]
    old = _record(app, db, user, customer, "变更前的请求")
    variant = deploy_variant(db, "customer_service.bpmn", on_flow="Flow_record_feedback", task_id="review",
                             name="主管复核", role="sales_supervisor")
    new = _record(app, db, user, customer, "变更后的请求")
    assert [i.definition_id for i in engine.instances_of(db, "customer_service", new)] == [variant.id]
    assert engine.instances_of(db, "customer_service", old)[0].definition_id != variant.id
    pages = {name: login(name) for name in WORKLISTS}
    m1 = user("manager1").id

    lists = _agree(db, user, pages)
    assert {old, new} <= lists["supervisor"] and not {old, new} & (lists["manager1"] | lists["service1"])

    assert pages["supervisor"].post(f"/service/{new}/dispatch", data={"assignee_id": m1}).status_code == 302
    lists = _agree(db, user, pages)
    assert new in lists["manager1"] and new not in lists["supervisor"]

    assert pages["manager1"].post(f"/service/{new}/handle", data={"handling": "已远程重置网络"}).status_code == 302
    db.expire_all()
    assert db.get(ServiceRequest, new).status == "handled"  # set by the model's service task, as before
    lists = _agree(db, user, pages)
    # At the review: on no worklist of the service desk, in the supervisors' inbox as the new step.
    assert new not in lists["service1"] and new not in lists["manager1"] and new not in lists["supervisor"]
    [review] = [t for t in inbox_tasks(db, user("supervisor"), 1000) if t.business_key == str(new)]
    assert (review.bpmn_id, review.name) == ("review", "主管复核")
    detail = pages["supervisor"].get(f"/service/{new}").get_data(as_text=True)
    assert re.search(r'id="current-step">主管复核, 销售主管', detail)

    # The service desk's feedback submitted now: 409 on the page, where it waits and who holds it, input kept.
    refused = pages["service1"].post(f"/service/{new}/feedback", data={"result": "客户说已经恢复", "satisfaction": "4"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "流程现在等待：主管复核, 销售主管" in html
    assert "客户说已经恢复</textarea>" in html and re.search(r'id="held-4" value="4" checked', html)
    db.expire_all()
    assert db.get(ServiceRequest, new).result is None

    # The review is worked through the generic task page with its JSON-Schema form.
    form_page = pages["supervisor"].get(f"/inbox/tasks/{review.id}").get_data(as_text=True)
    assert "复核意见" in form_page
    assert pages["supervisor"].post(f"/inbox/tasks/{review.id}", data={"comment": "处理得当"}).status_code == 302
    lists = _agree(db, user, pages)
    assert new in lists["service1"]

    assert pages["service1"].post(f"/service/{new}/feedback",
                                  data={"result": "客户说已经恢复", "satisfaction": "5"}).status_code == 302
    db.expire_all()
    assert db.get(ServiceRequest, new).status == "archived"
    lists = _agree(db, user, pages)
    assert new not in set().union(*lists.values())

    # The request started before the change runs on its version: no review between handling and feedback.
    assert pages["supervisor"].post(f"/service/{old}/dispatch", data={"assignee_id": m1}).status_code == 302
    assert pages["manager1"].post(f"/service/{old}/handle", data={"handling": "上门处理"}).status_code == 302
    assert old in _agree(db, user, pages)["service1"]
    assert pages["service1"].post(f"/service/{old}/feedback", data={"result": "满意", "satisfaction": "3"}) \
        .status_code == 302
    db.expire_all()
    assert db.get(ServiceRequest, old).status == "archived"
    assert not [t for t in engine.tasks_of(db, [i.id for i in engine.instances_of(db, "customer_service", old)])
                if t.bpmn_id == "review"]
    _agree(db, user, pages)


def test_the_api_answers_409_with_the_current_steps_while_the_review_waits(app, db, user, clients, service_data):
    deploy_variant(db, "customer_service.bpmn", on_flow="Flow_record_feedback", task_id="review",
                   name="主管复核", role="sales_supervisor")
    rid = _record(app, db, user, service_data["KHT0001"], "接口请求")
    for who, action, body in (("supervisor", "dispatch", {"assignee": user("manager1").id}),
                              ("manager1", "handle", {"handling": "已处理"})):
        c, h = clients(who)
        assert c.post(f"/api/v1/service-requests/{rid}/{action}", headers=h, json=body).status_code == 200
    c, h = clients("service1")
    resp = c.post(f"/api/v1/service-requests/{rid}/feedback", headers=h, json={"result": "好", "satisfaction": 5})
    body = resp.get_json()
    assert resp.status_code == 409 and body["code"] == "wrong_step"
    assert [(s["bpmn_id"], s["name"], s["role"]) for s in body["current_steps"]] == \
        [("review", "主管复核", "sales_supervisor")]
    assert c.get(f"/api/v1/service-requests/{rid}", headers=h).get_json()["current_steps"] == ["review"]
