"""Who answers for a measure, and when a measure counts as complete.

One place for these rules because the reminder engine, the leader views and the bot's
authorization all depend on them agreeing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Literal

from bot.directory import Directory
from bot.models import Measure, ProgressEntry, Status

UnitRole = Literal["lead", "co"]
Light = Literal["🟢", "🟡", "🔴"]

# A dated item turns yellow this many days before it is due, and a unit that has been
# silent this long turns yellow too.
DUE_SOON_DAYS = 7
STALE_AFTER = timedelta(days=30)


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
    latest: Mapping[tuple[str, str], ProgressEntry],
    as_of: date,
    leads: Sequence[str] | None = None,
) -> bool:
    """A measure is complete when every lead unit's latest status is 已完成 (dated by ``as_of``).

    A measure whose lead units resolve to nobody (an open group no operator has filled in)
    can never be reported complete, so it is never complete: it keeps being reminded.
    ``leads`` passes the measure's lead units when the caller has them precomputed, since
    expanding groups is most of the cost when every measure is checked.
    """
    if leads is None:
        leads = lead_units(measure, directory)
    return bool(leads) and all(is_done(latest.get((measure.id, unit)), as_of) for unit in leads)


def status_light(
    due: date | None,
    today: date,
    last_update: date,
    *,
    complete: bool,
    status: Status | None = None,
) -> Light:
    """🔴 overdue; 🟡 due within 7 days, blocked, or no update for 30 days; 🟢 on track.

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
    if today - last_update >= STALE_AFTER:
        return "🟡"
    return "🟢"
