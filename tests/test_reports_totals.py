"""The reports read pre-aggregated sales (customer_sales) and the churn scan the customer's last order date; both
are kept by the order hook. After random orders through the API, the service and imports (with replays), logical
deletions and manager changes, every contribution report equals the sum over the order lines, and every
customer's last order date equals its latest order."""
import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.catalog import order_import, order_service
from app.catalog.models import Order, Product
from app.customers import service as customer_service
from app.customers.models import Customer
from app.reports import queries, sales_totals

YEARS = (2023, 2024, 2025)


def _cents(amount):
    """The raw query's amount in cents: a Decimal on PostgreSQL (exact), a float sum on SQLite."""
    if isinstance(amount, Decimal):
        assert amount * 100 == (amount * 100).to_integral_value()
        return int(amount * 100)
    return round(amount * 100)


def _assert_equal_to_order_lines(db, **filters):
    from_totals = db.execute(queries.contribution(**filters)).all()
    from_lines = db.execute(queries.contribution_from_orders(**filters)).all()
    assert [(no, name, cents) for no, name, cents in from_totals] == \
        [(no, name, _cents(amount)) for no, name, amount in from_lines], filters
    return from_totals


@pytest.fixture
def shop(db, user):
    rng = random.Random(20261206)
    managers = [user("manager1"), user("manager2")]
    products = [Product(name=f"产品{i}", unit="个", unit_price=Decimal(rng.randint(1, 99999)) / 100)
                for i in range(6)]
    db.add_all(products)
    customers = [Customer(no=f"KHR{i:04d}", name=f"{'甲乙丙丁'[i % 4]}公司{i}", manager_id=managers[i % 2].id,
                          level=1, status="normal", created_at=datetime(2022, 1, 1)) for i in range(12)]
    db.add_all(customers)
    db.flush()
    return rng, customers, products


def _order(rng, no, customer, products):
    return {"order_no": no, "customer_no": customer.no, "status": rng.choice(("paid", "unpaid")),
            "date": date(rng.choice(YEARS), rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
            "lines": [{"product_id": p.id, "quantity": rng.randint(1, 500),
                       "unit_price": str(Decimal(rng.randint(0, 2_000_000)) / 100)}
                      for p in rng.sample(products, rng.randint(1, 4))]}


def _import_file(orders):
    rows = ["order_no,customer_no,date,status,product_id,quantity,unit_price"]
    for o in orders:
        rows += [f"{o['order_no']},{o['customer_no']},{o['date']},{o['status']},{ln['product_id']},"
                 f"{ln['quantity']},{ln['unit_price']}" for ln in o["lines"]]
    return ("\n".join(rows) + "\n").encode()


def test_every_contribution_report_equals_the_sum_over_the_order_lines(db, api, user, shop):
    rng, customers, products = shop
    client, headers = api("admin")  # holds order.import (the order system's account) and report.view
    active = customers[:10]  # the last two never order
    sent = []
    for round_no in range(4):
        for i in range(6):  # through the service the order API and page call
            order = _order(rng, f"S{round_no}-{i}", rng.choice(active), products)
            order_service.create_order(db, data=order)
            sent.append(order)
        order = _order(rng, f"A{round_no}", rng.choice(active), products)  # through the HTTP API itself
        assert client.post("/api/v1/orders", json=order, headers=headers).status_code == 201
        sent.append(order)
        batch = [_order(rng, f"I{round_no}-{i}", rng.choice(active), products) for i in range(5)]
        report = order_import.import_orders(db, "orders.csv", _import_file(batch + rng.sample(sent, 2)))
        assert (report["orders_created"], report["orders_existing"], report["errors"]) == (5, 2, [])
        sent += batch
        order_service.create_order(db, data=rng.choice(sent))  # an idempotent replay counts nothing
        if round_no == 1:
            customer_service.delete_customer(db, active[0], user=user("admin"))  # logical: its orders stay
        if round_no == 2:
            active[1].manager_id = user("manager1").id if active[1].manager_id != user("manager1").id \
                else user("manager2").id
        db.flush()
        for year in (None,) + YEARS:
            rows = _assert_equal_to_order_lines(db, year=year)
            assert db.scalar(queries.contribution_total(year=year)) == len(rows)  # the unfiltered report's total
            for manager in ("manager1", "manager2"):
                _assert_equal_to_order_lines(db, year=year, scope_user_id=user(manager).id)
            for text in ("甲", "公司1", "无此公司"):
                _assert_equal_to_order_lines(db, year=year, customer_name=text)
    ordering = {o["customer_no"] for o in sent}
    assert len(db.execute(queries.contribution()).all()) == len(ordering) > 5 and len(sent) == 4 * 12
    # What users see, through the API, equals the line sums too.
    body = client.get("/api/v1/reports/contribution?year=2024&per_page=200", headers=headers).get_json()
    expected = db.execute(queries.contribution_from_orders(year=2024)).all()
    assert [(r["customer_no"], r["amount"]) for r in body["items"]] == \
        [(no, _cents(amount) / 100) for no, _name, amount in expected]
    assert body["total"] == len(expected)
    for query in ("customer_name=%E5%85%AC%E5%8F%B8", "customer_name=%E7%94%B2&year=2025"):  # 公司, 甲: filtered
        for page in (1, 2, 99):
            body = client.get(f"/api/v1/reports/contribution?{query}&per_page=4&page={page}",
                              headers=headers).get_json()
            name, year = ("公司", None) if "year" not in query else ("甲", 2025)
            expected = db.execute(queries.contribution_from_orders(customer_name=name, year=year)).all()
            shown = (min(page, -(-len(expected) // 4)) - 1) * 4
            assert body["total"] == len(expected) and [r["customer_no"] for r in body["items"]] == \
                [no for no, _name, _amount in expected[shown:shown + 4]], (query, page)


def test_the_rebuild_of_bulk_loads_gives_the_same_rows_as_the_hook(db, shop):
    rng, customers, products = shop
    for i in range(15):
        order_service.create_order(db, data=_order(rng, f"R{i}", rng.choice(customers), products))
    db.flush()
    tables = (sales_totals.CustomerSales.__table__, sales_totals.SalesYear.__table__)
    by_hook = [sorted(db.execute(select(table)).all()) for table in tables]
    sales_totals.rebuild(db)
    assert [sorted(db.execute(select(table)).all()) for table in tables] == by_hook


def test_the_last_order_date_follows_new_orders_but_not_back_dated_ones(db, shop):
    rng, customers, products = shop
    customer = customers[3]
    assert customer.last_order_date is None
    for day in ("2024-05-01", "2025-02-03", "2023-07-09"):  # the last is back-dated
        order_service.create_order(db, data={**_order(rng, f"L{day}", customer, products), "date": day})
    order_import.import_orders(db, "o.csv", _import_file([{**_order(rng, "L-imp", customer, products),
                                                          "date": "2025-01-01"}]))
    db.flush()
    db.expire_all()
    assert db.get(Customer, customer.id).last_order_date == date(2025, 2, 3)
    for c in customers:
        latest = db.scalar(select(func.max(Order.order_date)).where(Order.customer_id == c.id))
        assert db.get(Customer, c.id).last_order_date == latest
