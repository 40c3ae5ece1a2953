"""The English UI is complete: dictionary entries carry an English label (editable on the dictionary page and API,
locked entries included) shown for levels, regions and service types; the service request's steps and history
show the models' English names. Lookups give plain strings, never Markup."""
import io
from datetime import datetime

import pytest
from markupsafe import Markup
from openpyxl import load_workbook
from sqlalchemy import select

from app.catalog.models import DictionaryEntry
from app.catalog.seed import seed_dictionary
from app.customers.models import Customer
from fixtures.sales_support import OPP, sales_api, sales_deployed  # noqa: F401 (fixtures)
from test_service_helpers import clients, create_via_api, ensure_service_data  # noqa: F401


@pytest.fixture
def english_data(db, user):
    seed_dictionary(db)  # the seeded entries come with their English labels
    customers = ensure_service_data(db, user)
    db.add(Customer(no="KHE0001", name="英文测试公司", manager_id=user("manager1").id, level=3, region="华东",
                    status="normal", created_at=datetime(2026, 1, 5)))
    db.flush()
    return customers


def _english(client):
    client.post("/lang/en", data={"next": "/"})
    return client


def test_seeded_entries_have_english_labels(db, english_data):
    labels = dict(db.execute(select(DictionaryEntry.item, DictionaryEntry.label_en)
                             .where(DictionaryEntry.type.in_(["客户等级", "地区", "服务类型"]))).all())
    assert labels["大客户"] == "Major account" and labels["华东"] == "East China" and labels["投诉"] == "Complaint"
    assert all(labels.values())


def test_levels_and_regions_show_in_english_on_customer_pages(login, english_data):
    c = login("manager1")
    assert "大客户" in c.get("/customers/?q=英文测试").get_data(as_text=True)  # Chinese by default
    page = _english(c).get("/customers/?q=英文测试").get_data(as_text=True)
    row = page[page.index("英文测试公司"):]
    assert "Major account" in row and "East China" in row and ">大客户<" not in page and ">华东<" not in page
    view = c.get("/customers/KHE0001").get_data(as_text=True)
    assert "East China" in view and "Major account" in view


def test_service_request_type_steps_and_history_show_in_english(login, clients, english_data):
    sr = create_via_api(clients, summary="英文界面")
    c = _english(login("supervisor"))
    archive = c.get("/service/archive").get_data(as_text=True)
    assert "<td>Complaint</td>" in archive and ">投诉<" not in archive
    detail = c.get(f"/service/{sr['id']}").get_data(as_text=True)
    assert "Dispatch service request" in detail and ">服务分配<" not in detail
    create = _english(login("service1")).get("/service/new").get_data(as_text=True)
    assert ">Complaint</option>" in create and 'value="投诉"' in create  # shown in English, stored as the item


def test_english_label_is_edited_on_the_page_for_a_locked_entry_too(login, db, english_data):
    locked = db.scalar(select(DictionaryEntry).where(DictionaryEntry.type == "客户等级", DictionaryEntry.item == "大客户"))
    c = login("admin")
    page = c.get(f"/catalog/dictionary/{locked.id}/edit")
    assert page.status_code == 200 and 'id="label_en"' in page.get_data(as_text=True)
    resp = c.post(f"/catalog/dictionary/{locked.id}/edit",
                  data={"type": "客户等级", "item": "超大客户", "value": "9", "label_en": "Key account"})
    assert resp.status_code == 302
    locked_id = locked.id
    db.expire_all()
    locked = db.get(DictionaryEntry, locked_id)
    assert (locked.item, locked.value, locked.label_en, locked.editable) == ("大客户", "3", "Key account", False)
    listing = c.get("/catalog/dictionary?type=客户等级").get_data(as_text=True)
    assert "<th>英文名称</th>" in listing and "Key account" in listing
    too_long = c.post("/catalog/dictionary/new", data={"type": "地区", "item": "西南", "value": "西南",
                                                       "label_en": "x" * 61})
    assert too_long.status_code == 422 and 'value="' + "x" * 61 + '"' in too_long.get_data(as_text=True)


def test_english_label_in_the_api(api, db, english_data):
    c, h = api("admin")
    created = c.post("/api/v1/dictionary", headers=h,
                     json={"type": "地区", "item": "西南", "value": "西南", "label_en": "Southwest"})
    assert created.status_code == 201 and created.get_json()["label_en"] == "Southwest"
    locked = db.scalar(select(DictionaryEntry).where(DictionaryEntry.item == "普通客户"))
    resp = c.put(f"/api/v1/dictionary/{locked.id}", headers=h,
                 json={"type": "客户等级", "item": "普通客户", "value": "1", "editable": False, "label_en": "Standard"})
    assert resp.status_code == 200 and resp.get_json()["label_en"] == "Standard"
    refused = c.put(f"/api/v1/dictionary/{locked.id}", headers=h,
                    json={"type": "客户等级", "item": "小客户", "value": "1", "editable": False, "label_en": "Small"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_editable"


def test_lookups_give_plain_strings(app, db, english_data):
    from app.catalog.dictionary_service import labels_of
    from app.customers.lookups import level_choices, region_labels
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        levels, regions, types = level_choices(db), region_labels(db), labels_of(db, "服务类型")
    assert dict(levels)[3] == "Major account" and regions["华东"] == "East China" and types["投诉"] == "Complaint"
    shown = [label for _c, label in levels] + list(regions.values()) + list(types.values())
    assert all(type(s) is str and not isinstance(s, Markup) for s in shown)


def test_the_inbox_export_names_steps_and_processes_in_english(login, sales_api, sales_deployed):
    c, h = sales_api("manager1")
    assert c.post("/api/v1/opportunities", json=OPP, headers=h).status_code == 201
    page = _english(login("supervisor"))
    rows = list(load_workbook(io.BytesIO(page.get("/inbox/?export=xlsx").data)).active.values)
    assert rows[0][:2] == ("Task", "Process")
    assert ("Assign the opportunity", "Sales opportunity") in [row[:2] for row in rows[1:]], rows
