"""The light rule leaders read at a glance: 🔴 overdue, 🟡 needs attention, 🟢 on track."""

from __future__ import annotations

from datetime import date

from bot.assignments import status_light
from bot.models import Status

TODAY = date(2023, 7, 3)
RECENT = date(2023, 6, 30)
LONG_AGO = date(2023, 5, 1)


def test_past_due_and_open_is_red() -> None:
    assert status_light(date(2023, 6, 30), TODAY, RECENT, complete=False) == "🔴"


def test_complete_is_green_even_past_due() -> None:
    assert status_light(date(2023, 6, 30), TODAY, LONG_AGO, complete=True, status=Status.DONE) == "🟢"


def test_due_within_a_week_is_yellow_and_later_is_green() -> None:
    assert status_light(date(2023, 7, 10), TODAY, RECENT, complete=False) == "🟡"
    assert status_light(date(2023, 7, 11), TODAY, RECENT, complete=False) == "🟢"


def test_blocked_is_never_on_track() -> None:
    far = date(2023, 12, 31)
    assert status_light(far, TODAY, RECENT, complete=False, status=Status.IN_PROGRESS) == "🟢"
    assert status_light(far, TODAY, RECENT, complete=False, status=Status.BLOCKED) == "🟡"
    assert status_light(None, TODAY, RECENT, complete=False, status=Status.BLOCKED) == "🟡"


def test_thirty_days_of_silence_is_yellow_for_dated_and_standing_work() -> None:
    far = date(2023, 12, 31)
    # Far off and not reminded yet: silence says nothing (it did, when it counted from the issue).
    assert status_light(far, TODAY, date(2023, 3, 20), complete=False) == "🟢"
    assert status_light(far, TODAY, date(2023, 6, 3), complete=False) == "🟢"
    assert status_light(None, TODAY, date(2023, 6, 3), complete=False) == "🟡"
    assert status_light(None, TODAY, date(2023, 6, 4), complete=False) == "🟢"
