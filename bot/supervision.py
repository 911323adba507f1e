"""The supervision loop's records and what they change (issue 10, 督办流程). Pure: no store, no clock.

The loop's decisions are stored as records (``bot.store`` keeps them, ``bot.workflow`` writes
them) and read back as one ``Supervision`` snapshot, which the reminder policy and the views
apply to what the plan and the reports say:

- an approved extension (延期) moves one unit's item, or with ``unit`` None every unit's, to a
  new due date: the reminder ladder runs on it and the item is overdue only after it;
- ``/setdue`` gives a 按时间节点完成 measure its dates: each becomes a milestone item;
- ``/assign`` fills an open group (各相关单位) for one measure with named units;
- with completion review on, a 已完成 opens a review (待审核): while it waits, a claim made on
  or before the item's due date keeps the item off the overdue lists and the unit's reminders
  paused (a late claim stays overdue); 通过 makes it done as of the claim's date; 退回 reopens
  it, overdue from its original due date;
- a 催办 is recorded once per unit, item and day;
- a 月调度 (monthly progress request) is recorded once per unit and month when its digest goes
  out, with the items it asked about; ``answer`` is set when the unit pressed 均按计划推进.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Item, Measure, Milestone, Plan, ProgressEntry, Status

KeyT = TypeVar("KeyT")
ExtensionState = Literal["pending", "approved", "rejected"]
ReviewState = Literal["pending", "accepted", "returned"]
EXTENSION_STATES: tuple[ExtensionState, ...] = ("pending", "approved", "rejected")

EXTENSIONS = "extensions"
SETDUES = "setdue"
ASSIGNMENTS = "assignments"
REVIEWS = "reviews"
CHASES = "chases"
MONTHLY = "monthly"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Extension(_Record):
    """A request to move an item's due date (延期申请) and its decision. ``unit`` None: an admin's
    extension of the item for all its units (approved when made)."""

    id: int
    measure: str
    unit: str | None
    item: str
    original: date
    """The due date the request moves from (the one in force when it was made)."""
    to: date
    reason: str
    requested_at: datetime
    requested_by: str = ""
    user_id: int | None = None
    chat_id: int | None = None
    state: ExtensionState = "pending"
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "state": self.state,
            "measure": self.measure,
            "unit": self.unit,
            "item": self.item,
            "from": self.original.isoformat(),
            "to": self.to.isoformat(),
            "reason": self.reason,
            "requested_at": self.requested_at.isoformat(),
            "requested_by": self.requested_by,
            "decided_by": self.decided_by or None,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decision_reason": self.decision_reason or None,
        }


class SetDue(_Record):
    """A date given to a measure whose plan text leaves its dates to others (按时间节点完成)."""

    id: int
    measure: str
    due: date
    note: str = ""
    by: str = ""
    at: datetime


class Assignment(_Record):
    """Which units an open group (各相关单位) stands for in one measure; the latest per group wins."""

    id: int
    measure: str
    group: str
    units: list[str] = Field(default_factory=list)
    by: str = ""
    at: datetime


class Review(_Record):
    """The review of a 已完成 claim (办结审核). ``id`` is the claim's record number (``seq``)."""

    id: int
    measure: str
    unit: str
    item: str | None
    claimed: date
    state: ReviewState = "pending"
    reason: str = ""
    by: str = ""
    at: datetime | None = None
    """When it was decided."""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "measure": self.measure,
            "unit": self.unit,
            "item": self.item,
            "claimed": self.claimed.isoformat(),
            "state": self.state,
            "reason": self.reason or None,
            "by": self.by or None,
            "decided_at": self.at.isoformat() if self.at else None,
        }


class Chase(_Record):
    """A 催办: a leader or admin chased a unit on an item on a day."""

    id: int
    day: date
    measure: str
    unit: str
    item: str
    by: str = ""
    at: datetime
    chat_ids: list[int] = Field(default_factory=list)


class MonthlyRequest(_Record):
    """A 月调度: on a month's first workday the unit was asked for progress on ``items``
    ((measure, item) pairs it had not reported on for 30 days). ``answered_at`` and
    ``answered_by`` are set when the unit answered them all at once (均按计划推进)."""

    id: int
    unit: str
    month: str
    """The month asked for, ``2023-07``."""
    day: date
    """The day it was asked (the month's first workday)."""
    items: list[tuple[str, str]] = Field(default_factory=list)
    at: datetime
    answered_at: datetime | None = None
    answered_by: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "unit": self.unit,
            "month": self.month,
            "day": self.day.isoformat(),
            "items": [{"measure": measure, "item": item} for measure, item in self.items],
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "answered_by": self.answered_by or None,
        }


def month_key(day: date) -> str:
    """How a 月调度 names its month: ``2023-07``."""
    return f"{day.year:04d}-{day.month:02d}"


def claim_review(entry: ProgressEntry) -> Review | None:
    """The review a report opens when completion review is on: a 已完成 waits (待审核); others need none."""
    if entry.status is not Status.DONE:
        return None
    return Review(
        id=entry.seq, measure=entry.measure, unit=entry.unit, item=entry.item, claimed=entry.at.date()
    )


RECORD_MODELS: dict[str, type[BaseModel]] = {
    EXTENSIONS: Extension,
    SETDUES: SetDue,
    ASSIGNMENTS: Assignment,
    REVIEWS: Review,
    CHASES: Chase,
    MONTHLY: MonthlyRequest,
}
"""Each supervision table and its documents' model (the store registers them)."""


@dataclass(frozen=True)
class Supervision:
    """Every supervision record, read once; what they change in the plan, the due dates and the
    reports (see the module docstring). Empty, it changes nothing."""

    extensions: tuple[Extension, ...] = ()
    setdues: tuple[SetDue, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    reviews: tuple[Review, ...] = ()
    chases: tuple[Chase, ...] = ()
    monthly: tuple[MonthlyRequest, ...] = ()
    _moves: dict[tuple[str, str | None, str], Extension] = field(default_factory=dict, repr=False)
    _reviews: dict[int, Review] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for extension in sorted(self.extensions, key=lambda e: (e.decided_at or e.requested_at, e.id)):
            if extension.state == "approved":
                self._moves[(extension.measure, extension.unit, extension.item)] = extension
        for review in self.reviews:
            self._reviews[review.id] = review

    @property
    def empty(self) -> bool:
        return not (
            self.extensions or self.setdues or self.assignments or self.reviews or self.chases or self.monthly
        )

    # --- due dates ---
    def moved(self, measure: str, unit: str | None, item: str, as_of: date | None = None) -> Extension | None:
        """The approved extension in force for the unit's item (the unit's own, else one for all
        units); with ``as_of``, only one decided by then."""
        for key in ((measure, unit, item), (measure, None, item)):
            found = self._moves.get(key)
            if found is not None and (
                as_of is None or (found.decided_at or found.requested_at).date() <= as_of
            ):
                return found
        return None

    def due(self, item: Item, unit: str | None, as_of: date | None = None) -> date:
        """The item's due date in force for ``unit``."""
        found = self.moved(item.measure, unit, item.id, as_of) if item.dated else None
        return found.to if found is not None else item.due

    def for_unit(self, item: Item, unit: str | None, as_of: date | None = None) -> Item:
        """The item as ``unit`` owes it: with its extended due date, if one is in force."""
        due = self.due(item, unit, as_of)
        return item if due == item.due else item.model_copy(update={"due": due})

    def has_moves(self, measure: str) -> bool:
        return any(key[0] == measure for key in self._moves)

    # --- the plan ---
    def plan(self, plan: Plan) -> Plan:
        """The plan with the dates given by /setdue as milestones and open groups filled by
        /assign; the same plan when there are none."""
        if not self.setdues and not self.assignments:
            return plan
        key = (id(plan), tuple(s.id for s in self.setdues), tuple(a.id for a in self.assignments))
        cached = _OVERLAYS.get(key)
        if cached is not None and cached[0] is plan:
            return cached[1]
        changed = {measure.id: measure for measure in plan.measures}
        for setdue in sorted(self.setdues, key=lambda s: s.id):
            measure = changed.get(setdue.measure)
            if measure is None or any(m.due == setdue.due for m in measure.milestones):
                continue
            milestone = Milestone(
                raw=setdue.due.isoformat(), due=setdue.due, text=setdue.note or setdue.due.isoformat()
            )
            changed[measure.id] = measure.model_copy(
                update={"milestones": sorted([*measure.milestones, milestone], key=lambda m: m.due)}
            )
        for assignment in latest_assignments(self.assignments).values():
            measure = changed.get(assignment.measure)
            if measure is not None:
                changed[measure.id] = _assigned(measure, assignment)
        overlaid = plan.model_copy(update={"measures": [changed[m.id] for m in plan.measures]})
        if len(_OVERLAYS) >= 8:
            _OVERLAYS.clear()
        _OVERLAYS[key] = (plan, overlaid)
        return overlaid

    # --- completion review ---
    def review(self, seq: int) -> Review | None:
        return self._reviews.get(seq)

    def reviewed(
        self, latest: Mapping[KeyT, ProgressEntry], as_of: date, plan: Plan
    ) -> Mapping[KeyT, ProgressEntry]:
        """The latest reports as the closing rules should read them, reviews applied as of ``as_of``:
        a claim waiting for review counts as done only when made on or before its due date; a
        returned claim is not done (进行中, the reviewer's reason as its note). Without reviews,
        ``latest`` itself: the views read the store's read-only map, never a copy of it."""
        if not self.reviews:
            return latest
        result: dict[KeyT, ProgressEntry] = {}
        for key, entry in latest.items():
            review = self._reviews.get(entry.seq) if entry.status is Status.DONE else None
            if review is not None:
                state = review.state if review.at is None or review.at.date() <= as_of else "pending"
                if state == "returned" or (state == "pending" and self._late(plan, entry)):
                    entry = entry.model_copy(update={"status": Status.IN_PROGRESS, "note": review.reason})
            result[key] = entry
        return result

    def _late(self, plan: Plan, entry: ProgressEntry) -> bool:
        """Whether a claim came after the due date in force of what it claims (its item, or for
        a report on the whole measure its earliest dated item)."""
        items = [
            i for i in plan.items(entry.measure) if i.dated and (entry.item is None or i.id == entry.item)
        ]
        return bool(items) and entry.at.date() > min(self.due(i, entry.unit) for i in items)

    def pending_reviews(self) -> list[Review]:
        return sorted((r for r in self.reviews if r.state == "pending"), key=lambda r: r.id)

    # --- 催办 ---
    def chased(self, day: date, measure: str, unit: str, item: str) -> Chase | None:
        return next(
            (c for c in self.chases if (c.day, c.measure, c.unit, c.item) == (day, measure, unit, item)),
            None,
        )

    # --- 月调度 ---
    def monthly_request(self, unit: str, month: str) -> MonthlyRequest | None:
        """The unit's 月调度 of ``month`` (``2023-07``), if one was sent."""
        return next((r for r in self.monthly if (r.unit, r.month) == (unit, month)), None)


_OVERLAYS: dict[tuple[int, tuple[int, ...], tuple[int, ...]], tuple[Plan, Plan]] = {}
"""The last overlaid plans: views and the reminder run ask for the same overlay many times, and
each new Plan object would rebuild its indexes."""


def latest_assignments(assignments: Iterable[Assignment]) -> dict[tuple[str, str], Assignment]:
    found: dict[tuple[str, str], Assignment] = {}
    for assignment in sorted(assignments, key=lambda a: (a.at, a.id)):
        found[(assignment.measure, assignment.group)] = assignment
    return found


def _assigned(measure: Measure, assignment: Assignment) -> Measure:
    def fill(names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            for filled in assignment.units if name == assignment.group else [name]:
                if filled not in out:
                    out.append(filled)
        return out

    return measure.model_copy(
        update={"lead_units": fill(measure.lead_units), "co_units": fill(measure.co_units)}
    )
