"""Who is reminded of what on a given day: the reminder policy, as a pure function of the day.

Nothing here reads the clock, the store or Telegram: the caller passes the day, the latest
progress and the calendar, and gets back one digest per recipient. Because the answer for a day
never depends on what happened on earlier days, restarts and missed runs need no special state
here; the dispatcher's ledger is what makes delivery happen exactly once.

The rules (issues 4 and 9). Reminders are about items (``bot.models.Item``), each closed on its
own terms (``bot.assignments.ItemProgress``):
- workdays only; nothing before the plan's issue date; a complete item gets nothing;
- a unit that has done an item hears nothing more of it, even while the item waits on other
  lead units; the measure's leaders keep getting an overdue item's escalation until it is
  complete;
- a deadline or milestone is reminded 30/14/7/3/1 days before its due date (``upcoming``) and on
  it (``due``); a ladder day that is off moves to the previous workday;
- past-due deadlines and milestones are ``overdue`` on the first workday of each week, to the
  units and, as an escalation, to the measure's leaders;
- a window gets ``window_start`` on its first workday and ``window_end`` on its last, asking for
  a summary (总结); it is never overdue;
- a check-in period gets a ``checkin`` on its first workday, to the units it belongs to (those
  its clause names, else all), unless the unit already reported in the period; it carries the
  plan's words that ask for it (按季度, 长期实施);
- a digest lists each measure once: its most pressing reminder of the day (overdue, due,
  upcoming, window_end, window_start, checkin, in that order; the earlier due date first) leads,
  and the measure's other reminders that day ride along on the same entry (``DigestItem.also``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.assignments import ItemProgress, lead_units, unit_roles
from bot.directory import Directory, normalize
from bot.models import DatedItem, Item, ItemKind, Measure, Plan, ProgressEntry
from bot.supervision import Supervision
from schedules.calendar import WorkCalendar
from schedules.monthly import MonthlyEntry, monthly_sections

Reason = Literal["upcoming", "due", "overdue", "checkin", "window_start", "window_end"]
ItemRole = Literal["lead", "co", "leader"]
RecipientKind = Literal["unit", "leader"]

LADDER = (30, 14, 7, 3, 1, 0)
"""Days before the due date on which a dated item is reminded; 0 is the due day itself."""
# No run of days off is longer than this (the Spring Festival and National Day weeks are about
# nine): a ladder rung or a period's first workday never moves further, so beyond it the
# calendar need not be asked.
_NEAR = timedelta(days=20)
_LADDER_REACH = timedelta(days=LADDER[0]) + _NEAR

# The order items are listed in a digest: what needs action first.
_REASON_ORDER: dict[Reason, int] = {
    "overdue": 0,
    "due": 1,
    "upcoming": 2,
    "window_end": 3,
    "window_start": 4,
    "checkin": 5,
}


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
    item: str = ""
    """The item reminded of (``Item.id``: 2023-09-30, 2023-10); a button under it records for it."""
    kind: ItemKind | None = None

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
    item: str = ""
    """The leading reminder's item: what the entry's buttons record for."""
    kind: ItemKind | None = None
    also: tuple[Reminder, ...] = ()

    @property
    def urgency(self) -> tuple[int, date]:
        """The leading reminder's: how digests order their entries."""
        return _urgency(self.reason, self.due)

    def reminders(self) -> list[Reminder]:
        """Every reminder this entry carries, the leading one first."""
        first = Reminder(reason=self.reason, due=self.due, basis=self.basis, item=self.item, kind=self.kind)
        return [first, *self.also]

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
            item=first.item,
            kind=first.kind,
            also=tuple(rest),
        )


@dataclass(frozen=True)
class Digest:
    day: date
    recipient: Recipient
    items: list[DigestItem]
    monthly: tuple[MonthlyEntry, ...] = ()
    """A unit's 月调度 section (``schedules.monthly``): empty on other days."""


GROUP_AFTER_DAYS = 7
"""A lone deadline reminder further off than this joins its compact group in a unit's digest."""


def group_code(item: DigestItem, day: date) -> str | None:
    """The compact group a unit's digest entry may join, so that a first-workday digest of a
    hundred entries stays within two messages: ``c`` for a lone check-in, ``u20231231`` for a
    lone ladder reminder of a deadline more than ``GROUP_AFTER_DAYS`` days ahead. None for an
    entry that keeps its own lines and buttons: overdue, due, due within a week, a window, a
    milestone (its text matters), an entry with several reminders. ``bot.digest`` lays groups out
    (and keeps a unit's ⛔ entries whole); ``schedules.dispatch.group_entries`` lists a group."""
    if item.also:
        return None
    if item.reason == "checkin":
        return "c"
    if (
        item.reason == "upcoming"
        and item.kind == "deadline"
        and item.due is not None
        and (item.due - day).days > GROUP_AFTER_DAYS
    ):
        return f"u{item.due:%Y%m%d}"
    return None


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

    A check-in period (``Measure.items``) is asked for on its first workday.
    """
    found: dict[date, list[str]] = {}
    for item in measure.items(plan.year, plan.issued):
        day = checkin_day(item, calendar)
        if day is not None:
            found.setdefault(day, []).extend(item.basis)
    # A day a recurrence names is that recurrence's; the standing duty's word (长期实施) only
    # stands where nothing else asks.
    own = measure.deadline.raw
    return {
        day: tuple(dict.fromkeys(word for word in words if word != own or set(words) == {own}))
        for day, words in sorted(found.items())
    }


def checkin_day(item: Item, calendar: WorkCalendar) -> date | None:
    """The day a check-in period is asked for: its first workday (None if it has none)."""
    if item.kind != "checkin" or item.start is None:
        return None
    day = calendar.on_or_after(item.start)
    return day if day <= item.due else None


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


def item_reminders(item: Item, calendar: WorkCalendar, day: date, *, include_overdue: bool) -> list[Reminder]:
    """What ``item`` is reminded of on ``day`` (a workday), ignoring who has done it."""
    if item.kind == "checkin":
        # A period's first workday is within days of its start: most items need no calendar.
        if (
            not item.start
            or not item.start <= day <= item.start + _NEAR
            or checkin_day(item, calendar) != day
        ):
            return []
        return [Reminder(reason="checkin", due=None, basis=item.basis, item=item.id, kind=item.kind)]
    if item.kind == "window":
        start = calendar.on_or_after(item.start) if item.start is not None else None
        reasons: list[Reason] = []
        if start == day and start <= item.due:
            reasons.append("window_start")
        if calendar.on_or_before(item.due) == day:
            reasons.append("window_end")
        return [Reminder(reason=reason, due=item.due, item=item.id, kind=item.kind) for reason in reasons]
    if item.due < day:
        if not include_overdue:
            return []
        return [Reminder(reason="overdue", due=item.due, item=item.id, kind=item.kind)]
    if item.due - day > _LADDER_REACH:
        return []
    reason = ladder_days(item.due, calendar).get(day)
    return [] if reason is None else [Reminder(reason=reason, due=item.due, item=item.id, kind=item.kind)]


def measure_items(
    measure: Measure, plan: Plan, calendar: WorkCalendar, day: date, *, include_overdue: bool
) -> list[Reminder]:
    """What ``measure`` is reminded of on ``day`` (a workday), most pressing first, ignoring
    completeness and recipients."""
    found = [
        reminder
        for item in plan.items(measure.id)
        for reminder in item_reminders(item, calendar, day, include_overdue=include_overdue)
    ]
    return sorted(found, key=lambda r: r.urgency)


def digests_for_day(
    plan: Plan,
    directory: Directory,
    latest: Mapping[Any, ProgressEntry] | ItemProgress,
    calendar: WorkCalendar,
    day: date,
    *,
    include_overdue: bool | None = None,
    supervision: Supervision | None = None,
    monthly: bool = False,
) -> list[Digest]:
    """Every recipient's digest for ``day``: units in directory order, then leaders.

    ``latest`` is the latest reports (``Store.latest_items``) or an ``ItemProgress`` over them.
    ``include_overdue`` None lists overdue items on the week's first workday only; the
    dispatcher passes True to catch up when that day's run was missed.
    ``supervision`` (issue 10) applies the loop's records: the dates /setdue gives, the units
    /assign names, approved extensions and the completion reviews.
    ``monthly`` (MONTHLY_PROGRESS) adds the 月调度 section on a month's first workday
    (``schedules.monthly``); a unit with nothing else that day gets a digest for it alone.
    """
    if day < plan.issued or not calendar.is_workday(day):
        return []
    if supervision is not None:
        plan = supervision.plan(plan)
        if not isinstance(latest, ItemProgress):
            latest = supervision.reviewed(latest, day, plan)
    progress = latest if isinstance(latest, ItemProgress) else ItemProgress(latest.values())
    with_overdue = is_overdue_day(day, calendar) if include_overdue is None else include_overdue
    collected: dict[Recipient, dict[str, DigestItem]] = {}
    for measure in plan.measures:
        items = plan.items(measure.id)
        moves = supervision if supervision is not None and supervision.has_moves(measure.id) else None

        due_today = [
            (item, reminders)
            for item in items
            if (reminders := item_reminders(item, calendar, day, include_overdue=with_overdue))
            or (moves is not None and item.dated)
        ]
        if not due_today:
            continue
        leads = lead_units(measure, directory)
        if progress.measure_complete(measure, items, leads, day):
            continue
        open_items = [
            (item, reminders)
            for item, reminders in due_today
            if not progress.item_complete(measure, item, leads, day)
        ]
        roles = unit_roles(measure, directory)
        owners = {item.id: _item_units(item, directory) for item, _ in open_items}
        late_for_someone: list[Reminder] = []
        for unit, role in roles.items():
            # A unit that has done its part of an item is not chased while it waits on the others.
            own = [
                reminder
                for item, reminders in open_items
                if ((belongs := owners[item.id]) is None or unit in belongs)
                and not progress.unit_done(measure, item, unit, day)
                # An approved extension (延期) moves the unit's item: its ladder and overdue run on
                # the new date.
                for reminder in (
                    reminders
                    if moves is None
                    else item_reminders(
                        moves.for_unit(item, unit, day), calendar, day, include_overdue=with_overdue
                    )
                )
            ]
            if own:
                entry = DigestItem.of(measure.id, role, own)
                collected.setdefault(Recipient("unit", unit), {})[measure.id] = entry
            if moves is not None and role == "lead":
                late_for_someone.extend(r for r in own if r.reason == "overdue")
        if moves is None:
            overdue = [r for _, reminders in open_items for r in reminders if r.reason == "overdue"]
        else:
            # Escalated only where a lead unit owes the item past the date in force for it, with
            # that date.
            overdue = list({r.item: r for r in reversed(late_for_someone)}.values())
        if overdue:
            escalation = DigestItem.of(measure.id, "leader", overdue)
            # Leaders as bindings know them: the directory's spelling, or the plan's without spaces.
            for raw in measure.leaders:
                leader = directory.resolve_leader(raw) or normalize(raw)
                collected.setdefault(Recipient("leader", leader), {})[measure.id] = escalation
    sections = (
        monthly_sections(
            plan,
            directory,
            progress,
            calendar,
            day,
            {r.name: entries.keys() for r, entries in collected.items() if r.kind == "unit"},
            supervision,
        )
        if monthly
        else {}
    )
    for unit in sections:
        collected.setdefault(Recipient("unit", unit), {})
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
            monthly=tuple(sections.get(recipient.name, ())) if recipient.kind == "unit" else (),
        )
        for recipient in by_directory
    ]


def _item_units(item: Item, directory: Directory) -> set[str] | None:
    """The units a check-in belongs to (its clause's, groups expanded); None: every unit."""
    if not item.units:
        return None
    return {unit for name in item.units for unit in directory.expand(name)}


def _recipient_order(directory: Directory) -> dict[str, int]:
    units = [Recipient("unit", unit.name).key for unit in directory.units]
    leaders = [Recipient("leader", name).key for name in directory.leaders]
    return {key: index for index, key in enumerate(units + leaders)}
