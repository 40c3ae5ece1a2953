"""Rights, the six roles, and (for demo) one user per role."""
from sqlalchemy import select

from app.auth.models import Right, Role, User
from app.auth.rights_catalog import RIGHTS, ROLES, msgid
from app.auth.service import create_user

DEMO_USERS = [
    ("admin", "系统管理员", "admin"),
    ("supervisor", "张主管", "sales_supervisor"),
    ("manager1", "李经理", "customer_manager"),
    ("manager2", "王经理", "customer_manager"),
    ("service1", "赵客服", "service_rep"),
    ("executive", "陈总", "executive"),
    ("analyst", "孙分析", "process_analyst"),
]


def sync_rights(db):
    """Insert rights that are new in the catalog and the roles that do not exist yet.

    Existing roles keep their (possibly admin-edited) rights."""
    existing = {r.code: r for r in db.scalars(select(Right))}
    for pos, (code, menu, label, _endpoint) in enumerate(RIGHTS):
        right = existing.get(code)
        if right is None:
            right = Right(code=code)
            db.add(right)
            existing[code] = right
        right.name, right.menu, right.position = msgid(label), menu, pos
    db.flush()
    roles = {r.code: r for r in db.scalars(select(Role))}
    for code, (label, rights) in ROLES.items():
        if code not in roles:
            db.add(Role(code=code, name=msgid(label),
                        rights=[existing[c] for c in rights]))
    db.flush()


def seed_demo(db, password="demo"):
    sync_rights(db)
    for username, name, role in DEMO_USERS:
        if db.scalar(select(User).where(User.username == username)) is None:
            create_user(db, username=username, name=name, password=password, role_code=role)
