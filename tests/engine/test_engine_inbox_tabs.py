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
    assert _counts(html) == {"mine": "0", "role": "2", "all": "3"}
    assert sorted(listed(sup, "/inbox/?tab=role")) == ["Review request", "Review request"]
    assert "Handle request" in listed(sup, "/inbox/?tab=all")
    assert listed(sup, "/inbox/?tab=mine") == []
    m1 = login("manager1")
    assert _counts(m1.get("/inbox/").get_data(as_text=True)) == {"mine": "1", "role": "0", "all": "1"}
    assert listed(m1, "/inbox/?tab=mine") == ["Handle request"] and listed(m1, "/inbox/?tab=role") == []


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
    assert c.get("/api/v1/tasks/counts", headers=h).get_json() == {"mine": 0, "role": 2, "all": 2, "limit": 100}
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
