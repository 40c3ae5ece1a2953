"""A task the user may not see answers exactly like a task that does not exist, on every route that names it."""
import re

from sqlalchemy import select

from engine_helpers import DEMO_XML, FIXTURES
from processes.definitions import deploy_model
from processes.models import HumanTask
from processes.runtime import start_process

NO_SUCH_TASK = 2_000_000_000
SUBJECT = "光明贸易 服务请求"


def _start(db):
    start_process(db, "engine_demo", business_key="R-7", subject=SUBJECT,
                  data={"amount": 5, "record": "R-7", "escalate_after": "PT4H"}, user_id=None)


def _open(db, bpmn_id):
    return db.scalar(select(HumanTask).where(HumanTask.bpmn_id == bpmn_id, HumanTask.completed_at.is_(None)))


def _api_answers(client, headers, task_id):
    return [client.get(f"/api/v1/tasks/{task_id}", headers=headers),
            client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers),
            client.post(f"/api/v1/tasks/{task_id}/unclaim", headers=headers),
            client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": {"approved": "yes"}})]


def _page_answers(client, task_id):
    return [client.get(f"/inbox/tasks/{task_id}"),
            client.post(f"/inbox/tasks/{task_id}", data={"approved": "yes"}),
            client.post(f"/inbox/tasks/{task_id}/claim"),
            client.post(f"/inbox/tasks/{task_id}/unclaim")]


def _page_text(resp):
    """The page without what differs by request anyway (CSRF token, the address the language switch returns to)."""
    return re.sub(r'<meta name="csrf-token"[^>]*>|name="(csrf_token|next|_form_token)" value="[^"]*"|nonce="[^"]*"', "",
                  resp.get_data(as_text=True))


def _state(db, task_id):
    return db.execute(select(HumanTask.claimed_by, HumanTask.completed_at).where(HumanTask.id == task_id)).one()


def _assert_hidden(db, api, login, username, task):
    before = _state(db, task.id)
    client, headers = api(username)
    for hidden, missing in zip(_api_answers(client, headers, task.id), _api_answers(client, headers, NO_SUCH_TASK)):
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json()
        assert SUBJECT not in hidden.get_data(as_text=True) and "R-7" not in hidden.get_data(as_text=True)
    page = login(username)
    for hidden, missing in zip(_page_answers(page, task.id), _page_answers(page, NO_SUCH_TASK)):
        assert hidden.status_code == missing.status_code == 404
        assert _page_text(hidden) == _page_text(missing)
    assert _state(db, task.id) == before


def test_a_task_of_another_lane_is_unknown_to_a_user_who_may_not_watch_processes(db, demo, api, login, user):
    _start(db)
    review = _open(db, "Review")  # the supervisors' lane
    _assert_hidden(db, api, login, "manager1", review)
    sup, sup_h = api("supervisor")
    assert sup.post(f"/api/v1/tasks/{review.id}/claim", headers=sup_h).status_code == 200
    _assert_hidden(db, api, login, "manager1", review)  # claimed: still nothing about it, and still claimed


def test_a_task_assigned_to_a_colleague_is_unknown_to_the_rest_of_the_lane(db, demo, api, login, user):
    _start(db)
    review = _open(db, "Review")
    login("supervisor").post(f"/inbox/tasks/{review.id}",
                             data={"approved": "yes", "assignee_id": str(user("manager1").id)})
    handle = _open(db, "Handle")
    assert handle.assignee_id == user("manager1").id
    _assert_hidden(db, api, login, "manager2", handle)
    m1, m1_h = api("manager1")
    assert m1.get(f"/api/v1/tasks/{handle.id}", headers=m1_h).get_json()["subject"] == SUBJECT


def test_who_may_watch_processes_reads_a_task_but_cannot_do_it(db, demo, api, user):
    _start(db)
    review = _open(db, "Review")
    sup, sup_h = api("supervisor")
    sup.post(f"/api/v1/tasks/{review.id}/complete", headers=sup_h,
             json={"data": {"approved": "yes", "assignee_id": user("manager1").id}})
    handle = _open(db, "Handle")
    assert sup.get(f"/api/v1/tasks/{handle.id}", headers=sup_h).status_code == 200  # process.view
    resp = sup.post(f"/api/v1/tasks/{handle.id}/complete", headers=sup_h, json={"data": {"handling": "x"}})
    assert resp.status_code == 403 and resp.get_json()["code"] == "task_forbidden"


def test_a_shared_task_claimed_by_a_colleague_is_still_known_to_the_lane(db, api, login, user):
    xml = DEMO_XML.replace('<spiffworkflow:property name="assignee" value="assignee_id" />', "")
    deploy_model(db, xml, filename="engine_demo.bpmn", forms_dir=FIXTURES / "forms")
    _start(db)
    login("supervisor").post(f"/inbox/tasks/{_open(db, 'Review').id}",
                             data={"approved": "yes", "assignee_id": str(user("manager1").id)})
    handle = _open(db, "Handle")
    m1, m1_h = api("manager1")
    assert m1.post(f"/api/v1/tasks/{handle.id}/claim", headers=m1_h).status_code == 200
    m2, m2_h = api("manager2")
    late = m2.post(f"/api/v1/tasks/{handle.id}/claim", headers=m2_h)
    assert late.status_code == 409  # "someone else took it", not "no such task"
    refused = m2.post(f"/api/v1/tasks/{handle.id}/unclaim", headers=m2_h)
    assert refused.status_code == 403
    assert _state(db, handle.id).claimed_by == user("manager1").id
