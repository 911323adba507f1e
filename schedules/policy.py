"""Who is reminded of what on a given day: the reminder policy, as a pure function of the day.

Nothing here reads the clock, the store or Telegram: the caller passes the day, the latest
progress and the calendar, and gets back one digest per recipient. Because the answer for a day
never depends on what happened on earlier days, restarts and missed runs need no special state
here; the dispatcher's ledger is what makes delivery happen exactly once.

The rules (issue 4):
- workdays only; nothing before the plan's issue date; complete measures get nothing;
- a unit whose own latest report is 已完成 hears nothing more of that measure, even while the
  measure waits on other lead units (the leader views skip it the same way); the measure's
  leaders keep getting its escalation until the measure is complete;
- a dated item (deadline, window end, milestone) is reminded 30/14/7/3/1 days before its due
  date (``upcoming``) and on it (``due``); a ladder day that is off moves to the previous workday;
- past-due items are ``overdue`` on the first workday of each week, to the units and, as an
  escalation, to the measure's leaders;
- standing duties get a ``checkin`` on the first workday of each month from the month after
  issue until the plan's year ends; recurrences in the text add check-ins at the start of each
  period they name;
- a window gets ``window_start`` on its first workday.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.assignments import is_complete, is_done, unit_roles
from bot.directory import Directory, normalize
from bot.models import Measure, Plan, ProgressEntry, Recurrence
from schedules.calendar import WorkCalendar

Reason = Literal["upcoming", "due", "overdue", "checkin", "window_start"]
ItemRole = Literal["lead", "co", "leader"]
RecipientKind = Literal["unit", "leader"]

LADDER = (30, 14, 7, 3, 1, 0)
"""Days before the due date on which a dated item is reminded; 0 is the due day itself."""

# The order items are listed in a digest: what needs action first.
_REASON_ORDER: dict[Reason, int] = {"overdue": 0, "due": 1, "upcoming": 2, "window_start": 3, "checkin": 4}
_QUARTERS = ((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12))


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    name: str

    @property
    def key(self) -> str:
        """The recipient as the ledger and logs spell it: ``unit:区水务局`` or ``leader:倪德才``."""
        return f"{self.kind}:{self.name}"


class DigestItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    measure: str
    reason: Reason
    due: date | None
    role: ItemRole


@dataclass(frozen=True)
class Digest:
    day: date
    recipient: Recipient
    items: list[DigestItem]


def ladder_days(due: date, calendar: WorkCalendar) -> dict[date, Reason]:
    """The workdays a dated item is reminded on, each with its reason.

    Ladder days that move onto the same workday collapse into one; the due day wins.
    """
    days: dict[date, Reason] = {}
    for before in LADDER:
        days[calendar.on_or_before(due - timedelta(days=before))] = "due" if before == 0 else "upcoming"
    return days


def checkin_days(measure: Measure, plan: Plan, calendar: WorkCalendar) -> set[date]:
    """The days a measure gets a progress check-in, within the plan's year.

    Check-ins start in the month after the plan was issued: asking for progress days after
    the plan came out tells nobody anything.
    """
    first_month = plan.issued.month + 1
    if first_month > 12:
        return set()
    months: set[int] = set()
    if measure.deadline.kind == "ongoing":
        months.update(range(first_month, 13))
    days = {calendar.first_workday_of_month(plan.year, month) for month in months}
    for recurrence in measure.recurrences:
        days.update(_recurrence_days(recurrence, plan.year, calendar))
    earliest = date(plan.year, first_month, 1)
    return {day for day in days if day >= earliest}


def _recurrence_days(recurrence: Recurrence, year: int, calendar: WorkCalendar) -> set[date]:
    """The first workday of each period a recurrence names, limited to the months it covers."""
    covered = sorted(set(recurrence.months)) or list(range(1, 13))
    if recurrence.every == "month":
        return {calendar.first_workday_of_month(year, month) for month in covered}
    if recurrence.every == "quarter":
        starts = [min(set(quarter) & set(covered)) for quarter in _QUARTERS if set(quarter) & set(covered)]
        return {calendar.first_workday_of_month(year, month) for month in starts}
    if recurrence.every == "year":
        return {calendar.first_workday_of_month(year, covered[0])}
    weeks = set()
    for month in covered:
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        for info in calendar.days(first, last):
            if calendar.first_workday_of_week(info.day) == info.day:
                weeks.add(info.day)
    return weeks


def window_start_day(measure: Measure, calendar: WorkCalendar) -> date | None:
    """A window's first workday, if the window has one."""
    deadline = measure.deadline
    if deadline.kind != "window" or deadline.start is None or deadline.due is None:
        return None
    first = calendar.on_or_after(deadline.start)
    return first if first <= deadline.due else None


def is_overdue_day(day: date, calendar: WorkCalendar) -> bool:
    """Overdue items are listed on the first workday of each week (a Monday, unless it is off)."""
    return calendar.first_workday_of_week(day) == day


def measure_items(
    measure: Measure, plan: Plan, calendar: WorkCalendar, day: date, *, include_overdue: bool
) -> list[tuple[Reason, date | None]]:
    """What ``measure`` is reminded of on ``day`` (a workday), ignoring completeness and recipients."""
    found: list[tuple[Reason, date | None]] = []
    for item in measure.dated_items():
        if include_overdue and item.due < day:
            found.append(("overdue", item.due))
            continue
        reason = ladder_days(item.due, calendar).get(day) if item.due >= day else None
        if reason is not None:
            found.append((reason, item.due))
    if window_start_day(measure, calendar) == day:
        found.append(("window_start", measure.deadline.due))
    if day in checkin_days(measure, plan, calendar):
        found.append(("checkin", None))
    return found


def digests_for_day(
    plan: Plan,
    directory: Directory,
    latest: Mapping[tuple[str, str], ProgressEntry],
    calendar: WorkCalendar,
    day: date,
    *,
    include_overdue: bool | None = None,
) -> list[Digest]:
    """Every recipient's digest for ``day``: units in directory order, then leaders.

    ``include_overdue`` None lists overdue items on the week's first workday only; the
    dispatcher passes True to catch up when that day's run was missed.
    """
    if day < plan.issued or not calendar.is_workday(day):
        return []
    with_overdue = is_overdue_day(day, calendar) if include_overdue is None else include_overdue
    collected: dict[Recipient, list[DigestItem]] = {}
    for measure in plan.measures:
        found = measure_items(measure, plan, calendar, day, include_overdue=with_overdue)
        if not found or is_complete(measure, directory, latest, day):
            continue
        # A unit that has done its part is not chased while the measure waits on the others.
        roles = {
            unit: role
            for unit, role in unit_roles(measure, directory).items()
            if not is_done(latest.get((measure.id, unit)), day)
        }
        # Leaders as bindings know them: the directory's spelling, or the plan's without spaces.
        leaders = [directory.resolve_leader(raw) or normalize(raw) for raw in measure.leaders]
        for reason, due in found:
            for unit, role in roles.items():
                item = DigestItem(measure=measure.id, reason=reason, due=due, role=role)
                collected.setdefault(Recipient("unit", unit), []).append(item)
            if reason == "overdue":
                for leader in leaders:
                    item = DigestItem(measure=measure.id, reason=reason, due=due, role="leader")
                    collected.setdefault(Recipient("leader", leader), []).append(item)
    order = _recipient_order(directory)
    measure_order = {m.id: index for index, m in enumerate(plan.measures)}
    digests = []
    by_directory = sorted(collected, key=lambda r: (r.kind != "unit", order.get(r.key, len(order)), r.name))
    for recipient in by_directory:
        items = sorted(
            dict.fromkeys(collected[recipient]),
            key=lambda i: (_REASON_ORDER[i.reason], i.due or date.max, measure_order[i.measure]),
        )
        digests.append(Digest(day=day, recipient=recipient, items=items))
    return digests


def _recipient_order(directory: Directory) -> dict[str, int]:
    units = [Recipient("unit", unit.name).key for unit in directory.units]
    leaders = [Recipient("leader", name).key for name in directory.leaders]
    return {key: index for index, key in enumerate(units + leaders)}
