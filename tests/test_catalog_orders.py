"""Orders: API creation idempotent on order_no, conflicts, field errors that save nothing, the order hook,
read-only pages with lines and totals, and the record-level scope of managers."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from app.catalog import hooks, order_service
from app.catalog.models import Inventory, Order, OrderLine, Product
from app.customers.models import Customer
from processes.clock import utcnow


def make_catalog(db, user):
    """Two customers (one per manager), a deleted one, three products with some stock; committed so requests
    on the test's connection see them."""
    now = utcnow()
    m1, m2 = user("manager1"), user("manager2")
    c1 = Customer(no="KH250101001", name="北京测试科技有限公司", region="北京", manager_id=m1.id, level=1,
                  status="normal", created_at=now)
    c2 = Customer(no="KH250101002", name="上海样例贸易有限公司", region="华东", manager_id=m2.id, level=3,
                  status="normal", created_at=now)
    gone = Customer(no="KH250101003", name="已删除客户", region="华南", manager_id=m1.id, level=1,
                    status="deleted", created_at=now)
    p1 = Product(name="笔记本电脑", model="E14", batch="B2024-01", unit="台", unit_price=Decimal("5200.00"))
    p2 = Product(name="激光打印机", model="M126a", batch="B2023-05", unit="台", unit_price=Decimal("1800.00"))
    p3 = Product(name="A4复印纸", model="70g", batch="B2024-03", unit="箱", unit_price=Decimal("160.00"))
    db.add_all([c1, c2, gone, p1, p2, p3])
    db.flush()
    db.add_all([Inventory(product_id=p1.id, warehouse="北京总仓", location="A区-01-01", quantity=12),
                Inventory(product_id=p1.id, warehouse="上海分仓", location="B区-02-03", quantity=5),
                Inventory(product_id=p2.id, warehouse="北京总仓", location="A区-03-02", quantity=40)])
    db.commit()
    return SimpleNamespace(c1=c1, c2=c2, gone=gone, p1=p1, p2=p2, p3=p3)


@pytest.fixture
def cat(db, user):
    return make_catalog(db, user)


def order_body(cat, order_no="SO-1001", **over):
    body = {"order_no": order_no, "customer_no": cat.c1.no, "date": "2025-03-01", "address": "北京市海淀区中关村大街1号",
            "status": "unpaid", "lines": [
                {"product_id": cat.p1.id, "quantity": 2, "unit": "台", "unit_price": "5100.00"},
                {"product_id": cat.p3.id, "quantity": 10, "unit_price": 150.5}]}
    body.update(over)
    return body


def _orders(db):
    return db.scalar(select(func.count()).select_from(Order)), db.scalar(select(func.count()).select_from(OrderLine))


@pytest.fixture
def calls():
    seen = []

    def hook(db, order):
        seen.append((order.order_no, order.id, len(order.lines)))

    hooks.on_order_created(hook)
    yield seen
    hooks.remove_hook(hook)


def test_create_order_stores_total_and_calls_hooks_once(api, cat, db, calls):
    c, h = api("admin")
    resp = c.post("/api/v1/orders", json=order_body(cat), headers=h)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["total"] == "11705.00"  # 2 × 5100 + 10 × 150.50
    assert body["customer_no"] == cat.c1.no and body["status"] == "unpaid" and body["date"] == "2025-03-01"
    assert [ln["unit"] for ln in body["lines"]] == ["台", "箱"]  # a missing unit is the product's
    assert db.scalar(select(Order.total).where(Order.order_no == "SO-1001")) == Decimal("11705.00")
    assert calls == [("SO-1001", calls[0][1], 2)]


def test_same_order_again_answers_existing_and_creates_nothing(api, cat, db, calls):
    c, h = api("admin")
    first = c.post("/api/v1/orders", json=order_body(cat), headers=h).get_json()
    counts = _orders(db)
    swapped = order_body(cat)
    swapped["lines"] = list(reversed(swapped["lines"]))
    swapped["lines"][0]["unit"] = "箱"  # the default unit given explicitly is the same content
    for body in (order_body(cat), swapped):
        resp = c.post("/api/v1/orders", json=body, headers=h)
        assert resp.status_code == 200 and resp.get_json() == first
    assert _orders(db) == counts
    assert len(calls) == 1


@pytest.mark.parametrize("change, fields", [
    ({"status": "paid"}, ["status"]),
    ({"date": "2025-03-02"}, ["date"]),
    ({"customer_no": "KH250101002"}, ["customer_no"]),
    ({"address": None}, ["address"]),
    ({"lines": [{"product_id": None, "quantity": 3, "unit_price": "5100.00"}]}, ["lines"]),
])
def test_conflicting_content_for_existing_order_no_answers_409(api, cat, db, change, fields):
    c, h = api("admin")
    c.post("/api/v1/orders", json=order_body(cat), headers=h)
    counts = _orders(db)
    if "lines" in change:
        change["lines"][0]["product_id"] = cat.p1.id
    resp = c.post("/api/v1/orders", json=order_body(cat, **change), headers=h)
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["code"] == "conflict" and problem["fields"] == fields and "SO-1001" in problem["detail"]
    assert _orders(db) == counts
    assert db.scalar(select(Order.status).where(Order.order_no == "SO-1001")) == "unpaid"


def test_concurrent_creation_of_one_order_no_resolves_to_the_existing_order(cat, db, monkeypatch):
    first, created = order_service.create_order(db, data=order_body(cat))
    assert created
    # the second sender checked before the first one's insert was visible: the unique index decides
    real, stale = order_service._existing, [True]

    def stale_once(db_, order_no):
        if stale:
            stale.pop()
            return None
        return real(db_, order_no)

    monkeypatch.setattr(order_service, "_existing", stale_once)
    again, created = order_service.create_order(db, data=order_body(cat))
    assert not created and again.id == first.id
    with pytest.raises(order_service.Conflict):
        order_service.create_order(db, data=order_body(cat, status="paid"))
    assert _orders(db) == (1, 2)


def test_a_failing_hook_saves_nothing_of_the_order(api, cat, db):
    def broken(_db, _order):
        raise RuntimeError("churn is down")

    hooks.on_order_created(broken)
    try:
        with pytest.raises(RuntimeError):
            with db.begin_nested():
                order_service.create_order(db, data=order_body(cat))
    finally:
        hooks.remove_hook(broken)
    assert _orders(db) == (0, 0)


BAD = [
    ({"order_no": ""}, "order_no"),
    ({"order_no": "SO 1"}, "order_no"),
    ({"order_no": "X" * 41}, "order_no"),
    ({"customer_no": "KH999999999"}, "customer_no"),
    ({"customer_no": "KH250101003"}, "customer_no"),
    ({"date": "2025-13-01"}, "date"),
    ({"date": "2999-01-01"}, "date"),
    ({"status": "shipped"}, "status"),
    ({"address": "路" * 201}, "address"),
    ({"lines": []}, "lines"),
    ({"lines": "none"}, "lines"),
    ({"lines": [{"product_id": 999999, "quantity": 1, "unit_price": "1"}]}, "lines[0].product_id"),
    ({"lines": [{"product_id": "P1", "quantity": 1, "unit_price": "1"}]}, "lines[0].product_id"),
    ({"lines": [{"quantity": 1, "unit_price": "1"}]}, "lines[0].product_id"),
    ({"lines": [{"product_id": 1, "quantity": 0, "unit_price": "1"}]}, "lines[0].quantity"),
    ({"lines": [{"product_id": 1, "quantity": "two", "unit_price": "1"}]}, "lines[0].quantity"),
    ({"lines": [{"product_id": 1, "quantity": 1, "unit_price": "-1"}]}, "lines[0].unit_price"),
    ({"lines": [{"product_id": 1, "quantity": 1, "unit_price": "1.005"}]}, "lines[0].unit_price"),
    ({"lines": [{"product_id": 1, "quantity": 1, "unit_price": "abc"}]}, "lines[0].unit_price"),
    ({"lines": [{"product_id": 1, "quantity": 1}]}, "lines[0].unit_price"),
    ({"lines": [{"product_id": 1, "quantity": 1, "unit_price": "1", "unit": "x" * 21}]}, "lines[0].unit"),
    ({"lines": ["a line"]}, "lines[0]"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize("change, field", BAD)
def test_bad_order_answers_field_error_and_saves_nothing(api, cat, db, calls, change, field):
    c, h = api("admin")
    body = order_body(cat, **change)
    for line in body["lines"] if isinstance(body["lines"], list) else []:
        if isinstance(line, dict) and line.get("product_id") == 1:
            line["product_id"] = cat.p2.id
    resp = c.post("/api/v1/orders", json=body, headers=h)
    assert resp.status_code == 422, resp.get_json()
    problem = resp.get_json()
    assert problem["code"] == "validation_error" and field in problem["errors"], problem
    assert _orders(db) == (0, 0) and calls == []


@pytest.mark.parametrize("change, field", [c for c in BAD if c[1] not in ("surprise", "lines[0]")])
def test_service_refuses_the_same_bad_input(cat, db, change, field):
    body = order_body(cat, **change)
    for line in body["lines"] if isinstance(body["lines"], list) else []:
        if isinstance(line, dict) and line.get("product_id") == 1:
            line["product_id"] = cat.p2.id
    with pytest.raises(order_service.ValidationFailed) as err:
        order_service.create_order(db, data=body)
    assert field in err.value.errors
    assert _orders(db) == (0, 0)


def test_creating_orders_needs_order_import_right(api, cat, db):
    c, h = api("manager1")
    assert c.post("/api/v1/orders", json=order_body(cat), headers=h).status_code == 403
    assert _orders(db) == (0, 0)


def _two_orders(api, cat):
    c, h = api("admin")
    c.post("/api/v1/orders", json=order_body(cat, "SO-A"), headers=h)
    c.post("/api/v1/orders", json=order_body(cat, "SO-B", customer_no=cat.c2.no, status="paid", date="2025-04-01"),
           headers=h)
    return c, h


def test_order_query_filters_and_manager_scope(api, cat):
    c, h = _two_orders(api, cat)
    everything = c.get("/api/v1/orders", headers=h).get_json()
    assert [o["order_no"] for o in everything["items"]] == ["SO-B", "SO-A"] and everything["total"] == 2
    assert [o["order_no"] for o in c.get("/api/v1/orders?status=paid", headers=h).get_json()["items"]] == ["SO-B"]
    assert c.get(f"/api/v1/orders?customer_no={cat.c1.no}", headers=h).get_json()["total"] == 1
    assert c.get("/api/v1/orders?date_from=2025-03-15", headers=h).get_json()["total"] == 1
    assert c.get("/api/v1/orders?customer=样例", headers=h).get_json()["items"][0]["order_no"] == "SO-B"
    assert c.get("/api/v1/orders?date_from=yesterday", headers=h).status_code == 422
    assert c.get("/api/v1/orders/SO-A", headers=h).get_json()["total"] == "11705.00"
    mc, mh = api("manager1")
    assert [o["order_no"] for o in mc.get("/api/v1/orders", headers=mh).get_json()["items"]] == ["SO-A"]
    assert mc.get("/api/v1/orders/SO-B", headers=mh).status_code == 404


def test_order_pages_show_lines_and_totals_read_only(api, login, cat):
    _two_orders(api, cat)
    c = login("supervisor")
    html = c.get("/catalog/orders").get_data(as_text=True)
    assert "SO-A" in html and "SO-B" in html and "11,705.00" in html and "已回款" in html
    html = c.get("/catalog/orders?status=paid").get_data(as_text=True)
    assert "SO-B" in html and "SO-A" not in html
    html = c.get("/catalog/orders/SO-A").get_data(as_text=True)
    assert "笔记本电脑" in html and "10,200.00" in html and "1,505.00" in html
    assert 'id="order-total">11,705.00' in html
    assert "<form method=\"post\"" not in html.split('<main class="content">')[1]  # nothing to change
    assert c.get("/catalog/orders?export=xlsx").mimetype.endswith("spreadsheetml.sheet")
    html = c.get("/catalog/orders?date_from=nonsense").get_data(as_text=True)
    assert "SO-A" in html and 'class="field-error"' in html


def test_managers_see_only_their_customers_orders_on_pages(api, login, cat):
    _two_orders(api, cat)
    c = login("manager2")
    html = c.get("/catalog/orders").get_data(as_text=True)
    assert "SO-B" in html and "SO-A" not in html
    assert c.get("/catalog/orders/SO-A").status_code == 404
    assert login("service1").get("/catalog/orders").status_code == 403


def test_replay_of_an_order_of_a_customer_deleted_since_answers_the_order(api, cat, db, calls):
    """Orders are idempotent on order_no: a sender re-sending an order it already delivered gets that order back,
    even when the customer was deleted in between; a new order for that customer is still refused."""
    c, h = api("admin")
    first = c.post("/api/v1/orders", json=order_body(cat), headers=h).get_json()
    db.execute(update(Customer).where(Customer.no == cat.c1.no).values(status="deleted"))
    db.commit()
    counts = _orders(db)
    again = c.post("/api/v1/orders", json=order_body(cat), headers=h)
    assert again.status_code == 200 and again.get_json() == first
    changed = c.post("/api/v1/orders", json=order_body(cat, status="paid"), headers=h)
    assert changed.status_code == 409 and changed.get_json()["fields"] == ["status"]
    new = c.post("/api/v1/orders", json=order_body(cat, order_no="SO-2002"), headers=h)
    assert new.status_code == 422 and "customer_no" in new.get_json()["errors"]
    assert _orders(db) == counts and len(calls) == 1
