"""Service time limits: working days in the company time zone, or a plain duration that overrides them."""
from datetime import datetime, timedelta

import pytest

from app.service import deadlines

TZ = "Asia/Shanghai"  # UTC+8: 02:00 UTC is 10:00 local


@pytest.mark.parametrize("start, days, due", [
    (datetime(2026, 1, 5, 2), 1, datetime(2026, 1, 6, 2)),    # Monday 10:00 -> Tuesday 10:00
    (datetime(2026, 1, 9, 2), 1, datetime(2026, 1, 12, 2)),   # Friday -> Monday
    (datetime(2026, 1, 10, 2), 1, datetime(2026, 1, 13, 2)),  # Saturday counts from Monday -> Tuesday
    (datetime(2026, 1, 7, 2), 3, datetime(2026, 1, 12, 2)),   # Wednesday + 3 -> Monday
    # Friday 17:00 UTC is Saturday 01:00 local: counts from Monday 01:00 local, due Tuesday 01:00 local
    (datetime(2026, 1, 9, 17), 1, datetime(2026, 1, 12, 17)),
])
def test_working_days_skip_weekends_in_company_time(start, days, due):
    assert deadlines.add_working_days(start, days, TZ) == due


def test_a_duration_limit_overrides_working_days():
    now = datetime(2026, 1, 9, 2)
    assert deadlines.due_at(now, days=1, limit="PT2S", tz_name=TZ) == now + timedelta(seconds=2)
    assert deadlines.due_at(now, days=1, limit=None, tz_name=TZ) == datetime(2026, 1, 12, 2)


def test_timer_value_is_an_aware_utc_timestamp():
    assert deadlines.timer_value(datetime(2026, 1, 9, 2)) == "2026-01-09T02:00:00+00:00"


def test_settings_come_from_config_and_reject_a_bad_duration():
    got = deadlines.settings({"SERVICE_DISPATCH_DAYS": 2, "SERVICE_HANDLE_LIMIT": "PT5M", "TIMEZONE": "UTC"})
    assert got == {"dispatch_days": 2, "handle_days": 3, "feedback_days": 2, "dispatch_limit": None,
                   "handle_limit": "PT5M", "feedback_limit": None, "company_tz": "UTC"}
    with pytest.raises(Exception):
        deadlines.settings({"SERVICE_DISPATCH_LIMIT": "two days"})
