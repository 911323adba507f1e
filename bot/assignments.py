"""Who answers for a measure, and when an item and a measure count as complete.

One place for these rules because the reminder engine, the leader views and the bot's
authorization all depend on them agreeing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from bot.directory import Directory
from bot.models import DatedItem, Item, Measure, ProgressEntry, Status, UnitRole

Light = Literal["🟢", "🟡", "🔴"]

# A dated item turns yellow this many days before it is due, and a unit that has been
# silent this long turns yellow too.
DUE_SOON_DAYS = 7
STALE_AFTER = timedelta(days=30)
FIRST_REMINDER_AHEAD = timedelta(days=30)
"""How long before its due day an item is first reminded (the first rung of the reminder ladder)."""


def unit_roles(measure: Measure, directory: Directory) -> dict[str, UnitRole]:
    """Canonical units responsible for the measure, groups expanded, in document order.

    A unit named both as lead and as co-operating unit is a lead unit.
    """
    roles: dict[str, UnitRole] = {}
    for name in measure.lead_units:
        for unit in directory.expand(name):
            roles[unit] = "lead"
    for name in measure.co_units:
        for unit in directory.expand(name):
            roles.setdefault(unit, "co")
    return roles


def lead_units(measure: Measure, directory: Directory) -> list[str]:
    return [unit for unit, role in unit_roles(measure, directory).items() if role == "lead"]


def is_done(entry: ProgressEntry | None, as_of: date) -> bool:
    """Whether a unit's latest report says 已完成 and is dated on or before ``as_of``."""
    return entry is not None and entry.status is Status.DONE and entry.at.date() <= as_of


def is_complete(
    measure: Measure,
    directory: Directory,
    latest: Mapping[Any, ProgressEntry] | ItemProgress,
    as_of: date,
    leads: Sequence[str] | None = None,
    items: Sequence[Item] | None = None,
) -> bool:
    """A dated measure is complete when each of its dated items is (``ItemProgress.item_complete``);
    a standing duty (长期实施) never is within the plan year: its periods keep coming.

    ``latest`` is the latest reports (``Store.latest_items``, or any mapping whose values are the
    latest entries) or an ``ItemProgress`` over them. A measure whose lead units resolve to nobody
    (an open group no operator has filled in) can never be reported complete, so it is never
    complete: it keeps being reminded. ``leads`` and ``items`` pass the measure's lead units and
    items when the caller has them precomputed, since expanding groups is most of the cost when
    every measure is checked. Without ``items``, the measure's dated items.
    """
    progress = latest if isinstance(latest, ItemProgress) else ItemProgress(latest.values())
    if leads is None:
        leads = lead_units(measure, directory)
    if items is None:
        items = [_dated_as_item(dated) for dated in measure.dated_items()]
    return progress.measure_complete(measure, items, leads, as_of)


def _dated_as_item(dated: DatedItem) -> Item:
    return Item(measure=dated.measure, id=dated.due.isoformat(), kind=dated.kind, due=dated.due)


def _newest(entries: Iterable[ProgressEntry | None]) -> ProgressEntry | None:
    newest: ProgressEntry | None = None
    for entry in entries:
        if entry is not None and (newest is None or (entry.at, entry.seq) > (newest.at, newest.seq)):
            newest = entry
    return newest


class ItemProgress:
    """Each unit's latest report per item, read by the closing rules (issue 9).

    - A dated item (deadline, milestone, window) is done for a unit when its latest report on
      the item says 已完成; for a dated measure a report on the measure as a whole (no item, as
      every report before items was) speaks for each of its dated items, whichever is later wins.
    - A check-in period is satisfied for a unit by any report of the unit on the measure dated in
      the period, or one naming the period; for a dated measure also by the unit's 已完成 on the
      measure as a whole (it has nothing left to do).
    - For a standing duty a report without an item is about the period it falls in, never about
      a milestone: 3-3-1 已完成 in October says October's work is done, not the 9月底 list.
    - An item is complete when every lead unit has done it; a check-in of a dated measure when
      the measure is; a check-in of a standing duty never.
    """

    def __init__(self, entries: Iterable[ProgressEntry]) -> None:
        by_pair: dict[tuple[str, str], dict[str | None, ProgressEntry]] = {}
        for entry in entries:
            own = by_pair.setdefault((entry.measure, entry.unit), {})
            held = own.get(entry.item)
            if held is None or (entry.at, entry.seq) > (held.at, held.seq):
                own[entry.item] = entry
        self._by_pair = by_pair
        # Views ask for a unit's latest report per row; worked out once per (measure, unit).
        self._latest: dict[tuple[str, str], ProgressEntry | None] = {}

    def reports(self, measure_id: str, unit: str) -> Mapping[str | None, ProgressEntry]:
        """The unit's latest report per item of the measure (None: on the measure as a whole)."""
        return self._by_pair.get((measure_id, unit), {})

    def latest(self, measure_id: str, unit: str) -> ProgressEntry | None:
        """The unit's latest report on the measure, whatever its item."""
        key = (measure_id, unit)
        if key not in self._latest:
            self._latest[key] = _newest(self.reports(measure_id, unit).values())
        return self._latest[key]

    def entry_for(self, measure: Measure, item: Item, unit: str) -> ProgressEntry | None:
        """The report that states the unit's status on ``item``: for a dated item its latest on the
        item or (dated measure) on the measure as a whole; for a check-in the latest that falls in
        or names the period."""
        own = self.reports(measure.id, unit)
        if item.dated:
            whole = own.get(None) if measure.deadline.kind != "ongoing" else None
            return _newest((own.get(item.id), whole))
        return _newest(e for key, e in own.items() if key == item.id or item.covers(e.at.date()))

    def unit_done(self, measure: Measure, item: Item, unit: str, as_of: date) -> bool:
        """Whether ``unit`` has nothing left to do on ``item`` as of ``as_of`` (see the class)."""
        if item.dated:
            return is_done(self.entry_for(measure, item, unit), as_of)
        own = self.reports(measure.id, unit)
        if measure.deadline.kind != "ongoing" and is_done(own.get(None), as_of):
            return True
        return any(
            entry.at.date() <= as_of and (key == item.id or item.covers(entry.at.date()))
            for key, entry in own.items()
        )

    def item_complete(self, measure: Measure, item: Item, leads: Sequence[str], as_of: date) -> bool:
        if item.dated:
            return bool(leads) and all(self.unit_done(measure, item, unit, as_of) for unit in leads)
        return False

    def measure_complete(
        self, measure: Measure, items: Sequence[Item], leads: Sequence[str], as_of: date
    ) -> bool:
        dated = [item for item in items if item.dated]
        if measure.deadline.kind == "ongoing" or not dated:
            return False
        return all(self.item_complete(measure, item, leads, as_of) for item in dated)


def status_light(
    due: date | None,
    today: date,
    last_update: date,
    *,
    complete: bool,
    status: Status | None = None,
) -> Light:
    """🔴 overdue; 🟡 due within 7 days, blocked, or stalled (no update for 30 days since it was first
    reminded); 🟢 on track.

    ``due`` is None for a standing duty: only a block or silence makes it yellow.
    ``last_update`` is the latest report, or the plan's issue date when nobody reported.
    ``status`` is the latest reported status: 受阻 is never "on track".
    """
    if complete:
        return "🟢"
    if due is not None and due < today:
        return "🔴"
    if status is Status.BLOCKED:
        return "🟡"
    if due is not None and (due - today).days <= DUE_SOON_DAYS:
        return "🟡"
    # Silence counts from the first reminder (schedules.policy.LADDER's first rung), not from the
    # plan's issue: an item due in half a year that nobody reported on is not stalled.
    since = max(last_update, due - FIRST_REMINDER_AHEAD) if due is not None else last_update
    if today - since >= STALE_AFTER:
        return "🟡"
    return "🟢"
