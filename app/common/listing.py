"""The one paginated list used by every page and API list, and its Excel export."""
import io
import math
from dataclasses import dataclass

from flask import request, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

PAGE_SIZES = (10, 20, 50, 100)
EXPORT_LIMIT = 50_000
MAX_PAGE = 1_000_000  # a further page is clamped to the last one anyway; keeps OFFSET in range


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    # False when the rows were counted only up to a limit: there are more than `total` (shown as "1000+").
    total_exact: bool = True

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self):
        return self.page < self.pages or not self.total_exact

    def as_api(self, dump):
        return {"items": [dump(i) for i in self.items], "total": self.total, "total_exact": self.total_exact,
                "page": self.page, "per_page": self.per_page}


def page_args(args=None):
    args = request.args if args is None else args
    try:
        page = min(max(1, int(args.get("page", 1))), MAX_PAGE)
    except ValueError:
        page = 1
    try:
        per_page = int(args.get("per_page", 20))
    except ValueError:
        per_page = 20
    per_page = min(max(per_page, 1), 200)
    return page, per_page


def paginate(db, stmt, page=1, per_page=20, scalars=True, count_limit=None, total=None, fetch=None):
    """One page of `stmt` and its total.

    count_limit: count at most that many rows (or up to the requested page, if further) plus one. A list that can
    grow without bound (the inbox of a busy lane) then costs the same to open at 1,000 or 100,000 rows; the page
    says "1000+" and Next stays open while more rows exist.
    total: the count, when the caller already made it the same way (no second count).
    fetch: reads the page's items from the limited statement (e.g. joins its ids to their rows)."""
    cap = None
    if count_limit is not None:
        cap = max(count_limit, page * per_page)
    if total is None:
        counted = stmt.order_by(None)
        if cap is not None:
            counted = counted.limit(cap + 1)
        total = db.scalar(select(func.count()).select_from(counted.subquery()))
    total, exact, page = clamp(total, cap, page, per_page)
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    if fetch is not None:
        items = list(fetch(limited))
    else:
        result = db.execute(limited)
        items = list(result.scalars() if scalars else result)
    return Page(items=items, total=total, page=page, per_page=per_page, total_exact=exact)


def clamp(total, cap, page, per_page):
    """(total shown, whether it is exact, the page within range) for rows counted up to cap + 1 (cap None: all)."""
    exact = cap is None or total <= cap
    if not exact:
        total = cap
    return total, exact, min(page, max(1, math.ceil(total / per_page)))


def _cell(ws, value):
    """Text stays text: control characters (which the xlsx format cannot hold, e.g. from imported data) are
    dropped, and a text starting with '=' is written as a string, never as a formula (no formula injection
    from a customer name)."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def xlsx_response(filename, headers, rows):
    """rows: iterable of sequences, already in display form."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([_cell(ws, str(h)) for h in headers])
    for i, row in enumerate(rows):
        if i >= EXPORT_LIMIT:
            break
        ws.append([_cell(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return send_file(buf, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def wants_export():
    return request.args.get("export") == "xlsx"
