"""The weekly churn scan's beat entry fires on Saturday 02:00 company time, driven with a fake clock."""
import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.celery_app import celery
from scheduler.tasks import BEAT_SCHEDULE

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _entry_schedule(now):
    """The real entry's crontab, reading a fake clock (beat asks the schedule itself for `now`)."""
    clone = copy.copy(BEAT_SCHEDULE["churn-weekly-scan"]["schedule"])
    clone.nowfun = lambda: now
    clone.app = celery
    return clone


def test_entry_names_the_scan_task_and_the_app_runs_on_company_time():
    assert BEAT_SCHEDULE["churn-weekly-scan"]["task"] == "crm.churn_scan"
    assert "crm.churn_scan" in celery.tasks
    assert str(celery.timezone) == "Asia/Shanghai"


@pytest.mark.parametrize("now, due", [
    (datetime(2030, 1, 5, 2, 0, 1, tzinfo=SHANGHAI), True),     # Saturday 02:00 Shanghai
    (datetime(2030, 1, 5, 1, 59, 0, tzinfo=SHANGHAI), False),   # a minute early
    (datetime(2030, 1, 4, 2, 0, 1, tzinfo=SHANGHAI), False),    # Friday 02:00
    (datetime(2030, 1, 4, 18, 0, 1, tzinfo=ZoneInfo("UTC")), True),  # = Saturday 02:00 in Shanghai
    (datetime(2030, 1, 5, 2, 0, 1, tzinfo=ZoneInfo("UTC")), False),  # Saturday 02:00 UTC is 10:00 Shanghai
])
def test_fires_saturday_two_am_company_time(now, due):
    last_run = now - timedelta(minutes=5)  # beat last looked five minutes earlier
    is_due, _next = _entry_schedule(now).is_due(last_run)
    assert is_due is due


def test_next_run_after_a_saturday_is_the_next_saturday():
    now = datetime(2030, 1, 5, 2, 0, 1, tzinfo=SHANGHAI)
    sched = _entry_schedule(now)
    remaining = sched.remaining_estimate(now)
    assert (now + remaining).astimezone(SHANGHAI).replace(microsecond=0) == datetime(2030, 1, 12, 2, 0, tzinfo=SHANGHAI)
