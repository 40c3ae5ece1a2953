"""The inbox's "taken by" column names whoever holds a task: "assigned to me" only for the viewer's own tasks, the
assignee's name for a task assigned to someone else (the "all visible" tab of a supervisor or administrator)."""
import re

from fixtures.sales_support import OPP, open_tasks, sales_api, sales_deployed  # noqa: F401 (fixtures)


def _taken_by(html, task_id):
    row = re.search(rf'<tr[^>]*data-task="{task_id}">(.*?)</tr>', html, re.S)
    assert row, f"task {task_id} not on the page"
    return re.sub(r"<[^>]+>", "", re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[-2]).strip()


def test_a_task_assigned_to_someone_else_shows_their_name(db, login, user, sales_api, sales_deployed):
    c, h = sales_api("manager1")
    opp = c.post("/api/v1/opportunities", json=OPP, headers=h).get_json()
    [assign] = open_tasks(db, opp["id"])
    s, hs = sales_api("supervisor")
    assert s.post(f"/api/v1/tasks/{assign.id}/complete", headers=hs,
                  json={"data": {"assignee_id": user("manager1").id}}).status_code == 200
    [develop] = open_tasks(db, opp["id"])
    assert develop.assignee_id == user("manager1").id

    admin_page = login("admin").get("/inbox/?tab=all&per_page=100").get_data(as_text=True)
    assert _taken_by(admin_page, develop.id) == user("manager1").name
    own_page = login("manager1").get("/inbox/?tab=mine&per_page=100").get_data(as_text=True)
    assert _taken_by(own_page, develop.id) == "指派给我"
