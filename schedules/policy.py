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
  period they name; a check-in carries the plan's words that ask for it (按季度, 长期实施);
- a window gets ``window_start`` on its first workday;
- a digest lists each measure once: its most pressing reminder of the day (overdue, due,
  upcoming, window_start, checkin, in that order; the earlier due date first) leads, and the
  measure's other reminders that day ride along on the same entry (``DigestItem.also``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.assignments import is_complete, is_done, unit_roles
from bot.directory import Directory, normalize
from bot.models import DatedItem, Measure, Plan, ProgressEntry, Recurrence
from schedules.calendar import WorkCalendar

Reason = Literal["upcoming", "due", "overdue", "checkin", "window_start"]
ItemRole = Literal["lead", "co", "leader"]
RecipientKind = Literal["unit", "leader"]

LADDER = (30, 14, 7, 3, 1, 0)
"""Days before the due date on which a dated item is reminded; 0 is the due day itself."""

# The order items are listed in a digest: what needs action first.
_REASON_ORDER: dict[Reason, int] = {"overdue": 0, "due": 1, "upcoming": 2, "window_start": 3, "checkin": 4}
_QUARTERS = ((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12))


def _urgency(reason: Reason, due: date | None) -> tuple[int, date]:
    return _REASON_ORDER[reason], due or date.max


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    name: str

    @property
    def key(self) -> str:
        """The recipient as the ledger and logs spell it: ``unit:区水务局`` or ``leader:倪德才``."""
        return f"{self.kind}:{self.name}"


class Reminder(BaseModel):
    """One reason a measure is reminded on a day."""

    model_config = ConfigDict(frozen=True)
    reason: Reason
    due: date | None
    """The dated item's due date; a window's end for ``window_start``; None for a check-in."""
    basis: tuple[str, ...] = ()
    """A check-in's: the plan's words that ask for it (按季度, 长期实施)."""

    @property
    def urgency(self) -> tuple[int, date]:
        """Sorts the most pressing first: by reason, then the earlier due date."""
        return _urgency(self.reason, self.due)


class DigestItem(BaseModel):
    """A measure's entry in a recipient's digest: its most pressing reminder of the day, and the
    others (``also``, most pressing first) that the same entry mentions."""

    model_config = ConfigDict(frozen=True)
    measure: str
    reason: Reason
    due: date | None
    role: ItemRole
    basis: tuple[str, ...] = ()
    also: tuple[Reminder, ...] = ()

    @property
    def urgency(self) -> tuple[int, date]:
        """The leading reminder's: how digests order their entries."""
        return _urgency(self.reason, self.due)

    def reminders(self) -> list[Reminder]:
        """Every reminder this entry carries, the leading one first."""
        return [Reminder(reason=self.reason, due=self.due, basis=self.basis), *self.also]

    @classmethod
    def of(cls, measure: str, role: ItemRole, reminders: Sequence[Reminder]) -> DigestItem:
        """One entry for ``reminders`` of one measure, led by the most pressing."""
        first, *rest = sorted(reminders, key=lambda r: r.urgency)
        return cls(
            measure=measure,
            reason=first.reason,
            due=first.due,
            role=role,
            basis=first.basis,
            also=tuple(rest),
        )


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
    """The days a measure gets a progress check-in, within the plan's year."""
    return set(checkins(measure, plan, calendar))


def checkins(measure: Measure, plan: Plan, calendar: WorkCalendar) -> dict[date, tuple[str, ...]]:
    """A measure's check-in days within the plan's year, each with the plan's words asking for it.

    Check-ins start in the month after the plan was issued: asking for progress days after
    the plan came out tells nobody anything. A day a recurrence names is that recurrence's
    (按季度); a standing duty's other months are the deadline's (长期实施).
    """
    first_month = plan.issued.month + 1
    if first_month > 12:
        return {}
    earliest = date(plan.year, first_month, 1)
    found: dict[date, list[str]] = {}
    for recurrence in measure.recurrences:
        for day in _recurrence_days(recurrence, plan.year, calendar):
            found.setdefault(day, []).append(recurrence.raw)
    if measure.deadline.kind == "ongoing":
        for month in range(first_month, 13):
            found.setdefault(calendar.first_workday_of_month(plan.year, month), [measure.deadline.raw])
    return {
        day: tuple(dict.fromkeys(phrase for phrase in phrases if phrase))
        for day, phrases in sorted(found.items())
        if day >= earliest
    }


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


def dated_item(measure: Measure, due: date | None) -> DatedItem | None:
    """What a reminder dated ``due`` is about: the measure's deadline or milestone due that day
    (``Measure.dated_items`` keeps one per day); None for a check-in."""
    return next((item for item in measure.dated_items() if item.due == due), None)


def is_overdue_day(day: date, calendar: WorkCalendar) -> bool:
    """Overdue items are listed on the first workday of each week (a Monday, unless it is off)."""
    return calendar.first_workday_of_week(day) == day


def measure_items(
    measure: Measure, plan: Plan, calendar: WorkCalendar, day: date, *, include_overdue: bool
) -> list[Reminder]:
    """What ``measure`` is reminded of on ``day`` (a workday), most pressing first, ignoring
    completeness and recipients."""
    found: list[Reminder] = []
    for item in measure.dated_items():
        if include_overdue and item.due < day:
            found.append(Reminder(reason="overdue", due=item.due))
            continue
        reason = ladder_days(item.due, calendar).get(day) if item.due >= day else None
        if reason is not None:
            found.append(Reminder(reason=reason, due=item.due))
    if window_start_day(measure, calendar) == day:
        found.append(Reminder(reason="window_start", due=measure.deadline.due))
    basis = checkins(measure, plan, calendar).get(day)
    if basis is not None:
        found.append(Reminder(reason="checkin", due=None, basis=basis))
    return sorted(found, key=lambda r: r.urgency)


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
    collected: dict[Recipient, dict[str, DigestItem]] = {}
    for measure in plan.measures:
        found = measure_items(measure, plan, calendar, day, include_overdue=with_overdue)
        if not found or is_complete(measure, directory, latest, day):
            continue
        entries = {role: DigestItem.of(measure.id, role, found) for role in ("lead", "co")}
        # A unit that has done its part is not chased while the measure waits on the others.
        for unit, role in unit_roles(measure, directory).items():
            if not is_done(latest.get((measure.id, unit)), day):
                collected.setdefault(Recipient("unit", unit), {})[measure.id] = entries[role]
        overdue = [reminder for reminder in found if reminder.reason == "overdue"]
        if overdue:
            item = DigestItem.of(measure.id, "leader", overdue)
            # Leaders as bindings know them: the directory's spelling, or the plan's without spaces.
            for raw in measure.leaders:
                leader = directory.resolve_leader(raw) or normalize(raw)
                collected.setdefault(Recipient("leader", leader), {})[measure.id] = item
    order = _recipient_order(directory)
    measure_order = {m.id: index for index, m in enumerate(plan.measures)}
    by_directory = sorted(collected, key=lambda r: (r.kind != "unit", order.get(r.key, len(order)), r.name))
    return [
        Digest(
            day=day,
            recipient=recipient,
            items=sorted(
                collected[recipient].values(),
                key=lambda i: (*i.urgency, measure_order[i.measure]),
            ),
        )
        for recipient in by_directory
    ]


def _recipient_order(directory: Directory) -> dict[str, int]:
    units = [Recipient("unit", unit.name).key for unit in directory.units]
    leaders = [Recipient("leader", name).key for name in directory.leaders]
    return {key: index for index, key in enumerate(units + leaders)}
