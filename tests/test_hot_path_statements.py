"""Round trips of the hot paths this module's reports and scan own: a change that adds a statement to one of them
fails here and has to say why (bench/http_bench.py measures their time at scale).

A request also signs the user in and builds the menu; those statements belong to other paths, so a report's count
is the difference to a request that passes the same guard and draws the same frame without reading a report
(the report index page; an unknown report through the API)."""
import pytest

from statement_log import counted
from test_churn_data import SCAN_AT_UTC, churn_model, clock_at  # noqa: F401  (fixtures)
from test_churn_scan import _dataset
from test_reports import data  # noqa: F401  (fixture)

from app.churn.scan_service import run_scan

# report: (statements of its page, of its API answer)
EXPECTED = {
    "contribution": (2, 2),   # count, page (the chart's top 20 is the page)
    "composition": (1, 1),    # one grouped count
    "service": (1, 1),
    "churn": (4, 2),          # count, page; the page's manager filter (id, name); the chart by year and manager
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_a_report_page_and_its_api_answer_in_a_fixed_number_of_statements(key, engine, login, api, data):
    page_client = login("supervisor")
    api_client, headers = api("executive")
    page_client.get("/reports/")  # first requests load what a process caches (translations, menu labels)
    api_client.get(f"/api/v1/reports/{key}", headers=headers)
    with counted(engine) as frame:
        assert page_client.get("/reports/").status_code == 200
    with counted(engine) as page:
        assert page_client.get(f"/reports/{key}").status_code == 200
    with counted(engine) as api_frame:
        assert api_client.get("/api/v1/reports/no-such-report", headers=headers).status_code == 404
    with counted(engine) as answer:
        assert api_client.get(f"/api/v1/reports/{key}", headers=headers).status_code == 200
    assert (len(page) - len(frame), len(answer) - len(api_frame)) == EXPECTED[key], (page, answer)


def test_the_repeat_churn_scan_is_one_statement_and_a_first_scan_one_insert_per_batch(db, engine, user, clock_at,
                                                                                     churn_model):
    clock_at(SCAN_AT_UTC)
    _dataset(db, user)  # 3 customers to warn, one of them never ordered (no last order date)
    with counted(engine) as first:
        assert run_scan(db, months=6, tz="Asia/Shanghai", batch_size=2).created == 3
    with counted(engine) as repeat:
        assert run_scan(db, months=6, tz="Asia/Shanghai").created == 0
    # The detection query, which finds nothing (on PostgreSQL between the scan's settings for its plan: work_mem for
    # its hash and no nested loop, then the nested loop allowed again)
    settings = [s for s in repeat if s.startswith("SET LOCAL")]
    assert len(settings) == 2 * (db.get_bind().dialect.name == "postgresql") and len(repeat) == 1 + len(settings), \
        repeat
    # The scan's own statements: the detection, then one INSERT of the cases per batch of 2 (the process starts
    # that follow are the engine's, measured by bench/engine.py and bench/churn.py).
    own = [_verb(s) + " " + _table(s) for s in first if _table(s) in ("customer", "churn_case")]
    assert own == ["SELECT customer", "INSERT churn_case", "INSERT churn_case"], first


def _verb(statement):
    verb = statement.split()[0]
    return "SELECT" if verb == "WITH" else verb  # the detection reads its candidates in a WITH clause


def _table(statement):
    """The table a statement writes to (INSERT INTO t, UPDATE t) or first reads from (SELECT … FROM t)."""
    words = statement.split()
    for keyword, offset in (("INTO", 1), ("UPDATE", 1), ("FROM", 1)):
        if keyword in words:
            return words[words.index(keyword) + offset]
    return ""
