"""The four reports and the dashboards: parameters in, rows and chart series out. Views and API share them."""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.guard import sees_all
from app.common.dates import FILTER_DAY_MAX, FILTER_DAY_MIN, in_filter_range
from app.common.errors import ValidationFailed
from app.common.listing import EXPORT_LIMIT, Page, paginate
from app.reports import queries
from app.sales.models import Opportunity
from app.service.models import ServiceRequest
from app.churn.models import ChurnCase
from processes.clock import utcnow
from processes.models import HumanTask

LEVEL_LABELS = {1: _l("Ordinary customer"), 2: _l("Key prospect"), 3: _l("Major account"), 4: _l("Partner"),
                5: _l("Strategic partner")}
REPORTS = ("contribution", "composition", "service", "churn")


@dataclass
class Report:
    key: str
    title: str
    columns: list          # (field, label)
    rows: list             # dicts
    chart: dict = field(default_factory=dict)  # {"x": [...], "y": [...], "x_label", "y_label"} or {}
    paginated: bool = False
    page: object = None


def _scope(user):
    return None if sees_all(user) else user.id


def _int(args, name, lo, hi):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({name: [str(_l("Enter a whole number."))]})
    if not lo <= value <= hi:
        raise ValidationFailed({name: [str(_l("Must be between %(lo)s and %(hi)s.", lo=lo, hi=hi))]})
    return value


def _date(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({name: [str(_l("Enter a date as YYYY-MM-DD."))]})
    if not in_filter_range(day):  # the inclusive end day + 1 would overflow at date.max
        raise ValidationFailed({name: [str(_l("Must be between %(lo)s and %(hi)s.", lo=FILTER_DAY_MIN,
                                              hi=FILTER_DAY_MAX))]})
    return day


def contribution(db, user, args, page=None):
    """Largest first; the table is paginated when `page` is given, the chart shows the top 20."""
    year = _int(args, "year", 1990, 2100)
    scope, customer_name = _scope(user), (args.get("customer_name") or "").strip()
    stmt = queries.contribution(scope_user_id=scope, customer_name=customer_name, year=year)
    report = Report("contribution", str(_l("Customer contribution")),
                    [("customer_no", _l("Customer no.")), ("customer_name", _l("Customer")),
                     ("amount", _l("Order amount"))], [], paginated=True)
    if page:
        if customer_name or scope is not None:
            report.page = _page_counted_in_one_pass(db, stmt, *page)
        else:  # every customer with orders: their number is kept (sales_year), not counted
            report.page = _page(db, stmt, db.scalar(queries.contribution_total(year=year)), *page)
        rows = report.page.items
        top = rows if page[0] == 1 and page[1] >= 20 else db.execute(stmt.limit(20)).all()
    else:
        rows = db.execute(stmt.limit(EXPORT_LIMIT)).all()
        top = rows[:20]
    report.rows = [{"customer_no": no, "customer_name": name, "amount": amount_cents / 100}
                   for no, name, amount_cents in rows]
    report.chart = {"x": [r[1] for r in top[:20]], "y": [r[2] / 100 for r in top[:20]],
                    "y_label": str(_l("Order amount"))}
    return report


def _page(db, stmt, total, page, per_page):
    """A page of `stmt` whose number of rows is known (as common.listing.paginate, without its count)."""
    page = min(page, max(1, math.ceil(total / per_page)))
    items = db.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


def _page_counted_in_one_pass(db, stmt, page, per_page):
    """A page of `stmt` and its number of rows from one statement (count(*) over the window): the sort by amount
    reads every match anyway, a separate count would read them all a second time (a name 25,000 customers
    contain, at 1M customers: 120 ms more)."""
    rows = db.execute(stmt.add_columns(func.count().over().label("total"))
                      .limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return Page(items=[tuple(r)[:-1] for r in rows], total=rows[0].total, page=page, per_page=per_page)
    if page == 1:
        return Page(items=[], total=0, page=1, per_page=per_page)
    return paginate(db, stmt, page, per_page, scalars=False)  # past the end: paginate clamps to the last page


def composition(db, user, args, page=None):
    mode = args.get("mode") or "level"
    if mode not in queries.COMPOSITION_MODES:
        raise ValidationFailed({"mode": [str(_l("Choose level, credit or satisfaction."))]})
    rows = []
    for bucket, count in db.execute(queries.composition(mode=mode, scope_user_id=_scope(user))):
        label = str(LEVEL_LABELS.get(bucket, bucket)) if mode == "level" else (
            str(_l("Not set")) if bucket is None else f"{bucket}")
        rows.append({"bucket": bucket, "label": label, "count": count})
    return Report("composition", str(_l("Customer composition")),
                  [("label", _l("Group")), ("count", _l("Number of customers"))], rows,
                  {"x": [r["label"] for r in rows], "y": [r["count"] for r in rows],
                   "y_label": str(_l("Number of customers"))})


def service(db, user, args, page=None):
    year = _int(args, "year", 1990, 2100)
    date_from, date_to = _date(args, "date_from"), _date(args, "date_to")
    if year and not (date_from or date_to):
        date_from, date_to = date(year, 1, 1), date(year + 1, 1, 1)
    elif date_to:
        date_to = date_to + timedelta(days=1)  # inclusive end date
    if date_from and date_to and date_from >= date_to:
        raise ValidationFailed({"date_to": [str(_l("The end date is before the start date."))]})
    stmt = queries.service(date_from=date_from, date_to=date_to, scope_user_id=_scope(user))
    rows = [{"type": t, "count": c} for t, c in db.execute(stmt)]
    return Report("service", str(_l("Customer service analysis")),
                  [("type", _l("Service type")), ("count", _l("Requests"))], rows,
                  {"x": [r["type"] for r in rows], "y": [r["count"] for r in rows], "y_label": str(_l("Requests"))})


def churn(db, user, args, page=None):
    """Confirmed churn cases; paginated when `page` is (page, per_page), all rows for export otherwise."""
    manager_id = _int(args, "manager_id", 1, 2**31 - 1)
    stmt = queries.churn(customer_name=(args.get("customer_name") or "").strip(), manager_id=manager_id,
                         scope_user_id=_scope(user))
    report = Report("churn", str(_l("Customer churn analysis")),
                    [("year", _l("Year")), ("customer_no", _l("Customer no.")), ("customer_name", _l("Customer")),
                     ("manager", _l("Customer manager")), ("reason", _l("Reason"))], [], {}, paginated=True)
    if page:
        report.page = paginate(db, stmt, page[0], page[1], scalars=False)
        rows = report.page.items
    else:
        rows = db.execute(stmt.limit(EXPORT_LIMIT)).all()
    report.rows = [_churn_row(r) for r in rows]
    years = {}
    for r in report.rows:
        years[r["year"]] = years.get(r["year"], 0) + 1
    report.chart = {"x": [str(y) for y in sorted(years)], "y": [years[y] for y in sorted(years)],
                    "y_label": str(_l("Confirmed churn"))}
    return report


def _churn_row(row):
    year, no, name, manager, reason, _confirmed = row
    return {"year": int(year) if year is not None else None, "customer_no": no, "customer_name": name,
            "manager": manager, "reason": reason}


BUILDERS = {"contribution": contribution, "composition": composition, "service": service, "churn": churn}


def dashboards(db, user):
    """Process dashboards: opportunity funnel and win rate, open tasks per role and age, service cycle time per
    step, churn cases by status."""
    scope = _scope(user)
    opp = select(Opportunity.status, func.count()).where(Opportunity.deleted_at.is_(None))
    if scope:
        opp = opp.where((Opportunity.assignee_id == scope) | (Opportunity.created_by == scope))
    funnel = dict(db.execute(opp.group_by(Opportunity.status)).all())
    closed = sum(funnel.get(s, 0) for s in ("succeeded", "failed", "terminated"))
    win_rate = round(100.0 * funnel.get("succeeded", 0) / closed, 1) if closed else None

    now = utcnow()
    tasks = select(HumanTask.role, func.count(), func.min(HumanTask.created_at)).where(
        HumanTask.completed_at.is_(None))
    if scope:
        tasks = tasks.where(HumanTask.assignee_id == scope)
    open_tasks = [{"role": role, "count": n, "oldest_hours": round((now - oldest).total_seconds() / 3600, 1)}
                  for role, n, oldest in db.execute(tasks.group_by(HumanTask.role)).all()]

    reqs = select(ServiceRequest.created_at, ServiceRequest.assigned_at, ServiceRequest.handled_at,
                  ServiceRequest.archived_at).where(ServiceRequest.deleted_at.is_(None))
    if scope:
        reqs = reqs.where(ServiceRequest.assignee_id == scope)
    cycle = {"dispatch": [], "handle": [], "feedback": []}
    for created, assigned, handled, archived in db.execute(reqs.limit(50_000)):
        for step, a, b in (("dispatch", created, assigned), ("handle", assigned, handled),
                           ("feedback", handled, archived)):
            if a and b:
                cycle[step].append((b - a).total_seconds() / 3600)
    cycle_hours = {k: round(sum(v) / len(v), 1) if v else None for k, v in cycle.items()}

    churn_q = select(ChurnCase.status, func.count())
    if scope:
        churn_q = churn_q.where(ChurnCase.manager_id == scope)
    churn_by_status = dict(db.execute(churn_q.group_by(ChurnCase.status)).all())
    return {"funnel": funnel, "win_rate": win_rate, "open_tasks": open_tasks, "cycle_hours": cycle_hours,
            "churn": churn_by_status, "as_of": now}


