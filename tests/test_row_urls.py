"""row_url (a list's per-row links built from one pattern per request) gives exactly url_for's URL."""
import pytest
from flask import url_for

from app.common.row_urls import fixed_url, row_url

CASES = [
    ("inbox.claim", "task_id", 7, {}),
    ("inbox.claim", "task_id", 2147480001, {}),  # the stand-in value itself
    ("inbox.task", "task_id", 123456, {}),
    ("sales.assign_opportunity", "opportunity_id", 42, {"next": "/inbox/?tab=mine&q=a b"}),
    ("customers.view_customer", "no", "KH000123", {}),
    ("customers.edit_customer", "no", "kh-7_x", {}),
    ("customers.view_customer", "no", "KH 01/中文?#", {}),  # quoted by the route: built by url_for
    ("customers.view_customer", "no", "rowurlstandin", {}),
    ("churn.show_case", "case_id", 3, {"page": 2, "sort": ["a", "b"]}),  # an unhashable value: url_for
]


@pytest.mark.parametrize("script_root", ["", "/crm"])
def test_every_row_url_is_url_fors(app, script_root):
    with app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        for endpoint, name, value, values in CASES * 2:  # the second round uses the patterns built by the first
            assert row_url(endpoint, name, value, **values) == url_for(endpoint, **{name: value}, **values)
        assert fixed_url("inbox.index") == url_for("inbox.index") == fixed_url("inbox.index")


def test_the_patterns_last_one_request(app):
    with app.test_request_context("/", base_url="http://example.test/a"):
        assert row_url("inbox.claim", "task_id", 1).startswith("/a/")
    with app.test_request_context("/", base_url="http://example.test/b"):
        assert row_url("inbox.claim", "task_id", 1).startswith("/b/")
