"""Nobody grants a right they do not hold, nor changes the rights of their own role; every rights change is audited."""
import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.models import Right, Role
from app.auth.rights_catalog import ALL


def _role(db, code):
    return db.scalar(select(Role).where(Role.code == code))


def _rights(db, code):
    db.expire_all()
    return {r.code for r in _role(db, code).rights}


@pytest.fixture
def keeper(db):
    """A user whose role holds role.manage (and the inbox) only."""
    rights = db.scalars(select(Right).where(Right.code.in_(["role.manage", "task.view"]))).all()
    role = Role(code="keeper", name="Keeper", rights=list(rights))
    db.add(role)
    db.flush()
    auth_service.create_user(db, username="keeper", name="守门人", password="demo", role_code="keeper")
    db.flush()
    return role


def test_a_role_manager_cannot_give_their_own_role_more_rights(db, keeper, api, login):
    c, h = api("keeper")
    resp = c.put(f"/api/v1/roles/{keeper.id}/rights", headers=h, json={"rights": ALL})
    assert resp.status_code == 422 and "不能修改自己所属角色的权限" in resp.get_json()["errors"]["rights"][0]
    assert _rights(db, "keeper") == {"role.manage", "task.view"}
    page = login("keeper")
    resp = page.post(f"/admin/roles/{keeper.id}", data={"name": "Keeper", "rights": ALL})
    assert resp.status_code == 422 and "不能修改自己所属角色的权限" in resp.get_data(as_text=True)
    assert _rights(db, "keeper") == {"role.manage", "task.view"}
    assert page.get("/admin/users").status_code == 403


def test_a_role_manager_cannot_grant_a_right_they_do_not_hold(db, keeper, api, login):
    executive = _role(db, "executive")
    before = _rights(db, "executive")
    c, h = api("keeper")
    resp = c.put(f"/api/v1/roles/{executive.id}/rights", headers=h,
                 json={"rights": sorted(before | {"user.manage", "role.manage"})})
    assert resp.status_code == 422
    message = resp.get_json()["errors"]["rights"][0]
    assert "不能授予自己没有的权限" in message and "user.manage" in message and "role.manage" not in message
    resp = c.post("/api/v1/roles", headers=h, json={"code": "helper", "name": "Helper", "rights": ["process.admin"]})
    assert resp.status_code == 422 and "process.admin" in resp.get_json()["errors"]["rights"][0]
    assert _rights(db, "executive") == before and _role(db, "helper") is None
    # what they hold they may grant
    resp = c.put(f"/api/v1/roles/{executive.id}/rights", headers=h, json={"rights": sorted(before | {"task.view"})})
    assert resp.status_code == 200 and _rights(db, "executive") == before | {"task.view"}

    page = login("keeper")
    resp = page.post(f"/admin/roles/{executive.id}", data={"name": "Executive",
                                                           "rights": sorted(before | {"task.view", "process.deploy"})})
    assert resp.status_code == 422 and "不能授予自己没有的权限" in resp.get_data(as_text=True)
    resp = page.post("/admin/roles/new", data={"code": "helper", "name": "Helper", "rights": ["process.deploy"]})
    assert resp.status_code == 422 and "process.deploy" in resp.get_data(as_text=True)
    assert _role(db, "helper") is None
    form = page.get(f"/admin/roles/{executive.id}").get_data(as_text=True)
    # rights the keeper lacks show greyed at the role's state, and stay the role's on save
    assert 'class="fixed-right" value="report.view" disabled checked' in form
    assert '<input type="hidden" name="rights" value="report.view">' in form
    assert 'class="fixed-right" value="user.manage" disabled >' in form


def test_a_user_manager_cannot_hand_out_or_take_over_a_stronger_account(db, api, user):
    rights = db.scalars(select(Right).where(Right.code.in_(["user.manage", "task.view"]))).all()
    db.add(Role(code="desk", name="Desk", rights=list(rights)))
    db.flush()
    auth_service.create_user(db, username="desk", name="前台", password="demo", role_code="desk")
    auth_service.create_user(db, username="desk2", name="前台二", password="demo", role_code="desk")
    c, h = api("desk")
    resp = c.patch(f"/api/v1/users/{user('desk2').id}", headers=h, json={"role": "admin"})
    assert resp.status_code == 422 and "不能授予自己没有的权限" in resp.get_json()["errors"]["role"][0]
    resp = c.patch(f"/api/v1/users/{user('desk').id}", headers=h, json={"role": "admin"})  # nor to themselves
    assert resp.status_code == 422
    resp = c.post("/api/v1/users", headers=h, json={"username": "friend", "name": "朋友", "password": "long-enough",
                                                    "role": "admin"})
    assert resp.status_code == 422 and "role" in resp.get_json()["errors"]
    # an account holding rights the desk lacks is not theirs to change (a new password would hand them its rights)
    resp = c.patch(f"/api/v1/users/{user('admin').id}", headers=h, json={"password": "taken-over-now"})
    assert resp.status_code == 403
    assert c.patch(f"/api/v1/users/{user('manager2').id}", headers=h, json={"active": False}).status_code == 403
    db.expire_all()
    assert user("desk2").role.code == "desk" and user("friend") is None and user("manager2").active


def test_built_in_roles_keep_their_code_and_take_a_plain_text_name(db, api):
    c, h = api("admin")
    role = _role(db, "customer_manager")
    resp = c.patch(f"/api/v1/roles/{role.id}", headers=h, json={"code": "boss", "name": "Boss"})
    assert resp.status_code == 422
    resp = c.patch(f"/api/v1/roles/{role.id}", headers=h, json={"name": "客户经理（华北）"})
    assert resp.status_code == 200 and resp.get_json()["code"] == "customer_manager"
    db.expire_all()
    assert _role(db, "customer_manager").name == "客户经理（华北）"


def test_every_rights_change_is_audited_and_shown_to_admins(db, api, login, user):
    executive = _role(db, "executive")
    before = _rights(db, "executive")
    admin = login("admin")
    admin.post(f"/admin/roles/{executive.id}",
               data={"name": "Executive", "rights": sorted((before - {"order.view"}) | {"product.view"})})
    page = admin.get(f"/admin/roles/{executive.id}").get_data(as_text=True)
    history = page.split('id="role-history"')[1].split("</table>")[0]
    assert "系统管理员" in history and "<code>product.view</code>" in history and "<code>order.view</code>" in history
    c, h = api("admin")
    items = c.get(f"/api/v1/roles/{executive.id}/history", headers=h).get_json()["items"]
    assert items[0]["action"] == "rights" and items[0]["user_id"] == user("admin").id
    assert items[0]["added"] == ["product.view"] and items[0]["removed"] == ["order.view"] and items[0]["at"]
    assert c.get(f"/api/v1/roles/{executive.id}/history", headers=api("manager1")[1]).status_code in (401, 403)


def test_a_users_role_change_shows_on_their_account_page(db, login, user):
    admin = login("admin")
    admin.post(f"/admin/users/{user('manager2').id}", data={"name": "王经理", "role": "sales_supervisor"})
    page = admin.get(f"/admin/users/{user('manager2').id}").get_data(as_text=True)
    history = page.split('id="account-history"')[1].split("</table>")[0]
    assert "系统管理员" in history
    assert "<code>customer_manager</code> → <code>sales_supervisor</code>" in history
