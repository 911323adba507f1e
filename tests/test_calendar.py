"""Workdays by the official Chinese calendar, with a Monday–Friday fallback."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules.calendar import WorkCalendar

CALENDAR = WorkCalendar()
OFFICIAL_DAYS = st.dates(date(CALENDAR.first_year, 1, 1), date(CALENDAR.last_year, 12, 31))


@pytest.mark.parametrize(
    ("day", "workday", "reason", "holiday"),
    [
        (date(2023, 6, 21), True, "weekday", None),
        (date(2023, 1, 2), False, "holiday", "元旦"),
        (date(2023, 1, 23), False, "holiday", "春节"),
        (date(2023, 4, 5), False, "holiday", "清明节"),
        (date(2023, 4, 23), True, "makeup", "劳动节"),
        (date(2023, 6, 22), False, "holiday", "端午节"),
        (date(2023, 6, 23), False, "in_lieu", "端午节"),  # a Friday bridged to the holiday
        (date(2023, 6, 25), True, "makeup", "端午节"),  # a Sunday worked to pay for it
        (date(2023, 7, 1), False, "weekend", None),
        (date(2023, 10, 2), False, "holiday", "国庆节"),
        (date(2023, 10, 7), True, "makeup", "国庆节"),  # a Saturday
        (date(2023, 10, 8), True, "makeup", "国庆节"),
        (date(2024, 9, 17), False, "holiday", "中秋节"),
    ],
)
def test_2023_days_follow_the_official_schedule(
    day: date, workday: bool, reason: str, holiday: str | None
) -> None:
    info = CALENDAR.info(day)
    assert (info.workday, info.reason, info.holiday, info.official) == (workday, reason, holiday, True)


def test_the_national_day_week_starts_on_saturday() -> None:
    for day in CALENDAR.days(date(2023, 10, 2), date(2023, 10, 8)):
        assert CALENDAR.first_workday_of_week(day.day) == date(2023, 10, 7)


def test_a_deadline_on_the_national_day_break_moves_back_before_it() -> None:
    assert CALENDAR.on_or_before(date(2023, 10, 1)) == date(2023, 9, 28)
    assert CALENDAR.on_or_after(date(2023, 9, 29)) == date(2023, 10, 7)


def test_the_spring_festival_week_starts_on_its_make_up_saturday() -> None:
    # Mon 23 – Fri 27 Jan 2023 were off; the week's first workday is Saturday the 28th.
    assert CALENDAR.first_workday_of_week(date(2023, 1, 23)) == date(2023, 1, 28)


@given(OFFICIAL_DAYS)
def test_on_or_before_is_the_latest_workday_not_after(day: date) -> None:
    found = CALENDAR.on_or_before(day)
    assert found <= day and CALENDAR.is_workday(found)
    assert not any(CALENDAR.is_workday(found + timedelta(days=n)) for n in range(1, (day - found).days + 1))


@given(OFFICIAL_DAYS)
def test_on_or_after_is_the_earliest_workday_not_before(day: date) -> None:
    found = CALENDAR.on_or_after(day)
    assert found >= day and CALENDAR.is_workday(found)
    assert not any(CALENDAR.is_workday(day + timedelta(days=n)) for n in range((found - day).days))


@given(OFFICIAL_DAYS)
def test_first_workday_of_week_is_in_the_same_week_with_none_before_it(day: date) -> None:
    first = CALENDAR.first_workday_of_week(day)
    monday = day - timedelta(days=day.weekday())
    if first is None:
        assert not any(CALENDAR.is_workday(monday + timedelta(days=n)) for n in range(7))
        return
    assert first - timedelta(days=first.weekday()) == monday
    assert CALENDAR.is_workday(first)
    assert not any(CALENDAR.is_workday(monday + timedelta(days=n)) for n in range(first.weekday()))


@given(OFFICIAL_DAYS)
def test_weekends_are_off_unless_made_up_and_weekdays_on_unless_a_holiday(day: date) -> None:
    info = CALENDAR.info(day)
    if day.weekday() >= 5:
        assert info.workday == (info.reason == "makeup")
    else:
        assert info.workday == (info.reason == "weekday")
    assert (info.holiday is not None) == (info.reason in {"holiday", "in_lieu", "makeup"})


@given(st.integers(CALENDAR.first_year, CALENDAR.last_year + 3), st.integers(1, 12))
def test_every_month_has_a_first_workday_in_it(year: int, month: int) -> None:
    first = CALENDAR.first_workday_of_month(year, month)
    assert (first.year, first.month) == (year, month)
    assert CALENDAR.is_workday(first)


def test_uncovered_years_fall_back_to_monday_to_friday_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar()
    later, earlier = calendar.last_year + 1, calendar.first_year - 1
    with caplog.at_level(logging.WARNING, logger="schedules.calendar"):
        later_days = list(calendar.days(date(later, 1, 1), date(later, 12, 31)))
        earlier_days = list(calendar.days(date(earlier, 12, 1), date(earlier, 12, 31)))
    for info in later_days + earlier_days:
        assert info.workday == (info.day.weekday() < 5)
        assert not info.official and info.holiday is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert str(later) in warnings[0] and str(earlier) in warnings[1]
