"""The .xlsx order import reads its sheet as a stream (issue 13, item 8): a sheet with a wrong header is refused
after its first row and a sheet over the row cap after the cap, however many rows follow."""
import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet import _read_only

from app.catalog import order_import

HEADER = ["order_no", "customer_no", "date", "address", "status", "product_id", "quantity", "unit", "unit_price"]
ROWS = 5000


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many sheet rows openpyxl parsed (counted where its read-only reader yields them)."""
    count = {"rows": 0}
    original = _read_only.ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            count["rows"] += 1
            yield row
    monkeypatch.setattr(_read_only.ReadOnlyWorksheet, "_cells_by_row", counting)
    return count


def _sheet(header, rows):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    for i in range(rows):
        ws.append([f"BIG-{i}", "KH000000001", "2025-01-05", "", "paid", 1, 1, "台", 10])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, headers, data):
    return client.post("/api/v1/orders/import", data={"file": (io.BytesIO(data), "big.xlsx")}, headers=headers,
                       content_type="multipart/form-data")


def test_a_big_sheet_with_a_wrong_header_stops_at_the_header(api, rows_parsed):
    c, headers = api("admin")
    resp = _upload(c, headers, _sheet(["订单号", "什么"], ROWS))
    assert resp.status_code == 422
    assert "customer_no" in resp.get_json()["errors"]["file"][0]
    assert rows_parsed["rows"] <= 2


def test_a_sheet_over_the_row_cap_stops_at_the_cap(api, rows_parsed, monkeypatch):
    monkeypatch.setattr(order_import, "MAX_ROWS", 100)
    c, headers = api("admin")
    resp = _upload(c, headers, _sheet(HEADER, ROWS))
    assert resp.status_code == 422
    assert "100" in resp.get_json()["errors"]["file"][0]
    assert rows_parsed["rows"] <= 100 + 2


def test_a_broken_sheet_answers_a_file_error(api):
    c, headers = api("admin")
    data = _sheet(HEADER, 3)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2]  # the sheet's XML ends mid-row
            dst.writestr(item, body)
    resp = _upload(c, headers, out.getvalue())
    assert resp.status_code == 422
    assert "file" in resp.get_json()["errors"]
