"""Script payloads stored as a role name, dictionary entries and a user's display name stay text on every page that
shows them: the browser opens each page and no script runs (no dialog opens), and template syntax is not evaluated."""
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_service_helpers import ensure_service_data  # noqa: E402

from app.auth.models import Role, User  # noqa: E402
from app.catalog.models import DictionaryEntry  # noqa: E402
from processes.models import HumanTask, ProcessInstance  # noqa: E402

ROLE_PAYLOAD = "<img src=x onerror=\"alert('role')\">{{7*7}}"
SUPERVISOR_ROLE_PAYLOAD = "<script>alert('lane')</script>"
USER_PAYLOAD = "<img src=x onerror=alert('user')>{{7*7}}"
DICT_ITEM = "<script>alert('dictionary')</script>"
DICT_TYPE = "<img src=x onerror=alert('type')>"
REGION = "<svg onload=alert('region')>{{7*7}}"


def _store_payloads(db, user):
    customers = ensure_service_data(db, user)
    db.scalar(select(Role).where(Role.code == "customer_manager")).name = ROLE_PAYLOAD
    db.scalar(select(Role).where(Role.code == "sales_supervisor")).name = SUPERVISOR_ROLE_PAYLOAD
    db.scalar(select(User).where(User.username == "manager1")).name = USER_PAYLOAD
    db.add_all([DictionaryEntry(type="服务类型", item=DICT_ITEM, value="xss", editable=True),
                DictionaryEntry(type=DICT_TYPE, item="{{7*7}}", value="<b>v</b>", editable=True),
                DictionaryEntry(type="地区", item=REGION, value="region", editable=True)])
    customers["KHT0001"].region = REGION
    db.flush()
    return customers


def _make_records(app, db, user):
    """Through the API as the users would: two service requests of the payload type on manager1's customer (one
    dispatched to manager1, one waiting in the supervisors' lane) and an opportunity assigned to manager1."""
    def api(username):
        c = app.test_client()
        token = c.post("/api/v1/auth/login", json={"username": username, "password": "demo"}).get_json()["token"]
        return c, {"Authorization": f"Bearer {token}"}
    desk, desk_h = api("service1")
    ids = []
    for summary in ("投影仪无法开机", "空调不制冷"):
        resp = desk.post("/api/v1/service-requests", headers=desk_h,
                         json={"type": DICT_ITEM, "summary": summary, "customer_no": "KHT0001", "request": "请处理"})
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    sup, sup_h = api("supervisor")
    resp = sup.post(f"/api/v1/service-requests/{ids[0]}/dispatch", headers=sup_h,
                    json={"assignee": user("manager1").id})
    assert resp.status_code == 200, resp.get_json()
    resp = sup.post("/api/v1/opportunities", headers=sup_h,
                    json={"customer_name": "脚本测试公司", "probability": 50, "summary": "采购", "description": "说明",
                          "assignee_id": user("manager1").id})
    assert resp.status_code == 201, resp.get_json()
    return ids, resp.get_json()["id"]


def _visit_all(page, live_server, urls, dialogs):
    for url in urls:
        resp = page.goto(f"{live_server}{url}")
        page.wait_for_load_state("networkidle")
        assert resp.status == 200, url
        assert dialogs == [], f"{url}: {dialogs}"


def _task(db, bpmn_id, instance_ids):
    return db.scalar(select(HumanTask).where(HumanTask.bpmn_id == bpmn_id, HumanTask.completed_at.is_(None),
                                             HumanTask.instance_id.in_(instance_ids)))


def test_no_stored_name_runs_as_script_on_any_page(app, db, user, page, live_server, sign_in):
    _store_payloads(db, user)
    (dispatched, waiting), opportunity_id = _make_records(app, db, user)
    instance_ids = list(db.scalars(select(ProcessInstance.id)))
    handle, dispatch = _task(db, "handle", instance_ids), _task(db, "dispatch", instance_ids)
    assert handle is not None and dispatch is not None
    entries = db.scalars(select(DictionaryEntry.id).where(DictionaryEntry.item.in_([DICT_ITEM, "{{7*7}}", REGION])))
    roles = {r.code: r.id for r in db.scalars(select(Role))}
    service_instance = db.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == str(dispatched),
                                                                   ProcessInstance.definition_key == "customer_service"))
    dialogs = []

    def refuse(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", refuse)

    sign_in(page, "manager1")  # the header of every page shows their name and role
    assert dialogs == [], f"after signing in: {dialogs}"
    assert page.locator(".who").inner_text() == f"{USER_PAYLOAD} · {ROLE_PAYLOAD}"
    _visit_all(page, live_server, [
        "/inbox/", f"/inbox/tasks/{handle.id}", f"/service/{dispatched}/handle", "/service/handle",
        f"/service/{dispatched}", "/customers/", "/customers/KHT0001", "/customers/KHT0001/edit",
        "/sales/opportunities", f"/sales/opportunities/{opportunity_id}", "/churn/", "/service/new",
        "/reports/dashboards", "/password"], dialogs)

    sign_in(page, "supervisor")
    _visit_all(page, live_server, [
        "/inbox/", f"/inbox/tasks/{dispatch.id}", "/service/dispatch", f"/service/{waiting}",
        "/sales/opportunities/new", "/sales/opportunities", "/customers/KHT0001/transfer"], dialogs)

    sign_in(page, "admin")
    _visit_all(page, live_server, [
        "/admin/users", "/admin/users/new", f"/admin/users/{user('manager1').id}", "/admin/roles",
        "/admin/roles/new", f"/admin/roles/{roles['customer_manager']}", f"/admin/roles/{roles['sales_supervisor']}",
        "/catalog/dictionary", "/catalog/dictionary?type=服务类型", "/catalog/dictionary/new",
        *[f"/catalog/dictionary/{i}/edit" for i in entries],
        "/customers/", "/customers/?region=" + REGION, "/customers/KHT0001", "/customers/KHT0001/edit",
        "/customers/KHT0001/transfer", "/service/archive", "/service/dispatch", "/service/handle",
        "/service/feedback", f"/service/{dispatched}", f"/service/{waiting}", "/service/new",
        "/sales/opportunities", f"/sales/opportunities/{opportunity_id}", "/churn/",
        "/reports/", "/reports/contribution", "/reports/composition", "/reports/service", "/reports/churn",
        "/reports/dashboards", "/inbox/?role=sales_supervisor", f"/inbox/tasks/{dispatch.id}",
        "/processes/instances", f"/processes/instances/{service_instance}", "/processes/timers"], dialogs)
    # the payloads are shown, as typed
    page.goto(f"{live_server}/admin/users")
    assert USER_PAYLOAD in page.locator("table.list").inner_text()
    assert ROLE_PAYLOAD in page.locator("table.list").inner_text()
    page.goto(f"{live_server}/catalog/dictionary?type=服务类型")
    assert DICT_ITEM in page.locator("table").first.inner_text()
    assert dialogs == []
