"""Choices a customer's fields are checked against: the data dictionary (客户等级, 地区) and the managers.

The dictionary is read on every use (a handful of rows) so an admin's edit shows at once.
"""
from app.auth.models import User
from app.auth.service import active_members
from app.catalog.dictionary_service import english, entry_rows, labels_of, shown

LEVEL_TYPE = "客户等级"
REGION_TYPE = "地区"
MANAGER_ROLE = "customer_manager"

# SPEC §5: the seeded, non-editable levels. Used only while the dictionary holds no level entry at all (a fresh
# database before seeding), so that customers created by the sales process still get a valid level.
DEFAULT_LEVELS = [(1, "普通客户"), (2, "重点开发客户"), (3, "大客户"), (4, "合作伙伴"), (5, "战略合作伙伴")]


def _as_int(text):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def level_choices(db) -> list[tuple[int, str]]:
    """[(level code, label)] ordered by code. An entry is (item=label, value=code); the reverse is accepted too."""
    levels = {}
    for entry in entry_rows(db, LEVEL_TYPE):
        code, label = _as_int(entry.value), shown(entry)  # in the UI language (its English label under English)
        if code is None:
            code, label = _as_int(entry.item), entry.label_en or entry.value if english() else entry.value
        if code is not None:
            levels[code] = label
    return sorted(levels.items()) if levels else list(DEFAULT_LEVELS)


def level_labels(db) -> dict[int, str]:
    return dict(level_choices(db))


def region_choices(db) -> list[str]:
    """Region names (the entries' items), in dictionary order."""
    return [e.item for e in entry_rows(db, REGION_TYPE)]


def region_labels(db) -> dict[str, str]:
    """{region as stored: region in the UI language}, in dictionary order."""
    return labels_of(db, REGION_TYPE)


def manager_choices(db) -> list:
    """Active customer managers, who can own a customer: rows of (id, name)."""
    return active_members(db, MANAGER_ROLE)


def active_manager(db, manager_id):
    """The active customer manager with that id, or None."""
    user = db.get(User, manager_id) if manager_id is not None else None
    if user is None or not user.active or user.role_code != MANAGER_ROLE:
        return None
    return user
