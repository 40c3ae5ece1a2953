"""The whole opportunity path in a browser, as the supervisor and the customer manager would click it."""
from fixtures.sales_support import OPP, sales_deployed  # noqa: F401 (fixture)

CUSTOMER = "杭州晨光文具有限公司"


def _sign_out(page):
    page.click("#logout")
    page.wait_for_load_state("networkidle")


def test_record_assign_plan_execute_close_and_find_the_customer(page, live_server, sign_in, sales_deployed):
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations naming the record

    # The supervisor records the opportunity and assigns it from the list.
    sign_in(page, "supervisor")
    page.goto(f"{live_server}/sales/opportunities")
    page.click("#new-opportunity")
    page.fill("#customer_name", CUSTOMER)
    page.fill("#probability", "80")
    page.fill("#source", OPP["source"])
    page.fill("#summary", "批量采购办公文具")
    page.fill("#contact", "王小明")
    page.fill("#contact_phone", "13912345678")
    page.fill("#description", "客户准备为新办公室采购一年的办公文具。")
    page.click("button[type=submit].primary")
    assert page.locator("#opp-status").inner_text() == "未指派"

    page.goto(f"{live_server}/sales/opportunities?customer_name={CUSTOMER}")
    row = page.locator("#opportunities tbody tr", has_text=CUSTOMER)
    row.get_by_role("link", name="指派").click()
    page.select_option("#assignee_id", label="李经理")
    page.click("button[type=submit].primary")
    row = page.locator("#opportunities tbody tr", has_text=CUSTOMER)
    assert "开发中" in row.inner_text() and "李经理" in row.inner_text()
    _sign_out(page)

    # The manager plans two items, records their results and closes the opportunity as a success.
    sign_in(page, "manager1")
    page.goto(f"{live_server}/sales/opportunities")
    page.locator("#opportunities tbody tr", has_text=CUSTOMER).get_by_role("link", name="开发").click()
    plan = [("2030-03-02", "电话联系王小明确认需求", "需求已确认：约 300 种文具"),
            ("2030-03-06", "上门演示样品并报价", "客户接受报价")]
    for day, todo, _result in plan:
        page.fill("#new-date", day)
        page.fill("#new-todo", todo)
        page.click("#add-plan-item button[type=submit]")
        assert page.locator(f"tr.plan-item input[value='{todo}']").count() == 1

    def item_row(todo):
        return page.locator("tr.plan-item", has=page.locator(f"input[value='{todo}']"))
    for _day, todo, result in plan:
        item_row(todo).locator("textarea").fill(result)
        item_row(todo).locator("form.plan-result button[type=submit]").click()
        assert item_row(todo).locator("textarea").input_value() == result
    page.screenshot(path="/tmp/crm-sales-develop.png", full_page=True)
    page.click("#close-actions button[data-outcome=success]")
    assert page.locator("#opp-status").inner_text() == "开发成功"
    assert [r.split("\t") for r in page.locator("tr.plan-item").all_inner_texts()] == [list(p) for p in plan]
    assert page.locator("#add-plan-item").count() == 0  # closed: read-only
    customer_no = page.locator("#opp-customer").inner_text().split()[0]
    assert customer_no.startswith("KH")
    page.screenshot(path="/tmp/crm-sales-closed.png", full_page=True)

    # The new customer, with its contact, is in the manager's customer list.
    page.goto(f"{live_server}/customers/")
    page.fill("input[name=q]", CUSTOMER)
    page.click("form.filters button[type=submit]")
    row = page.locator("table.list tbody tr", has_text=customer_no)
    assert CUSTOMER in row.inner_text() and "李经理" in row.inner_text()
    row.get_by_role("link", name=customer_no).click()
    assert page.locator("body", has_text="王小明").count() == 1
    assert page.locator("body", has_text="13912345678").count() == 1
    page.screenshot(path="/tmp/crm-sales-customer.png", full_page=True)
