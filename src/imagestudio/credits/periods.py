"""Billing periods and the injected clock.

Quotas and the spend cap reset at the start of each period: a calendar month in UTC.
Code below the composition root never reads the time itself; it is handed a
:data:`Clock`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware."""


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; ``key`` (the start date, ``YYYY-MM-DD``) names it in rows."""

    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        return self.start.date().isoformat()

    def seconds_left(self, now: dt.datetime) -> float:
        return max(0.0, (self.end - now).total_seconds())


def month_of(now: dt.datetime) -> Period:
    """The calendar month (UTC) containing ``now``."""
    if now.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    utc = now.astimezone(dt.UTC)
    start = dt.datetime(utc.year, utc.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=dt.UTC)
    return Period(start, end)
