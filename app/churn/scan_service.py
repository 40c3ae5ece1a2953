"""The churn scan (SPEC §7): every normal customer whose latest order (or, with no order, their start as a
customer) is older than CHURN_MONTHS and who has no open churn case gets a warning case and a customer_churn
process in their manager's inbox.

Detection is one set-based query (the customers' last order dates, an anti-join on open cases), streamed in
batches. The insert goes through the partial unique index uq_churn_case_open_customer with ON CONFLICT DO NOTHING:
a scan running at the same time as another one skips the customers the other took instead of failing or
duplicating them.
"""
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.churn.models import OPEN_CHURN_STATUSES, ChurnCase
from app.customers.models import Customer
from app.churn.process import KEY as PROCESS_KEY
from processes import api as engine
from processes import clock

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


def detection_query(cutoff: date, cutoff_utc: datetime):
    """Customers to warn: (id, manager_id, name, last_order_date), by id.

    The customer's own last order date (kept by the order hook, app/customers/last_order.py) decides, so only the
    candidates are read: normal customers silent since before the cutoff, and those who never ordered and were
    customers before it, as two ranges of ix_customer_status_last_order (on PostgreSQL from the index alone: it
    includes id and created_at). Then an anti-join on the open cases (hashed), and the customer rows only for the
    few left. At 1M customers with 214k silent ones, all warned already, this is 0.2 s against 0.7 s for the same
    conditions as one OR over the customer rows (bench/README.md)."""
    silent = aliased(Customer)
    candidate = union_all(
        select(silent.id.label("id")).where(silent.status == "normal", silent.last_order_date < cutoff),
        select(silent.id).where(silent.status == "normal", silent.last_order_date.is_(None),
                                silent.created_at < cutoff_utc)).cte("churn_candidate")
    open_case = exists().where(ChurnCase.customer_id == candidate.c.id,
                               ChurnCase.status.in_(OPEN_CHURN_STATUSES))
    uncovered = select(candidate.c.id).where(~open_case).subquery("uncovered")
    return (select(Customer.id, Customer.manager_id, Customer.name, Customer.last_order_date)
            .join(uncovered, uncovered.c.id == Customer.id)
            .order_by(Customer.id))


def _insert(db, rows):
    """INSERT … ON CONFLICT (customer_id) WHERE open DO NOTHING RETURNING id, customer_id.

    Executed with a parameter list: SQLAlchemy's insertmanyvalues sends multi-row statements from one cached
    compiled form (building a 1000-row VALUES clause per batch cost 4× more). render_nulls: an ORM bulk insert
    otherwise leaves out NULL values and splits the batch into one statement per run of rows with the same
    NULL columns (a never-ordering customer has no last order date)."""
    dialect = db.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt = (insert(ChurnCase)
            .on_conflict_do_nothing(index_elements=["customer_id"], index_where=text(_OPEN_PREDICATE))
            .returning(ChurnCase.id, ChurnCase.customer_id)
            .execution_options(render_nulls=True))
    return db.execute(stmt, rows).all()


SCAN_WORK_MEM = "32MB"
# PostgreSQL settings of the scan's transaction while its detection cursor is planned (run_scan says why).
DETECTION_PLAN_SETTINGS = f"SET LOCAL work_mem = '{SCAN_WORK_MEM}'; SET LOCAL enable_nestloop = off"


def run_scan(db, *, months: int, tz: str, recheck_after: str = DEFAULT_RECHECK_AFTER, user_id: int | None = None,
             batch_size: int = 1000) -> ScanResult:
    """Open a warning case and start its process for every churned customer; never commits."""
    now = clock.utcnow()
    cutoff, cutoff_utc = cutoff_for(now, months=months, tz=tz)
    result = ScanResult(cutoff=cutoff)
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:
        # The detection hashes the open cases' customer ids (214k at 1M customers, ≈10 MB): with the default 4 MB of
        # work_mem the hash spills to disk in two batches. For this transaction only (bench/README.md, 89 against
        # 104 ms for a repeat scan at 1M).
        # No nested loop for the cursor's plan: when no case is open, PostgreSQL plans the anti-join as a scan of
        # churn_case per candidate, and while the cursor streams, that scan also reads every case this scan has
        # inserted since (invisible to the cursor, but read): quadratic, 220 of the first scan's 419 s at 1M
        # customers. A hash or a sort reads the open cases once, when the cursor starts.
        db.execute(text(DETECTION_PLAN_SETTINGS))
    # One detection query, streamed (a server-side cursor on PostgreSQL, planned when declared, here) and handled
    # batch by batch.
    rows = db.execute(detection_query(cutoff, cutoff_utc).execution_options(yield_per=batch_size))
    if postgres:
        db.execute(text("SET LOCAL enable_nestloop = DEFAULT"))  # the processes' statements plan as usual
    for batch in rows.partitions():
        result.candidates += len(batch)
        by_customer = {row.id: row for row in batch}
        inserted = _insert(db, [{"customer_id": r.id, "manager_id": r.manager_id, "last_order_date": r.last_order_date,
                                 "status": "warning", "created_at": now} for r in batch])
        result.skipped += len(batch) - len(inserted)
        inserted = sorted(inserted)
        engine.start_processes(db, PROCESS_KEY, [
            {"business_key": case_id, "subject": by_customer[customer_id].name,
             "data": {"case_id": case_id, "customer_id": customer_id,
                      "manager_id": by_customer[customer_id].manager_id, "recheck_after": recheck_after}}
            for case_id, customer_id in inserted], user_id=user_id)
        result.case_ids += [case_id for case_id, _customer_id in inserted]
        result.created += len(inserted)
    return result


def run_configured_scan(db, *, user_id: int | None = None) -> ScanResult:
    """The scan with the application's settings (CHURN_MONTHS, TIMEZONE, CHURN_RECHECK_AFTER)."""
    from flask import current_app
    cfg = current_app.config
    return run_scan(db, months=int(cfg.get("CHURN_MONTHS", 6)), tz=cfg["TIMEZONE"],
                    recheck_after=cfg.get("CHURN_RECHECK_AFTER", DEFAULT_RECHECK_AFTER), user_id=user_id)
