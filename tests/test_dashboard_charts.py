"""The dashboards' charts: the opportunity funnel as stages with the conversion between them, and confirmed churn
by year and customer manager (on the dashboards and the churn report), counted over every matching case."""
import json
import re
from datetime import datetime

from app.churn.models import ChurnCase
from app.customers.models import Customer
from app.sales.models import Opportunity


def _chart_data(html):
    """The data of every bokeh chart on a page, as one JSON text (strings decoded)."""
    docs = re.findall(r"const docs_json = '(.*?)';", html)
    return json.dumps([json.loads(d.replace("\\\\", "\\")) for d in docs], ensure_ascii=False)


def test_the_funnel_shows_its_stages_with_conversions_between_them(login, db, user):
    sup = user("supervisor")
    for status in ["unassigned"] * 4 + ["in_development"] * 2 + ["failed", "terminated", "succeeded"] + \
            ["succeeded"]:
        db.add(Opportunity(customer_name="x", probability=50, summary="s", description="d", created_by=sup.id,
                           created_at=datetime(2025, 1, 1), status=status))
    db.flush()
    data = _chart_data(login("supervisor").get("/reports/dashboards").get_data(as_text=True))
    assert "销售机会漏斗" in data
    # recorded 10 → assigned 6 (60%) → closed 4 (67%) → succeeded 2 (50%)
    assert '"已录入  10"' in data and '"已指派  6"' in data and '"已结束  4"' in data and '"开发成功  2"' in data
    assert "↓ 60%" in data and "↓ 67%" in data and "↓ 50%" in data


def _text_colours(html):
    """{label text: its colour} over every text glyph of the page's charts."""
    objects = {}  # bokeh writes an object once, by id, and refers to it by id elsewhere

    def walk(node):
        if isinstance(node, dict):
            if "id" in node and "attributes" in node:
                objects[node["id"]] = node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(json.loads(_chart_data(html)))
    colours = {}
    for node in objects.values():
        if node.get("name") != "GlyphRenderer" or node["attributes"]["glyph"]["name"] != "Text":
            continue
        source = objects[node["attributes"]["data_source"]["id"]]
        colour = objects[node["attributes"]["glyph"]["id"]]["attributes"]["text_color"]["value"]
        colours.update({text: colour for text in dict(source["attributes"]["data"]["entries"]).get("text", [])})
    return colours


def test_a_stage_too_narrow_for_its_label_has_it_beside_the_bar_in_dark_text(login, db, user):
    sup = user("supervisor")
    for status in ["unassigned"] * 9 + ["failed"]:
        db.add(Opportunity(customer_name="x", probability=50, summary="s", description="d", created_by=sup.id,
                           created_at=datetime(2025, 1, 1), status=status))
    db.flush()
    colours = _text_colours(login("supervisor").get("/reports/dashboards").get_data(as_text=True))
    # recorded 10 (on its bar, in white); assigned 1, closed 1, succeeded 0 (beside their bars, in dark text)
    assert colours["已录入  10"] == "#ffffff"
    assert colours["已指派  1"] == colours["已结束  1"] == colours["开发成功  0"] == "#1f2933"


def _churn_cases(db, user):
    m1, m2 = user("manager1"), user("manager2")
    for i, (manager, year) in enumerate([(m1, 2024), (m1, 2024), (m2, 2024), (m2, 2025), (m1, 2026)]):
        c = Customer(no=f"KHC{i}", name=f"流失{i}", manager_id=manager.id, status="lost",
                     created_at=datetime(2023, 1, 1))
        db.add(c)
        db.flush()
        db.add(ChurnCase(customer_id=c.id, manager_id=manager.id, status="confirmed", reason="价格",
                         confirmed_at=datetime(year, 6, 1), created_at=datetime(year, 1, 1)))
    db.flush()


def test_churn_is_charted_by_year_and_manager(login, db, user):
    _churn_cases(db, user)
    c = login("supervisor")
    for url in ("/reports/dashboards", "/reports/churn?per_page=1"):  # the report's chart is not the page shown
        data = _chart_data(c.get(url).get_data(as_text=True))
        # one bar per (year, manager), in a source of their own: not one bar per year filling the width
        assert '["2024", "李经理"], ["2024", "王经理"], ["2025", "李经理"]' in data, url
        assert '["y", [2, 1, 0, 1, 1, 0]]' in data, url


def test_churn_counts_per_year_and_manager(db, user):
    from app.reports.churn_chart import by_year_and_manager
    _churn_cases(db, user)
    chart = by_year_and_manager(db, user("supervisor"), {})
    assert chart["x"] == [2024, 2025, 2026] and chart["groups"] == ["李经理", "王经理"]
    assert chart["values"] == {(2024, "李经理"): 2, (2024, "王经理"): 1, (2025, "王经理"): 1, (2026, "李经理"): 1}
