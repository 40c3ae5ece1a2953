"""The inbox tabs (Mine / My role / All I may see) with their counts, and taking several shared tasks at once on
the page and through the API (per-task results: one that fails leaves the others taken)."""
import re

from sqlalchemy import select

from processes.models import HumanTask
from processes.runtime import complete_task
from test_engine_inbox import listed, start


def _counts(html):
    return {tab: n for tab, n in re.findall(r'data-tab="(\w+)">[^<]*<span class="count">(\d+\+?)</span>', html)}


def _reviews(db):
    return db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Review", HumanTask.completed_at.is_(None))
                      .order_by(HumanTask.id)).all()


def test_tabs_count_and_list_mine_my_role_and_all(db, demo, login, user, actor):
    for n in range(3):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    first = _reviews(db)[0]
    complete_task(db, first.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})  # Handle, assigned to manager1
    sup = login("supervisor")
    html = sup.get("/inbox/").get_data(as_text=True)
    # the supervisor watches processes: "all" holds manager1's task too
    assert _counts(html) == {"work": "2", "mine": "0", "role": "2", "all": "3"}
    assert sorted(listed(sup, "/inbox/?tab=role")) == ["Review request", "Review request"]
    assert "Handle request" in listed(sup, "/inbox/?tab=all")
    assert listed(sup, "/inbox/?tab=mine") == []
    m1 = login("manager1")
    # a manager sees no more than their work: no "all" tab repeating it
    assert _counts(m1.get("/inbox/").get_data(as_text=True)) == {"work": "1", "mine": "1", "role": "0"}
    assert listed(m1, "/inbox/?tab=mine") == ["Handle request"] and listed(m1, "/inbox/?tab=role") == []
    assert listed(m1, "/inbox/?tab=all") == ["Handle request"]  # an old link: the work, under the To do tab
    assert 'class="active" data-tab="work"' in m1.get("/inbox/?tab=all").get_data(as_text=True)


def test_the_inbox_opens_on_the_work_its_menu_badge_counts(db, demo, login, api, user, actor):
    """A process watcher clicking "My tasks 2" sees those 2 tasks, not every open task of every lane."""
    for n in range(3):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    complete_task(db, _reviews(db)[0].id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    sup = login("supervisor")
    sup.post("/inbox/tasks/claim", data={"task_ids": [str(_reviews(db)[0].id)]})  # one of the two, taken
    html = sup.get("/inbox/").get_data(as_text=True)
    badge = re.search(r'我的任务.*?<span class="badge">(\d+)</span>', html, re.S).group(1)
    assert badge == "2" and _counts(html)["work"] == "2" and 'class="active" data-tab="work"' in html
    assert listed(sup, "/inbox/") == ["Review request", "Review request"]  # the taken one and the shared one
    assert "Handle request" not in html  # manager1's: on the "all" tab only
    c, h = api("supervisor")  # ends the page session (one live session): the pages were checked first
    assert [t["name"] for t in c.get("/api/v1/tasks", headers=h).get_json()["items"]] == ["Review request"] * 2
    assert c.get("/api/v1/tasks?tab=all", headers=h).get_json()["total"] == 3
    assert c.get("/api/v1/tasks/counts", headers=h).get_json() == {"work": 2, "mine": 1, "role": 1, "all": 3,
                                                                    "limit": 100}


def test_bulk_claim_on_the_page_takes_the_ticked_tasks(db, demo, login):
    for n in range(3):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    a, b, c = _reviews(db)
    sup = login("supervisor")
    page = sup.get("/inbox/?tab=role").get_data(as_text=True)
    assert page.count('name="task_ids"') == 3 and 'id="bulk-claim"' in page
    resp = sup.post("/inbox/tasks/claim", data={"task_ids": [str(a.id), str(b.id)], "next": "/inbox/?tab=mine"},
                    follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "您已认领 2 个任务" in html and _counts(html)["mine"] == "2" and _counts(html)["role"] == "1"
    assert {db.get(HumanTask, t.id).claimed_by for t in (a, b)} == {db.get(HumanTask, a.id).claimed_by} != {None}
    assert db.get(HumanTask, c.id).claimed_by is None
    nothing = sup.post("/inbox/tasks/claim", data={}, follow_redirects=True).get_data(as_text=True)
    assert "请先勾选要认领的任务" in nothing


def test_bulk_claim_api_answers_per_task(db, demo, api, user):
    for n in range(2):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    a, b = _reviews(db)
    m, mh = api("manager1")
    outsider = m.post("/api/v1/tasks/claim", json={"task_ids": [a.id]}, headers=mh).get_json()
    assert outsider["results"][0]["status"] == "not_found"  # another lane's task: as if it did not exist
    c, h = api("supervisor")
    assert c.get("/api/v1/tasks/counts", headers=h).get_json() == {"work": 2, "mine": 0, "role": 2, "all": 2,
                                                                    "limit": 100}
    first = c.post("/api/v1/tasks/claim", json={"task_ids": [a.id]}, headers=h).get_json()
    assert first["results"] == [{"task_id": a.id, "status": "claimed", "detail": None}]
    resp = c.post("/api/v1/tasks/claim", json={"task_ids": [a.id, b.id, 2_000_000_000]}, headers=h)
    assert resp.status_code == 200
    assert [(r["task_id"], r["status"]) for r in resp.get_json()["results"]] == [
        (a.id, "taken"), (b.id, "claimed"), (2_000_000_000, "not_found")]
    assert db.get(HumanTask, b.id).claimed_by == user("supervisor").id
    assert c.get("/api/v1/tasks?tab=mine", headers=h).get_json()["total"] == 2
    assert c.post("/api/v1/tasks/claim", json={"task_ids": []}, headers=h).status_code == 422


def test_the_menu_badge_counts_the_work_waiting_for_me_not_all_i_may_see(db, demo, login, user, actor):
    from app.inbox.service import count_open
    for n in range(2):
        start(db, business_key=f"R-{n}", subject=f"记录 {n}")
    first = _reviews(db)[0]
    complete_task(db, first.id, actor=actor("supervisor"),
                  data={"approved": "yes", "assignee_id": user("manager1").id})
    assert count_open(db, user("supervisor")) == 1  # the Review left; manager1's Handle is not the supervisor's
    assert count_open(db, user("manager1")) == 1
