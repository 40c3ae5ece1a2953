"""Data dictionary (数据字典, SPEC §5): typed (item, value) entries other domains offer as choices.

Non-editable entries (e.g. the customer levels, whose values customers store) refuse change and delete here, so
the pages and the API refuse alike.
"""
from flask import g, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.catalog.models import DictionaryEntry
from app.common import reference_cache
from app.common.errors import Conflict, NotFound, ValidationFailed

# The seeded types, as stored (the type is free text; these are the names other domains look up).
TYPE_SERVICE = "服务类型"
TYPE_LEVEL = "客户等级"
TYPE_REGION = "地区"
TYPE_CREDIT = "信用度"
TYPE_SATISFACTION = "满意度"

LIMITS = {"type": 40, "item": 60, "value": 60}
LABEL_EN_MAX = 60


class NotEditable(Conflict):
    code = "not_editable"


def query_entries(*, type=None, q=None):
    stmt = select(DictionaryEntry).order_by(DictionaryEntry.type, DictionaryEntry.id)
    if type:
        stmt = stmt.where(DictionaryEntry.type == type)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(DictionaryEntry.type.ilike(like), DictionaryEntry.item.ilike(like),
                              DictionaryEntry.value.ilike(like)))
    return stmt


def list_types(db, prefix=None) -> list[str]:
    stmt = select(DictionaryEntry.type).distinct().order_by(DictionaryEntry.type)
    if prefix:
        stmt = stmt.where(DictionaryEntry.type.ilike(f"{prefix.strip()}%"))
    return list(db.scalars(stmt))


# Built once, columns only: list pages read a type or two on every request, and neither building a select nor
# making ORM objects of a handful of rows is worth doing per request.
_ENTRY_ROWS = (select(DictionaryEntry.item, DictionaryEntry.value, DictionaryEntry.label_en)
               .where(DictionaryEntry.type == bindparam("type")).order_by(DictionaryEntry.id)
               .execution_options(prepare=True))


def entry_rows(db, type) -> tuple:
    """(item, value, label_en) rows of one type in their stored order (what shown() needs); a page reads them from
    the process's copy while the dictionary is unchanged (app.common.reference_cache)."""
    return reference_cache.kept(("dictionary", type), lambda: tuple(db.execute(_ENTRY_ROWS, {"type": type})))


def get_entry(db, entry_id) -> DictionaryEntry:
    entry = db.get(DictionaryEntry, entry_id)
    if entry is None:
        raise NotFound(_("No such dictionary entry."))
    return entry


def english():
    return has_request_context() and str(get_locale()) == "en"


def shown(entry) -> str:
    """An entry's item in the UI language: its English label under English (the item when it has none). A plain
    str: stored text, never Markup, never through `_()`."""
    return str((entry.label_en if english() else None) or entry.item)


def labels_of(db, type) -> dict[str, str]:
    """{item: item in the UI language} of one type, read once per request."""
    cache = g.setdefault("_dictionary_labels", {}) if has_request_context() else {}
    key = (type, english())
    if key not in cache:
        cache[key] = {e.item: shown(e) for e in entry_rows(db, type)}
    return cache[key]


def _clean(data):
    errors, clean = {}, {}
    for field, limit in LIMITS.items():
        value = (data.get(field) or "").strip()
        if not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > limit:
            errors[field] = [_("At most %(n)s characters.", n=limit)]
        clean[field] = value
    label = (data.get("label_en") or "").strip()
    if len(label) > LABEL_EN_MAX:
        errors["label_en"] = [_("At most %(n)s characters.", n=LABEL_EN_MAX)]
    clean["label_en"] = label or None
    return clean, errors


def _check_unique(db, clean, errors, exclude_id=None):
    if errors:
        return
    # lower() on both sides in the database: SQLite folds ASCII only, so Python's lower() on one side would miss
    # an existing 'Ä' and leave the unique index to fail.
    stmt = select(DictionaryEntry.id).where(func.lower(DictionaryEntry.type) == func.lower(clean["type"]),
                                            func.lower(DictionaryEntry.item) == func.lower(clean["item"]))
    if exclude_id is not None:
        stmt = stmt.where(DictionaryEntry.id != exclude_id)
    if db.scalar(stmt) is not None:
        errors["item"] = [_("This type already has the item %(item)s.", item=clean["item"])]


def create_entry(db, *, type, item, value, editable=True, label_en=None) -> DictionaryEntry:
    clean, errors = _clean({"type": type, "item": item, "value": value, "label_en": label_en})
    _check_unique(db, clean, errors)
    if errors:
        raise ValidationFailed(errors)
    entry = DictionaryEntry(**clean, editable=bool(editable))
    _flush_unique(db, clean, lambda: db.add(entry))
    return entry


def _flush_unique(db, clean, change):
    """Write in a savepoint: a concurrent writer of the same type/item gets the field error, not a 500."""
    try:
        with db.begin_nested():
            change()
            db.flush()
    except IntegrityError:
        raise ValidationFailed({"item": [_("This type already has the item %(item)s.", item=clean["item"])]}) \
            from None


def _refuse_locked(entry):
    if not entry.editable:
        raise NotEditable(_("The entry %(type)s / %(item)s is not editable.", type=entry.type, item=entry.item))


def update_entry(db, *, entry_id, type, item, value, editable=True, label_en=None) -> DictionaryEntry:
    """Replace an editable entry's fields. Clearing `editable` locks the entry for good. A locked entry takes a
    new English label only (its type, item and value stay as they are)."""
    entry = get_entry(db, entry_id)
    if not entry.editable and (type, item, value, bool(editable)) == (entry.type, entry.item, entry.value, False):
        clean, errors = _clean({"type": type, "item": item, "value": value, "label_en": label_en})
        if errors:
            raise ValidationFailed(errors)
        entry.label_en = clean["label_en"]
        db.flush()
        return entry
    _refuse_locked(entry)
    clean, errors = _clean({"type": type, "item": item, "value": value, "label_en": label_en})
    _check_unique(db, clean, errors, exclude_id=entry.id)
    if errors:
        raise ValidationFailed(errors)

    def change():
        entry.type, entry.item, entry.value = clean["type"], clean["item"], clean["value"]
        entry.label_en = clean["label_en"]
        entry.editable = bool(editable)
    _flush_unique(db, clean, change)
    return entry


def delete_entry(db, *, entry_id):
    entry = get_entry(db, entry_id)
    _refuse_locked(entry)
    db.delete(entry)
    db.flush()
