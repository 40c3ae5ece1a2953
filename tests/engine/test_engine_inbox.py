"""The demo process end to end through the inbox pages and the task API, as the users of each lane."""
import re
from datetime import timedelta

from sqlalchemy import select

from engine_helpers import DEMO_XML, FIXTURES
from processes.definitions import deploy_model
from processes.models import HumanTask
from processes.runtime import fire_due_timers, start_process


def start(db, key="engine_demo", business_key="R-7", subject="光明贸易 服务请求", **data):
    return start_process(db, key, business_key=business_key, subject=subject,
                         data={"amount": 5, "record": business_key, "escalate_after": "PT4H", **data}, user_id=None)


def listed(client, url="/inbox/"):
    """Task names in the inbox table of a page."""
    return re.findall(r'class="task-link">([^<]+)<', client.get(url).get_data(as_text=True))


def open_task(db, bpmn_id):
    return db.scalar(select(HumanTask).where(HumanTask.bpmn_id == bpmn_id, HumanTask.completed_at.is_(None)))


def test_web_flow_review_handle_loop_with_form_errors_kept(db, demo, login, user):
    start(db)
    sup = login("supervisor")
    inbox = sup.get("/inbox/").get_data(as_text=True)
    assert "Review request" in inbox and "光明贸易 服务请求" in inbox
    assert re.search(r'我的任务.*?<span class="badge">1</span>', inbox, re.S)  # menu counter
    review = open_task(db, "Review")
    page = sup.get(f"/inbox/tasks/{review.id}").get_data(as_text=True)
    assert 'name="approved"' in page and user("manager1").name in page and user("manager2").name in page
    assert "★★★★★" in page and 'type="date"' in page and "<textarea" in page
    assert user("supervisor").name not in page.split('name="assignee_id"')[1].split("</select>")[0]
    resp = sup.post(f"/inbox/tasks/{review.id}", data={"approved": "yes", "priority": "7",
                                                       "comment": "看一下", "follow_up": "2024-13-40"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "看一下" in html and 'value="2024-13-40"' in html  # input kept
    assert "此项为必填" in html and "不能大于 5" in html and "日期" in html
    resp = sup.post(f"/inbox/tasks/{review.id}", data={"approved": "yes", "assignee_id": str(user("manager1").id),
                                                       "priority": "4", "follow_up": "2024-12-01"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox/")
    assert "Review request" not in listed(sup, "/inbox/")

    m2 = login("manager2")
    assert "Handle request" not in listed(m2, "/inbox/")
    handle_id = open_task(db, "Handle").id  # the requests share the test's session and close it: keep the id
    assert m2.get(f"/inbox/tasks/{handle_id}").status_code == 404  # assigned to a colleague: not even known
    m1 = login("manager1")
    assert "Handle request" in listed(m1, "/inbox/")
    task_page = m1.get(f"/inbox/tasks/{handle_id}").get_data(as_text=True)
    assert "Review request" in task_page and "Notify handler" in task_page  # history with the earlier steps
    assert m1.post(f"/inbox/tasks/{handle_id}", data={"handling": "回访", "again": "yes",
                                                      "satisfaction": "4"}).status_code == 302
    again = open_task(db, "Handle")
    assert again.id != handle_id
    assert m1.post(f"/inbox/tasks/{again.id}", data={"handling": "完成", "again": "no"}).status_code == 302
    assert open_task(db, "Handle") is None
    assert m1.post(f"/inbox/tasks/{again.id}", data={"handling": "x", "again": "no"}).status_code == 302


def test_api_inbox_task_form_and_completion_rules(db, demo, api, user):
    from app.catalog.models import DictionaryEntry
    db.add_all([DictionaryEntry(type="服务类型", item=i, value=v, editable=True)
                for i, v in (("咨询", "consultation"), ("投诉", "complaint"))])
    start(db)
    sup, sup_h = api("supervisor")
    listing = sup.get("/api/v1/tasks?process=engine_demo", headers=sup_h).get_json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "Review request"
    task_id = listing["items"][0]["id"]
    detail = sup.get(f"/api/v1/tasks/{task_id}", headers=sup_h).get_json()
    schema = detail["form"]["schema"]
    assert detail["business_key"] == "R-7" and detail["form"]["name"] == "engine_review.json"
    assert sorted(schema["properties"]["assignee_id"]["enum"]) == sorted([user("manager1").id, user("manager2").id])
    assert detail["form"]["ui"]["priority"] == {"ui:widget": "stars"}
    assert schema["properties"]["channel"]["enum"] == ["consultation", "complaint"]
    assert schema["properties"]["channel"]["enumNames"] == ["咨询", "投诉"]

    mgr, mgr_h = api("manager1")
    assert mgr.get(f"/api/v1/tasks/{task_id}", headers=mgr_h).status_code == 404  # another lane: unknown
    resp = mgr.post(f"/api/v1/tasks/{task_id}/complete", headers=mgr_h, json={"data": {"approved": "yes"}})
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"
    resp = sup.post(f"/api/v1/tasks/{task_id}/complete", headers=sup_h,
                    json={"data": {"approved": "perhaps", "channel": "gossip"}})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"approved", "assignee_id", "channel"}
    resp = sup.post(f"/api/v1/tasks/{task_id}/complete", headers=sup_h,
                    json={"data": {"approved": "yes", "assignee_id": user("manager1").id}})
    assert resp.status_code == 200
    out = resp.get_json()
    assert out["status"] == "running" and [s["bpmn_id"] for s in out["current_steps"]] == ["Handle"]
    again = sup.post(f"/api/v1/tasks/{task_id}/complete", headers=sup_h,
                     json={"data": {"approved": "yes", "assignee_id": user("manager1").id}})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    mine = mgr.get("/api/v1/tasks", headers=mgr_h).get_json()["items"]
    assert [t["name"] for t in mine] == ["Handle request"] and mine[0]["due_at"]
    m2, m2_h = api("manager2")
    assert m2.get("/api/v1/tasks", headers=m2_h).get_json()["total"] == 0


def test_timer_escalation_reaches_the_supervisor_inbox(db, demo, login, user, clock_shift):
    start(db)
    review = open_task(db, "Review")
    sup = login("supervisor")
    sup.post(f"/inbox/tasks/{review.id}", data={"approved": "yes", "assignee_id": str(user("manager1").id)})
    m1 = login("manager1")
    assert "Handle request" in listed(m1, "/inbox/?due=today")
    assert "Handle request" not in listed(m1, "/inbox/?due=overdue")
    clock_shift(timedelta(hours=5))  # sessions idle out too: sign in again
    m1, sup = login("manager1"), login("supervisor")
    assert "Handle request" in listed(m1, "/inbox/?due=overdue")
    assert fire_due_timers(db) is not None
    assert "Handle request" not in listed(m1, "/inbox/")
    assert "Handle escalation" in listed(sup, "/inbox/")


def test_shared_tasks_are_claimed_and_given_back(db, login, user):
    xml = DEMO_XML.replace('<spiffworkflow:property name="assignee" value="assignee_id" />', "")
    deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    start(db)
    review = open_task(db, "Review")
    login("supervisor").post(f"/inbox/tasks/{review.id}",
                             data={"approved": "yes", "assignee_id": str(user("manager1").id)})
    handle = open_task(db, "Handle")
    m1, m2 = login("manager1"), login("manager2")
    assert "Handle request" in listed(m2, "/inbox/")
    m1.post(f"/inbox/tasks/{handle.id}/claim")
    assert db.get(HumanTask, handle.id).claimed_by == user("manager1").id
    assert "Handle request" not in listed(m2, "/inbox/")
    assert m2.get(f"/inbox/tasks/{handle.id}").status_code == 403
    refused = m2.post(f"/inbox/tasks/{handle.id}/claim", follow_redirects=True).get_data(as_text=True)
    assert "已被他人认领" in refused  # too late: refused with a message
    assert db.get(HumanTask, handle.id).claimed_by == user("manager1").id
    m1.post(f"/inbox/tasks/{handle.id}/unclaim")
    assert "Handle request" in listed(m2, "/inbox/")


def test_filters_sorting_pagination_and_export(db, demo, login):
    for n in range(3):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    sup = login("supervisor")
    html = sup.get("/inbox/?per_page=2").get_data(as_text=True)
    assert "记录 0" in html and "记录 1" in html and "记录 2" not in html and "共 3" in html
    html = sup.get("/inbox/?per_page=2&sort=-waiting&page=1").get_data(as_text=True)
    assert "记录 2" in html and "记录 0" not in html
    assert "记录 1" in sup.get("/inbox/?q=记录 1").get_data(as_text=True)
    assert "暂无待办任务" in sup.get("/inbox/?process=nothing").get_data(as_text=True)
    resp = sup.get("/inbox/?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")


def test_a_long_inbox_is_counted_up_to_a_limit_and_pages_on(db, demo, login, api, monkeypatch):
    from app.inbox import service
    monkeypatch.setattr(service, "COUNT_LIMIT", 3)
    for i in range(5):
        start(db, business_key=f"R-{i}")
    sup = login("supervisor")
    html = sup.get("/inbox/?per_page=2").get_data(as_text=True)
    assert "共 3+ 条" in html and "第 1 / 2+ 页" in html  # counted up to the limit: "more than 3"
    assert len(listed(sup, "/inbox/?per_page=2&page=3")) == 1  # Next stays open: the fifth task is reachable
    last = sup.get("/inbox/?per_page=2&page=3").get_data(as_text=True)
    assert "+" not in re.search(r'<div class="pager">.*?</span>', last, re.S).group(0)  # exact on the last page
    c, h = api("supervisor")
    body = c.get("/api/v1/tasks?per_page=2", headers=h).get_json()
    assert (body["total"], body["total_exact"], len(body["items"])) == (3, False, 2)
    body = c.get("/api/v1/tasks?per_page=10", headers=h).get_json()
    assert (body["total"], body["total_exact"], len(body["items"])) == (5, True, 5)


def test_due_sorting_puts_tasks_without_a_due_date_last(db, demo, login, user, actor):
    from processes.runtime import complete_task
    for i, after in enumerate(("PT9H", "PT1H", "PT5H")):
        start(db, business_key=f"D-{i}", escalate_after=after)
    for task in db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Review")).all():
        complete_task(db, task.id, actor=actor("supervisor"),
                      data={"approved": "yes", "assignee_id": user("manager1").id})
    start(db, business_key="D-none")
    [review] = db.scalars(select(HumanTask).where(HumanTask.business_key == "D-none")).all()
    complete_task(db, review.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    undated = db.scalar(select(HumanTask).where(HumanTask.business_key == "D-none", HumanTask.completed_at.is_(None)))
    undated.due_at = None  # a task without a deadline
    db.flush()
    from app.inbox.service import inbox_page
    keys = [t.business_key for t in inbox_page(db, user("manager1"), 1, 20, sort="due").items]
    assert keys == ["D-1", "D-2", "D-0", "D-none"]
    keys = [t.business_key for t in inbox_page(db, user("manager1"), 1, 20, sort="-due").items]
    assert keys == ["D-0", "D-2", "D-1", "D-none"]


def test_the_process_names_follow_a_new_deployment(db, demo, login):
    """The inbox names processes after their deployed models (worked out once per deployment): an analyst who
    renames a process sees the new name on the next page, with no restart."""
    start(db)
    sup = login("supervisor")
    assert "<td>Engine demo</td>" in sup.get("/inbox/").get_data(as_text=True)
    renamed = DEMO_XML.replace('name="Engine demo"', 'name="Engine demo, renamed"')
    assert renamed != DEMO_XML
    _row, created = deploy_model(db, renamed, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    assert created
    html = sup.get("/inbox/").get_data(as_text=True)
    assert "<td>Engine demo, renamed</td>" in html and "<td>Engine demo</td>" not in html
    assert '<option value="engine_demo" >Engine demo, renamed</option>' in html
