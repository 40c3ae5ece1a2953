"""At 1366 px, lists stay readable: a long customer name and a long summary stay on one line, cut with an
ellipsis and whole on hover; the row's buttons stay on one line; the table fits the page; the development plan's
inputs sit under their headers."""
from datetime import date, timedelta

from fixtures.sales_support import OPP, sales_deployed  # noqa: F401 (fixture)

LONG_NAME = "广州天河电子科技集团股份有限公司华南区域<第二>分公司"
LONG_SUMMARY = "办公设备与系统集成采购，含三年维保服务、网络改造与机房搬迁的整体方案评估与报价，需分三期交付"


def _one_line(box, page):
    line = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize) * 1.6")
    return box["height"] <= line


def test_long_names_and_summaries_stay_on_one_line_and_the_plan_sits_under_its_headers(
        api, user, page, live_server, sign_in, sales_deployed):
    c, h = api("supervisor")
    opp = c.post("/api/v1/opportunities", headers=h, json={
        **OPP, "customer_name": LONG_NAME, "summary": LONG_SUMMARY, "assignee_id": user("manager1").id}).get_json()
    unassigned = c.post("/api/v1/opportunities", headers=h, json={
        **OPP, "customer_name": LONG_NAME + "二", "summary": LONG_SUMMARY}).get_json()
    m, mh = api("manager1")
    resp = m.post(f"/api/v1/opportunities/{opp['id']}/plan-items", headers=mh,
                  json={"date": (date.today() + timedelta(days=3)).isoformat(), "todo": "邀请客户参观样板间"})
    assert resp.status_code == 201, resp.get_json()

    sign_in(page, "supervisor")
    page.goto(f"{live_server}/sales/opportunities")
    table = page.locator("#opportunities")
    assert page.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth", table.element_handle())
    row = page.locator(f"#opportunities tr[data-id='{unassigned['id']}']")
    name = row.locator(".cut").first
    assert name.get_attribute("title") == LONG_NAME + "二"  # whole, as typed (escaped, not markup)
    assert _one_line(name.bounding_box(), page)
    summary = row.locator("td.fill .cut")
    assert summary.get_attribute("title") == LONG_SUMMARY and _one_line(summary.bounding_box(), page)
    assert page.evaluate("e => e.scrollWidth > e.clientWidth", summary.element_handle())  # cut, not wrapped
    boxes = [row.get_by_role("link", name=n).bounding_box() for n in ("指派", "编辑")]
    boxes.append(row.locator("button.danger").bounding_box())
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < boxes[0]["height"]  # one line
    # Nothing else in the row wraps (the creation time, the people): the row is no taller than its buttons.
    assert row.bounding_box()["height"] <= boxes[2]["height"] + 16

    page.click("#logout")
    sign_in(page, "manager1")
    page.goto(f"{live_server}/sales/opportunities/{opp['id']}")
    headers = page.locator("#plan-items thead th")
    item = page.locator("#plan-items tr.plan-item").first
    for header, control in ((0, "input[type=date]"), (1, "input[type=text]"), (2, "textarea")):
        th, box = headers.nth(header).bounding_box(), item.locator(control).bounding_box()
        assert th["x"] <= box["x"] and box["x"] + box["width"] <= th["x"] + th["width"] + 1, (header, th, box)
