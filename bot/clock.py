"""Time is injected: the core takes ``today``/``now``; only ``SystemClock`` here reads the wall clock.

Everything is in Asia/Shanghai time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
SHANGHAI_OFFSET = "+08:00"
"""The offset the store writes times with (Asia/Shanghai has kept it since 1991)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in Asia/Shanghai."""
        ...


def today(clock: Clock) -> date:
    """The clock's calendar day in Asia/Shanghai: the one way handlers and jobs read the day."""
    return clock.now().astimezone(TZ).date()


class LocalDays:
    """The Asia/Shanghai day of stored ISO times (``2023-07-03T10:00:00+08:00``), for passes over
    every stored report: a time with Shanghai's offset is on the day its text starts with, so each
    calendar day is parsed once instead of every time into a datetime."""

    def __init__(self) -> None:
        self._days: dict[str, date] = {}

    def of(self, at: str) -> date:
        if not at.endswith(SHANGHAI_OFFSET):
            return datetime.fromisoformat(at).astimezone(TZ).date()
        day = self._days.get(at[:10])
        if day is None:
            day = self._days[at[:10]] = date.fromisoformat(at[:10])
        return day


class SystemClock:
    """The real clock, optionally pinned to a fixed calendar day (``--date`` / ``BOT_TODAY``).

    A pinned day keeps the real time of day so that drills still see time move.
    """

    def __init__(self, pinned_day: date | None = None) -> None:
        self.pinned_day = pinned_day

    def now(self) -> datetime:
        real = datetime.now(TZ)
        if self.pinned_day is None:
            return real
        return datetime.combine(self.pinned_day, real.timetz())


class FakeClock:
    """A clock that only moves when told to: for tests, the sandbox and benchmarks."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(TZ)

    @classmethod
    def at(cls, day: date, at: time = time(9, 0)) -> FakeClock:
        return cls(datetime.combine(day, at, tzinfo=TZ))

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = moment.astimezone(TZ)

    def set_day(self, day: date) -> None:
        """Move to another calendar day, keeping the time of day."""
        self._now = datetime.combine(day, self._now.timetz())


# Days a person may set as "today" (--date, BOT_TODAY, the sandbox's :date). Plans are annual
# and years away from 2000–2099 are typos; they would also overflow date arithmetic near 9999.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def check_day(day: date) -> date:
    """``day`` if it is a plausible "today"; raises ValueError with a readable message."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DAY.year}–{LAST_DAY.year}")
    return day


def parse_day(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` day in 2000–2099; raises ValueError with a readable message."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date in YYYY-MM-DD form: {text!r}") from None
    return check_day(day)
