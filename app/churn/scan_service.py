"""The churn scan (SPEC §7): every normal customer whose latest order (or, with no order, their start as a
customer) is older than CHURN_MONTHS and who has no open churn case gets a warning case and a customer_churn
process in their manager's inbox.

Detection is one set-based query per batch (keyset over customer id, anti-join on open cases). The insert goes
through the partial unique index uq_churn_case_open_customer with ON CONFLICT DO NOTHING: a scan running at the
same time as another one skips the customers the other took instead of failing or duplicating them.
"""
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.catalog.models import Order
from app.churn.models import OPEN_CHURN_STATUSES, ChurnCase
from app.customers.models import Customer
from processes import clock

PROCESS_KEY = "customer_churn"
DEFAULT_RECHECK_AFTER = "P30D"
# Same predicate text as the index definition, so both PostgreSQL and SQLite infer the partial index.
_OPEN_PREDICATE = "status IN ('warning', 'postponed')"


@dataclass
class ScanResult:
    cutoff: date
    candidates: int = 0   # customers the detection found
    created: int = 0      # cases (and process instances) this scan opened
    skipped: int = 0      # candidates a concurrent scan opened first
    case_ids: list = field(default_factory=list)

    def as_dict(self):
        d = asdict(self)
        d["cutoff"] = self.cutoff.isoformat()
        d.pop("case_ids")
        return d


def cutoff_for(now_utc: datetime, *, months: int, tz: str) -> tuple[date, datetime]:
    """The churn cutoff as a local calendar date and, for customers without orders, as naive UTC.

    "More than N months old" is strict: an order exactly N months ago (same day) is not churn yet."""
    zone = ZoneInfo(tz)
    local_today = now_utc.replace(tzinfo=timezone.utc).astimezone(zone).date()
    cutoff = local_today - relativedelta(months=months)
    cutoff_utc = datetime.combine(cutoff, time.min, zone).astimezone(timezone.utc).replace(tzinfo=None)
    return cutoff, cutoff_utc


def detection_query(cutoff: date, cutoff_utc: datetime, *, after_id: int = 0, limit: int | None = None):
    """Customers to warn: (id, manager_id, name, last_order_date), by id.

    The latest order comes from a correlated max() that PostgreSQL answers from the (customer_id, order_date)
    index; the open-case anti-join uses the partial unique index."""
    last_order = (select(func.max(Order.order_date)).where(Order.customer_id == Customer.id)
                  .correlate(Customer).scalar_subquery())
    open_case = exists().where(ChurnCase.customer_id == Customer.id, ChurnCase.status.in_(OPEN_CHURN_STATUSES))
    inner = (select(Customer.id, Customer.manager_id, Customer.name, Customer.created_at,
                    last_order.label("last_order_date"))
             .where(Customer.status == "normal", Customer.id > after_id, ~open_case)
             .subquery("c"))
    stmt = (select(inner.c.id, inner.c.manager_id, inner.c.name, inner.c.last_order_date)
            .where(or_(inner.c.last_order_date < cutoff,
                       inner.c.last_order_date.is_(None) & (inner.c.created_at < cutoff_utc)))
            .order_by(inner.c.id))
    return stmt.limit(limit) if limit else stmt


def _insert(db, rows):
    """Multi-row INSERT … ON CONFLICT (customer_id) WHERE open DO NOTHING RETURNING id, customer_id."""
    dialect = db.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt = (insert(ChurnCase).values(rows)
            .on_conflict_do_nothing(index_elements=["customer_id"], index_where=text(_OPEN_PREDICATE))
            .returning(ChurnCase.id, ChurnCase.customer_id))
    return db.execute(stmt).all()


def run_scan(db, *, months: int, tz: str, recheck_after: str = DEFAULT_RECHECK_AFTER, user_id: int | None = None,
             batch_size: int = 1000) -> ScanResult:
    """Open a warning case and start its process for every churned customer; never commits."""
    from processes.runtime import start_process  # the engine is optional for importing this module (bench, CLI)

    now = clock.utcnow()
    cutoff, cutoff_utc = cutoff_for(now, months=months, tz=tz)
    result = ScanResult(cutoff=cutoff)
    after_id = 0
    while True:
        batch = db.execute(detection_query(cutoff, cutoff_utc, after_id=after_id, limit=batch_size)).all()
        if not batch:
            break
        after_id = batch[-1].id
        result.candidates += len(batch)
        by_customer = {row.id: row for row in batch}
        inserted = _insert(db, [{"customer_id": r.id, "manager_id": r.manager_id, "last_order_date": r.last_order_date,
                                 "status": "warning", "created_at": now} for r in batch])
        result.skipped += len(batch) - len(inserted)
        for case_id, customer_id in sorted(inserted):
            cust = by_customer[customer_id]
            start_process(db, PROCESS_KEY, business_key=str(case_id), subject=cust.name, user_id=user_id,
                          data={"case_id": case_id, "customer_id": customer_id, "manager_id": cust.manager_id,
                                "recheck_after": recheck_after})
            result.case_ids.append(case_id)
        result.created += len(inserted)
        if len(batch) < batch_size:
            break
    return result


def run_configured_scan(db, *, user_id: int | None = None) -> ScanResult:
    """The scan with the application's settings (CHURN_MONTHS, TIMEZONE, CHURN_RECHECK_AFTER)."""
    from flask import current_app
    cfg = current_app.config
    return run_scan(db, months=int(cfg.get("CHURN_MONTHS", 6)), tz=cfg["TIMEZONE"],
                    recheck_after=cfg.get("CHURN_RECHECK_AFTER", DEFAULT_RECHECK_AFTER), user_id=user_id)
