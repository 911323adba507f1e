"""Working days by the official Chinese calendar (法定节假日 and 调休), from ``chinesecalendar``.

The library ships the State Council's schedule year by year. For a year it does not cover yet,
the calendar falls back to Monday–Friday and logs one warning per year, so reminders keep
flowing (possibly on a holiday) instead of stopping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import chinese_calendar

log = logging.getLogger(__name__)

DayReason = Literal["weekday", "weekend", "holiday", "in_lieu", "makeup"]
"""Why a day is what it is.

weekday: an ordinary Monday–Friday; weekend: an ordinary Saturday/Sunday; holiday: a statutory
holiday; in_lieu: a weekday given off to bridge a holiday (调休休息); makeup: a weekend day worked
to pay for one (调休上班).
"""

# chinesecalendar's short Chinese names (中秋, 端午, 清明) read as the festival, not the holiday
# people say; the rest (春节, 劳动节, 国庆节, 元旦) are already what people say.
_FULL_NAMES = {"中秋": "中秋节", "端午": "端午节", "清明": "清明节"}
_HOLIDAY_NAMES_ZH = {
    holiday.value: _FULL_NAMES.get(holiday.chinese, holiday.chinese) for holiday in chinese_calendar.Holiday
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    reason: DayReason
    holiday: str | None = None
    """The holiday's Chinese name (端午节 …) for holidays, in-lieu days and make-up workdays."""
    official: bool = True
    """False when the year is outside the library's data and Monday–Friday was assumed."""


def _official_years() -> tuple[int, int]:
    years = {day.year for day in chinese_calendar.holidays}
    return min(years), max(years)


class WorkCalendar:
    """Answers "is this a workday" and finds workdays around a day; results are cached."""

    def __init__(self) -> None:
        self.first_year, self.last_year = _official_years()
        self._cache: dict[date, DayInfo] = {}
        # Per year: its first day's ordinal, and the workdays from 1 January up to each day of it.
        self._workdays_through: dict[int, tuple[int, list[int]]] = {}
        self._warned_years: set[int] = set()

    def covers(self, year: int) -> bool:
        """Whether the official schedule for ``year`` is known (otherwise Monday–Friday is assumed)."""
        return self.first_year <= year <= self.last_year

    def info(self, day: date) -> DayInfo:
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._describe(day)
        return cached

    def is_workday(self, day: date) -> bool:
        return self.info(day).workday

    def on_or_before(self, day: date) -> date:
        """The workday itself, or the last workday before it."""
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        """The workday itself, or the first workday after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def first_workday_of_week(self, day: date) -> date | None:
        """The first workday of the Monday–Sunday week containing ``day``; None if it has none."""
        monday = day - timedelta(days=day.weekday())
        for offset in range(7):
            candidate = monday + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        return None

    def first_workday_of_month(self, year: int, month: int) -> date:
        # Every month has workdays: the longest official break is nine days.
        return self.on_or_after(date(year, month, 1))

    def days(self, start: date, end: date) -> Iterator[DayInfo]:
        """Each day from ``start`` to ``end``, both included."""
        day = start
        while day <= end:
            yield self.info(day)
            day += timedelta(days=1)

    def workdays_late(self, due: date, today: date) -> int:
        """Workdays after ``due`` up to and including ``today`` (the due day itself is not late)."""
        if due >= today:
            return 0
        # Counted from running totals per year: a view asks this for every overdue item.
        late = self._workdays_up_to(today) - self._workdays_up_to(due)
        for year in range(due.year, today.year):
            late += self._workdays_up_to(date(year, 12, 31))
        return late

    def _workdays_up_to(self, day: date) -> int:
        """Workdays from 1 January of ``day``'s year up to and including ``day``."""
        year = self._workdays_through.get(day.year)
        if year is None:
            totals, count = [], 0
            for info in self.days(date(day.year, 1, 1), date(day.year, 12, 31)):
                count += info.workday
                totals.append(count)
            year = self._workdays_through[day.year] = (date(day.year, 1, 1).toordinal(), totals)
        return year[1][day.toordinal() - year[0]]

    def _describe(self, day: date) -> DayInfo:
        weekend = day.weekday() >= 5
        if not self.covers(day.year):
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning(
                    "chinesecalendar %s has no official holidays for %d (it covers %d–%d): "
                    "assuming Monday–Friday workdays; upgrade chinesecalendar when the schedule is out",
                    chinese_calendar.__version__,
                    day.year,
                    self.first_year,
                    self.last_year,
                )
            return DayInfo(day, not weekend, "weekend" if weekend else "weekday", official=False)
        off, english_name = chinese_calendar.get_holiday_detail(day)
        name = _HOLIDAY_NAMES_ZH.get(english_name, english_name) if english_name else None
        if name is None:
            return DayInfo(day, not off, "weekend" if off else "weekday")
        if not off:
            return DayInfo(day, True, "makeup", name)
        if chinese_calendar.is_in_lieu(day):
            return DayInfo(day, False, "in_lieu", name)
        return DayInfo(day, False, "holiday", name)
