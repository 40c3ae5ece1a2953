"""Server errors found by fuzzing the running app (scripts/fuzz-api.sh and hand probes of what its spec leaves out).

Each answered 500 before its fix; now bad input is a field error and nothing else changes."""
import pytest

EDGE_DAYS = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", EDGE_DAYS)
@pytest.mark.parametrize("url", ["/api/v1/opportunities?created_{}={}", "/api/v1/service-requests?created_{}={}"])
@pytest.mark.parametrize("end", ["from", "to"])
def test_api_list_filter_days_at_the_calendar_edges_are_field_errors(api, url, end, day):
    # the company's midnight of 0001-01-01 in UTC, or the day after 9999-12-31, overflowed Python's datetime
    c, h = api("admin")
    resp = c.get(url.format(end, day), headers=h)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert f"created_{end}" in resp.get_json()["errors"]


def test_api_list_filter_days_within_the_range_still_filter(api):
    c, h = api("admin")
    resp = c.get("/api/v1/opportunities?created_from=1900-01-01&created_to=2999-12-31", headers=h)
    assert resp.status_code == 200
    assert resp.get_json()["total"] == c.get("/api/v1/opportunities", headers=h).get_json()["total"]


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31"])
def test_service_report_end_day_at_the_calendar_edge_is_a_field_error(api, login, query):
    c, h = api("admin")
    resp = c.get(f"/api/v1/reports/service?{query}", headers=h)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert set(resp.get_json()["errors"]) & {"date_from", "date_to"}
    page = login("admin").get(f"/reports/service?{query}")
    assert page.status_code in (200, 422)


@pytest.mark.parametrize("url", ["/sales/opportunities?created_{}={}", "/service/archive?created_{}={}"])
@pytest.mark.parametrize("end", ["from", "to"])
@pytest.mark.parametrize("day", EDGE_DAYS)
def test_page_list_filter_days_at_the_calendar_edges_answer(login, url, end, day):
    resp = login("admin").get(url.format(end, day))
    assert resp.status_code in (200, 422), resp.status_code
