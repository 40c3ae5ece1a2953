"""The usual inbox page (a tab and a sort, no filter) runs statements built once per user with the page as
parameters; it must list exactly what the general path lists for the same tasks: same rows, order, total, page."""
import pytest

from processes.runtime import claim_task
from processes.models import HumanTask
from sqlalchemy import select
from test_engine_inbox import start


@pytest.fixture
def tasks(db, demo, actor):
    for n in range(23):
        start(db, business_key=f"R-{n:02d}", subject=f"记录 {n:02d}")
    reviews = db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Review").order_by(HumanTask.id)).all()
    for t in reviews[:4]:  # some taken by the supervisor: "mine" and "role" differ from "all"
        claim_task(db, t.id, actor=actor("supervisor"))
    db.commit()
    return reviews


def page(client, headers, query):
    resp = client.get(f"/api/v1/tasks?{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    return [t["id"] for t in body["items"]], body["total"], body["total_exact"], body["page"]


@pytest.mark.parametrize("tab", ["all", "mine", "role"])
@pytest.mark.parametrize("sort", ["waiting", "-waiting", "due", "-due", "process", "name"])
def test_usual_page_equals_the_general_path(tasks, api, tab, sort):
    client, headers = api("supervisor")
    for page_no, per_page in ((1, 5), (2, 5), (5, 5), (9, 5), (1, 20), (2, 20), (1, 100)):
        query = f"tab={tab}&sort={sort}&page={page_no}&per_page={per_page}"
        usual = page(client, headers, query)
        # filtering by the one process all these tasks belong to takes the general path over the same rows
        general = page(client, headers, query + "&process=engine_demo")
        assert usual == general, (query, usual, general)
    ids, total, exact, _page = page(client, headers, f"tab={tab}&sort={sort}&per_page=100")
    assert exact and total == len(ids) == {"all": 23, "mine": 4, "role": 19}[tab]


def test_a_claim_moves_the_task_between_tabs_on_the_next_request(tasks, api, actor, db):
    client, headers = api("supervisor")
    before = page(client, headers, "tab=role&per_page=50")[0]
    claim_task(db, before[0], actor=actor("supervisor"))
    db.commit()
    assert before[0] not in page(client, headers, "tab=role&per_page=50")[0]
    assert before[0] in page(client, headers, "tab=mine&per_page=50")[0]
