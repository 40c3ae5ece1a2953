"""Text with NUL characters (found by fuzzing the API on PostgreSQL, which cannot store them: a 500 there) is a
field error naming where it is, on both databases, and nothing is saved."""
from sqlalchemy import func, select

from app.catalog.models import DictionaryEntry


def _count(db):
    return db.scalar(select(func.count()).select_from(DictionaryEntry))


def test_json_body_with_nul_is_a_field_error(api, db):
    c, h = api("admin")
    before = _count(db)
    resp = c.post("/api/v1/dictionary", json={"type": "行业", "item": "制造\x00业", "value": "1"}, headers=h)
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == ["item"]
    assert _count(db) == before


def test_nested_json_with_nul_names_the_line(api):
    c, h = api("admin")
    body = {"order_no": "SO-NUL", "customer_no": "KH1", "date": "2025-03-01", "status": "unpaid",
            "lines": [{"product_id": 1, "quantity": 1, "unit": "台\x00", "unit_price": "1.00"}]}
    resp = c.post("/api/v1/orders", json=body, headers=h)
    assert resp.status_code == 422 and list(resp.get_json()["errors"]) == ["lines[0].unit"]


def test_query_and_path_with_nul_are_refused(api, login):
    c, h = api("admin")
    resp = c.get("/api/v1/orders?customer_no=KH%00", headers=h)
    assert resp.status_code == 422 and "customer_no" in resp.get_json()["errors"]
    assert c.get("/api/v1/customers/KH%00", headers=h).status_code == 422
    page = login("admin").get("/customers/?q=%E5%AE%8F%00")
    assert page.status_code == 422 and "空字符" in page.get_data(as_text=True)


def test_form_with_nul_saves_nothing(login, db):
    before = _count(db)
    resp = login("admin").post("/catalog/dictionary/new", data={"type": "行业", "item": "a\x00", "value": "1"})
    assert resp.status_code == 422
    assert _count(db) == before
