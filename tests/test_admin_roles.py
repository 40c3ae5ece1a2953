"""Roles and the role→right mapping: the menu-tree page, the API, the self-lockout guard, effect on next request."""
import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, role_right


def _role(db, code):
    return db.scalar(select(Role).where(Role.code == code))


def _rights(db, code):
    role = _role(db, code)
    db.refresh(role)
    return {r.code for r in role.rights}


def _ticked(html, code):
    """True/False for the right's checkbox on the page, None when it is absent."""
    match = re.search(r'<input type="checkbox" name="rights" value="%s"[^>]*>' % re.escape(code), html)
    return None if match is None else " checked" in match.group(0)


def test_roles_page_lists_roles_with_user_counts(login):
    html = login("admin").get("/admin/roles").get_data(as_text=True)
    for code in ("admin", "sales_supervisor", "customer_manager", "service_rep", "executive", "process_analyst"):
        assert f"<code>{code}</code>" in html


def test_rights_page_shows_the_menu_tree_with_the_roles_rights_ticked(login, db):
    role = _role(db, "service_rep")
    html = login("admin").get(f"/admin/roles/{role.id}").get_data(as_text=True)
    assert 'data-menu="service"' in html and 'data-menu="security"' in html
    assert _ticked(html, "service.feedback") is True
    assert _ticked(html, "report.view") is False


def test_rights_edit_changes_menu_and_access_on_the_users_next_request(login, db):
    rep = login("service1")
    assert rep.get("/admin/users").status_code == 403
    assert "/admin/users" not in rep.get("/inbox/").get_data(as_text=True)
    role = _role(db, "service_rep")
    codes = sorted(_rights(db, "service_rep") | {"user.manage"})
    admin = login("admin")
    resp = admin.post(f"/admin/roles/{role.id}", data={"name": role.name, "rights": codes})
    assert resp.status_code == 302
    # the same signed-in session, no new login: the right applies on the next request
    assert rep.get("/admin/users").status_code == 200
    assert 'href="/admin/users"' in rep.get("/inbox/").get_data(as_text=True)
    codes.remove("user.manage")
    codes.remove("task.view")
    admin.post(f"/admin/roles/{role.id}", data={"name": role.name, "rights": codes})
    assert rep.get("/admin/users").status_code == 403
    assert rep.get("/inbox/").status_code == 403


def test_admin_cannot_remove_own_admin_rights(login, db):
    """Nobody changes the rights of their own role (so nobody locks themselves out either)."""
    role = _role(db, "admin")
    before = _rights(db, "admin")
    kept = sorted(before - {"role.manage"})
    c = login("admin")
    resp = c.post(f"/admin/roles/{role.id}", data={"name": role.name, "rights": kept})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "不能修改自己所属角色的权限" in html
    # the own role's rights show as they are, and cannot be ticked here
    assert 'class="fixed-right" value="role.manage" disabled checked' in html
    assert _rights(db, "admin") == before
    page = c.get(f"/admin/roles/{role.id}").get_data(as_text=True)
    assert _ticked(page, "user.manage") is None and "这是您自己的角色" in page


def test_rights_page_bad_input_saves_nothing(login, db):
    role = _role(db, "executive")
    before = _rights(db, "executive")
    c = login("admin")
    resp = c.post(f"/admin/roles/{role.id}", data={"name": "", "rights": ["report.view"]})
    assert resp.status_code == 422 and 'class="field has-error"' in resp.get_data(as_text=True)
    resp = c.post(f"/admin/roles/{role.id}", data={"name": "Executive", "rights": ["report.view", "no.such"]})
    assert resp.status_code == 422 and "no.such" in resp.get_data(as_text=True)
    assert _rights(db, "executive") == before


def test_create_role_page_and_delete_it(login, db):
    c = login("admin")
    resp = c.post("/admin/roles/new", data={"code": "auditor", "name": "审计员",
                                            "rights": ["report.view", "order.view"]})
    assert resp.status_code == 302
    assert _rights(db, "auditor") == {"report.view", "order.view"}
    role_id = _role(db, "auditor").id
    assert c.post(f"/admin/roles/{role_id}/delete").status_code == 302
    assert _role(db, "auditor") is None


@pytest.mark.parametrize("data, field", [
    ({"code": "Bad Code", "name": "X"}, "code"),
    ({"code": "admin", "name": "X"}, "code"),
    ({"code": "newrole", "name": ""}, "name"),
])
def test_create_role_page_bad_input(login, db, data, field):
    before = db.scalar(select(func.count()).select_from(Role))
    resp = login("admin").post("/admin/roles/new", data={**data, "rights": ["report.view"]})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="field has-error"' in html and f'id="{field}"' in html
    assert _ticked(html, "report.view") is True
    assert db.scalar(select(func.count()).select_from(Role)) == before


def test_builtin_or_held_roles_are_not_deleted(api, db):
    c, h = api("admin")
    resp = c.delete(f"/api/v1/roles/{_role(db, 'executive').id}", headers=h)
    assert resp.status_code == 409 and resp.get_json()["code"] == "conflict"
    role_id = c.post("/api/v1/roles", json={"code": "temp_role", "name": "Temp"}, headers=h).get_json()["id"]
    c.post("/api/v1/users", json={"username": "tempuser", "name": "T", "password": "longenough",
                                  "role": "temp_role"}, headers=h)
    assert c.delete(f"/api/v1/roles/{role_id}", headers=h).status_code == 409
    assert _role(db, "temp_role") is not None


def test_roles_api_crud_and_rights(api, db):
    c, h = api("admin")
    listing = c.get("/api/v1/roles", headers=h).get_json()
    assert listing["total"] >= 6 and {"admin", "service_rep"} <= {r["code"] for r in listing["items"]}
    resp = c.post("/api/v1/roles", json={"code": "auditor", "name": "Auditor", "rights": ["report.view"]},
                  headers=h)
    assert resp.status_code == 201
    role = resp.get_json()
    assert role["rights"] == ["report.view"] and role["builtin"] is False
    resp = c.put(f"/api/v1/roles/{role['id']}/rights", json={"rights": ["report.view", "order.view"]}, headers=h)
    assert resp.get_json() == {"rights": ["order.view", "report.view"]}
    assert c.get(f"/api/v1/roles/{role['id']}/rights", headers=h).get_json() == resp.get_json()
    assert c.patch(f"/api/v1/roles/{role['id']}", json={"name": "审计"}, headers=h).get_json()["name"] == "审计"
    assert c.delete(f"/api/v1/roles/{role['id']}", headers=h).status_code == 204
    assert c.get(f"/api/v1/roles/{role['id']}", headers=h).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"rights": ["report.view", "bogus.right"]}, "rights"),
    ({"rights": "report.view"}, "rights"),
    ({}, "rights"),
])
def test_rights_api_bad_input_saves_nothing(api, db, body, field):
    c, h = api("admin")
    role = _role(db, "executive")
    rows_before = db.scalar(select(func.count()).select_from(role_right))
    resp = c.put(f"/api/v1/roles/{role.id}/rights", json=body, headers=h)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(role_right)) == rows_before


@pytest.mark.parametrize("body, field", [
    ({"code": "x", "name": "X"}, "code"),
    ({"code": "customer_manager", "name": "X"}, "code"),
    ({"code": "okcode", "name": "  "}, "name"),
    ({"code": "okcode"}, "name"),
    ({"code": "okcode", "name": "X", "rights": ["nope"]}, "rights"),
])
def test_roles_api_bad_input_saves_nothing(api, db, body, field):
    c, h = api("admin")
    before = db.scalar(select(func.count()).select_from(Role))
    resp = c.post("/api/v1/roles", json=body, headers=h)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Role)) == before


def test_admin_cannot_strip_own_role_through_api(api, db):
    c, h = api("admin")
    role = _role(db, "admin")
    resp = c.put(f"/api/v1/roles/{role.id}/rights", json={"rights": ["user.manage"]}, headers=h)
    assert resp.status_code == 422 and "不能修改自己所属角色的权限" in resp.get_json()["errors"]["rights"][0]
    assert c.get("/api/v1/users", headers=h).status_code == 200


def test_api_rights_change_applies_to_holders_next_request(api, db):
    rc, rh = api("service1")
    assert rc.get("/api/v1/users", headers=rh).status_code == 403
    c, h = api("admin")
    role = _role(db, "service_rep")
    c.put(f"/api/v1/roles/{role.id}/rights", json={"rights": sorted(_rights(db, "service_rep") | {"user.manage"})},
          headers=h)
    assert rc.get("/api/v1/users", headers=rh).status_code == 200
    assert "user.manage" in rc.get("/api/v1/me", headers=rh).get_json()["rights"]


def test_builtin_role_shows_its_translated_name_and_keeps_its_label(login, db):
    role = _role(db, "customer_manager")
    c = login("admin")
    assert 'value="客户经理"' in c.get(f"/admin/roles/{role.id}").get_data(as_text=True)
    codes = sorted(_rights(db, "customer_manager"))
    assert c.post(f"/admin/roles/{role.id}", data={"name": "客户经理", "rights": codes}).status_code == 302
    assert _role(db, "customer_manager").name == "Customer manager"  # still translated in every language
    c.post(f"/admin/roles/{role.id}", data={"name": "大客户经理", "rights": codes})
    assert _role(db, "customer_manager").name == "大客户经理"


def test_role_rename_api_bad_input(api, db):
    c, h = api("admin")
    role_id = _role(db, "executive").id  # the requests share the test's session and close it: keep the id
    for body in ({"name": ""}, {"name": "x" * 61}, {}, {"name": "ok", "code": "changed"}):
        resp = c.patch(f"/api/v1/roles/{role_id}", json=body, headers=h)
        assert resp.status_code == 422, body
    assert _role(db, "executive").name == "Executive"
