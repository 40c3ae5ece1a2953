"""An administrator unlocks a user whose sign-in is locked after repeated failures (page button and API),
and the unlock is audited (issue 13, item 6)."""
from sqlalchemy import select

from app.common.models import AuditRecord

ATTACKER = "198.51.100.66"


def _lock(app, client, username):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        client.post("/login", data={"username": username, "password": "wrong"}, environ_base={"REMOTE_ADDR": ATTACKER})


def _signs_in(client, username):
    resp = client.post("/login", data={"username": username, "password": "demo"},
                       environ_base={"REMOTE_ADDR": ATTACKER})
    return resp.status_code == 302


def test_admin_unlocks_on_the_user_page(app, client, login, user, db):
    _lock(app, client, "manager2")
    assert not _signs_in(client, "manager2")
    admin = login("admin")
    target = user("manager2")
    page = admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert 'id="unlock"' in page and "1 个地址" in page
    resp = admin.post(f"/admin/users/{target.id}/unlock", follow_redirects=True)
    assert resp.status_code == 200 and "已解除 manager2 的登录锁定" in resp.get_data(as_text=True)
    assert 'id="unlock"' not in resp.get_data(as_text=True)
    audit = db.scalar(select(AuditRecord).where(AuditRecord.entity == "user", AuditRecord.action == "unlock"))
    assert audit.entity_id == str(target.id) and audit.user_id == user("admin").id
    assert audit.data == {"locked_addresses": 1}
    assert _signs_in(client, "manager2")


def test_admin_unlocks_through_the_api_and_the_user_name_throttle_is_cleared(app, client, api, user):
    saved = app.config["LOGIN_LIMIT_PER_USER"]
    app.config["LOGIN_LIMIT_PER_USER"] = str(app.config["LOCKOUT_THRESHOLD"]) + " per 15 minutes"
    try:
        _lock(app, client, "manager2")
        assert client.post("/login", data={"username": "manager2", "password": "demo"},
                           environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
        c, headers = api("admin")
        resp = c.post(f"/api/v1/users/{user('manager2').id}/unlock", headers=headers)
        assert resp.status_code == 200 and resp.get_json() == {"locked_addresses": 1}
        assert _signs_in(client, "manager2")
    finally:
        app.config["LOGIN_LIMIT_PER_USER"] = saved


def test_unlock_needs_the_user_manage_right(login, api, user):
    target = user("manager2").id
    assert login("manager1").post(f"/admin/users/{target}/unlock").status_code == 403
    c, headers = api("supervisor")
    assert c.post(f"/api/v1/users/{target}/unlock", headers=headers).status_code == 403
