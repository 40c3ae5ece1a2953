"""Bulk order import (CSV or .xlsx): one row per order line, rows sharing an order_no form one order.

Each order is checked and created on its own: valid orders are imported, an order with any bad row is not
(and every one of its rows says why), an order already present with the same content is skipped, so importing
a file twice creates nothing the second time. Rows are numbered as a spreadsheet shows them (header = row 1).
"""
import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import load_workbook

from app.catalog import order_service
from app.common.errors import Conflict, ValidationFailed

MAX_ROWS = 50_000
ORDER_FIELDS = ("customer_no", "date", "address", "status")
LINE_FIELDS = ("product_id", "quantity", "unit", "unit_price")
REQUIRED = ("order_no", "customer_no", "date", "status", "product_id", "quantity", "unit_price")
# Column headers accepted for each field: the API's names and the labels of the Chinese order system.
HEADERS = {
    "order_no": ("order_no", "订单号", "订单编号"),
    "customer_no": ("customer_no", "客户编号"),
    "date": ("date", "order_date", "日期", "订单日期"),
    "address": ("address", "送货地址", "地址"),
    "status": ("status", "状态"),
    "product_id": ("product_id", "产品编号", "产品id"),
    "quantity": ("quantity", "数量"),
    "unit": ("unit", "单位"),
    "unit_price": ("unit_price", "单价"),
}
STATUS_LABELS = {"已回款": "paid", "未回款": "unpaid"}


@dataclass
class Report:
    rows: int = 0
    orders_created: int = 0
    orders_existing: int = 0
    lines_created: int = 0
    errors: list = field(default_factory=list)

    def error(self, row, field_name, message):
        self.errors.append({"row": row, "field": field_name, "message": str(message)})

    def as_dict(self):
        return {"rows": self.rows, "orders_created": self.orders_created, "orders_existing": self.orders_existing,
                "lines_created": self.lines_created,
                "errors": sorted(self.errors, key=lambda e: (e["row"], e["field"]))}


def iter_table(filename, data: bytes):
    """The sheet's rows (header first) from a .csv or .xlsx upload, one at a time.

    An .xlsx is opened read-only and its rows are parsed as they are asked for, so a file with a wrong header
    or beyond the row cap is refused after reading what that takes, not the whole sheet."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationFailed({"file": [_("The CSV file is neither UTF-8 nor GBK text.")]})
        return iter(csv.reader(io.StringIO(text, newline="")))
    raise ValidationFailed({"file": [_("Upload a .csv or .xlsx file.")]})


def _unreadable():
    return ValidationFailed({"file": [_("This is not a readable .xlsx workbook.")]})


def _xlsx_rows(data):
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - an upload's zip/XML can break in many ways; all mean "unreadable"
        raise _unreadable() from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - a broken sheet XML shows only while reading on
                raise _unreadable() from exc
            yield list(row)
    finally:
        wb.close()


def _columns(header):
    lookup = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}
    columns = {}
    for index, title in enumerate(header):
        name = lookup.get(str(title or "").strip().lower())
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ValidationFailed({"file": [_("Missing columns: %(names)s.", names=", ".join(missing))]})
    return columns


def _cell(row, index):
    value = row[index] if index is not None and index < len(row) else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store whole numbers as floats
    return "" if value is None else value


def import_orders(db, filename, data: bytes) -> dict:
    rows = iter_table(filename, data)
    try:
        header = next(rows, None)
        if header is None:
            raise ValidationFailed({"file": [_("The file is empty.")]})
        columns = _columns(header)
        return _import_rows(db, rows, columns)
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()  # the workbook closes now, not when the generator is collected


def _import_rows(db, rows, columns):
    report = Report()
    groups = {}  # order_no -> [(row number, values)] in file order
    for offset, raw in enumerate(rows):
        if all(str(v if v is not None else "").strip() == "" for v in raw):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ValidationFailed({"file": [_("At most %(n)s rows per file.", n=MAX_ROWS)]})
        values = {name: _cell(raw, index) for name, index in columns.items()}
        number = offset + 2
        order_no = str(values["order_no"]).strip()
        if not order_no:
            report.error(number, "order_no", _("This field is required."))
            continue
        groups.setdefault(order_no, []).append((number, values))
    for order_no, rows in groups.items():
        _import_group(db, report, order_no, rows)
    return report.as_dict()


def _import_group(db, report, order_no, rows):
    first_row, first = rows[0]
    errors_before = len(report.errors)
    for number, values in rows[1:]:
        for name in ORDER_FIELDS:
            if name in values and str(values[name]).strip() != str(first.get(name, "")).strip():
                report.error(number, name, _("Differs from row %(row)s of the same order.", row=first_row))
    status = str(first["status"]).strip()
    raw = {"order_no": order_no, "customer_no": first["customer_no"], "date": first["date"],
           "address": first.get("address", ""), "status": STATUS_LABELS.get(status, status.lower()),
           "lines": [{name: values.get(name, "") for name in LINE_FIELDS} for _n, values in rows]}
    parsed = None
    try:
        parsed = order_service.parse_order(db, raw)
    except ValidationFailed as err:
        for key, messages in err.errors.items():
            number, name = _locate(key, rows)
            for message in messages:
                report.error(number, name, message)
    if parsed is not None and len(report.errors) == errors_before:
        try:
            order, created = order_service.create_parsed(db, parsed)
        except Conflict as err:
            report.error(first_row, "order_no", err.detail)
        else:
            if created:
                report.orders_created += 1
                report.lines_created += len(order.lines)
            else:
                report.orders_existing += 1
            return
    bad_rows = {e["row"] for e in report.errors[errors_before:]}
    for number, _values in rows:
        if number not in bad_rows:
            report.error(number, "order_no", _("Not imported: order %(no)s has errors in row %(rows)s.",
                                               no=order_no, rows=", ".join(str(r) for r in sorted(bad_rows))))


def _locate(key, rows):
    """Map a service field key to (row number, column): lines[i].x is row i of the group, others its first row."""
    if key.startswith("lines[") and "]" in key:
        index = int(key[6:key.index("]")])
        rest = key[key.index("]") + 1:].lstrip(".")
        return rows[index][0], rest or "product_id"
    return rows[0][0], key
