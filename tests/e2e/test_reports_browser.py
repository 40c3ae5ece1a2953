"""The report charts draw in a real browser from the data the page puts into a prepared bokeh document."""
from datetime import date, datetime
from decimal import Decimal

from app.catalog import hooks
from app.catalog.models import Order, OrderLine, Product
from app.customers.models import Customer


def _customers_with_orders(db, user):
    product = Product(name="打印机", unit="台", unit_price=Decimal("10.00"))
    db.add(product)
    db.flush()
    for i, name in enumerate(("</script><b>甲公司</b>", "乙公司")):
        customer = Customer(no=f"KHB{i}", name=name, manager_id=user("manager1").id, level=1 + i, status="normal",
                            created_at=datetime(2025, 1, 1))
        db.add(customer)
        db.flush()
        order = Order(order_no=f"B{i}", customer_id=customer.id, order_date=date(2025, 3, 1), status="paid",
                      imported_at=datetime(2025, 3, 1), total=Decimal(30 * (i + 1)),
                      lines=[OrderLine(product_id=product.id, quantity=3 * (i + 1), unit_price=Decimal("10.00"))])
        db.add(order)
        db.flush()
        hooks.order_created(db, order)
    db.flush()


def test_contribution_and_dashboard_charts_draw_without_script_errors(page, live_server, sign_in, db, user):
    _customers_with_orders(db, user)
    sign_in(page, "supervisor")
    page.goto(f"{live_server}/reports/contribution")
    page.wait_for_selector("div[id^=chart-] canvas", state="attached")
    # The customer's name is text in the table, never markup (neither there nor in the chart's script).
    assert page.locator("td", has_text="</script><b>甲公司</b>").count() == 1
    page.goto(f"{live_server}/reports/composition")
    page.wait_for_selector("div[id^=chart-] canvas", state="attached")
    page.goto(f"{live_server}/reports/dashboards")
    # the churn chart by status (a prepared document); the funnel needs opportunities (tests/test_dashboard_charts.py)
    assert page.locator("div[id^=chart-]").count() == 1
    page.wait_for_selector("div[id^=chart-] canvas", state="attached")
