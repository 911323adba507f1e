"""月调度, the monthly progress request (issue 10, part 6), as a pure function of the day.

On the first workday of each month (``is_monthly_day``) each unit's digest asks, in one compact
section, for progress on every open item the unit has not reported on for
``QUIET_DAYS`` days. The rules:

- an item is one the unit owes (``unit_roles``) and has not done, of a measure not complete:
  its earliest open deadline or milestone (due date in force for the unit, extensions applied),
  else a window that has begun, else the check-in period the day falls in (one the unit belongs
  to); one item per measure, which is what 均按计划推进 records 进行中 for;
- "reported on" is any report of the unit on the measure, whatever its item, dated within the
  ``QUIET_DAYS`` days up to and including the day;
- a measure that already has an entry in the unit's digest that day (a ladder reminder, an
  overdue item, a check-in) is asked there, with its own buttons, and is left out of the section.

Whether the unit answered in time is ``bot.workflow.monthly_progress_answers``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from bot.assignments import ItemProgress, lead_units, unit_roles
from bot.directory import Directory
from bot.models import Item, Measure, Plan
from bot.supervision import Supervision
from schedules.calendar import WorkCalendar

QUIET_DAYS = 30
"""A unit is asked about a measure it has not reported on for this many days."""
ANSWER_WORKDAYS = 5
"""A 月调度 is answered in time when answered by the end of the month's fifth workday."""


@dataclass(frozen=True)
class MonthlyEntry:
    """One line of a unit's 月调度 section: the measure and the item an answer records for."""

    measure: str
    item: str
    role: str


def is_monthly_day(day: date, calendar: WorkCalendar) -> bool:
    """Whether ``day`` is the first workday of its month, the day the 月调度 is asked."""
    return calendar.first_workday_of_month(day.year, day.month) == day


def answer_deadline(year: int, month: int, calendar: WorkCalendar) -> date:
    """The last day a month's 月调度 is answered in time: the month's ``ANSWER_WORKDAYS``-th workday
    (a full working week after it is asked, whatever holidays fall in it)."""
    day = calendar.first_workday_of_month(year, month)
    for _ in range(ANSWER_WORKDAYS - 1):
        day = calendar.on_or_after(day + timedelta(days=1))
    return day


def monthly_item(
    measure: Measure,
    items: Collection[Item],
    unit: str,
    progress: ItemProgress,
    day: date,
    directory: Directory,
    supervision: Supervision | None,
) -> Item | None:
    """The item of ``measure`` the unit is asked about on ``day``, None when it owes nothing now."""
    leads = lead_units(measure, directory)

    def open_for_unit(item: Item) -> bool:
        if item.dated and progress.item_complete(measure, item, leads, day):
            return False
        return not progress.unit_done(measure, item, unit, day)

    def due(item: Item) -> date:
        return supervision.due(item, unit, day) if supervision is not None else item.due

    dated = sorted((i for i in items if i.kind in ("deadline", "milestone") and open_for_unit(i)), key=due)
    if dated:
        return dated[0]
    for item in items:
        if item.kind == "window" and item.start is not None and item.start <= day <= item.due:
            return item if open_for_unit(item) else None
    for item in items:
        if (
            item.kind == "checkin"
            and item.start is not None
            and item.start <= day <= item.due
            and (not item.units or unit in {u for name in item.units for u in directory.expand(name)})
        ):
            return item if open_for_unit(item) else None
    return None


def monthly_sections(
    plan: Plan,
    directory: Directory,
    progress: ItemProgress,
    calendar: WorkCalendar,
    day: date,
    listed: dict[str, Collection[str]],
    supervision: Supervision | None = None,
) -> dict[str, list[MonthlyEntry]]:
    """Each unit's 月调度 section on ``day`` (empty unless it is the month's first workday), in
    plan order. ``listed``: the measures each unit's digest already has an entry for.
    ``plan`` is the plan with the supervision overlay applied (``Supervision.plan``)."""
    if not is_monthly_day(day, calendar) or day < plan.issued:
        return {}
    quiet_since = day - timedelta(days=QUIET_DAYS)
    sections: dict[str, list[MonthlyEntry]] = {}
    for measure in plan.measures:
        items = plan.items(measure.id)
        leads = lead_units(measure, directory)
        if progress.measure_complete(measure, items, leads, day):
            continue
        for unit, role in unit_roles(measure, directory).items():
            if measure.id in listed.get(unit, ()):
                continue
            last = progress.latest(measure.id, unit)
            if last is not None and last.at.date() >= quiet_since:
                continue
            item = monthly_item(measure, items, unit, progress, day, directory, supervision)
            if item is not None:
                sections.setdefault(unit, []).append(MonthlyEntry(measure.id, item.id, role))
    return sections
