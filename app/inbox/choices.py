"""Database-backed choices for task forms: `x-dictionary: <type>` and `x-users: <role code>`.

Registered with processes.forms so the engine validates against the same lists the form page offers. Both are
prepared statements on PostgreSQL (app.db_prepared): every completion of a form with such a field reads one.
"""
from sqlalchemy import select

from app.auth.models import Role, User
from app.catalog.models import DictionaryEntry
from processes.forms import choice_source


@choice_source("x-dictionary")
def dictionary_choices(db, entry_type):
    rows = db.execute(select(DictionaryEntry.value, DictionaryEntry.item)
                      .where(DictionaryEntry.type == entry_type).order_by(DictionaryEntry.id)
                      .execution_options(prepare=True)).all()
    return [(value, item) for value, item in rows]


@choice_source("x-users")
def user_choices(db, role_code):
    rows = db.execute(select(User.id, User.name).join(Role, User.role_id == Role.id)
                      .where(Role.code == role_code, User.active.is_(True)).order_by(User.name)
                      .execution_options(prepare=True)).all()
    return [(uid, name) for uid, name in rows]
