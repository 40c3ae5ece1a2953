"""The one place that reads the wall clock (naive UTC), so tests and benchmarks can move time."""
from datetime import datetime, timezone

_offset = None


def utcnow() -> datetime:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now + _offset if _offset is not None else now


def set_offset(delta):
    """Shift the clock by a timedelta (None resets); used by tests that need Saturday 02:00."""
    global _offset
    _offset = delta
