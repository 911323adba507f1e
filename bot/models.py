"""The plan model (``data/plan.json`` is its serialization) and the progress vocabulary.

This is the contract that the importer writes and the reminder engine, queries, bot and
CLI read. It is pure: no Telegram, no clock.
"""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DeadlineKind = Literal["date", "window", "ongoing"]
Every = Literal["month", "quarter", "year", "week"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Deadline(_Model):
    """The 完成时限 cell. ``due`` is the last day (a window's end); ``start`` only for windows."""

    raw: str
    kind: DeadlineKind
    due: date | None = None
    start: date | None = None

    @model_validator(mode="after")
    def _dates_for_kind(self) -> Deadline:
        # The reminder rules read ``due`` of every dated deadline and ``start`` of every window.
        if self.kind != "ongoing" and self.due is None:
            raise ValueError(f"a {self.kind} deadline needs its due date")
        if self.kind == "window" and (self.start is None or self.due is None or self.start > self.due):
            raise ValueError("a window needs a start on or before its due date")
        return self


class Milestone(_Model):
    """A dated commitment inside the measure text, e.g. 9月底前制定出台…"""

    raw: str
    due: date
    text: str


class Recurrence(_Model):
    """A recurring obligation in the text (按月, 每季度, 第二、三季度每月 …) and the months it covers."""

    raw: str
    every: Every
    months: list[int] = Field(default_factory=list)

    @field_validator("months")
    @classmethod
    def _months_of_a_year(cls, months: list[int]) -> list[int]:
        wrong = [month for month in months if not 1 <= month <= 12]
        if wrong:
            raise ValueError(f"months are 1-12, not {', '.join(map(str, wrong))}")
        return months


UnitRole = Literal["lead", "co"]

# The words of annexes that predate them in the JSON: the 主责单位 / 协办单位 most annexes use.
DEFAULT_ROLE_WORDS: dict[UnitRole, str] = {"lead": "主责单位", "co": "协办单位"}


class Annex(_Model):
    """An annex of the plan. ``lead_word`` / ``co_word`` are its table's own column headers for the
    two roles (主责单位 / 协办单位, or 牵头部门 / 责任单位), imported, never assumed per annex."""

    no: int
    title: str
    lead_word: str = DEFAULT_ROLE_WORDS["lead"]
    co_word: str = DEFAULT_ROLE_WORDS["co"]

    def role_word(self, role: UnitRole, *, short: bool = False) -> str:
        """The annex's word for a role: 主责单位, or with ``short`` its first two characters (主责)."""
        word = self.lead_word if role == "lead" else self.co_word
        return word[:2] if short else word


class Measure(_Model):
    id: str
    annex: int
    section: str
    task_no: int
    task: str
    text: str
    deadline: Deadline
    milestones: list[Milestone] = Field(default_factory=list)
    recurrences: list[Recurrence] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    co_units: list[str] = Field(default_factory=list)

    def dated_items(self) -> list[DatedItem]:
        """Everything in this measure with a due date: the deadline (a window's end) and milestones.

        Sorted by due date; two commitments on the same day are one item.
        """
        items: dict[date, DatedItem] = {}
        if self.deadline.due is not None:
            items[self.deadline.due] = DatedItem(
                measure=self.id, due=self.deadline.due, kind="deadline", text=self.deadline.raw
            )
        for milestone in self.milestones:
            items.setdefault(
                milestone.due,
                DatedItem(measure=self.id, due=milestone.due, kind="milestone", text=milestone.text),
            )
        return [items[due] for due in sorted(items)]

    def items(self, year: int, issued: date) -> list[Item]:
        """What the measure commits its units to, each closed on its own terms (``Item``).

        The dated items (``dated_items``; a window's end is its window item), then the check-in
        periods: one per month for a standing duty, one per period of each recurrence the text
        names. Periods start in the month after the plan was issued (``issued``): asking for a
        report on work the plan announced days before tells nobody anything. A period that
        began earlier is cut to start then; one that ended earlier is left out.
        """
        found: list[Item] = []
        for dated in self.dated_items():
            is_window = self.deadline.kind == "window" and dated.kind == "deadline"
            found.append(
                Item(
                    measure=self.id,
                    id=dated.due.isoformat(),
                    kind="window" if is_window else dated.kind,
                    due=dated.due,
                    start=self.deadline.start if is_window else None,
                    text=dated.text,
                )
            )
        if issued.month == 12:
            return found
        earliest = date(year, issued.month + 1, 1)
        periods: dict[str, tuple[date, date, list[str], set[str] | None]] = {}

        def add(
            period: tuple[str, date, date], basis: str, units: tuple[str, ...], *, own: bool = True
        ) -> None:
            period_id, start, end = period
            if end < earliest:
                return
            known = periods.get(period_id)
            owners: set[str] | None = set(units) if units else None
            if known is None:
                periods[period_id] = (max(start, earliest), end, [basis], owners)
                return
            merged = None if known[3] is None or owners is None else known[3] | owners
            # A month a recurrence names is asked for in its words; the standing duty's own
            # (``own=False``) only makes it everyone's.
            periods[period_id] = (known[0], known[1], [*known[2], basis] if own else known[2], merged)

        for recurrence in self.recurrences:
            clause_owners = clause_units(self, recurrence.raw)
            for period in recurrence_periods(recurrence, year):
                add(period, recurrence.raw, clause_owners)
        if self.deadline.kind == "ongoing":
            for month in range(earliest.month, 13):
                add(_month_period(year, month), self.deadline.raw, (), own=False)
        named = self.lead_units + self.co_units
        for period_id, (start, end, basis, owners) in sorted(periods.items(), key=lambda p: (p[1][0], p[0])):
            found.append(
                Item(
                    measure=self.id,
                    id=period_id,
                    kind="checkin",
                    due=end,
                    start=start,
                    basis=tuple(dict.fromkeys(word for word in basis if word)),
                    units=tuple(name for name in named if owners is not None and name in owners),
                )
            )
        return found

    @property
    def title(self) -> str:
        """A short title for lists: the task name, which is what people call the measure."""
        return self.task


class DatedItem(_Model):
    """One thing due on one day: a measure's deadline or one of its milestones."""

    measure: str
    due: date
    kind: Literal["deadline", "milestone"]
    text: str


ItemKind = Literal["deadline", "milestone", "window", "checkin"]


class Item(_Model):
    """One thing a measure commits its units to, closed on its own terms.

    ``id`` is what people type and the JSON carries: the due date (``2023-09-30``) for a deadline,
    milestone or window (whose ``due`` is its last day and ``start`` its first), and the period
    for a check-in: ``2023-10`` (a month), ``2023-Q3`` (a quarter), ``2023`` (a year), ``2023-W27``
    (an ISO week); a check-in's ``start`` and ``due`` are its period's first and last days.
    ``basis`` is a check-in's plan words asking for it (按季度, 长期实施); ``units`` the plan names a
    check-in belongs to when its clause names them (2-50-1: 城市管理委按季度…), empty for all.
    """

    measure: str
    id: str
    kind: ItemKind
    due: date
    start: date | None = None
    text: str = ""
    basis: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    @property
    def dated(self) -> bool:
        """A deadline, milestone or window: closed by 已完成, not by any report in a period."""
        return self.kind != "checkin"

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in the item's period (a check-in's or a window's)."""
        return (self.start or self.due) <= day <= self.due


_CLAUSE_END = re.compile(r"[，,。；;\n]")
_QUARTERS = ((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12))


def clause_units(measure: Measure, phrase: str) -> tuple[str, ...]:
    """The measure's units (plan names) that the clause carrying ``phrase`` names before it.

    A recurrence belongs to its clause: in 2-50-1 "城市管理委按季度牵头汇总…" the quarterly duty is
    区城市管理委's alone. A unit named after the phrase is whom the work is shared with (按季度与
    生态环境局共享), not who does it. Empty (everyone) when any clause with the phrase names no unit.
    """
    names = measure.lead_units + measure.co_units
    owners: list[str] = []
    for clause in _CLAUSE_END.split(measure.text):
        at = clause.find(phrase)
        if at < 0:
            continue
        before = clause[:at]
        named = [name for name in names if any(form and form in before for form in _name_forms(name))]
        if not named:
            return ()
        owners.extend(name for name in named if name not in owners)
    return tuple(owners)


def _name_forms(name: str) -> tuple[str, ...]:
    """How a text writes a unit's plan name: in full, or without its 区 / 市 prefix."""
    return (name, name.removeprefix("区"), name.removeprefix("市"))


def _month_period(year: int, month: int) -> tuple[str, date, date]:
    last = calendar.monthrange(year, month)[1]
    return f"{year}-{month:02d}", date(year, month, 1), date(year, month, last)


def recurrence_periods(recurrence: Recurrence, year: int) -> list[tuple[str, date, date]]:
    """The periods (id, first day, last day) a recurrence names in ``year``, within its months.

    按年度 is one period: the year, from the first month it covers.
    """
    covered = sorted(set(recurrence.months)) or list(range(1, 13))
    if recurrence.every == "month":
        return [_month_period(year, month) for month in covered]
    if recurrence.every == "quarter":
        periods = []
        for number, quarter in enumerate(_QUARTERS, start=1):
            months = [month for month in quarter if month in covered]
            if months:
                start = _month_period(year, months[0])[1]
                periods.append((f"{year}-Q{number}", start, _month_period(year, months[-1])[2]))
        return periods
    if recurrence.every == "year":
        return [(f"{year}", date(year, covered[0], 1), date(year, 12, 31))]
    weeks: dict[str, tuple[str, date, date]] = {}
    for month in covered:
        _, first, last = _month_period(year, month)
        day = first
        while day <= last:
            iso = day.isocalendar()
            monday = day - timedelta(days=day.weekday())
            key = f"{iso.year}-W{iso.week:02d}"
            weeks.setdefault(key, (key, monday, monday + timedelta(days=6)))
            day += timedelta(days=1)
    return list(weeks.values())


PLAN_YEARS_AROUND = 20
"""How far from the plan's year its dates may be: a plan's horizon, not a typo's."""


class Plan(_Model):
    title: str
    year: int
    issued: date
    annexes: list[Annex]
    measures: list[Measure]

    @model_validator(mode="after")
    def _dates_near_the_plan_year(self) -> Plan:
        # A year typed wrong (20233, 0203) would make every date sum overflow or never come due.
        for measure in self.measures:
            days = [measure.deadline.start, measure.deadline.due, *(m.due for m in measure.milestones)]
            for day in days:
                if day is not None and abs(day.year - self.year) > PLAN_YEARS_AROUND:
                    raise ValueError(
                        f"measure {measure.id}: {day} is more than {PLAN_YEARS_AROUND} years from "
                        f"the plan's year {self.year}"
                    )
        return self

    @model_validator(mode="after")
    def _ids_unique(self) -> Plan:
        # Everything downstream indexes measures by id: a duplicate would silently hide one.
        counts = Counter(m.id for m in self.measures)
        duplicates = sorted(measure_id for measure_id, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    def measure(self, measure_id: str) -> Measure | None:
        return self._by_id.get(measure_id)

    @cached_property
    def _by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Plan:
        """A copy whose lookups are its own: the cached indexes would otherwise come along."""
        copied = super().model_copy(update=update, deep=deep)
        for cached in ("_by_id", "_items"):
            copied.__dict__.pop(cached, None)
        return copied

    def role_word(self, annex_no: int, role: UnitRole, *, short: bool = True) -> str:
        """The annex's own word for a role (主责 / 协办, 牵头 / 责任); short by default, as views show it."""
        annex = next((a for a in self.annexes if a.no == annex_no), None)
        return (annex or Annex(no=annex_no, title="")).role_word(role, short=short)

    def items(self, measure_id: str) -> list[Item]:
        """The measure's items (``Measure.items`` in this plan's year), computed once per plan."""
        return self._items.get(measure_id, [])

    def item(self, measure_id: str, item_id: str) -> Item | None:
        return next((item for item in self.items(measure_id) if item.id == item_id), None)

    @cached_property
    def _items(self) -> dict[str, list[Item]]:
        return {m.id: m.items(self.year, self.issued) for m in self.measures}

    def to_json(self) -> str:
        """Deterministic serialization: UTF-8 text, no ASCII escapes, field order as declared."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


class Status(StrEnum):
    """What a unit reports about a measure. The values are what users type and see."""

    DONE = "已完成"
    IN_PROGRESS = "进行中"
    NOT_STARTED = "未开始"
    BLOCKED = "受阻"


ProgressSource = Literal["button", "reply", "command", "text", "evidence", "cli"]
"""How a report came: a digest button, a reply to the bot, /report, plain text in a private chat,
a photo or file, or the operator's CLI."""


class ProgressEntry(_Model):
    """One progress report, as stored. ``seq`` is assigned by the store and increases."""

    seq: int
    measure: str
    unit: str
    item: str | None = None
    """The item reported on (``Item.id``); None for a report on the measure as a whole, which is
    what every report was before items: for a dated measure all its dated items, for a standing
    duty the check-in period it falls in."""
    status: Status
    percent: int | None = None
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    at: datetime
    user_id: int | None = None
    user_name: str = ""
    chat_id: int | None = None
    source: ProgressSource = "command"
