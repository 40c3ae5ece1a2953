"""Service time limits: counted in working days (Monday to Friday, company time zone), or as a plain duration.

Dispatch, handling and the feedback call-back each have one (SERVICE_<STEP>_DAYS / SERVICE_<STEP>_LIMIT in the
config). The process computes each due date when the step starts and hands it to a BPMN timeDate boundary timer, so the
timer, the inbox due date and the working-day rule agree. A plain ISO-8601 duration (e.g. "PT2S") overrides the
working days: demos and tests use it to watch an escalation without waiting a day.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

DEFAULTS = {"dispatch_days": 1, "handle_days": 3, "feedback_days": 2,
            "dispatch_limit": None, "handle_limit": None, "feedback_limit": None}
STEPS = ("dispatch", "handle", "feedback")


def add_working_days(start_utc: datetime, days: int, tz_name: str) -> datetime:
    """Naive UTC in, naive UTC out: the same local time `days` working days later.

    A weekend start counts from the following Monday at the same clock time. Public holidays are not known
    to the CRM and count as working days."""
    tz = ZoneInfo(tz_name)
    local = start_utc.replace(tzinfo=timezone.utc).astimezone(tz)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    for _ in range(days):
        local += timedelta(days=1)
        while local.weekday() >= 5:
            local += timedelta(days=1)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration, parsed by the same rules the BPMN timer uses."""
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed)


def due_at(now_utc: datetime, *, days, limit, tz_name: str) -> datetime:
    if limit:
        return now_utc + parse_duration(limit)
    return add_working_days(now_utc, int(days), tz_name)


def timer_value(due: datetime) -> str:
    """What the timeDate expression needs: an aware ISO-8601 timestamp (naive ones are read as server time)."""
    return due.replace(tzinfo=timezone.utc).isoformat()


def settings(config) -> dict:
    """The time limits a new request starts with, from app config; they travel in the process data."""
    out = {}
    for key, default in DEFAULTS.items():
        value = config.get("SERVICE_" + key.upper(), default)
        out[key] = value if value not in ("", None) else None
    for key in (f"{step}_days" for step in STEPS):
        out[key] = int(out[key] if out[key] is not None else DEFAULTS[key])
    for key in (f"{step}_limit" for step in STEPS):
        if out[key]:
            parse_duration(out[key])  # a typo in the configuration fails here, not when a timer is evaluated
    out["company_tz"] = config.get("TIMEZONE", "Asia/Shanghai")
    return out
