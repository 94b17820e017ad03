import datetime as dt

import pytest

from imagestudio.credits.periods import month_of


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC), "2026-01-01", "2026-02-01"),
        (dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "2026-12-01", "2027-01-01"),
        # 00:30 on 1 March in UTC+2 is still February in UTC
        (dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
         "2026-02-01", "2026-03-01"),
    ],
)
def test_periods_are_calendar_months_in_utc(now: dt.datetime, start: str, end: str) -> None:
    period = month_of(now)
    assert period.key == start and period.end.date().isoformat() == end
    assert period.start <= now < period.end


def test_naive_clocks_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        month_of(dt.datetime(2026, 1, 1))  # noqa: DTZ001
