"""Database-backed choices for task forms: `x-dictionary: <type>` and `x-users: <role code>`.

Registered with processes.forms so the engine validates against the same lists the form page offers: a submission
asks whether its one value is in the list, the page reads the list. All are prepared statements on PostgreSQL
(app.db_prepared): every completion of a form with such a field runs one.
"""
from sqlalchemy import bindparam, select

from app.auth.service import active_members, is_active_member
from app.catalog.dictionary_service import entry_rows
from app.catalog.models import DictionaryEntry
from processes.forms import choice_source


# Built once with bind parameters: building a statement costs more Python than executing its cached form (about
# 150 µs against 40 for these joins), and a form submission runs one.
_DICTIONARY_VALUE = (select(DictionaryEntry.id)
                     .where(DictionaryEntry.type == bindparam("entry_type"), DictionaryEntry.value == bindparam("value"))
                     .limit(1).execution_options(prepare=True))


def is_dictionary_value(db, entry_type, value) -> bool:
    """One submitted x-dictionary value (ix_dictionary_type_value)."""
    if not isinstance(value, str):
        return False
    return db.execute(_DICTIONARY_VALUE, {"entry_type": entry_type, "value": value}).first() is not None


@choice_source("x-dictionary", contains=is_dictionary_value)
def dictionary_choices(db, entry_type):
    return [(row.value, row.item) for row in entry_rows(db, entry_type)]


@choice_source("x-users", contains=is_active_member)
def user_choices(db, role_code):
    return [(uid, name) for uid, name in active_members(db, role_code)]
