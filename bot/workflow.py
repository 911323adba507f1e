"""The supervision loop's actions (issue 10): each checks its input, then writes one record.

The chat and the CLI call these with the time (``at``) and who acts (``by``); who *may* act is
``bot.access``'s question, asked before. A refusal is a ``WorkflowError`` whose ``problem`` the
caller words (Chinese in the chat, English in the CLI); nothing is written then.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from bot import access, texts
from bot.assignments import ItemProgress, unit_roles
from bot.clock import LocalDays
from bot.dates import parse_user_date
from bot.directory import Directory
from bot.models import Item, Measure, Plan, ProgressEntry, Status
from bot.progress import (
    ProgressReport,
    ReportRefusal,
    check_report,
    find_item,
    normalize_measure_id,
    record_report,
    unit_tag,
)
from bot.store import Binding, Store
from bot.supervision import (
    ASSIGNMENTS,
    CHASES,
    EXTENSIONS,
    MONTHLY,
    REVIEWS,
    SETDUES,
    Assignment,
    Chase,
    Extension,
    ExtensionState,
    MonthlyRequest,
    Review,
    SetDue,
    Supervision,
    claim_review,
    month_key,
)
from schedules.calendar import WorkCalendar
from schedules.monthly import MonthlyEntry, answer_deadline


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
    EXPIRED = "expired"


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
        monthly=tuple(store.records(MONTHLY, MonthlyRequest)),
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
    state = supervision(store)
    plan = state.plan(plan)
    target = check_report(plan, directory, measure_id, unit_name)
    if isinstance(target, ReportRefusal):
        if target.reason.value == "unknown_measure":
            raise WorkflowError(Problem.UNKNOWN_MEASURE, measure=measure_id, refusal=target)
        raise WorkflowError(Problem.UNIT_REFUSED, measure=measure_id, refusal=target)
    measure, unit = target.measure, target.unit
    progress = ItemProgress(state.reviewed(store.latest_items(), at.date(), plan).values())
    open_items = [
        i
        for i in plan.items(measure.id)
        if i.kind in ("deadline", "milestone") and not progress.unit_done(measure, i, unit, at.date())
    ]
    chosen = _dated_item(plan, measure, item, open_items)
    fields = {"user_id": user_id, "chat_id": chat_id}
    return _add_extension(store, measure, unit, chosen, state.due(chosen, unit), to, reason, at, by, fields)


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
    state = supervision(store)
    plan = state.plan(plan)
    measure = _measure(plan, measure_id)
    dated = [i for i in plan.items(measure.id) if i.kind in ("deadline", "milestone")]
    chosen = _dated_item(plan, measure, item, dated)
    fields = {"state": "approved", "decided_by": by, "decided_at": at}
    return _add_extension(store, measure, None, chosen, state.due(chosen, None), to, reason, at, by, fields)


def _add_extension(
    store: Store,
    measure: Measure,
    unit: str | None,
    item: Item,
    current: date,
    to: date,
    reason: str,
    at: datetime,
    by: str,
    fields: dict[str, Any],
) -> Extension:
    """Store an extension of ``item`` from ``current``, the due date in force, to ``to``, which must be later:
    a unit's request, which needs a reason, or an admin's for every unit (``unit`` None), which
    may leave it out. ``fields`` are the rest of the record."""
    if to <= current:
        raise WorkflowError(Problem.NOT_LATER, measure=measure.id, item=item.id, due=current)
    if unit is not None and not reason.strip():
        raise WorkflowError(Problem.NO_REASON, measure=measure.id, item=item.id, due=current)
    return store.add_record(
        EXTENSIONS,
        lambda number: Extension(
            id=number,
            measure=measure.id,
            unit=unit,
            item=item.id,
            original=current,
            to=to,
            reason=reason.strip(),
            requested_at=at,
            requested_by=by,
            **fields,
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


ButtonKind = Literal["extension", "review", "chase", "chase_item", "status", "monthly", "group", "extend"]
_BUTTON = re.compile(
    r"^sv:(?:([xv]):([0-9]{1,9}):([ar])|c:([0-9a-f]{8}):([0-9]{8})|s:(\d{1,2}-\d{1,3}-\d{1,3})"
    r"|m:([0-9a-f]{8}):([0-9]{4})([0-9]{2}):([ae])|g:([0-9a-f]{8}):([0-9]{8}):(c|u[0-9]{8})"
    r"|k:(\d{1,2}-\d{1,3}-\d{1,3}):([0-9]{4}-[0-9]{2}-[0-9]{2}):([0-9]{8})"
    r"|e:(\d{1,2}-\d{1,3}-\d{1,3}):([0-9a-f]{8}):([0-9]{4}-[0-9]{2}-[0-9]{2}))$"
)


@dataclass(frozen=True)
class SupervisionButton:
    """A supervision button, as pressed: a decision (extension or review #``number``, ``yes`` for
    同意 / 通过), a 催办 of the unit with ``unit_tag`` on ``day``, a measure's /status, or a
    月调度 answer (the unit's ``unit_tag``, ``month`` 2023-07, ``yes`` for 均按计划推进, else 逐项填报),
    or the 逐项填报 of a compact group (``group``, ``schedules.policy.group_code``) of the unit's
    digest of ``day``, a 催办 of every late unit of ``measure``'s ``item`` on ``day`` (``chase_item``),
    or 申请延期 of ``measure``'s ``item`` by the unit with ``unit_tag`` (``extend``)."""

    kind: ButtonKind
    number: int = 0
    yes: bool = False
    unit_tag: str = ""
    day: date | None = None
    measure: str = ""
    month: str = ""
    group: str = ""
    item: str = ""


def decision_button(kind: Literal["extension", "review"], number: int, yes: bool) -> str:
    return f"sv:{'x' if kind == 'extension' else 'v'}:{number}:{'a' if yes else 'r'}"


def chase_button(unit_tag: str, day: date) -> str:
    return f"sv:c:{unit_tag}:{day:%Y%m%d}"


def status_button(measure: str) -> str:
    return f"sv:s:{measure}"


def monthly_button(unit: str, month: str, all_on_plan: bool) -> str:
    """均按计划推进 (``all_on_plan``) or 逐项填报 under ``unit``'s 月调度 of ``month`` (2023-07)."""
    return f"sv:m:{unit_tag(unit)}:{month.replace('-', '')}:{'a' if all_on_plan else 'e'}"


def chase_item_button(measure: str, item: str, day: date) -> str:
    """催办 of every unit late on ``measure``'s ``item`` (a dated item's id, 2023-06-30), on ``day``."""
    return f"sv:k:{measure}:{item}:{day:%Y%m%d}"


def extend_button(measure: str, unit: str, item: str) -> str:
    """申请延期 of ``measure``'s dated ``item`` (2023-06-30) by ``unit``, under its digest entry."""
    return f"sv:e:{measure}:{unit_tag(unit)}:{item}"


def group_button(unit: str, day: date, code: str) -> str:
    """逐项填报 under a compact group (``code``) of ``unit``'s digest of ``day``."""
    return f"sv:g:{unit_tag(unit)}:{day:%Y%m%d}:{code}"


def _button_day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def parse_supervision_button(data: str) -> SupervisionButton | None:
    """What a pressed button asks for; None for anything these functions did not make (forged)."""
    found = _BUTTON.match(data)
    if found is None:
        return None
    (kind, number, answer, tag, day, measure, m_tag, m_year, m_month, m_answer, g_tag, g_day, code) = (
        found.groups()[:13]
    )
    k_measure, k_item, k_day, e_measure, e_tag, e_item = found.groups()[13:]
    if e_measure is not None:
        return SupervisionButton("extend", unit_tag=e_tag, measure=e_measure, item=e_item)
    if k_measure is not None:
        on = _button_day(k_day)
        return None if on is None else SupervisionButton("chase_item", measure=k_measure, item=k_item, day=on)
    if g_tag is not None:
        on = _button_day(g_day)
        return None if on is None else SupervisionButton("group", unit_tag=g_tag, day=on, group=code)
    if m_tag is not None:
        if not 1 <= int(m_month) <= 12:
            return None
        return SupervisionButton("monthly", yes=m_answer == "a", unit_tag=m_tag, month=f"{m_year}-{m_month}")
    if kind is not None:
        return SupervisionButton("extension" if kind == "x" else "review", int(number), answer == "a")
    if tag is not None:
        on = _button_day(day)
        return None if on is None else SupervisionButton("chase", unit_tag=tag, day=on)
    return SupervisionButton("status", measure=measure)


# --- 月调度 ---


def ask_monthly(
    store: Store, unit: str, day: date, entries: Sequence[MonthlyEntry], at: datetime
) -> MonthlyRequest:
    """Record that ``unit``'s digest on ``day`` asks its 月调度 about ``entries``; once per unit and
    month (a retry or restart the same day finds the first)."""
    month = month_key(day)
    found = next(
        (r for r in store.records(MONTHLY, MonthlyRequest) if (r.unit, r.month) == (unit, month)), None
    )
    if found is not None:
        return found

    def make(number: int) -> MonthlyRequest:
        items = [(entry.measure, entry.item) for entry in entries]
        return MonthlyRequest(id=number, unit=unit, month=month, day=day, items=items, at=at)

    return store.add_record(MONTHLY, make)


def ask_monthly_all(
    store: Store, day: date, sections: Mapping[str, Sequence[MonthlyEntry]], at: datetime
) -> None:
    """``ask_monthly`` for every unit of the day's run (``sections``: unit → entries), in one write."""
    with store.transaction():
        for unit, entries in sections.items():
            if entries:
                ask_monthly(store, unit, day, entries, at)


@dataclass(frozen=True)
class MonthlyAnswered:
    """均按计划推进 pressed: the request, the reports recorded (进行中), and the listed items left
    alone because the unit had already reported on them since it was asked."""

    request: MonthlyRequest
    recorded: tuple[ProgressEntry, ...]
    kept: tuple[tuple[str, str], ...]


def monthly_request_for(store: Store, tag: str, month: str) -> MonthlyRequest:
    """The 月调度 a button names by its unit's tag (``bot.progress.unit_tag``) and month; raises
    WorkflowError UNKNOWN_REQUEST for a forged one or one never sent."""
    for request in store.records(MONTHLY, MonthlyRequest):
        if request.month == month and unit_tag(request.unit) == tag:
            return request
    raise WorkflowError(Problem.UNKNOWN_REQUEST, item=month)


def monthly_open_items(store: Store, request: MonthlyRequest) -> list[tuple[str, str]]:
    """The request's items the unit has not reported on since it was asked (逐项填报 lists these)."""
    latest = store.latest_all()
    return [
        (measure, item)
        for measure, item in request.items
        if (entry := latest.get((measure, request.unit))) is None or entry.at.date() < request.day
    ]


def answer_monthly(
    store: Store,
    plan: Plan,
    directory: Directory,
    binding: Binding | None,
    request: MonthlyRequest,
    at: datetime,
    *,
    by: str = "",
    user_id: int | None = None,
    chat_id: int | None = None,
) -> MonthlyAnswered:
    """均按计划推进: record 进行中 for each item of the unit's 月调度 it has not reported on since it was
    asked, and mark the request answered. Refused (nothing recorded) from a chat not bound to the
    unit (UNIT_REFUSED), in a later month (EXPIRED), or when it was answered (ALREADY_DECIDED)."""
    if not access.acts_for_unit(binding, request.unit):
        raise WorkflowError(Problem.UNIT_REFUSED, item=request.month)
    if month_key(at.date()) != request.month:
        raise WorkflowError(Problem.EXPIRED, item=request.month)
    if request.answered_at is not None:
        raise WorkflowError(Problem.ALREADY_DECIDED, item=request.month, state="answered")
    plan = supervision(store).plan(plan)
    fresh = monthly_open_items(store, request)
    recorded: list[ProgressEntry] = []
    for measure_id, item in fresh:
        target = check_report(plan, directory, measure_id, request.unit, item)
        if isinstance(target, ReportRefusal):
            continue  # the plan changed under the request: nothing to record for it
        report = ProgressReport(measure_id, Status.IN_PROGRESS, note=texts.SV_MONTHLY_NOTE)
        recorded.append(
            record_report(
                store, target, report, at, source="button", user_id=user_id, user_name=by, chat_id=chat_id
            ).entry
        )
    answered = request.model_copy(update={"answered_at": at, "answered_by": by})
    store.replace_record(MONTHLY, request.id, answered)
    kept = tuple(pair for pair in request.items if pair not in fresh)
    return MonthlyAnswered(answered, tuple(recorded), kept)


@dataclass(frozen=True)
class MonthlyAnswer:
    """Whether a unit answered a month's 月调度, and when (``monthly_progress_answers``)."""

    unit: str
    month: str
    asked: date
    deadline: date
    answered_on: date | None
    """The day the last listed measure got the unit's report (None: some still have none)."""

    @property
    def on_time(self) -> bool:
        return self.answered_on is not None and self.answered_on <= self.deadline


def monthly_progress_answers(
    store: Store,
    calendar: WorkCalendar,
    documents: Callable[[str], Sequence[Mapping[str, Any]]] | None = None,
) -> dict[tuple[str, str], MonthlyAnswer]:
    """Per (unit, month ``2023-07``), whether the unit answered the 月调度 it was sent, and in time.

    Only months a unit was actually asked appear (a 月调度 is recorded when its digest goes to the
    unit's chat; a unit without a chat, or with nothing to ask, is not asked). A 月调度 is answered
    on the day the last of its listed measures got a report from the unit (any status, any item,
    dated on or after the day it was asked; 均按计划推进 reports them all at once), and answered in
    time when that is no later than the month's fifth workday (``schedules.monthly.answer_deadline``):
    a full working week after it was asked. For 按时报送率 (``bot.reports``).

    ``documents`` reads a measure's stored reports (``Store.history_documents``, the default); the
    workbook passes the reader it shares with its own pass over every history.
    """
    requests = store.records(MONTHLY, MonthlyRequest)
    read = documents or store.history_documents
    local_days = LocalDays()
    report_days: dict[tuple[str, str], list[date]] = {}
    for measure in {measure for request in requests for measure, _ in request.items}:
        for doc in read(measure):
            report_days.setdefault((measure, doc["unit"]), []).append(local_days.of(doc["at"]))
    for reported in report_days.values():
        reported.sort()
    answers: dict[tuple[str, str], MonthlyAnswer] = {}
    for request in requests:
        days: list[date] = []
        for measure, _ in request.items:
            reported = report_days.get((measure, request.unit), [])
            first = bisect_left(reported, request.day)  # the first report on or after the day asked
            if first == len(reported):
                break
            days.append(reported[first])
        answered_on = max(days, default=request.day) if len(days) == len(request.items) else None
        year, month = (int(part) for part in request.month.split("-"))
        answers[(request.unit, request.month)] = MonthlyAnswer(
            request.unit, request.month, request.day, answer_deadline(year, month, calendar), answered_on
        )
    return answers
