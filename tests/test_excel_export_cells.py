"""Excel exports keep text as text: control characters (the xlsx format cannot hold them; imported data may carry
them) are dropped instead of failing the export, and a text that looks like a formula stays a string."""
import io
from decimal import Decimal

from openpyxl import load_workbook

from app.catalog.models import Product


def test_export_of_texts_with_control_characters_and_formulas(login, db):
    db.add_all([Product(name="=HYPERLINK(\"http://evil.example\",\"点我\")", model="M1", batch="B1", unit="台",
                        unit_price=Decimal("1.00")),
                Product(name="坏\x01字\x0f符", model="M2", batch="B2", unit="台", unit_price=Decimal("2.00"))])
    db.flush()
    resp = login("admin").get("/catalog/products?export=xlsx&per_page=200")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    formula = cells['=HYPERLINK("http://evil.example","点我")']
    assert formula.data_type == "s"
    assert "坏字符" in cells
