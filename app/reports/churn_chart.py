"""The churn chart: confirmed churn by year and customer manager, counted over the churn report's own query (same
filters and scope), not over the page of rows shown."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.reports import queries
from app.reports.service import _int, _scope


def by_year_and_manager(db, user, args=None):
    args = args or {}
    rows = queries.churn(customer_name=(args.get("customer_name") or "").strip(),
                         manager_id=_int(args, "manager_id", 1, 2**31 - 1), scope_user_id=_scope(user)).subquery()
    counted = db.execute(select(rows.c.year, rows.c.manager, func.count()).group_by(rows.c.year, rows.c.manager)
                         .order_by(rows.c.year, rows.c.manager)).all()
    no_manager = str(_l("No manager"))
    values = {(int(year) if year is not None else "—", manager or no_manager): n for year, manager, n in counted}
    return {"x": sorted({x for x, _m in values}, key=str), "groups": sorted({m for _x, m in values}),
            "values": values, "y_label": str(_l("Confirmed churn"))}
