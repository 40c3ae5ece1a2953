"""Products and inventory search on pages and API; rights on every catalog page."""
import pytest

from test_catalog_orders import make_catalog


@pytest.fixture
def cat(db, user):
    return make_catalog(db, user)


def test_product_search_by_name_model_batch(login, cat):
    c = login("manager1")
    html = c.get("/catalog/products?name=打印").get_data(as_text=True)
    assert "激光打印机" in html and "笔记本电脑" not in html
    html = c.get("/catalog/products?model=e14").get_data(as_text=True)
    assert "笔记本电脑" in html and "激光打印机" not in html
    html = c.get("/catalog/products?batch=B2024").get_data(as_text=True)
    assert "笔记本电脑" in html and "A4复印纸" in html and "激光打印机" not in html
    html = c.get("/catalog/products?name=不存在").get_data(as_text=True)
    assert "没有符合条件的产品" in html
    assert c.get("/catalog/products?export=xlsx").mimetype.endswith("spreadsheetml.sheet")


def test_product_api_query(api, cat):
    c, h = api("service1")
    body = c.get("/api/v1/products?q=M126", headers=h).get_json()
    assert body["total"] == 1 and body["items"][0]["unit_price"] == "1800.00"
    body = c.get("/api/v1/products?name=纸&batch=2024", headers=h).get_json()
    assert [p["model"] for p in body["items"]] == ["70g"]
    assert c.get(f"/api/v1/products/{cat.p1.id}", headers=h).get_json()["name"] == "笔记本电脑"
    assert c.get("/api/v1/products/999999", headers=h).status_code == 404
    assert c.get("/api/v1/products?per_page=0", headers=h).status_code == 422


def test_inventory_search_by_product_and_warehouse(login, cat):
    c = login("manager1")
    html = c.get("/catalog/inventory?product=笔记本").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 2 and "上海分仓" in rows
    rows = c.get("/catalog/inventory?warehouse=北京").get_data(as_text=True).split("<tbody>")[1]
    assert "笔记本电脑" in rows and "激光打印机" in rows and "上海分仓" not in rows
    rows = c.get("/catalog/inventory?product=打印&warehouse=上海").get_data(as_text=True).split("<tbody>")[1]
    assert "没有符合条件的库存" in rows


def test_inventory_api_query(api, cat):
    c, h = api("supervisor")
    body = c.get("/api/v1/inventory?warehouse=北京总仓", headers=h).get_json()
    assert body["total"] == 2 and {i["product_name"] for i in body["items"]} == {"笔记本电脑", "激光打印机"}
    body = c.get(f"/api/v1/inventory?product_id={cat.p1.id}", headers=h).get_json()
    assert sorted(i["quantity"] for i in body["items"]) == [5, 12]
    assert c.get("/api/v1/inventory?product_id=abc", headers=h).status_code == 422


@pytest.mark.parametrize("username, url", [
    ("executive", "/catalog/products"), ("executive", "/catalog/inventory"),
    ("service1", "/catalog/inventory"), ("analyst", "/catalog/orders"), ("analyst", "/catalog/dictionary"),
])
def test_catalog_pages_refuse_users_without_the_right(login, username, url):
    assert login(username).get(url).status_code == 403


@pytest.mark.parametrize("username, url", [
    ("executive", "/api/v1/products"), ("service1", "/api/v1/inventory"), ("analyst", "/api/v1/orders"),
])
def test_catalog_api_refuses_users_without_the_right(api, username, url):
    c, h = api(username)
    assert c.get(url, headers=h).status_code == 403


def test_menu_shows_basic_data_entries_by_right(login):
    html = login("service1").get("/inbox/").get_data(as_text=True)
    assert 'href="/catalog/products"' in html and 'href="/catalog/inventory"' not in html
    html = login("manager1").get("/inbox/").get_data(as_text=True)
    assert 'href="/catalog/inventory"' in html and 'href="/catalog/orders"' in html
