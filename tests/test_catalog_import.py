"""Bulk order import: per-row report for mixed good and bad rows, nothing imported twice, CSV (UTF-8 and GBK) and
.xlsx with either header set, the import page, rights."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.catalog.models import Order, OrderLine
from test_catalog_orders import make_catalog

HEADER = "order_no,customer_no,date,address,status,product_id,quantity,unit,unit_price"


@pytest.fixture
def cat(db, user):
    return make_catalog(db, user)


def mixed_csv(cat):
    """Rows 2-3: good order A (two lines); 4: good order B; 5-6: order C with a bad quantity in row 6;
    7: order D for an unknown customer; 8: blank order number; 9: order E whose second row (10) names another date."""
    p1, p2, p3 = cat.p1.id, cat.p2.id, cat.p3.id
    rows = [
        HEADER,
        f"IMP-A,{cat.c1.no},2025-01-05,北京市海淀区,paid,{p1},2,台,5200.00",
        f"IMP-A,{cat.c1.no},2025-01-05,北京市海淀区,paid,{p3},10,,160",
        f"IMP-B,{cat.c2.no},2025-01-06,,unpaid,{p2},1,台,1800",
        f"IMP-C,{cat.c2.no},2025-01-07,,unpaid,{p2},1,台,1800",
        f"IMP-C,{cat.c2.no},2025-01-07,,unpaid,{p3},zero,箱,160",
        f"IMP-D,KH000000000,2025-01-08,,unpaid,{p1},1,台,5200",
        f",{cat.c1.no},2025-01-08,,unpaid,{p1},1,台,5200",
        f"IMP-E,{cat.c1.no},2025-01-09,,paid,{p1},1,台,5200",
        f"IMP-E,{cat.c1.no},2025-01-10,,paid,{p2},1,台,1800",
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


def _counts(db):
    return db.scalar(select(func.count()).select_from(Order)), db.scalar(select(func.count()).select_from(OrderLine))


def _upload(client, headers, data, name="orders.csv", url="/api/v1/orders/import"):
    return client.post(url, data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def test_mixed_file_imports_good_orders_and_reports_bad_rows(api, cat, db):
    c, h = api("admin")
    resp = _upload(c, h, mixed_csv(cat))
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert report["rows"] == 9 and report["orders_created"] == 2 and report["lines_created"] == 3
    assert report["orders_existing"] == 0
    errors = {(e["row"], e["field"]) for e in report["errors"]}
    assert errors == {(5, "order_no"), (6, "quantity"), (7, "customer_no"), (8, "order_no"), (10, "date"),
                      (9, "order_no")}
    by_row = {e["row"]: e["message"] for e in report["errors"]}
    assert "IMP-C" in by_row[5] and "6" in by_row[5]  # the good row of a bad order says why it was left out
    assert sorted(db.scalars(select(Order.order_no))) == ["IMP-A", "IMP-B"]
    a = db.scalar(select(Order).where(Order.order_no == "IMP-A"))
    assert str(a.total) == "12000.00" and a.status == "paid" and [ln.unit for ln in a.lines] == ["台", "箱"]


def test_reimporting_the_same_file_creates_nothing(api, cat, db):
    c, h = api("admin")
    first = _upload(c, h, mixed_csv(cat)).get_json()
    counts = _counts(db)
    again = _upload(c, h, mixed_csv(cat)).get_json()
    assert again["orders_created"] == 0 and again["orders_existing"] == 2 and again["lines_created"] == 0
    assert again["errors"] == first["errors"]
    assert _counts(db) == counts


def test_changed_order_in_a_later_file_is_reported_not_overwritten(api, cat, db):
    c, h = api("admin")
    _upload(c, h, mixed_csv(cat))
    changed = mixed_csv(cat).replace(b"IMP-B,KH250101002,2025-01-06,,unpaid", b"IMP-B,KH250101002,2025-01-06,,paid")
    report = _upload(c, h, changed).get_json()
    conflict = [e for e in report["errors"] if e["row"] == 4]
    assert conflict and conflict[0]["field"] == "order_no" and "status" in conflict[0]["message"]
    assert db.scalar(select(Order.status).where(Order.order_no == "IMP-B")) == "unpaid"


def test_xlsx_with_chinese_headers_status_labels_and_date_cells(api, cat, db):
    wb = Workbook()
    ws = wb.active
    ws.append(["订单号", "客户编号", "订单日期", "送货地址", "状态", "产品编号", "数量", "单位", "单价"])
    ws.append(["X-1", cat.c1.no, date(2025, 2, 1), "北京", "已回款", cat.p1.id, 3, "台", 5000.5])
    ws.append(["X-1", cat.c1.no, date(2025, 2, 1), "北京", "已回款", cat.p2.id, 1.0, "台", 1800])
    ws.append(["X-2", cat.c2.no, date(2025, 2, 2), None, "未回款", cat.p3.id, -4, "箱", 160])
    buf = io.BytesIO()
    wb.save(buf)
    c, h = api("admin")
    report = _upload(c, h, buf.getvalue(), name="订单.xlsx").get_json()
    assert report["orders_created"] == 1 and report["lines_created"] == 2
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "quantity")]
    x1 = db.scalar(select(Order).where(Order.order_no == "X-1"))
    assert x1.status == "paid" and x1.order_date == date(2025, 2, 1) and str(x1.total) == "16801.50"


def test_gbk_csv_from_excel_is_read(api, cat, db):
    text = ("订单号,客户编号,日期,地址,状态,产品编号,数量,单位,单价\n"
            f"G-1,{cat.c1.no},2025-02-03,上海市徐汇区,未回款,{cat.p3.id},5,箱,160\n")
    c, h = api("admin")
    report = _upload(c, h, text.encode("gbk")).get_json()
    assert report["orders_created"] == 1 and report["errors"] == []
    assert db.scalar(select(Order.address).where(Order.order_no == "G-1")) == "上海市徐汇区"


@pytest.mark.parametrize("data, name", [
    (b"order_no,customer_no\nA,B\n", "orders.csv"),        # missing columns
    (b"", "orders.csv"),                                   # empty
    (b"not a workbook", "orders.xlsx"),                    # corrupt
    (HEADER.encode() + b"\n", "orders.txt"),               # wrong kind of file
    (b"\xff\xfe\x00\x81\xff", "orders.csv"),               # not text
])
def test_unreadable_files_answer_a_file_error_and_import_nothing(api, cat, db, data, name):
    c, h = api("admin")
    resp = _upload(c, h, data, name=name)
    assert resp.status_code == 422
    assert "file" in resp.get_json()["errors"]
    assert _counts(db) == (0, 0)


def test_import_without_file_is_a_field_error(api, cat):
    c, h = api("admin")
    resp = c.post("/api/v1/orders/import", data={}, headers=h, content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]


def test_import_needs_order_import_right(api, login, cat, db):
    c, h = api("supervisor")
    assert _upload(c, h, mixed_csv(cat)).status_code == 403
    page = login("manager1")
    assert page.get("/catalog/orders/import").status_code == 403
    assert page.post("/catalog/orders/import", data={"file": (io.BytesIO(mixed_csv(cat)), "o.csv")},
                     content_type="multipart/form-data").status_code == 403
    assert _counts(db) == (0, 0)


def test_import_page_shows_the_report(login, cat, db):
    c = login("admin")
    assert c.get("/catalog/orders/import").status_code == 200
    resp = c.post("/catalog/orders/import", data={"file": (io.BytesIO(mixed_csv(cat)), "orders.csv")},
                  content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="import-errors"' in html and "<code>quantity</code>" in html and "不是整数" in html
    assert "已导入 2 个订单" in html
    assert _counts(db) == (2, 3)


def test_import_page_bad_file_keeps_the_page_with_a_field_error(login, cat, db):
    c = login("admin")
    resp = c.post("/catalog/orders/import", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "orders.csv")},
                  content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="field has-error"' in html and "缺少列" in html
    resp = c.post("/catalog/orders/import", data={"file": (io.BytesIO(b"x"), "orders.pdf")},
                  content_type="multipart/form-data")
    assert resp.status_code == 422 and 'class="field has-error"' in resp.get_data(as_text=True)
    resp = c.post("/catalog/orders/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "请选择文件" in resp.get_data(as_text=True)
    assert _counts(db) == (0, 0)
