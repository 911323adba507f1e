"""The supervision loop's actions (issue 10): each checks its input, then writes one record.

The chat and the CLI call these with the time (``at``) and who acts (``by``); who *may* act is
``bot.access``'s question, asked before. A refusal is a ``WorkflowError`` whose ``problem`` the
caller words (Chinese in the chat, English in the CLI); nothing is written then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from bot.assignments import ItemProgress, unit_roles
from bot.dates import parse_user_date
from bot.directory import Directory
from bot.models import Item, Measure, Plan, ProgressEntry
from bot.progress import ReportRefusal, check_report, find_item, normalize_measure_id
from bot.store import Store
from bot.supervision import (
    ASSIGNMENTS,
    CHASES,
    EXTENSIONS,
    REVIEWS,
    SETDUES,
    Assignment,
    Chase,
    Extension,
    ExtensionState,
    Review,
    SetDue,
    Supervision,
    claim_review,
)


class Problem(StrEnum):
    UNKNOWN_MEASURE = "unknown_measure"
    UNIT_REFUSED = "unit_refused"
    UNKNOWN_ITEM = "unknown_item"
    NO_OPEN_ITEM = "no_open_item"
    NOT_LATER = "not_later"
    NO_REASON = "no_reason"
    UNKNOWN_REQUEST = "unknown_request"
    ALREADY_DECIDED = "already_decided"
    NOT_TIMED = "not_timed"
    NO_OPEN_GROUP = "no_open_group"
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_REVIEW = "unknown_review"


@dataclass
class WorkflowError(Exception):
    """Why an action was refused; the fields the answer needs (``refusal``: the unit check's)."""

    problem: Problem
    measure: str = ""
    item: str = ""
    due: date | None = None
    items: Sequence[Item] = ()
    refusal: ReportRefusal | None = None
    names: Sequence[str] = field(default_factory=tuple)
    state: str = ""

    def __str__(self) -> str:
        return f"{self.problem.value} {self.measure} {self.item}".strip()


def supervision(store: Store) -> Supervision:
    """Every supervision record in the database, as one snapshot."""
    return Supervision(
        extensions=tuple(store.records(EXTENSIONS, Extension)),
        setdues=tuple(store.records(SETDUES, SetDue)),
        assignments=tuple(store.records(ASSIGNMENTS, Assignment)),
        reviews=tuple(store.records(REVIEWS, Review)),
        chases=tuple(store.records(CHASES, Chase)),
    )


def _measure(plan: Plan, measure_id: str) -> Measure:
    measure = plan.measure(normalize_measure_id(measure_id))
    if measure is None:
        raise WorkflowError(Problem.UNKNOWN_MEASURE, measure=measure_id)
    return measure


def _dated_item(plan: Plan, measure: Measure, typed: str | None, open_for: Sequence[Item]) -> Item:
    """The dated item named (``find_item``), or without a name the first still open."""
    dated = [item for item in plan.items(measure.id) if item.kind in ("deadline", "milestone")]
    if typed:
        item = find_item(plan, measure, typed)
        if item is None or item not in dated:
            raise WorkflowError(Problem.UNKNOWN_ITEM, measure=measure.id, item=typed, items=dated)
        return item
    if not open_for:
        raise WorkflowError(Problem.NO_OPEN_ITEM, measure=measure.id, items=dated)
    return open_for[0]


# --- 延期申请 ---


def request_extension(
    store: Store,
    plan: Plan,
    directory: Directory,
    measure_id: str,
    unit_name: str,
    to: date,
    reason: str,
    at: datetime,
    *,
    item: str | None = None,
    by: str = "",
    user_id: int | None = None,
    chat_id: int | None = None,
) -> Extension:
    """A unit's request to move one of its items to ``to`` (later than the due date in force)."""
    plan = supervision(store).plan(plan)
    target = check_report(plan, directory, measure_id, unit_name)
    if isinstance(target, ReportRefusal):
        if target.reason.value == "unknown_measure":
            raise WorkflowError(Problem.UNKNOWN_MEASURE, measure=measure_id, refusal=target)
        raise WorkflowError(Problem.UNIT_REFUSED, measure=measure_id, refusal=target)
    measure, unit = target.measure, target.unit
    state = supervision(store)
    progress = ItemProgress(state.reviewed(store.latest_items(), at.date(), plan).values())
    open_items = [
        i
        for i in plan.items(measure.id)
        if i.kind in ("deadline", "milestone") and not progress.unit_done(measure, i, unit, at.date())
    ]
    chosen = _dated_item(plan, measure, item, open_items)
    current = state.due(chosen, unit)
    if to <= current:
        raise WorkflowError(Problem.NOT_LATER, measure=measure.id, item=chosen.id, due=current)
    if not reason.strip():
        raise WorkflowError(Problem.NO_REASON, measure=measure.id, item=chosen.id, due=current)
    return store.add_record(
        EXTENSIONS,
        lambda number: Extension(
            id=number,
            measure=measure.id,
            unit=unit,
            item=chosen.id,
            original=current,
            to=to,
            reason=reason.strip(),
            requested_at=at,
            requested_by=by,
            user_id=user_id,
            chat_id=chat_id,
        ),
    )


def extension(store: Store, number: int) -> Extension:
    found = next((e for e in store.records(EXTENSIONS, Extension) if e.id == number), None)
    if found is None:
        raise WorkflowError(Problem.UNKNOWN_REQUEST, item=str(number))
    return found


def extensions(store: Store, state: ExtensionState | None = None) -> list[Extension]:
    return [e for e in store.records(EXTENSIONS, Extension) if state is None or e.state == state]


def decide_extension(
    store: Store, number: int, approve: bool, at: datetime, *, by: str = "", reason: str = ""
) -> Extension:
    """同意 / 不同意 a pending request; a decided one is refused (its decision stays)."""
    found = extension(store, number)
    if found.state != "pending":
        raise WorkflowError(
            Problem.ALREADY_DECIDED, measure=found.measure, item=found.item, state=found.state
        )
    decided = found.model_copy(
        update={
            "state": "approved" if approve else "rejected",
            "decided_by": by,
            "decided_at": at,
            "decision_reason": reason.strip(),
        }
    )
    store.replace_record(EXTENSIONS, number, decided)
    return decided


def extend_for_all(
    store: Store,
    plan: Plan,
    measure_id: str,
    item: str | None,
    to: date,
    reason: str,
    at: datetime,
    *,
    by: str = "",
) -> Extension:
    """An admin's extension of an item for every unit of the measure, in force at once."""
    plan = supervision(store).plan(plan)
    measure = _measure(plan, measure_id)
    dated = [i for i in plan.items(measure.id) if i.kind in ("deadline", "milestone")]
    chosen = _dated_item(plan, measure, item, dated)
    current = supervision(store).due(chosen, None)
    if to <= current:
        raise WorkflowError(Problem.NOT_LATER, measure=measure.id, item=chosen.id, due=current)
    return store.add_record(
        EXTENSIONS,
        lambda number: Extension(
            id=number,
            measure=measure.id,
            unit=None,
            item=chosen.id,
            original=current,
            to=to,
            reason=reason.strip(),
            requested_at=at,
            requested_by=by,
            state="approved",
            decided_by=by,
            decided_at=at,
        ),
    )


# --- dates and units the plan leaves to others ---


def set_due(
    store: Store, plan: Plan, measure_id: str, due: date, at: datetime, *, note: str = "", by: str = ""
) -> SetDue:
    """Give a 按时间节点完成 measure a date: it becomes one of its items (a milestone)."""
    measure = _measure(plan, measure_id)
    if "时间节点" not in measure.deadline.raw:
        raise WorkflowError(Problem.NOT_TIMED, measure=measure.id, state=measure.deadline.raw)
    if due.year != plan.year:
        raise WorkflowError(Problem.NOT_LATER, measure=measure.id, due=due)
    return store.add_record(
        SETDUES,
        lambda number: SetDue(id=number, measure=measure.id, due=due, note=note.strip(), by=by, at=at),
    )


def assign(
    store: Store,
    plan: Plan,
    directory: Directory,
    measure_id: str,
    names: Sequence[str],
    at: datetime,
    *,
    by: str = "",
) -> Assignment:
    """Name the units an open group (各相关单位) of the measure stands for."""
    measure = _measure(plan, measure_id)
    groups = [
        name
        for name in measure.lead_units + measure.co_units
        if (group := directory.group(name)) is not None and group.open
    ]
    if not groups:
        raise WorkflowError(Problem.NO_OPEN_GROUP, measure=measure.id)
    units: list[str] = []
    unknown: list[str] = []
    for name in names:
        unit = directory.resolve(name)
        if unit is None or directory.is_group(unit):
            unknown.append(name)
        elif unit not in units:
            units.append(unit)
    if unknown or not units:
        raise WorkflowError(Problem.UNKNOWN_UNIT, measure=measure.id, names=tuple(unknown))
    return store.add_record(
        ASSIGNMENTS,
        lambda number: Assignment(id=number, measure=measure.id, group=groups[0], units=units, by=by, at=at),
    )


# --- 办结审核 ---


def open_review(store: Store, entry: ProgressEntry) -> Review | None:
    """With completion review on, a 已完成 waits for review (待审核); other reports need none."""
    review = claim_review(entry)
    if review is not None:
        store.replace_record(REVIEWS, entry.seq, review)
    return review


def pending_reviews(store: Store) -> list[Review]:
    return supervision(store).pending_reviews()


def decide_review(
    store: Store, number: int, accept: bool, at: datetime, *, by: str = "", reason: str = ""
) -> Review:
    """通过 (done as of the claim's date) or 退回 (reopened; ``reason`` tells the unit why)."""
    found = supervision(store).review(number)
    if found is None:
        raise WorkflowError(Problem.UNKNOWN_REVIEW, item=str(number))
    if found.state != "pending":
        raise WorkflowError(
            Problem.ALREADY_DECIDED, measure=found.measure, item=str(number), state=found.state
        )
    if not accept and not reason.strip():
        raise WorkflowError(Problem.NO_REASON, measure=found.measure, item=str(number))
    decided = found.model_copy(
        update={"state": "accepted" if accept else "returned", "reason": reason.strip(), "by": by, "at": at}
    )
    store.replace_record(REVIEWS, number, decided)
    return decided


# --- 催办 ---


def chase(
    store: Store,
    day: date,
    measure: str,
    unit: str,
    item: str,
    at: datetime,
    *,
    by: str = "",
    chat_ids: Sequence[int] = (),
) -> Chase | None:
    """Record a 催办 of ``unit`` on an item; None when it was already chased that day."""
    if supervision(store).chased(day, measure, unit, item) is not None:
        return None
    return store.add_record(
        CHASES,
        lambda number: Chase(
            id=number, day=day, measure=measure, unit=unit, item=item, by=by, at=at, chat_ids=list(chat_ids)
        ),
    )


def units_of(plan: Plan, directory: Directory, measure_id: str) -> list[str]:
    measure = plan.measure(measure_id)
    return list(unit_roles(measure, directory)) if measure is not None else []


# --- what the chat types and presses ---


@dataclass(frozen=True)
class ExtensionWords:
    """``/extend ID [ITEM] 日期 理由`` read: what is there (None / "" for what is missing)."""

    measure: str
    item: str | None
    to: date | None
    reason: str


def parse_extend(plan: Plan, text: str, today: date) -> ExtensionWords | None:
    """The words of ``/extend``; None without a measure ID. An item is named before the date when
    two dates follow the ID (``/extend 3-6-4 6月底 7-31 理由``)."""
    words = text.split()
    if not words:
        return None
    measure_id = normalize_measure_id(words[0])
    rest = words[1:]
    measure = plan.measure(measure_id)
    item: str | None = None
    if measure is not None and len(rest) >= 2 and parse_user_date(rest[1], today) is not None:
        named = find_item(plan, measure, rest[0])
        if named is not None:
            item, rest = named.id, rest[1:]
    to = parse_user_date(rest[0], today) if rest else None
    reason = " ".join(rest[1:] if to is not None else rest).strip()
    return ExtensionWords(measure_id, item, to, reason)


ButtonKind = Literal["extension", "review", "chase", "status"]
_BUTTON = re.compile(
    r"^sv:(?:([xv]):([0-9]{1,9}):([ar])|c:([0-9a-f]{8}):([0-9]{8})|s:(\d{1,2}-\d{1,3}-\d{1,3}))$"
)


@dataclass(frozen=True)
class SupervisionButton:
    """A supervision button, as pressed: a decision (extension or review #``number``, ``yes`` for
    同意 / 通过), a 催办 of the unit with ``unit_tag`` on ``day``, or a measure's /status."""

    kind: ButtonKind
    number: int = 0
    yes: bool = False
    unit_tag: str = ""
    day: date | None = None
    measure: str = ""


def decision_button(kind: Literal["extension", "review"], number: int, yes: bool) -> str:
    return f"sv:{'x' if kind == 'extension' else 'v'}:{number}:{'a' if yes else 'r'}"


def chase_button(unit_tag: str, day: date) -> str:
    return f"sv:c:{unit_tag}:{day:%Y%m%d}"


def status_button(measure: str) -> str:
    return f"sv:s:{measure}"


def parse_supervision_button(data: str) -> SupervisionButton | None:
    """What a pressed button asks for; None for anything these functions did not make (forged)."""
    found = _BUTTON.match(data)
    if found is None:
        return None
    kind, number, answer, tag, day, measure = found.groups()
    if kind is not None:
        return SupervisionButton("extension" if kind == "x" else "review", int(number), answer == "a")
    if tag is not None:
        try:
            on = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            return None
        return SupervisionButton("chase", unit_tag=tag, day=on)
    return SupervisionButton("status", measure=measure)
