"""Data dictionary: list/create/edit/delete on pages and API, non-editable entries refused everywhere, field
errors that keep the input and save nothing, the type autocompletion."""
import pytest
from sqlalchemy import func, select

from app.catalog import dictionary_service
from app.catalog.models import DictionaryEntry
from app.catalog.seed import seed_dictionary


@pytest.fixture
def entries(db):
    seed_dictionary(db)
    db.commit()
    by_item = {e.item: e for e in db.scalars(select(DictionaryEntry))}
    return by_item


def _snapshot(db):
    return sorted(db.execute(select(DictionaryEntry.id, DictionaryEntry.type, DictionaryEntry.item,
                                    DictionaryEntry.value, DictionaryEntry.editable)).all())


def test_list_filters_by_type_and_shows_locked_entries(login, entries):
    html = login("manager1").get("/catalog/dictionary?type=客户等级").get_data(as_text=True)
    assert "战略合作伙伴" in html and "华北" not in html
    assert "已锁定" not in html  # manager1 cannot edit: no action column at all
    html = login("admin").get("/catalog/dictionary?type=客户等级").get_data(as_text=True)
    assert html.count("已锁定") == 5 and "/delete" not in html
    html = login("admin").get("/catalog/dictionary?q=投诉").get_data(as_text=True)
    assert "complaint" in html and "咨询" not in html.split("<tbody>")[1]


def test_create_edit_delete_through_pages(login, db, entries):
    c = login("admin")
    resp = c.post("/catalog/dictionary/new", data={"type": "地区", "item": "西南", "value": "西南", "editable": "y"})
    assert resp.status_code == 302
    entry = db.scalar(select(DictionaryEntry).where(DictionaryEntry.item == "西南"))
    entry_id = entry.id
    assert entry.editable
    assert c.get(f"/catalog/dictionary/{entry_id}/edit").status_code == 200
    resp = c.post(f"/catalog/dictionary/{entry_id}/edit", data={"type": "地区", "item": "西南区", "value": "西南",
                                                              "editable": "y"})
    assert resp.status_code == 302
    assert db.get(DictionaryEntry, entry_id).item == "西南区"
    assert c.post(f"/catalog/dictionary/{entry_id}/delete").status_code == 302
    assert db.get(DictionaryEntry, entry_id) is None


@pytest.mark.parametrize("data, field", [
    ({"type": "", "item": "x", "value": "x"}, "type"),
    ({"type": "地区", "item": "", "value": "x"}, "item"),
    ({"type": "地区", "item": "x", "value": ""}, "value"),
    ({"type": "地区", "item": "北京", "value": "x"}, "item"),      # taken in this type
    ({"type": "T" * 41, "item": "x", "value": "x"}, "type"),
    ({"type": "地区", "item": "x" * 61, "value": "x"}, "item"),
    ({"type": "地区", "item": "   ", "value": "x"}, "item"),
])
def test_bad_input_on_the_page_keeps_input_and_saves_nothing(login, db, entries, data, field):
    before = _snapshot(db)
    resp = login("admin").post("/catalog/dictionary/new", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    start = html.index(f'id="{field}"')
    assert 'class="field-error"' in html[start:start + 600]
    for value in data.values():
        if value.strip():
            assert f'value="{value}"' in html
    assert _snapshot(db) == before


def test_non_editable_entries_refuse_change_and_delete_on_pages(login, db, entries):
    locked = entries["大客户"]
    before = _snapshot(db)
    c = login("admin")
    resp = c.get(f"/catalog/dictionary/{locked.id}/edit", follow_redirects=True)
    assert "不可编辑" in resp.get_data(as_text=True)
    resp = c.post(f"/catalog/dictionary/{locked.id}/edit", data={"type": "客户等级", "item": "超大客户", "value": "3"})
    assert resp.status_code == 302
    resp = c.post(f"/catalog/dictionary/{locked.id}/delete", follow_redirects=True)
    assert "不可编辑" in resp.get_data(as_text=True)
    assert _snapshot(db) == before


def test_non_editable_entries_refuse_change_and_delete_in_api_and_service(api, db, entries):
    locked = entries["普通客户"]
    before = _snapshot(db)
    c, h = api("admin")
    resp = c.put(f"/api/v1/dictionary/{locked.id}", json={"type": "客户等级", "item": "小客户", "value": "1"},
                 headers=h)
    assert resp.status_code == 409 and resp.get_json()["code"] == "not_editable"
    resp = c.delete(f"/api/v1/dictionary/{locked.id}", headers=h)
    assert resp.status_code == 409 and resp.get_json()["code"] == "not_editable"
    with pytest.raises(dictionary_service.NotEditable):
        dictionary_service.update_entry(db, entry_id=locked.id, type="客户等级", item="x", value="1")
    with pytest.raises(dictionary_service.NotEditable):
        dictionary_service.delete_entry(db, entry_id=locked.id)
    assert _snapshot(db) == before


def test_locking_an_entry_is_final(api, db, entries):
    c, h = api("admin")
    entry = entries["建议"]
    resp = c.put(f"/api/v1/dictionary/{entry.id}", json={"type": "服务类型", "item": "建议", "value": "suggestion",
                                                        "editable": False}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["editable"] is False
    resp = c.put(f"/api/v1/dictionary/{entry.id}", json={"type": "服务类型", "item": "建议", "value": "suggestion",
                                                        "editable": True}, headers=h)
    assert resp.status_code == 409


def test_dictionary_api_crud(api, db, entries):
    c, h = api("admin")
    listing = c.get("/api/v1/dictionary?type=地区&per_page=50", headers=h).get_json()
    assert listing["total"] == 7 and {e["item"] for e in listing["items"]} >= {"北京", "华南"}
    resp = c.post("/api/v1/dictionary", json={"type": "行业", "item": "制造业", "value": "manufacturing"}, headers=h)
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["editable"] is True
    assert c.get(f"/api/v1/dictionary/{created['id']}", headers=h).get_json() == created
    resp = c.put(f"/api/v1/dictionary/{created['id']}", json={"type": "行业", "item": "制造", "value": "mfg"},
                 headers=h)
    assert resp.get_json()["item"] == "制造"
    assert c.delete(f"/api/v1/dictionary/{created['id']}", headers=h).status_code == 204
    assert c.get(f"/api/v1/dictionary/{created['id']}", headers=h).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"item": "x", "value": "x"}, "type"),
    ({"type": "地区", "value": "x"}, "item"),
    ({"type": "地区", "item": "x"}, "value"),
    ({"type": "地区", "item": "华北", "value": "x"}, "item"),
    ({"type": "地区", "item": "x", "value": "v" * 61}, "value"),
    ({"type": "地区", "item": "x", "value": "x", "editable": "sometimes"}, "editable"),
    ({"type": 5, "item": "x", "value": "x"}, "type"),
])
def test_dictionary_api_bad_input_saves_nothing(api, db, entries, body, field):
    c, h = api("admin")
    before = _snapshot(db)
    resp = c.post("/api/v1/dictionary", json=body, headers=h)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    entry = entries["华南"]
    resp = c.put(f"/api/v1/dictionary/{entry.id}", json=body, headers=h)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    assert _snapshot(db) == before


def test_editing_needs_the_edit_right(api, login, db, entries):
    page = login("manager1")
    assert page.get("/catalog/dictionary").status_code == 200
    assert page.get("/catalog/dictionary/new").status_code == 403
    assert page.post(f"/catalog/dictionary/{entries['华南'].id}/delete").status_code == 403
    c, h = api("manager1")
    assert c.get("/api/v1/dictionary", headers=h).status_code == 200
    assert c.post("/api/v1/dictionary", json={"type": "a", "item": "b", "value": "c"}, headers=h).status_code == 403
    assert c.delete(f"/api/v1/dictionary/{entries['华南'].id}", headers=h).status_code == 403
    assert login("executive").get("/catalog/dictionary").status_code == 403
    assert db.scalar(select(func.count()).select_from(DictionaryEntry)) == 25


def test_type_field_autocompletes_from_existing_types(login, entries):
    c = login("admin")
    html = c.get("/catalog/dictionary/new").get_data(as_text=True)
    assert 'list="dictionary-types"' in html and 'data-src="/catalog/dictionary/types.json"' in html
    types = c.get("/catalog/dictionary/types.json").get_json()
    assert types == sorted(["服务类型", "客户等级", "地区", "信用度", "满意度"])
    assert c.get("/catalog/dictionary/types.json?q=客户").get_json() == ["客户等级"]


def test_bad_input_on_the_edit_page_saves_nothing(login, db, entries):
    entry = entries["华南"]
    before = _snapshot(db)
    resp = login("admin").post(f"/catalog/dictionary/{entry.id}/edit",
                               data={"type": "地区", "item": "北京", "value": "华南", "editable": "y"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "该类别下已有条目 北京" in html and 'value="北京"' in html
    assert _snapshot(db) == before


@pytest.mark.parametrize("type_, item", [("Ärzte", "Ü"), ("ÏA", "#T?¤"), ("行业", "Ñandú")])
def test_an_entry_with_capital_non_ascii_letters_twice_is_a_field_error(api, db, entries, type_, item):
    """Found by fuzzing the API: the second copy reached the unique index (500) where SQLite's lower() differs
    from Python's."""
    c, h = api("admin")
    body = {"type": type_, "item": item, "value": "1"}
    assert c.post("/api/v1/dictionary", json=body, headers=h).status_code == 201
    before = _snapshot(db)
    again = c.post("/api/v1/dictionary", json=body, headers=h)
    assert again.status_code == 422 and "item" in again.get_json()["errors"]
    other = c.post("/api/v1/dictionary", json={**body, "item": "other"}, headers=h).get_json()
    moved = c.put(f"/api/v1/dictionary/{other['id']}", json=body, headers=h)
    assert moved.status_code == 422 and "item" in moved.get_json()["errors"]
    assert c.get(f"/api/v1/dictionary/{other['id']}", headers=h).get_json()["item"] == "other"
    assert len(_snapshot(db)) == len(before) + 1
