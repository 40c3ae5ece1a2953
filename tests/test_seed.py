"""Demo seed: the dictionary of SPEC §5, products with stock, ~200 customers with contacts and ~5,000 orders whose
totals match their lines, silent and never-ordering customers for the churn scan; deterministic and idempotent."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.catalog import seed as catalog_seed
from app.catalog.models import DictionaryEntry, Inventory, Order, OrderLine, Product
from app.customers import seed as customer_seed
from app.customers.models import Contact, Customer
from processes.clock import utcnow


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def seeded(db):
    catalog_seed.seed_demo(db)
    customer_seed.seed_demo(db)
    return db


def test_dictionary_per_spec(seeded):
    rows = {(e.type, e.item): e for e in seeded.scalars(select(DictionaryEntry))}
    assert [i for (t, i) in rows if t == "服务类型"] == ["咨询", "建议", "投诉"]
    levels = sorted((int(e.value), i) for (t, i), e in rows.items() if t == "客户等级")
    assert levels == [(1, "普通客户"), (2, "重点开发客户"), (3, "大客户"), (4, "合作伙伴"), (5, "战略合作伙伴")]
    assert not any(e.editable for (t, _i), e in rows.items() if t == "客户等级")
    assert {i for (t, i) in rows if t == "地区"} == {"北京", "华北", "中南", "东北", "西部", "华东", "华南"}
    for scale in ("信用度", "满意度"):
        assert sorted(int(e.value) for (t, _i), e in rows.items() if t == scale) == [1, 2, 3, 4, 5]


def test_products_and_stock_in_two_or_three_warehouses(seeded):
    assert _count(seeded, Product) == 50
    per_product = seeded.execute(select(Inventory.product_id, func.count()).group_by(Inventory.product_id)).all()
    assert len(per_product) == 50 and {n for _p, n in per_product} <= {2, 3}


def test_customers_contacts_and_numbers(seeded, user):
    customers = seeded.scalars(select(Customer)).all()
    assert len(customers) == 200
    assert len({c.name for c in customers}) == 200
    for c in customers:
        assert re.fullmatch(r"KH\d{6}\d{3}", c.no) and c.no[2:8] == c.created_at.strftime("%y%m%d")
    regions = set(seeded.scalars(select(DictionaryEntry.item).where(DictionaryEntry.type == "地区")))
    assert {c.region for c in customers} <= regions
    managers = {user("manager1").id, user("manager2").id}
    assert {c.manager_id for c in customers} == managers
    contacts = dict(seeded.execute(select(Contact.customer_id, func.count()).group_by(Contact.customer_id)).all())
    assert len(contacts) == 200 and set(contacts.values()) <= {1, 2, 3}


def test_orders_totals_and_churn_candidates(seeded):
    assert _count(seeded, Order) == 5000
    today = utcnow().date()
    first, last = seeded.execute(select(func.min(Order.order_date), func.max(Order.order_date))).one()
    assert first >= today - timedelta(days=3 * 365 + 1) and last <= today
    sums = {}
    for order_id, quantity, price in seeded.execute(select(OrderLine.order_id, OrderLine.quantity,
                                                           OrderLine.unit_price)):
        sums[order_id] = sums.get(order_id, Decimal(0)) + quantity * Decimal(price)  # SQLite sums in floats
    totals = dict(seeded.execute(select(Order.id, Order.total)).all())
    assert totals.keys() == sums.keys()
    assert all(sums[i].quantize(Decimal("0.01")) == Decimal(totals[i]) for i in totals)
    assert _count(seeded, OrderLine) > 5000
    latest = dict(seeded.execute(select(Order.customer_id, func.max(Order.order_date))
                                 .group_by(Order.customer_id)).all())
    six_months_ago = today - timedelta(days=183)
    silent = [c for c, d in latest.items() if d < six_months_ago]
    never = seeded.scalars(select(Customer).where(Customer.id.notin_(list(latest)))).all()
    assert 10 <= len(silent) <= 30
    assert 3 <= len(never) <= 10
    assert any(c.created_at.date() < six_months_ago for c in never)  # churn counts from the customer's creation
    first_orders = dict(seeded.execute(select(Order.customer_id, func.min(Order.order_date))
                                       .group_by(Order.customer_id)).all())
    created = dict(seeded.execute(select(Customer.id, Customer.created_at)).all())
    assert all(first_orders[c] >= created[c].date() for c in first_orders)


def test_seed_is_idempotent(seeded):
    counts = [_count(seeded, m) for m in (DictionaryEntry, Product, Inventory, Customer, Contact, Order, OrderLine)]
    catalog_seed.seed_demo(seeded)
    customer_seed.seed_demo(seeded)
    assert [_count(seeded, m) for m in (DictionaryEntry, Product, Inventory, Customer, Contact, Order,
                                        OrderLine)] == counts


def test_plan_is_deterministic():
    today = utcnow().date()
    products = [(i, "台", Decimal(100 * i)) for i in range(1, 51)]
    a = customer_seed.plan_demo(today, [2, 3], products)
    b = customer_seed.plan_demo(today, [2, 3], products)
    assert a == b
    assert a["customers"][0]["no"].startswith("KH") and len(a["orders"]) == 5000


def test_demo_orders_show_on_the_pages(seeded, login):
    seeded.commit()
    c = login("supervisor")
    html = c.get("/catalog/orders?per_page=10").get_data(as_text=True)
    assert html.count('href="/catalog/orders/SO') == 10
    order_no = seeded.scalar(select(Order.order_no).order_by(Order.id.desc()))
    assert c.get(f"/catalog/orders/{order_no}").status_code == 200
