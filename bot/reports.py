"""The supervision office's reports as data: the 督办台账 workbook's rows, the unit ranking and the
monthly 通报. Writing them to a file is ``bot.workbook`` (Excel), ``bot.worddoc`` (Word) and
``bot.chart`` (PNG); this module decides what is in them.

Pure: the day comes in with the snapshot (and its work calendar). Every figure is
built from the leader views' own queries (``bot.queries``): the 逾期 rows are the rows of
``queries.overdue`` for the same day and scope, the 汇总 rows are ``queries.summary``, and a
台账 row is a unit as ``queries.measure_status`` shows it. Nothing here decides again what is overdue.

The ranking (通报) ranks units by results, never by chat activity:

* 办结率 = items completed / items due so far, where an item due so far is a dated item (deadline
  or milestone) whose day has passed, and it is completed when it is not on the overdue list;
* 按期完成率 = items completed by their due day / items due so far (the day the unit, or for a
  co unit the measure as a whole, was last reported 已完成);
* 逾期项数 = the unit's rows on the overdue list;
* 按时报送率 = months whose monthly progress request (月调度) the unit answered in time / months
  it was asked (``bot.workflow.monthly_progress_answers``: asked on the month's first workday,
  in time when every listed item has the unit's report by the month's fifth workday). A month
  still within its answer time and not answered yet is not counted; a unit never asked (no chat
  bound, or nothing to ask) has no rate.

Order: 办结率, then 按期完成率 (both high first), 逾期项数 (low first), 按时报送率 (high first), and
the unit's name, so equal results always come out in the same order. A unit with nothing due
yet has no 办结率: it is listed after the ranked units, without a place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from bot import queries, texts
from bot.assignments import Light, is_done
from bot.clock import TZ, LocalDays
from bot.directory import Directory
from bot.models import Measure, Plan, ProgressEntry, Status
from bot.store import Store
from bot.supervision import Extension, Review
from bot.workflow import MonthlyAnswer, monthly_progress_answers
from schedules.calendar import WorkCalendar

BULLETIN_TOP = 3
"""Best and lagging units named in the monthly 通报."""
BULLETIN_LIST = 5
"""Measures named per line of the 通报 text before "等 N 项"."""


# --- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    """One row of the 逾期 sheet: one unit and one of its overdue items (a row of ``overdue --json``)."""

    measure: str
    task: str
    item_kind: str
    item_text: str
    due: date | None
    days_overdue: int
    workdays_overdue: int
    unit: str
    role: str
    leaders: str
    status: str
    percent: int | None
    note: str
    updated: date | None
    light: Light


@dataclass(frozen=True)
class LedgerRow:
    """One row of the 台账 sheet: a measure and one of its responsible units as of the day."""

    measure: str
    annex: int
    task: str
    text: str
    deadline: str
    unit: str
    role: str
    leaders: str
    status: str
    percent: int | None
    note: str
    updated: date | None
    evidence: int
    extension: str
    """The unit's extension requests (延期) on the measure as of the day, one per item, or ""."""
    review: str
    """The review (办结审核) of the unit's latest 已完成 claim per item as of the day, or ""."""
    light: Light


@dataclass(frozen=True)
class UnitScore:
    """One unit's line in the ranking; rates are 0..1, None when there is nothing to divide by."""

    unit: str
    due: int
    completed: int
    on_time: int
    overdue: int
    months_asked: int
    """Months whose 月调度 the unit was sent and that count by the day (answered, or past due)."""
    months_on_time: int
    """Of those, the months it answered by the month's fifth workday."""
    place: int | None = None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def reporting_rate(self) -> float | None:
        return self.months_on_time / self.months_asked if self.months_asked else None


@dataclass(frozen=True)
class Report:
    """Everything the workbook, the Word 通报 and the chart show, as of one day for one scope."""

    plan_title: str
    today: date
    scope: queries.Scope
    summary: queries.Summary
    overdue: queries.UnitReport
    overdue_rows: list[OverdueRow]
    ledger: list[LedgerRow]
    ranking: list[UnitScore]

    @property
    def ranked(self) -> list[UnitScore]:
        return [score for score in self.ranking if score.place is not None]

    def best(self, count: int = BULLETIN_TOP) -> list[UnitScore]:
        return self.ranked[:count]

    def lagging(self, count: int = BULLETIN_TOP) -> list[UnitScore]:
        """The last ``count`` ranked units, worst first, never one already among the best."""
        ranked = self.ranked
        best = {score.unit for score in self.best(count)}
        return [score for score in reversed(ranked[-count:]) if score.unit not in best]


MonthlyAnswers = Mapping[tuple[str, str], MonthlyAnswer]
"""(unit, month ``2023-07``) -> the unit's answer to that month's 月调度."""

Documents = Callable[[str], Sequence[Mapping[str, Any]]]
"""``Store.history_documents``: a measure's stored reports as plain documents, oldest first."""


@dataclass
class UnitFacts:
    """What the 台账 and the ranking need from a unit's whole history on one measure, up to today."""

    evidence: int = 0
    done_since: date | None = None
    """The day its current 已完成 began; None when its latest report is not 已完成."""


def unit_facts(
    documents: Iterable[Mapping[str, Any]], today: date, days: LocalDays | None = None
) -> dict[str, UnitFacts]:
    """Per unit, from a measure's stored reports oldest first, those dated after today left out.

    One pass over plain documents: the history of 100,000 reports is read for every workbook, so
    the days are read with ``days`` (shared by the measures of one report), each parsed once.
    """
    facts: dict[str, UnitFacts] = {}
    done_value = Status.DONE.value
    days = LocalDays() if days is None else days
    for doc in documents:
        day = days.of(doc["at"])
        if day > today:
            continue
        unit = facts.get(doc["unit"])
        if unit is None:
            unit = facts[doc["unit"]] = UnitFacts()
        evidence = doc.get("evidence")
        if evidence:
            unit.evidence += len(evidence)
        if doc["status"] != done_value:
            unit.done_since = None
        elif unit.done_since is None:
            unit.done_since = day
    return facts


def build_report(
    snapshot: queries.Snapshot,
    scope: queries.Scope,
    documents: Documents,
    answers: MonthlyAnswers | None = None,
) -> Report:
    """The whole report for ``scope`` as of ``snapshot.today``.

    ``documents(measure_id)`` is ``Store.history_documents``, read once per measure in scope;
    ``answers`` are the units' 月调度 answers (``bot.workflow.monthly_progress_answers``), none
    when left out.
    """
    index = snapshot.index
    today = snapshot.today
    measures = index.measures_in(scope)
    days = LocalDays()
    facts = {measure.id: unit_facts(documents(measure.id), today, days) for measure in measures}
    overdue = queries.overdue(snapshot, scope)
    extensions: dict[str, list[Extension]] = {}
    for extension in snapshot.supervision.extensions:
        extensions.setdefault(extension.measure, []).append(extension)
    reviews: dict[str, list[Review]] = {}
    for review in snapshot.supervision.reviews:
        reviews.setdefault(review.measure, []).append(review)
    ledger = [
        _ledger_row(
            snapshot,
            measure,
            row,
            facts[measure.id].get(row.unit, UnitFacts()),
            extension_text(extensions.get(measure.id, ()), row.unit, today),
            review_text(reviews.get(measure.id, ()), row.unit, today),
        )
        for measure in measures
        for row in index.rows_in(measure, scope)
    ]
    return Report(
        plan_title=snapshot.plan.title,
        today=today,
        scope=scope,
        summary=queries.summary(snapshot, scope),
        overdue=overdue,
        overdue_rows=_overdue_rows(snapshot, overdue),
        ledger=ledger,
        ranking=rank_units(snapshot, scope, measures, overdue, facts, answers),
    )


def ranking_by_results(snapshot: queries.Snapshot, scope: queries.Scope) -> list[UnitScore]:
    """The ranking by its first keys only, 办结率 then 逾期项数 (then the unit's name): what the
    compact /summary names its lagging units by. It reads no history, so it costs what /overdue
    costs; the 通报's own ranking (``build_report``) also breaks ties by 按期完成率 and 按时报送率,
    which need every stored report (about 0.7 s with 100,000 of them)."""
    measures = snapshot.index.measures_in(scope)
    no_history: dict[str, dict[str, UnitFacts]] = {measure.id: {} for measure in measures}
    return rank_units(snapshot, scope, measures, queries.overdue(snapshot, scope), no_history)


def report_for(
    plan: Plan, directory: Directory, store: Store, scope: queries.Scope, today: date, calendar: WorkCalendar
) -> Report:
    """``build_report`` for a scope as of ``today`` from the store: what ``export``, ``/export``
    and the monthly 通报 each make in one call. The snapshot is the views' own
    (``Snapshot.take``): extensions, /setdue dates, /assign units and completion reviews applied,
    so the 逾期 sheet is what ``overdue`` shows."""
    snapshot = replace(queries.Snapshot.take(plan, directory, store, today), calendar=calendar)
    documents = cache(store.history_documents)  # each history read from the file once for both
    answers = monthly_progress_answers(store, calendar, documents)
    return build_report(snapshot, scope, documents, answers)


def item_kind_label(kind: str) -> str:
    return texts.RPT_ITEM_KINDS.get(kind, kind)


def _overdue_rows(snapshot: queries.Snapshot, report: queries.UnitReport) -> list[OverdueRow]:
    plan = snapshot.plan
    rows = []
    for group in report.groups:
        for unit_item in group.items:
            measure, item, entry = unit_item.measure, unit_item.item, unit_item.entry
            rows.append(
                OverdueRow(
                    measure=measure.id,
                    task=measure.task,
                    item_kind=item_kind_label(item.kind) if item is not None else "",
                    item_text=item.text if item is not None else "",
                    due=item.due if item is not None else None,
                    days_overdue=max(unit_item.days_overdue, 0),
                    workdays_overdue=unit_item.workdays_overdue,
                    unit=group.unit,
                    role=plan.role_word(measure.annex, unit_item.role, short=False),
                    leaders=texts.LIST_SEPARATOR.join(snapshot.index.leaders[measure.id]),
                    status=entry.status.value if entry is not None else texts.RPT_NOT_REPORTED,
                    percent=entry.percent if entry is not None else None,
                    note=entry.note if entry is not None else "",
                    updated=entry.at.date() if entry is not None else None,
                    light=unit_item.light,
                )
            )
    return rows


def _ledger_row(
    snapshot: queries.Snapshot,
    measure: Measure,
    row: queries.Responsible,
    facts: UnitFacts,
    extension: str,
    review: str,
) -> LedgerRow:
    """One unit on one measure, as ``/status`` shows it: latest report, light, evidence count."""
    entry = snapshot.entry(measure, row.unit) if row.assigned else None
    complete = snapshot.complete(measure)
    own_done = is_done(entry, snapshot.today)
    if entry is not None:
        status = entry.status.value
    elif complete:
        status = Status.DONE.value  # a co unit with nothing left to do (/status: 措施已完成)
    else:
        status = texts.RPT_NOT_REPORTED
    light = queries._measure_light(
        snapshot, measure, snapshot.last_update(entry), complete or own_done, entry.status if entry else None
    )
    return LedgerRow(
        measure=measure.id,
        annex=measure.annex,
        task=measure.task,
        text=measure.text,
        deadline=measure.deadline.raw,
        unit=row.unit if row.assigned else row.unit + texts.UNASSIGNED,
        role=snapshot.plan.role_word(measure.annex, row.role, short=False),
        leaders=texts.LIST_SEPARATOR.join(snapshot.index.leaders[measure.id]),
        status=status,
        percent=entry.percent if entry is not None else None,
        note=entry.note if entry is not None else "",
        updated=entry.at.date() if entry is not None else None,
        evidence=facts.evidence,
        extension=extension,
        review=review,
        light=light,
    )


def extension_text(extensions: Iterable[Extension], unit: str, today: date) -> str:
    """The unit's extension requests on a measure (``extensions``: the measure's) as ``today``
    sees them, the latest per item (its own, or one an admin made for every unit): 延期至 …（原定 …，
    某某 同意）, 申请中 or 不同意. A decision made after the day is still 申请中 then."""
    latest: dict[str, Extension] = {}
    for extension in extensions:
        if extension.unit in (unit, None) and extension.requested_at.astimezone(TZ).date() <= today:
            known = latest.get(extension.item)
            if known is None or (extension.requested_at, extension.id) > (known.requested_at, known.id):
                latest[extension.item] = extension
    parts = []
    for extension in sorted(latest.values(), key=lambda e: (e.original, e.id)):
        decided = extension.decided_at is not None and extension.decided_at.astimezone(TZ).date() <= today
        state = extension.state if decided else "pending"
        parts.append(
            texts.RPT_EXTENSION[state].format(
                to=extension.to.isoformat(),
                original=extension.original.isoformat(),
                by=extension.decided_by or texts.SV_ADMIN,
            )
        )
    return texts.RPT_RECORD_SEPARATOR.join(parts)


def review_text(reviews: Iterable[Review], unit: str, today: date) -> str:
    """The review of the unit's latest 已完成 claim per item on a measure (``reviews``: the
    measure's) as ``today`` sees it: 待审核, 审核通过 or 退回 with the reviewer's reason. Nothing
    when completion review was never asked for."""
    latest: dict[str | None, Review] = {}
    for review in reviews:
        if review.unit == unit and review.claimed <= today:
            known = latest.get(review.item)
            if known is None or review.id > known.id:
                latest[review.item] = review
    parts = []
    for review in sorted(latest.values(), key=lambda r: r.id):
        decided = review.at is not None and review.at.astimezone(TZ).date() <= today
        state = review.state if decided else "pending"
        parts.append(
            texts.RPT_REVIEW[state].format(
                day=review.claimed.isoformat(), by=review.by or texts.SV_ADMIN, reason=review.reason
            )
        )
    return texts.RPT_RECORD_SEPARATOR.join(parts)


# --- the ranking ------------------------------------------------------------------------------------


def reporting_counts(answers: MonthlyAnswers, today: date) -> dict[str, tuple[int, int]]:
    """Per unit, (months asked, months answered in time) as ``today`` sees them: a 月调度 sent by
    today counts once it is answered or its answer time (the month's fifth workday) is over; it is
    in time when answered by then, and the answer is dated on or before today."""
    counts: dict[str, tuple[int, int]] = {}
    for answer in answers.values():
        answered = answer.answered_on is not None and answer.answered_on <= today
        if answer.asked > today or not (answered or answer.deadline < today):
            continue
        asked, on_time = counts.get(answer.unit, (0, 0))
        counts[answer.unit] = (asked + 1, on_time + (1 if answered and answer.on_time else 0))
    return counts


def rank_units(
    snapshot: queries.Snapshot,
    scope: queries.Scope,
    measures: Iterable[Measure],
    overdue: queries.UnitReport,
    facts: Mapping[str, Mapping[str, UnitFacts]],
    answers: MonthlyAnswers | None = None,
) -> list[UnitScore]:
    """Every unit responsible in the scope with its figures, ranked (see the module docstring)."""
    index = snapshot.index
    today = snapshot.today
    overdue_keys: dict[str, set[tuple[str, date | None]]] = {}
    overdue_count: dict[str, int] = {}
    for group in overdue.groups:
        overdue_count[group.unit] = len(group.items)
        overdue_keys[group.unit] = {(i.measure.id, i.item.due if i.item else None) for i in group.items}
    reporting = reporting_counts(answers or {}, today)
    due: dict[str, int] = {}
    completed: dict[str, int] = {}
    on_time: dict[str, int] = {}
    for measure in measures:
        by_unit = facts[measure.id]
        lead_done = [
            by_unit[unit].done_since if unit in by_unit else None for unit in index.leads[measure.id]
        ]
        complete_on = (
            max(d for d in lead_done if d is not None)
            if snapshot.complete(measure) and lead_done and None not in lead_done
            else None
        )
        passed = [item for item in index.items[measure.id] if item.due < today]
        for row in index.rows_in(measure, scope):
            if not row.assigned:
                continue
            unit = row.unit
            due.setdefault(unit, 0)
            own = by_unit.get(unit, UnitFacts())
            finished = [d for d in (own.done_since, complete_on) if d is not None]
            finished_on = min(finished) if finished else None
            late = overdue_keys.get(unit, set())
            for item in passed:
                due[unit] += 1
                if (measure.id, item.due) in late:
                    continue
                completed[unit] = completed.get(unit, 0) + 1
                if finished_on is not None and finished_on <= item.due:
                    on_time[unit] = on_time.get(unit, 0) + 1
    scores = [
        UnitScore(
            unit=unit,
            due=due[unit],
            completed=completed.get(unit, 0),
            on_time=on_time.get(unit, 0),
            overdue=overdue_count.get(unit, 0),
            months_asked=reporting.get(unit, (0, 0))[0],
            months_on_time=reporting.get(unit, (0, 0))[1],
        )
        for unit in due
    ]
    return place_units(scores)


def _rate_key(rate: float | None) -> float:
    return -(rate if rate is not None else -1.0)


def place_units(scores: Iterable[UnitScore]) -> list[UnitScore]:
    """Ranked units first (1, 2, …), then units with nothing due yet (no place), each by name."""
    ranked = sorted(
        (s for s in scores if s.due),
        key=lambda s: (
            _rate_key(s.completion_rate),
            _rate_key(s.on_time_rate),
            s.overdue,
            _rate_key(s.reporting_rate),
            s.unit,
        ),
    )
    unranked = sorted((s for s in scores if not s.due), key=lambda s: s.unit)
    placed = [replace(s, place=place) for place, s in enumerate(ranked, start=1)]
    return placed + unranked


def percent_text(rate: float | None) -> str:
    return texts.RPT_NO_RATE if rate is None else f"{rate * 100:.1f}%"


# --- the monthly 通报 -------------------------------------------------------------------------------


def previous_month(day: date) -> tuple[date, date]:
    """The first and last day of the month before ``day``'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


@dataclass(frozen=True)
class Bulletin:
    """The monthly 通报: what happened last month, and the ranking as of today."""

    today: date
    month_start: date
    month_end: date
    completions: list[tuple[str, str]]
    """(measure, unit) whose 已完成 report is dated last month, in plan order."""
    newly_overdue: list[OverdueRow]
    """Overdue rows whose item fell due last month."""
    blocked: list[tuple[str, str]]
    """(measure, unit) whose latest report is 受阻."""
    best: list[UnitScore]
    lagging: list[UnitScore]
    report: Report = field(repr=False)


def build_bulletin(report: Report, latest: Mapping[tuple[str, str, str | None], ProgressEntry]) -> Bulletin:
    """The 通报 for the month before ``report.today``, from the report and the latest reports
    (``queries.latest_as_of``: per measure, unit and item; each unit's latest of them counts)."""
    start, end = previous_month(report.today)
    order = {row.measure: i for i, row in enumerate(report.ledger)}
    in_scope = {(row.measure, row.unit) for row in report.ledger}
    by_pair: dict[tuple[str, str], ProgressEntry] = {}
    for (measure, unit, _), entry in latest.items():
        known = by_pair.get((measure, unit))
        if (measure, unit) in in_scope and (known is None or (entry.at, entry.seq) > (known.at, known.seq)):
            by_pair[(measure, unit)] = entry

    def with_status(status: Status, since: date, until: date) -> list[tuple[str, str]]:
        found = [key for key, e in by_pair.items() if e.status is status and since <= e.at.date() <= until]
        return sorted(found, key=lambda key: (order.get(key[0], 0), key[1]))

    completions = with_status(Status.DONE, start, end)
    blocked = with_status(Status.BLOCKED, date.min, report.today)
    newly = [row for row in report.overdue_rows if row.due is not None and start <= row.due <= end]
    return Bulletin(
        today=report.today,
        month_start=start,
        month_end=end,
        completions=completions,
        newly_overdue=newly,
        blocked=blocked,
        best=report.best(),
        lagging=report.lagging(),
        report=report,
    )


def _pairs_text(pairs: Sequence[tuple[str, str]]) -> str:
    shown = [texts.RPT_PAIR.format(measure=m, unit=u) for m, u in pairs[:BULLETIN_LIST]]
    more = texts.RPT_AND_MORE.format(count=len(pairs)) if len(pairs) > BULLETIN_LIST else ""
    return texts.LIST_SEPARATOR.join(shown) + more if pairs else texts.NOTHING


def _scores_text(scores: Sequence[UnitScore]) -> str:
    if not scores:
        return texts.NOTHING
    return texts.LIST_SEPARATOR.join(
        texts.RPT_SCORE.format(unit=s.unit, rate=percent_text(s.completion_rate), overdue=s.overdue)
        for s in scores
    )


def bulletin_text(bulletin: Bulletin) -> str:
    """The 通报 as a short plain-text chat message (well under Telegram's 4096 characters)."""
    newly_pairs = [(row.measure, row.unit) for row in bulletin.newly_overdue]
    summary = bulletin.report.summary.total
    return texts.RPT_BULLETIN.format(
        month=bulletin.month_start.month,
        year=bulletin.month_start.year,
        today=bulletin.today.isoformat(),
        scope=bulletin.report.scope.label,
        total=summary.total,
        complete=summary.complete,
        overdue=summary.overdue,
        completions=len(bulletin.completions),
        completions_list=_pairs_text(bulletin.completions),
        newly=len(newly_pairs),
        newly_list=_pairs_text(newly_pairs),
        blocked=len(bulletin.blocked),
        blocked_list=_pairs_text(bulletin.blocked),
        best=_scores_text(bulletin.best),
        lagging=_scores_text(bulletin.lagging),
    )


def summary_paragraphs(report: Report) -> list[str]:
    """The Word 通报's opening paragraphs: totals, overdue, and who leads and lags."""
    total = report.summary.total
    return [
        texts.RPT_DOC_TOTALS.format(
            today=report.today.isoformat(),
            scope=report.scope.label,
            total=total.total,
            complete=total.complete,
            in_progress=total.in_progress + total.partly_done,
            not_started=total.not_started,
            blocked=total.blocked,
        ),
        texts.RPT_DOC_OVERDUE.format(
            items=report.overdue.item_count, units=report.overdue.unit_count, rows=len(report.overdue_rows)
        ),
        texts.RPT_DOC_RANKING.format(
            best=_scores_text(report.best()), lagging=_scores_text(report.lagging())
        ),
    ]


def export_filename(today: date, suffix: str = "xlsx") -> str:
    """The name a workbook goes out under: 督办台账-2023-07-03.xlsx."""
    return texts.RPT_FILENAME.format(day=today.isoformat(), suffix=suffix)
