"""How the instance history shows task data: words and local times, not Python's repr of the stored JSON."""
import pytest

from app.common.ui import history_value


@pytest.mark.parametrize("value, shown", [
    (None, "—"),
    ("", "—"),
    (True, "是"),
    (False, "否"),
    # stored in UTC by the processes, shown in the company time zone (Asia/Shanghai, +8)
    ("2026-12-02T20:12:35.455630+00:00", "2026-12-03 04:12"),
    ("2026-12-02T20:12:35", "2026-12-03 04:12"),
    ({"status": "assigned", "人": "李"}, '{"status": "assigned", "人": "李"}'),
    ([1, 2], "[1, 2]"),
    ("2026-12-02", "2026-12-02"),
    ("2026-12-02Tnot a time", "2026-12-02Tnot a time"),
    (3, 3),
])
def test_history_values_read_like_the_rest_of_the_ui(app, value, shown):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert history_value(value) == shown


def test_english_ui_says_yes(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        from flask import session
        session["lang"] = "en"
        assert history_value(True) == "Yes"
