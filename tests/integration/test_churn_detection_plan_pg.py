"""The churn scan's detection cursor reads the open cases once, when it starts. Planned as a scan of churn_case per
candidate (what PostgreSQL picks when no case is open), every probe would also read the cases the scan itself has
inserted meanwhile: a first scan at 1M customers spent 220 of its 419 s there (bench/README.md, session 13)."""
from datetime import date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.churn.scan_service import DETECTION_PLAN_SETTINGS, detection_query

pytestmark = pytest.mark.postgresql


def _cursor_plan(db):
    query = detection_query(date(2026, 6, 7), datetime(2026, 6, 6, 16))
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return "\n".join(db.execute(text(f"EXPLAIN DECLARE detection CURSOR FOR {sql}")).scalars())


def test_with_no_case_open_the_detection_cursor_reads_the_open_cases_once(db):
    db.execute(text("DELETE FROM churn_measure"))
    db.execute(text("DELETE FROM churn_case"))
    db.execute(text("ANALYZE churn_case"))
    db.execute(text(DETECTION_PLAN_SETTINGS))
    plan = _cursor_plan(db)
    assert "Nested Loop" not in plan, plan
    assert "Anti Join" in plan, plan
