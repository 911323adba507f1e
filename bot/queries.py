"""The leader views as data: overdue, upcoming, my tasks, summary and one measure's status.

Each view is computed here once; the chat handlers and the CLI only render what these return.
Pure: the day comes in as ``today`` and progress as a mapping of latest entries, so the same
snapshot can be rendered for chat, for text and for JSON.

Two rules shape every view (issue 9: the item is the unit of tracking):

* a deadline or milestone is overdue from the day after it is due until the day the item is
  complete (``bot.assignments.ItemProgress`` as of today), whatever the measure's other items;
  a window is never overdue, and a check-in period never is either;
* an item is listed for each responsible unit (lead or co, groups expanded) that has not itself
  done it; a plan name nobody is assigned to yet (an open group) is listed under the group's
  canonical label, so no item silently disappears from a leader's view, and that label can be
  asked for like a unit.

Labels that reach users (附件N, 合计, separators) come from ``bot.texts``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

from bot import texts
from bot.assignments import ItemProgress, Light, UnitRole, is_done, lead_units, status_light, unit_roles
from bot.directory import Directory
from bot.models import Item, Measure, Plan, ProgressEntry, Status
from bot.numerals import CHINESE_NUMERAL, number
from bot.progress import MEASURE_ID, normalize_measure_id
from bot.store import Acknowledgement, Binding, ItemKey, Store
from bot.supervision import Chase, Extension, MonthlyRequest, Review, Supervision
from bot.workflow import supervision
from schedules.calendar import WorkCalendar

LatestMap = Mapping[ItemKey, ProgressEntry]
History = Callable[[str], list[ProgressEntry]]
Acknowledged = Callable[[str], list[Acknowledgement]]
"""A measure's 签收 records, earliest first (``Store.acknowledgements``)."""

DEFAULT_UPCOMING_DAYS = 14
MAX_UPCOMING_DAYS = 366
STATUS_HISTORY_LENGTH = 3
_LIGHT_RANK: dict[Light, int] = {"🟢": 0, "🟡": 1, "🔴": 2}


# --- the plan, indexed once -------------------------------------------------------------------


@dataclass(frozen=True)
class Responsible:
    """One row of responsibility for a measure.

    ``assigned`` is False for a plan name that expands to no unit (an open group such as
    相关街道乡镇 that no operator has filled in): nobody can report for it, but its items still
    have to show up somewhere. ``unit`` is then the group's canonical label (相关乡镇, where the
    plan wrote 相关乡镇政府), so the row matches what a user types to ask for it.
    """

    unit: str
    role: UnitRole
    assigned: bool = True


class PlanIndex:
    """Everything the views look up per measure, computed once per (plan, directory)."""

    def __init__(self, plan: Plan, directory: Directory) -> None:
        self.plan = plan
        self.directory = directory
        self.position: dict[str, int] = {m.id: i for i, m in enumerate(plan.measures)}
        self.all_items: dict[str, list[Item]] = {m.id: plan.items(m.id) for m in plan.measures}
        # What can fall due and be overdue: deadlines and milestones (a window ends, a period passes).
        self.items: dict[str, list[Item]] = {
            m.id: [item for item in self.all_items[m.id] if item.kind in ("deadline", "milestone")]
            for m in plan.measures
        }
        self.responsible: dict[str, list[Responsible]] = {
            m.id: _responsible(m, directory) for m in plan.measures
        }
        self.leads: dict[str, list[str]] = {m.id: lead_units(m, directory) for m in plan.measures}
        self.leaders: dict[str, list[str]] = {
            m.id: [_leader_name(directory, name) for name in m.leaders] for m in plan.measures
        }
        # Keyed by unit, and by open-group label for the rows nobody is assigned to yet.
        self.by_unit: dict[str, list[Measure]] = {}
        self.by_leader: dict[str, list[Measure]] = {}
        for measure in plan.measures:
            for row in self.responsible[measure.id]:
                self.by_unit.setdefault(row.unit, []).append(measure)
            for leader in self.leaders[measure.id]:
                self.by_leader.setdefault(leader, []).append(measure)
        self.unit_position: dict[str, int] = {u.name: i for i, u in enumerate(directory.units)}
        self.annex_titles: dict[int, str] = {a.no: a.title for a in plan.annexes}
        self.role_words: dict[tuple[int, UnitRole], str] = {
            (measure.annex, row.role): plan.role_word(measure.annex, row.role)
            for measure in plan.measures
            for row in self.responsible[measure.id]
        }
        """The annex's word for each role (``Plan.role_word``), as the views show it."""

    def measures_in(self, scope: Scope) -> list[Measure]:
        """The measures a scope covers, in plan order."""
        if scope.units is not None:
            found: dict[str, Measure] = {}
            for unit in scope.units:
                for measure in self.by_unit.get(unit, ()):
                    found[measure.id] = measure
            candidates: Iterable[Measure] = sorted(found.values(), key=lambda m: self.position[m.id])
        elif scope.leader is not None:
            candidates = self.by_leader.get(scope.leader, ())
        else:
            candidates = self.plan.measures
        return [
            m
            for m in candidates
            if (scope.annex is None or m.annex == scope.annex)
            and (scope.leader is None or scope.leader in self.leaders[m.id])
        ]

    def rows_in(self, measure: Measure, scope: Scope) -> list[Responsible]:
        rows = self.responsible[measure.id]
        if scope.units is None:
            return rows
        return [row for row in rows if row.unit in scope.units]

    def unit_sort_key(self, unit: str) -> tuple[int, str]:
        return (self.unit_position.get(unit, len(self.unit_position)), unit)


def _responsible(measure: Measure, directory: Directory) -> list[Responsible]:
    rows = [Responsible(unit, role) for unit, role in unit_roles(measure, directory).items()]
    listed = {row.unit for row in rows}
    for role, names in (("lead", measure.lead_units), ("co", measure.co_units)):
        for name in names:
            label = directory.resolve(name) or name
            if not directory.expand(name) and label not in listed:
                rows.append(Responsible(label, role, assigned=False))  # type: ignore[arg-type]
                listed.add(label)
    return rows


def _leader_name(directory: Directory, name: str) -> str:
    return directory.resolve_leader(name) or "".join(name.split())


# One process-wide cache, shared by the bot, the CLI and every test in a run. That is safe
# because an entry can only ever answer for the very objects it was built from: it is keyed by
# identity, plans and directories are frozen, and the entry holds the objects themselves, so
# their ids cannot be reused by another plan while the entry exists. The bot uses one pair for
# its whole life; tests build many, hence the bound.
_INDEXES: dict[tuple[int, int], tuple[Plan, Directory, PlanIndex]] = {}
_INDEXES_KEPT = 8


def unit_groups(directory: Directory) -> dict[str, list[str]]:
    """Each group label with its units, so many units can be counted by the group they make up
    (各街道乡镇 22 个)."""
    return {group.label: directory.expand(group.label) for group in directory.groups}


def index_for(plan: Plan, directory: Directory) -> PlanIndex:
    """The index of this plan and directory, built on first use and then reused."""
    key = (id(plan), id(directory))
    cached = _INDEXES.get(key)
    if cached is None:
        if len(_INDEXES) >= _INDEXES_KEPT:
            _INDEXES.clear()
        cached = (plan, directory, PlanIndex(plan, directory))
        _INDEXES[key] = cached
    return cached[2]


# --- progress as of a day ---------------------------------------------------------------------


def latest_as_of(store: Store, today: date) -> LatestMap:
    """Each (measure, unit, item)'s latest report dated on or before ``today``: the store's
    read-only view (``Store.latest_items_as_of``), not a copy; a past day looks further back,
    by bisection, only for the items reported on since.

    The latest-status rule (README): the report with the latest date and time on or before the
    day asked about, the one recorded last among equals. A report dated after that day waits for
    its day, so no single record, however far ahead it is dated, freezes a status.
    """
    return store.latest_items_as_of(today)


# The official calendar is fixed data: every snapshot reads one, so what it has worked out (each
# day, the running workday totals) is kept across requests instead of redone for each view.
_CALENDAR = WorkCalendar()


@dataclass
class Snapshot:
    """The plan and everyone's progress as they stand on ``today``."""

    index: PlanIndex
    latest: LatestMap
    """The latest report per (measure, unit, item) as of ``today`` (``latest_as_of``)."""
    today: date
    calendar: WorkCalendar = field(default_factory=lambda: _CALENDAR)
    _complete: dict[str, bool] = field(default_factory=dict, repr=False)
    _progress: ItemProgress | None = field(default=None, repr=False)
    _late: dict[date, int] = field(default_factory=dict, repr=False)
    supervision: Supervision = field(default_factory=Supervision)
    """The supervision loop's records (issue 10), already applied to ``index`` and ``latest``;
    extensions move one unit's due date, so the views ask ``due_for``."""

    @classmethod
    def take(cls, plan: Plan, directory: Directory, store: Store, today: date) -> Snapshot:
        """The views' snapshot: the plan with /setdue dates and /assign units, reports with
        completion reviews applied, extensions at hand."""
        state = supervision(store)
        plan = state.plan(plan)
        latest = state.reviewed(latest_as_of(store, today), today, plan)
        return cls(index_for(plan, directory), latest, today, supervision=state)

    def owed_item(self, item: Item, unit: str) -> Item:
        """The item as ``unit`` owes it today: with its extended due date, if one is in force."""
        return self.supervision.for_unit(item, unit, self.today)

    @property
    def plan(self) -> Plan:
        return self.index.plan

    def complete(self, measure: Measure) -> bool:
        """``bot.assignments.is_complete``, with the measure's lead units looked up once per plan.

        The views ask this for every measure on every request; expanding groups each time was
        most of /overdue's cost. A test checks both give the same answer on the real plan.
        """
        found = self._complete.get(measure.id)
        if found is None:
            found = self.progress.measure_complete(
                measure, self.index.all_items[measure.id], self.index.leads[measure.id], self.today
            )
            self._complete[measure.id] = found
        return found

    @property
    def progress(self) -> ItemProgress:
        """The closing rules over this snapshot's reports."""
        if self._progress is None:
            self._progress = ItemProgress(self.latest.values())
        return self._progress

    def item_complete(self, measure: Measure, item: Item) -> bool:
        return self.progress.item_complete(measure, item, self.index.leads[measure.id], self.today)

    def unit_done(self, measure: Measure, item: Item, unit: str) -> bool:
        return self.progress.unit_done(measure, item, unit, self.today)

    def entry(self, measure: Measure, unit: str) -> ProgressEntry | None:
        """The unit's latest report on the measure, whatever its item."""
        return self.progress.latest(measure.id, unit)

    def workdays_late(self, due: date) -> int:
        """Workdays after ``due`` up to and including today (the due day itself is not late)."""
        late = self._late.get(due)
        if late is None:  # a whole-plan view asks for the same few hundred due days again and again
            late = self._late[due] = self.calendar.workdays_late(due, self.today)
        return late

    def last_update(self, entry: ProgressEntry | None) -> date:
        return entry.at.date() if entry is not None else self.plan.issued


# --- scope: which measures and units a view covers ----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which measures a view covers. Set fields all apply (an intersection); none set means all.

    ``label`` names the scope for headers (a unit, a leader, 附件2, 全部).
    """

    units: frozenset[str] | None = None
    leader: str | None = None
    annex: int | None = None
    label: str = ""

    @property
    def is_everything(self) -> bool:
        return self.units is None and self.leader is None and self.annex is None

    def narrow(self, other: Scope) -> Scope | None:
        """Both scopes at once, or None when they contradict each other (nothing in common)."""
        units = self.units
        if other.units is not None:
            units = other.units if units is None else units & other.units
            if not units:
                return None
        if self.leader is not None and other.leader is not None and self.leader != other.leader:
            return None
        if self.annex is not None and other.annex is not None and self.annex != other.annex:
            return None
        labels = [label for label in (self.label, other.label) if label]
        return Scope(
            units=units,
            leader=self.leader or other.leader,
            annex=self.annex if self.annex is not None else other.annex,
            label=texts.LV_SCOPE_SEPARATOR.join(dict.fromkeys(labels)),
        )


class ScopeError(ValueError):
    """A name that is no unit, leader or annex; ``suggestions`` are close names, best first."""

    def __init__(self, text: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(f"unknown unit, leader or annex: {text!r}")
        self.text = text
        self.suggestions = list(suggestions)


EVERYTHING_WORDS = frozenset({"全部", "所有", "all"})
_ANNEX = re.compile(rf"^(附件|annex)?\s*([0-9]+|{CHINESE_NUMERAL})$", re.IGNORECASE)


def scope_everything(label: str) -> Scope:
    return Scope(label=label)


def unit_scope(directory: Directory, name: str) -> Scope:
    """A unit, alias or group label; raises ScopeError with suggestions otherwise.

    A group stands for its members. An open group nobody has filled in stands for itself: the
    views list its measures under its label (see ``Responsible``), and that is what it scopes.
    """
    canonical = directory.resolve(name)
    if canonical is None:
        raise ScopeError(name, directory.suggest(name))
    members = directory.expand(canonical) or [canonical]
    return Scope(units=frozenset(members), label=canonical)


def leader_scope(directory: Directory, name: str) -> Scope:
    leader = directory.resolve_leader(name)
    if leader is None:
        raise ScopeError(name, directory.suggest_leader(name))
    return Scope(leader=leader, label=leader)


def annex_number(text: str, *, bare: bool = False) -> int | None:
    """N from 附件N, 附件 N, 附件二, annex N or, with ``bare``, a plain N (full-width ２, 二 too); else None.

    Chat needs the word (a bare number after /overdue says nothing); ``--annex`` already does.
    """
    found = _ANNEX.match(unicodedata.normalize("NFKC", text).strip())
    if found is None or (found.group(1) is None and not bare):
        return None
    return number(found.group(2))


def annex_label(number: int) -> str:
    return texts.LV_ANNEX.format(no=number)


def annex_scope(plan: Plan, number: int) -> Scope:
    titles = {a.no for a in plan.annexes}
    if number not in titles:
        raise ScopeError(annex_label(number), [annex_label(a.no) for a in plan.annexes])
    return Scope(annex=number, label=annex_label(number))


def parse_scope(plan: Plan, directory: Directory, text: str, everything_label: str) -> Scope:
    """What a user typed after a view command: 附件N, 全部, a leader, or a unit (alias, group)."""
    text = text.strip()
    if text.lower() in EVERYTHING_WORDS:
        return scope_everything(everything_label)
    annex = annex_number(text)
    if annex is not None:
        return annex_scope(plan, annex)
    if directory.resolve_leader(text) is not None:
        return leader_scope(directory, text)
    try:
        return unit_scope(directory, text)
    except ScopeError as exc:
        raise ScopeError(text, [*exc.suggestions, *directory.suggest_leader(text, limit=1)]) from None


@dataclass(frozen=True)
class Refusal:
    """Why a chat may not see what it asked for. ``reason`` picks the message in bot/texts.py."""

    reason: Literal["unbound", "outside"]
    allowed: str = ""


def chat_scope(
    binding: Binding | None, is_admin: bool, requested: Scope | None, everything_label: str
) -> Scope | Refusal:
    """The scope a chat gets, the one place that decides who may see what.

    Without an argument a leader's chat sees that leader's measures and a unit's chat its units;
    an admin elsewhere sees everything. An argument narrows that default; only admins may look
    beyond it.
    """
    default: Scope | None = None
    if binding is not None and binding.leader:
        default = Scope(leader=binding.leader, label=binding.leader)
    elif binding is not None and binding.units:
        default = Scope(units=frozenset(binding.units), label=texts.LIST_SEPARATOR.join(binding.units))
    if is_admin:
        if requested is not None:
            return requested
        return default or scope_everything(everything_label)
    if default is None:
        return Refusal("unbound")
    if requested is None:
        return default
    if requested.is_everything:
        return Refusal("outside", default.label)
    narrowed = default.narrow(requested)
    return narrowed if narrowed is not None else Refusal("outside", default.label)


# --- dated items per unit: overdue, upcoming, my tasks -----------------------------------------


@dataclass(frozen=True)
class UnitItem:
    """One measure as it stands for one responsible unit, at one dated item (None: undated)."""

    measure: Measure
    unit: str
    role: UnitRole
    assigned: bool
    item: Item | None
    entry: ProgressEntry | None
    today: date
    light: Light
    workdays_overdue: int = 0
    """Of ``days_overdue``, the workdays (holidays inside an overdue span do not count)."""
    role_word: str = ""
    """The annex's own word for the role (主责 / 协办, 牵头 / 责任)."""

    @property
    def days_overdue(self) -> int:
        return (self.today - self.item.due).days if self.item is not None else 0

    @property
    def days_left(self) -> int:
        return (self.item.due - self.today).days if self.item is not None else 0

    def to_json(self) -> dict[str, Any]:
        entry = self.entry
        return {
            "measure": self.measure.id,
            "title": self.measure.title,
            "role": self.role,
            "item": self.item.id if self.item is not None else None,
            "kind": self.item.kind if self.item is not None else None,
            "due": self.item.due.isoformat() if self.item is not None else None,
            "days_overdue": max(self.days_overdue, 0),
            "workdays_overdue": self.workdays_overdue,
            "days_left": max(self.days_left, 0),
            "light": self.light,
            "status": entry.status.value if entry is not None else None,
            "percent": entry.percent if entry is not None else None,
            "updated": entry.at.date().isoformat() if entry is not None else None,
        }


@dataclass(frozen=True)
class UnitGroup:
    unit: str
    items: list[UnitItem]
    assigned: bool = True

    @property
    def lead_items(self) -> int:
        """Items (项) this unit owes as a lead unit: each dated item counts, so a measure with an
        overdue milestone and an overdue deadline is two, as in the header's count."""
        return sum(1 for item in self.items if item.role == "lead")

    @property
    def co_items(self) -> int:
        return sum(1 for item in self.items if item.role == "co")

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "role": "lead" if self.lead_items else "co",
            "assigned": self.assigned,
            "items": [item.to_json() for item in self.items],
        }


ListKind = Literal["overdue", "upcoming", "mytasks"]


@dataclass(frozen=True)
class UnitReport:
    """A per-unit list (overdue, upcoming or my tasks) with its counts."""

    kind: ListKind
    today: date
    scope: Scope
    groups: list[UnitGroup]
    days: int = 0

    @property
    def item_count(self) -> int:
        """Distinct items (项): a dated item of a measure (its deadline or a milestone) counts once
        however many units owe it; in a one-unit view this is the sum of the unit's line."""
        return len({(i.measure.id, i.item.due if i.item else None) for g in self.groups for i in g.items})

    @property
    def measure_count(self) -> int:
        return len({i.measure.id for g in self.groups for i in g.items})

    @property
    def unit_count(self) -> int:
        return len(self.groups)

    def to_json(self) -> list[dict[str, Any]]:
        return [group.to_json() for group in self.groups]


@dataclass(frozen=True)
class LateItem:
    """An overdue item with every assigned unit that owes it: what one 催办 button chases."""

    measure: Measure
    item: Item
    units: list[tuple[str, int]]
    """(unit, days overdue), in the report's unit order."""


def late_items(report: UnitReport) -> list[LateItem]:
    """The overdue report's items, each once with its late units, most late units first, then by
    due date (``/overdue``'s 催办 per item)."""
    found: dict[tuple[str, str], LateItem] = {}
    for group in report.groups:
        if not group.assigned:
            continue
        for row in group.items:
            if row.item is None:
                continue
            late = found.setdefault((row.measure.id, row.item.id), LateItem(row.measure, row.item, []))
            late.units.append((group.unit, row.days_overdue))
    return sorted(found.values(), key=lambda late: (-len(late.units), late.item.due, late.measure.id))


def overdue(snapshot: Snapshot, scope: Scope) -> UnitReport:
    """Every dated item past due on a measure that is not complete, per unit still owing it."""
    today = snapshot.today
    return _unit_report(
        "overdue",
        snapshot,
        scope,
        lambda measure: [item for item in snapshot.index.items[measure.id] if item.due < today],
        lambda item: item.due < today,
    )


def upcoming(snapshot: Snapshot, scope: Scope, days: int = DEFAULT_UPCOMING_DAYS) -> UnitReport:
    """Dated items due from today through ``days`` days ahead, on measures not complete."""
    if not 0 <= days <= MAX_UPCOMING_DAYS:
        raise ValueError(f"days must be between 0 and {MAX_UPCOMING_DAYS}, not {days}")
    today = snapshot.today
    last = today + timedelta(days=days)
    report = _unit_report(
        "upcoming",
        snapshot,
        scope,
        lambda measure: [item for item in snapshot.index.items[measure.id] if today <= item.due <= last],
        lambda item: today <= item.due <= last,
    )
    return replace(report, days=days)


def my_tasks(snapshot: Snapshot, scope: Scope) -> UnitReport:
    """Each open measure once per unit owing it, at its most pressing item, most urgent first.

    The most pressing item is the earliest overdue one, else the next dated one, else (ongoing
    work) none; each unit's list runs by that item's due date (overdue first, undated last).
    """
    today = snapshot.today

    def pressing(measure: Measure) -> list[Item | None]:
        # Every candidate, most pressing first: each unit gets the first it still owes.
        items = snapshot.index.items[measure.id]
        past = [item for item in items if item.due < today]
        ahead = [item for item in items if item.due >= today]
        ongoing: list[Item | None] = [None] if measure.deadline.kind == "ongoing" or not items else []
        return [*past, *ahead, *ongoing]

    return _unit_report("mytasks", snapshot, scope, pressing)


def _unit_report(
    kind: ListKind,
    snapshot: Snapshot,
    scope: Scope,
    select: Callable[[Measure], Sequence[Item | None]],
    wanted: Callable[[Item], bool] = lambda item: True,
) -> UnitReport:
    """``select`` picks a measure's items for the view; where an extension moved a unit's due
    date, the unit's items are picked again with their own dates by ``wanted``."""
    index = snapshot.index
    by_unit: dict[str, list[UnitItem]] = {}
    assigned: dict[str, bool] = {}
    today = snapshot.today
    for measure in index.measures_in(scope):
        if snapshot.complete(measure):
            continue
        items = [
            item for item in select(measure) if item is None or not snapshot.item_complete(measure, item)
        ]
        moved = snapshot.supervision.has_moves(measure.id)
        if not items and not moved:
            continue
        for row in index.rows_in(measure, scope):
            entry = snapshot.entry(measure, row.unit) if row.assigned else None
            candidates = items
            if moved and row.assigned:
                own = [
                    snapshot.owed_item(item, row.unit)
                    for item in index.items[measure.id]
                    if not snapshot.item_complete(measure, item)
                ]
                undated = [item for item in items if item is None]
                candidates = [*sorted((i for i in own if wanted(i)), key=lambda i: i.due), *undated]
            # A unit that has done its part of an item is not listed while the item waits on others.
            owed = [
                item
                for item in candidates
                if not row.assigned or item is None or not snapshot.unit_done(measure, item, row.unit)
            ]
            if kind == "mytasks":
                owed = owed[:1]
            if not owed:
                continue
            last = entry.at.date() if entry is not None else snapshot.plan.issued
            unit_items = by_unit.setdefault(row.unit, [])
            assigned[row.unit] = row.assigned
            for item in owed:
                light = status_light(
                    item.due if item else None,
                    today,
                    last,
                    complete=False,
                    status=entry.status if entry else None,
                )
                late = snapshot.workdays_late(item.due) if item is not None else 0
                unit_items.append(
                    UnitItem(
                        measure,
                        row.unit,
                        row.role,
                        row.assigned,
                        item,
                        entry,
                        today,
                        light,
                        late,
                        index.role_words[(measure.annex, row.role)],
                    )
                )
    far = date.max

    def most_pressing_first(item: UnitItem) -> tuple[date, bool, int]:
        # By due date, so what is overdue longest comes first and undated work last; the role
        # only breaks ties: an urgent co item is not buried under a lead unit's far-off ones.
        return (item.item.due if item.item else far, item.role != "lead", index.position[item.measure.id])

    groups = [
        UnitGroup(unit, sorted(items, key=most_pressing_first), assigned[unit])
        for unit, items in by_unit.items()
    ]
    groups.sort(key=lambda g: (g.lead_items == 0, -len(g.items), *index.unit_sort_key(g.unit)))
    return UnitReport(kind, snapshot.today, scope, groups)


# --- summary --------------------------------------------------------------------------------------

SummaryState = Literal[
    "complete", "partly_done", "in_progress", "not_started", "blocked", "period_reported", "period_missing"
]


@dataclass(frozen=True)
class SummaryRow:
    """Counts for the whole scope, an annex or a unit.

    complete + partly_done + in_progress + not_started + blocked + period_reported +
    period_missing = total; ``overdue`` counts the open measures among them with an item past
    due. A standing duty (长期实施) is never complete in the plan year: it counts in its own
    columns, 本期已报送 (``period_reported``: every lead unit, or in a unit's row the unit, has
    reported in the current check-in period) or 本期未报送 (``period_missing``). The total and
    annex rows count measures as a whole; a unit's row counts that unit's own state on each of
    its measures, so it is never partly done, except that a complete measure counts as complete for every unit
    of it (its co units have nothing left to do). ``assigned`` is False for an open group's
    row (nobody to report).
    """

    label: str
    total: int = 0
    complete: int = 0
    partly_done: int = 0
    in_progress: int = 0
    not_started: int = 0
    blocked: int = 0
    period_reported: int = 0
    period_missing: int = 0
    overdue: int = 0
    light: Light = "🟢"
    assigned: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "total": self.total,
            "complete": self.complete,
            "partly_done": self.partly_done,
            "in_progress": self.in_progress,
            "not_started": self.not_started,
            "blocked": self.blocked,
            "period_reported": self.period_reported,
            "period_missing": self.period_missing,
            "overdue": self.overdue,
            "light": self.light,
            "assigned": self.assigned,
        }


@dataclass(frozen=True)
class Summary:
    today: date
    scope: Scope
    total: SummaryRow
    annexes: list[SummaryRow]
    units: list[SummaryRow]

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.today.isoformat(),
            "scope": self.scope.label,
            "total": self.total.to_json(),
            "annexes": [row.to_json() for row in self.annexes],
            "units": [row.to_json() for row in self.units],
        }


class _Tally:
    def __init__(self, label: str, assigned: bool = True) -> None:
        self.label = label
        self.assigned = assigned
        self.counts: dict[SummaryState, int] = {
            "complete": 0,
            "partly_done": 0,
            "in_progress": 0,
            "not_started": 0,
            "blocked": 0,
            "period_reported": 0,
            "period_missing": 0,
        }
        self.total = 0
        self.overdue = 0
        self.light: Light = "🟢"

    def add(self, state: SummaryState, overdue: bool, light: Light) -> None:
        self.total += 1
        self.counts[state] += 1
        self.overdue += overdue
        if _LIGHT_RANK[light] > _LIGHT_RANK[self.light]:
            self.light = light

    def row(self) -> SummaryRow:
        return SummaryRow(
            self.label,
            self.total,
            overdue=self.overdue,
            light=self.light,
            assigned=self.assigned,
            **self.counts,
        )


def measure_state(statuses: set[Status], complete: bool) -> SummaryState:
    """A measure as a whole, from its responsible units' latest statuses.

    Blocked if anyone is blocked, in progress if anyone reported 进行中, partly done if some
    unit reported 已完成 but not every lead unit has (and nobody is working on the rest as far
    as anyone reported), not started otherwise.
    """
    if complete:
        return "complete"
    if Status.BLOCKED in statuses:
        return "blocked"
    if Status.IN_PROGRESS in statuses:
        return "in_progress"
    if Status.DONE in statuses:
        return "partly_done"
    return "not_started"


def summary(snapshot: Snapshot, scope: Scope) -> Summary:
    """Per annex (measures as a whole) and per unit (each unit's own report) for the scope.

    A measure's state is ``measure_state`` of its units' latest reports; a unit's row counts
    its own status on each of its measures (已完成 counts as complete for that unit even while
    the measure waits on others), and a complete measure as complete for all its units, co
    units that never reported included: the lists no longer ask them for anything, and
    /status says so (``UnitStatus.covered``). An open group's row counts its measures as not
    started (nobody can report for it) until the measure is complete. The light is the worst
    of the measures' lights.
    """
    index = snapshot.index
    today = snapshot.today
    total = _Tally(texts.LV_SUMMARY_TOTAL)
    annexes: dict[int, _Tally] = {}
    units: dict[str, _Tally] = {}
    for measure in index.measures_in(scope):
        complete = snapshot.complete(measure)
        late_items = overdue_items(snapshot, measure)
        late = bool(late_items)
        standing = measure.deadline.kind == "ongoing"
        period = current_period(index.all_items[measure.id], today) if standing else None
        entries = [snapshot.entry(measure, row.unit) for row in index.responsible[measure.id] if row.assigned]
        if measure.deadline.kind == "ongoing":
            leads = index.leads[measure.id]
            reported = (
                period is not None
                and bool(leads)
                and all(snapshot.unit_done(measure, period, unit) for unit in leads)
            )
            state: SummaryState = "period_reported" if reported else "period_missing"
        else:
            state = measure_state({entry.status for entry in entries if entry is not None}, complete)
        last = max((snapshot.last_update(e) for e in entries), default=snapshot.plan.issued)
        light = _measure_light(
            snapshot, measure, last, complete, Status.BLOCKED if state == "blocked" else None
        )
        annex = annexes.get(measure.annex)
        if annex is None:
            title = index.annex_titles.get(measure.annex, "")
            label = texts.LV_ANNEX_TITLED.format(no=measure.annex, title=title) if title else ""
            annex = annexes[measure.annex] = _Tally(label or annex_label(measure.annex))
        annex.add(state, late, light)
        total.add(state, late, light)
        for row in index.rows_in(measure, scope):
            entry = snapshot.entry(measure, row.unit) if row.assigned else None
            owes_late = any(
                not row.assigned
                or (
                    not snapshot.unit_done(measure, i, row.unit)
                    and snapshot.owed_item(i, row.unit).due < today
                )
                for i in late_items
            )
            if measure.deadline.kind == "ongoing":
                own = row.assigned and period is not None and snapshot.unit_done(measure, period, row.unit)
                unit_state: SummaryState = "period_reported" if own else "period_missing"
                done = False
            else:
                done = complete or is_done(entry, today)
                unit_state = "complete" if done else _unit_state(entry)
            unit_light = _measure_light(
                snapshot, measure, snapshot.last_update(entry), done, entry.status if entry else None
            )
            tally = units.setdefault(row.unit, _Tally(row.unit, row.assigned))
            tally.add(unit_state, owes_late and not done, unit_light)
    unit_rows = sorted(units.values(), key=lambda t: (-t.overdue, *index.unit_sort_key(t.label)))
    return Summary(
        today,
        scope,
        total.row(),
        [annexes[no].row() for no in sorted(annexes)],
        [tally.row() for tally in unit_rows],
    )


def overdue_items(snapshot: Snapshot, measure: Measure) -> list[Item]:
    """The measure's deadlines and milestones past due and not complete, oldest first."""
    return [
        item
        for item in snapshot.index.items[measure.id]
        if item.due < snapshot.today and not snapshot.item_complete(measure, item)
    ]


def current_period(items: Sequence[Item], today: date) -> Item | None:
    """The check-in period ``today`` falls in (the shortest, when a month and a quarter both do)."""
    periods = [item for item in items if item.kind == "checkin" and item.covers(today)]
    return min(periods, key=lambda item: (item.due - (item.start or item.due), item.id), default=None)


def _unit_state(entry: ProgressEntry | None) -> SummaryState:
    if entry is None or entry.status is Status.NOT_STARTED:
        return "not_started"
    if entry.status is Status.BLOCKED:
        return "blocked"
    return "in_progress"


def _measure_light(
    snapshot: Snapshot, measure: Measure, last_update: date, complete: bool, status: Status | None
) -> Light:
    """The light of the measure's most pressing item: its first open one past due or next ahead."""
    items = snapshot.index.items[measure.id]
    past = overdue_items(snapshot, measure)
    ahead = [
        item for item in items if item.due >= snapshot.today and not snapshot.item_complete(measure, item)
    ]
    item = past[0] if past else (ahead[0] if ahead else None)
    due = item.due if item is not None else None
    return status_light(due, snapshot.today, last_update, complete=complete, status=status)


# --- one measure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStatus:
    """One unit on one measure. ``done``: its own report says 已完成, or the measure is complete;
    ``covered``: done only because the measure is complete (a co unit with nothing left to do),
    which is how /summary counts it. ``evidence`` is every file the unit sent, oldest first, and
    ``evidence_last`` the day of the latest."""

    unit: str
    role: UnitRole
    assigned: bool
    latest: ProgressEntry | None
    recent: list[ProgressEntry]
    evidence: list[str]
    light: Light
    done: bool = False
    covered: bool = False
    evidence_last: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "role": self.role,
            "assigned": self.assigned,
            "done": self.done,
            "covered": self.covered,
            "light": self.light,
            "latest": _entry_json(self.latest),
            "recent": [_entry_json(e) for e in self.recent],
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class UnitOnItem:
    """One unit on one item: whether it has done it (a check-in: reported in the period), and the
    report that says so (or its latest on the item)."""

    unit: str
    role: UnitRole
    assigned: bool
    done: bool
    entry: ProgressEntry | None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "role": self.role,
            "assigned": self.assigned,
            "done": self.done,
            "status": self.entry.status.value if self.entry is not None else None,
            "at": self.entry.at.date().isoformat() if self.entry is not None else None,
        }


@dataclass(frozen=True)
class ItemStatus:
    """One item of a measure as it stands: complete (every lead unit did it), overdue (days and
    workdays), and each unit it asks of."""

    item: Item
    complete: bool
    days_overdue: int
    workdays_overdue: int
    units: list[UnitOnItem]

    def to_json(self) -> dict[str, Any]:
        item = self.item
        return {
            "item": item.id,
            "kind": item.kind,
            "due": item.due.isoformat(),
            "start": item.start.isoformat() if item.start is not None else None,
            "text": item.text,
            "basis": list(item.basis),
            "complete": self.complete,
            "days_overdue": self.days_overdue,
            "workdays_overdue": self.workdays_overdue,
            "units": [unit.to_json() for unit in self.units],
        }


@dataclass(frozen=True)
class MeasureStatus:
    today: date
    measure: Measure
    annex_title: str
    leaders: list[str]
    complete: bool
    overdue_items: list[Item]
    next_item: Item | None
    units: list[UnitStatus]
    items: list[ItemStatus] = field(default_factory=list)
    """The dated items, then the check-in periods begun by today (the current one last)."""
    role_words: dict[str, str] = field(default_factory=dict)
    """The annex's own words for the roles: 主责 / 协办, or 牵头 / 责任."""
    extensions: list[Extension] = field(default_factory=list)
    """The measure's extension requests and decisions (延期), up to today, oldest first."""
    reviews: list[Review] = field(default_factory=list)
    """Its completion reviews (办结审核) of claims made by today."""
    chases: list[Chase] = field(default_factory=list)
    """Its 催办 up to today."""
    monthly: list[MonthlyRequest] = field(default_factory=list)
    """The 月调度 that asked about it, up to today."""
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    """签收 of the measure's reminders up to today, earliest first."""

    def to_json(self) -> dict[str, Any]:
        m = self.measure
        return {
            "date": self.today.isoformat(),
            "measure": m.id,
            "annex": m.annex,
            "annex_title": self.annex_title,
            "section": m.section,
            "task": m.task,
            "text": m.text,
            "deadline": m.deadline.model_dump(mode="json"),
            "milestones": [ms.model_dump(mode="json") for ms in m.milestones],
            "recurrences": [r.model_dump(mode="json") for r in m.recurrences],
            "leaders": self.leaders,
            "complete": self.complete,
            "overdue": [_item_json(item) for item in self.overdue_items],
            "next": _item_json(self.next_item) if self.next_item is not None else None,
            "units": [u.to_json() for u in self.units],
            "items": [i.to_json() for i in self.items],
            "role_words": self.role_words,
            "extensions": [e.to_json() for e in self.extensions],
            "reviews": [r.to_json() for r in self.reviews],
            "chases": [c.model_dump(mode="json") for c in self.chases],
            "monthly": [r.to_json() for r in self.monthly],
            "acknowledgements": [ack.model_dump(mode="json") for ack in self.acknowledgements],
        }


def _item_json(item: Item) -> dict[str, Any]:
    return {"item": item.id, "due": item.due.isoformat(), "kind": item.kind, "text": item.text}


def _entry_json(entry: ProgressEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "status": entry.status.value,
        "percent": entry.percent,
        "note": entry.note,
        "evidence": entry.evidence,
        "at": entry.at.isoformat(),
        "user_name": entry.user_name,
        "source": entry.source,
    }


class UnknownMeasure(LookupError):
    """No measure has this ID. ``same_task`` lists the measures of the annex and task the ID
    names (2-63-9 → 2-63-1, 2-63-2), empty when there are none or the ID is malformed."""

    def __init__(self, measure_id: str, same_task: Sequence[str] = ()) -> None:
        super().__init__(f"no measure {measure_id!r}")
        self.measure_id = measure_id
        self.same_task = list(same_task)


def find_measure(plan: Plan, measure_id: str) -> Measure:
    """The measure with this ID, read as /report reads IDs (``bot.progress.normalize_measure_id``:
    ２－６３－１ is 2-63-1); UnknownMeasure otherwise."""
    cleaned = normalize_measure_id(measure_id)
    measure = plan.measure(cleaned)
    if measure is not None:
        return measure
    same_task: list[str] = []
    if MEASURE_ID.fullmatch(cleaned):
        annex, task_no, _ = (int(part) for part in cleaned.split("-"))
        same_task = [m.id for m in plan.measures if (m.annex, m.task_no) == (annex, task_no)]
    raise UnknownMeasure(cleaned or measure_id, same_task)


def measure_status(
    snapshot: Snapshot, measure_id: str, history: History, acknowledged: Acknowledged | None = None
) -> MeasureStatus:
    """A measure in full, with every responsible unit's latest status and recent history.

    ``history(measure_id)`` returns the measure's reports oldest first (``Store.history``);
    ``acknowledged`` its 签收 (``Store.acknowledgements``). What is dated after today is left
    out, as it is everywhere else.
    """
    index = snapshot.index
    measure = find_measure(index.plan, measure_id)
    today = snapshot.today
    reports = [e for e in history(measure.id) if e.at.date() <= today]
    complete = snapshot.complete(measure)
    items = index.items[measure.id]
    # The closing rules over this measure's whole history up to today (a past period's report
    # may no longer be anyone's latest), completion reviews applied.
    state = snapshot.supervision
    progress = ItemProgress(state.reviewed(dict(enumerate(reports)), today, index.plan).values())
    leads = index.leads[measure.id]
    item_states = []
    for item in index.all_items[measure.id]:
        if item.kind == "checkin" and (item.start or item.due) > today:
            continue
        belongs = {unit for name in item.units for unit in index.directory.expand(name)} or None
        rows = [row for row in index.responsible[measure.id] if belongs is None or row.unit in belongs]
        item_complete = item.dated and progress.item_complete(measure, item, leads, today)
        late = item.kind in ("deadline", "milestone") and item.due < today and not item_complete
        item_states.append(
            ItemStatus(
                item=item,
                complete=item_complete,
                days_overdue=(today - item.due).days if late else 0,
                workdays_overdue=snapshot.workdays_late(item.due) if late else 0,
                units=[
                    UnitOnItem(
                        row.unit,
                        row.role,
                        row.assigned,
                        # A complete item is done for everyone: a co unit has nothing left to do.
                        item_complete
                        or (row.assigned and progress.unit_done(measure, item, row.unit, today)),
                        progress.entry_for(measure, item, row.unit) if row.assigned else None,
                    )
                    for row in rows
                ],
            )
        )
    units = []
    for row in index.responsible[measure.id]:
        own = sorted((e for e in reports if e.unit == row.unit), key=lambda e: (e.at, e.seq))
        latest = own[-1] if own else None
        own_done = is_done(latest, today)
        with_evidence = [e for e in own if e.evidence]
        units.append(
            UnitStatus(
                unit=row.unit,
                role=row.role,
                assigned=row.assigned,
                latest=latest,
                recent=own[-STATUS_HISTORY_LENGTH:][::-1],
                evidence=[file for e in own for file in e.evidence],
                light=_measure_light(
                    snapshot,
                    measure,
                    snapshot.last_update(latest),
                    complete or own_done,
                    latest.status if latest else None,
                ),
                done=complete or own_done,
                covered=complete and not own_done,
                evidence_last=with_evidence[-1].at.date() if with_evidence else None,
            )
        )
    return MeasureStatus(
        today=today,
        measure=measure,
        annex_title=index.annex_titles.get(measure.annex, ""),
        leaders=index.leaders[measure.id],
        complete=complete,
        overdue_items=overdue_items(snapshot, measure),
        next_item=next((i for i in items if i.due >= today and not snapshot.item_complete(measure, i)), None),
        units=units,
        items=item_states,
        role_words={role: index.plan.role_word(measure.annex, role) for role in ("lead", "co")},
        extensions=[
            e for e in state.extensions if e.measure == measure.id and e.requested_at.date() <= today
        ],
        reviews=[r for r in state.reviews if r.measure == measure.id and r.claimed <= today],
        chases=[c for c in state.chases if c.measure == measure.id and c.day <= today],
        monthly=[r for r in state.monthly if r.day <= today and any(m == measure.id for m, _ in r.items)],
        acknowledgements=[
            ack for ack in (acknowledged(measure.id) if acknowledged else []) if ack.at.date() <= today
        ],
    )
