"""User administration: pages and API, field errors that save nothing, self-lockout guards, sessions ended."""
import pytest
from sqlalchemy import func, select

from app.auth.models import User, UserSession
from app.common.models import AuditRecord


def _count_users(db):
    return db.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("username", ["manager1", "supervisor", "executive", "analyst", "service1"])
def test_admin_pages_refuse_non_admins(login, username):
    c = login(username)
    for url in ("/admin/users", "/admin/users/new", "/admin/roles", "/admin/roles/new", "/admin/roles/1"):
        assert c.get(url).status_code == 403, url
    assert c.post("/admin/users/1/active", data={"active": "0"}).status_code == 403


def test_user_api_refuses_non_admins(api):
    c, h = api("supervisor")
    assert c.get("/api/v1/users", headers=h).status_code == 403
    assert c.post("/api/v1/users", json={"username": "x1", "name": "X", "password": "secret123",
                                        "role": "executive"}, headers=h).status_code == 403
    assert c.put("/api/v1/roles/1/rights", json={"rights": []}, headers=h).status_code == 403


def test_user_list_filters_and_export(login):
    c = login("admin")
    html = c.get("/admin/users?role=customer_manager").get_data(as_text=True)
    assert ">manager1<" in html and ">manager2<" in html and ">supervisor<" not in html
    html = c.get("/admin/users?q=王").get_data(as_text=True)
    assert ">manager2<" in html and ">manager1<" not in html
    resp = c.get("/admin/users?export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")


def test_create_user_page_then_new_user_signs_in(login, db):
    c = login("admin")
    resp = c.post("/admin/users/new", data={"username": "manager3", "name": "周经理", "role": "customer_manager",
                                            "password": "longenough", "confirm": "longenough", "active": "y"})
    assert resp.status_code == 302
    assert login("manager3", "longenough").get("/inbox/").status_code == 200


@pytest.mark.parametrize("data, field", [
    ({"username": "", "name": "A", "role": "executive", "password": "longenough", "confirm": "longenough"},
     "username"),
    ({"username": "manager1", "name": "A", "role": "executive", "password": "longenough",
      "confirm": "longenough"}, "username"),
    ({"username": "bad name!", "name": "A", "role": "executive", "password": "longenough",
      "confirm": "longenough"}, "username"),
    ({"username": "newone", "name": "", "role": "executive", "password": "longenough", "confirm": "longenough"},
     "name"),
    ({"username": "newone", "name": "A", "role": "nope", "password": "longenough", "confirm": "longenough"},
     "role"),
    ({"username": "newone", "name": "A", "role": "executive", "password": "short", "confirm": "short"},
     "password"),
    ({"username": "newone", "name": "A", "role": "executive", "password": "longenough", "confirm": "different"},
     "confirm"),
])
def test_create_user_page_bad_input_keeps_input_and_saves_nothing(login, db, data, field):
    c = login("admin")
    before = _count_users(db)
    resp = c.post("/admin/users/new", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="field has-error"' in html and f'id="{field}"' in html
    if data["name"]:
        assert f'value="{data["name"]}"' in html  # what the user typed is still there
    assert _count_users(db) == before


def test_username_taken_error_is_beside_the_field(login):
    c = login("admin")
    resp = c.post("/admin/users/new", data={"username": "MANAGER1", "name": "A", "role": "executive",
                                            "password": "longenough", "confirm": "longenough"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    start = html.index('id="username"')
    assert "用户名已被占用" in html[start:start + 400]


def test_edit_user_name_and_role(login, user):
    c = login("admin")
    target = user("manager2")
    resp = c.post(f"/admin/users/{target.id}", data={"name": "王大经理", "role": "sales_supervisor"})
    assert resp.status_code == 302
    assert user("manager2").name == "王大经理" and user("manager2").role.code == "sales_supervisor"


def test_admin_cannot_leave_their_admin_role_nor_disable_themselves(login, user, api):
    c = login("admin")
    me = user("admin")
    resp = c.post(f"/admin/users/{me.id}", data={"name": me.name, "role": "executive"})
    assert resp.status_code == 422 and user("admin").role.code == "admin"
    resp = c.post(f"/admin/users/{me.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账号" in resp.get_data(as_text=True)
    assert user("admin").active
    ac, h = api("admin")
    resp = ac.patch(f"/api/v1/users/{me.id}", json={"active": False}, headers=h)
    assert resp.status_code == 422 and "active" in resp.get_json()["errors"]
    resp = ac.delete(f"/api/v1/users/{me.id}", headers=h)
    assert resp.status_code == 422


def test_disabling_ends_the_users_sessions_at_once(login, user, db):
    victim = login("manager1")
    assert victim.get("/inbox/").status_code == 200
    victim.expect_signed_in = False  # its session is about to end: that is the point
    admin = login("admin")
    target = user("manager1")
    assert admin.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 302
    resp = victim.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert db.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == target.id, UserSession.ended_at.is_(None))) == 0
    # a disabled account cannot sign in again; enabling restores it
    assert victim.post("/login", data={"username": "manager1", "password": "demo"}).status_code == 401
    admin.post(f"/admin/users/{target.id}/active", data={"active": "1"})
    assert victim.post("/login", data={"username": "manager1", "password": "demo"}).status_code == 302
    actions = db.scalars(select(AuditRecord.action).where(AuditRecord.entity == "user",
                                                          AuditRecord.entity_id == str(target.id))).all()
    assert actions == ["disable", "enable"]


def test_reset_password_page_ends_sessions_and_sets_new_password(login, user):
    victim = login("manager2")
    victim.expect_signed_in = False  # its session is about to end: that is the point
    admin = login("admin")
    target = user("manager2")
    resp = admin.post(f"/admin/users/{target.id}/password", data={"password": "short", "confirm": "short"})
    assert resp.status_code == 422
    assert victim.get("/inbox/").status_code == 200  # nothing changed yet
    resp = admin.post(f"/admin/users/{target.id}/password", data={"password": "brand-new-pw",
                                                                  "confirm": "brand-new-pw"})
    assert resp.status_code == 302
    assert victim.get("/inbox/").status_code == 302
    login("manager2", "brand-new-pw")


def test_user_api_crud(api, db):
    c, h = api("admin")
    resp = c.post("/api/v1/users", json={"username": "rep2", "name": "钱客服", "password": "longenough",
                                         "role": "service_rep"}, headers=h)
    assert resp.status_code == 201
    created = resp.get_json()
    assert created == {"id": created["id"], "username": "rep2", "name": "钱客服", "role": "service_rep",
                       "active": True}
    listing = c.get("/api/v1/users?role=service_rep&per_page=10", headers=h).get_json()
    assert {u["username"] for u in listing["items"]} == {"service1", "rep2"}
    assert listing["total"] == 2 and listing["per_page"] == 10
    resp = c.patch(f"/api/v1/users/{created['id']}", json={"name": "钱二", "role": "executive"}, headers=h)
    assert resp.get_json()["role"] == "executive" and resp.get_json()["name"] == "钱二"
    # never signed in, owns nothing: physically deleted
    assert c.delete(f"/api/v1/users/{created['id']}", headers=h).status_code == 204
    assert c.get(f"/api/v1/users/{created['id']}", headers=h).status_code == 404


def test_user_with_history_is_deactivated_not_deleted(api, user, db):
    api("manager2")  # a session row: history
    c, h = api("admin")
    target = user("manager2")
    resp = c.delete(f"/api/v1/users/{target.id}", headers=h)
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert db.get(User, target.id) is not None


@pytest.mark.parametrize("body, field", [
    ({"name": "A", "password": "longenough", "role": "executive"}, "username"),
    ({"username": "x", "name": "A", "password": "longenough", "role": "executive"}, "username"),
    ({"username": "admin", "name": "A", "password": "longenough", "role": "executive"}, "username"),
    ({"username": "okname", "name": " ", "password": "longenough", "role": "executive"}, "name"),
    ({"username": "okname", "name": "A", "password": "1234567", "role": "executive"}, "password"),
    ({"username": "okname", "name": "A", "password": "longenough", "role": "ghost"}, "role"),
    ({"username": "okname", "name": "A", "password": "longenough", "role": "executive", "active": "maybe"},
     "active"),
    ({"username": "okname", "name": "A", "password": "longenough", "role": "executive", "extra": 1}, "extra"),
])
def test_user_api_bad_input_answers_field_error_and_saves_nothing(api, db, body, field):
    c, h = api("admin")
    before = _count_users(db)
    resp = c.post("/api/v1/users", json=body, headers=h)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["code"] == "validation_error" and field in problem["errors"]
    assert _count_users(db) == before


def test_user_api_patch_bad_input_changes_nothing(api, user):
    c, h = api("admin")
    target_id = user("manager1").id
    resp = c.patch(f"/api/v1/users/{target_id}", json={"name": "新名字", "password": "short"}, headers=h)
    assert resp.status_code == 422 and "password" in resp.get_json()["errors"]
    assert user("manager1").name == "李经理"
    assert c.patch(f"/api/v1/users/{target_id}", json={"role": "ghost"}, headers=h).status_code == 422
    assert c.patch("/api/v1/users/999999", json={"name": "x"}, headers=h).status_code == 404


def test_api_password_reset_signs_the_user_out(api, user):
    mc, mh = api("manager1")
    c, h = api("admin")
    target = user("manager1")
    assert c.patch(f"/api/v1/users/{target.id}", json={"password": "another-pass"}, headers=h).status_code == 200
    assert mc.get("/api/v1/me", headers=mh).status_code == 401
    api("manager1", "another-pass")


@pytest.mark.parametrize("data, field", [
    ({"name": "", "role": "customer_manager"}, "name"),
    ({"name": "名" * 61, "role": "customer_manager"}, "name"),
    ({"name": "李经理", "role": "ghost"}, "role"),
])
def test_edit_user_page_bad_input_keeps_input_and_saves_nothing(login, user, data, field):
    target = user("manager1")
    resp = login("admin").post(f"/admin/users/{target.id}", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    start = html.index(f'id="{field}"')
    assert 'class="field-error"' in html[start:start + 2000]
    assert user("manager1").name == "李经理" and user("manager1").role.code == "customer_manager"


def test_user_list_api_rejects_bad_filters(api):
    c, h = api("admin")
    resp = c.get("/api/v1/users?active=maybe", headers=h)
    assert resp.status_code == 422 and "active" in resp.get_json()["errors"]
    assert c.get("/api/v1/users?page=0", headers=h).status_code == 422
