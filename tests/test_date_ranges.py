"""A date range whose start is after its end is refused with one message beside the end field, on every list that
filters by a range (pages: 422 with the input kept; API: a 422 problem naming the field), never a silent empty list."""
import pytest

MESSAGE = "结束日期早于开始日期。"

API_LISTS = [
    ("/api/v1/service-requests", "created_from", "created_to"),
    ("/api/v1/opportunities", "created_from", "created_to"),
    ("/api/v1/orders", "date_from", "date_to"),
    ("/api/v1/reports/service", "date_from", "date_to"),
]
PAGE_LISTS = [
    ("/service/archive", "created_from", "created_to"),
    ("/sales/opportunities", "created_from", "created_to"),
    ("/catalog/orders", "date_from", "date_to"),
    ("/reports/service", "date_from", "date_to"),
]


@pytest.mark.parametrize("url,start,end", API_LISTS)
def test_api_refuses_an_impossible_range_naming_the_end_field(api, url, start, end):
    c, h = api("supervisor")
    resp = c.get(f"{url}?{start}=2026-12-01&{end}=2026-01-01", headers={**h, "Accept-Language": "zh"})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert end in resp.get_data(as_text=True)
    assert c.get(f"{url}?{start}=2026-01-01&{end}=2026-01-01", headers=h).status_code == 200  # one day is fine


@pytest.mark.parametrize("url,start,end", PAGE_LISTS)
def test_page_says_so_beside_the_field_and_keeps_the_input(login, url, start, end):
    c = login("supervisor")
    resp = c.get(f"{url}?{start}=2026-12-01&{end}=2026-01-01")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert page.count(MESSAGE) == 1 and "field-error" in page
    assert 'value="2026-12-01"' in page and 'value="2026-01-01"' in page
    assert c.get(f"{url}?{start}=2026-01-01&{end}=2026-12-01").status_code == 200


def test_the_api_message_is_the_pages_message(api):
    c, h = api("supervisor")
    body = c.get("/api/v1/service-requests?created_from=2026-12-01&created_to=2026-01-01",
                 headers={**h, "Accept-Language": "zh"}).get_json()
    assert body["code"] == "validation_error" and body["errors"]["created_to"] == [MESSAGE]
