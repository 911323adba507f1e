"""Leader views as Chinese text: pages for chat (each within Telegram's 4096) or one text for the CLI.

Pure: takes what ``bot.queries`` computed, returns strings built from the templates in
``bot.texts``. The text is plain (sent without a parse mode), so nothing needs escaping.

Dates: the views' lines use ISO days (``table_day``: 2023-06-30), so the lists of a leader's
tables line up and sort; sentences such as digests use ``format_day`` (6月30日).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot import texts
from bot.models import Item, Measure, ProgressEntry, Recurrence, Status, UnitRole
from bot.progress import parse_evidence_ref
from bot.queries import (
    MeasureStatus,
    Summary,
    SummaryRow,
    UnitGroup,
    UnitItem,
    UnitReport,
    UnknownMeasure,
)
from bot.reports import UnitScore, percent_text
from bot.search import Matches

TELEGRAM_LIMIT = 4096
MILESTONE_TEXT_CHARS = 40
NOTE_CHARS = 60
_LIGHT_ORDER = ["🟢", "🟡", "🔴"]
# Room kept on every page for the page marker, whose numbers are known only at the end.
_MARKER_ROOM = 2 + len(texts.LV_PAGE.format(page=999, pages=999))


def format_day(day: date, today: date) -> str:
    """A day in a chat sentence: 6月30日, or 2024年1月2日 when its year is not today's."""
    if day.year == today.year:
        return texts.LV_DATE.format(month=day.month, day=day.day)
    return texts.LV_DATE_OTHER_YEAR.format(year=day.year, month=day.month, day=day.day)


def table_day(day: date) -> str:
    """A day in a view's lines and tables: ISO, 2023-06-30."""
    return day.isoformat()


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji such as 🔴 counts two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Section:
    """A run of blocks under a heading; the heading is repeated (continued) on each page it spans."""

    heading: str
    blocks: Sequence[str]


def paginate(header: str, sections: Sequence[Section], limit: int | None = TELEGRAM_LIMIT) -> list[str]:
    """Lay sections out on pages of at most ``limit`` (None: one page, no page markers).

    A block is split only when it alone is longer than a page. Every page starts with the
    header and, when there are several, the page number; a section's heading is repeated,
    marked as continued, on each further page it spans.
    """
    if limit is None:
        parts = [header] + ["\n".join(filter(None, [s.heading, *s.blocks])) for s in sections]
        return ["\n\n".join(parts)]
    room = limit - _MARKER_ROOM - telegram_length(header) - 2
    longest_heading = max((telegram_length(s.heading) for s in sections), default=0)
    chunk_room = room - longest_heading - telegram_length(texts.LV_CONTINUED) - 2
    if chunk_room < 200:
        raise ValueError("page limit too small for the header")
    pages: list[list[str]] = [[]]
    used = 0
    for section in sections:
        started = False
        heading_here = False
        for block in section.blocks:
            for chunk, length in _fit(block, chunk_room):
                size = length + 1
                opening = [] if heading_here else _opening(pages[-1], section.heading, started)
                extra = sum(telegram_length(line) + 1 for line in opening)
                if pages[-1] and used + extra + size > room:
                    pages.append([])
                    used = 0
                    opening = _opening(pages[-1], section.heading, started)
                    extra = sum(telegram_length(line) + 1 for line in opening)
                pages[-1] += [*opening, chunk]
                used += extra + size
                heading_here = True
                started = True
    count = len(pages)
    result = []
    for number, body in enumerate(pages, start=1):
        top = header + ("\n" + texts.LV_PAGE.format(page=number, pages=count) if count > 1 else "")
        result.append(top + ("\n\n" + "\n".join(body) if body else ""))
    return result


def _opening(page: list[str], heading: str, continued: bool) -> list[str]:
    """The lines a section starts with on a page: a blank line after earlier text, its heading."""
    lines = [""] if page else []
    if heading:
        lines.append(heading + (texts.LV_CONTINUED if continued else ""))
    return lines


def _fit(block: str, room: int) -> list[tuple[str, int]]:
    """A block split at line ends (and, for one huge line, anywhere) into pieces within ``room``,
    each with its length."""
    length = telegram_length(block)
    if length <= room:
        return [(block, length)]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while telegram_length(line) > room:
            cut = room
            while telegram_length(line[:cut]) > room:
                cut -= 1
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if telegram_length(candidate) > room:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [(piece, telegram_length(piece)) for piece in pieces]


def esc(value: object) -> str:
    """HTML-escape anything shown back in an HTML message (users' text, names from the plan)."""
    return html.escape(str(value), quote=False)


def joined(names: Iterable[str], limit: int | None = None, *, escape: bool = True) -> str:
    """Names as a Chinese list, HTML-escaped (``escape=False`` for plain-text views); 无 when
    there are none; past ``limit``, "… 等 N 个"."""
    items = [esc(name) if escape else name for name in names]
    if not items:
        return texts.NOTHING
    if limit is not None and len(items) > limit:
        return texts.LIST_SEPARATOR.join(items[:limit]) + texts.BOT_AND_MORE.format(count=len(items))
    return texts.LIST_SEPARATOR.join(items)


ECHO_CHARS = 200
"""How much of what a user typed is echoed back: a confirmation must fit Telegram's 4096
characters whatever the note was, or the record would be stored but never confirmed."""


ARGUMENT_CHARS = 50
"""How much of a command's argument (a name, a code, a scope) an answer quotes back."""
ARGUMENTS_LISTED = 5
"""How many typed names an answer lists before "… 等 N 个"."""
ALERT_LIMIT = 200
"""Telegram's limit for a button's alert (answerCallbackQuery text)."""


def fit_message(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """``text`` within Telegram's limit, cut at a line end (HTML tags never span lines here)."""
    if len(text) <= limit:
        return text
    end = text.rfind("\n", 0, limit - 2)
    return text[: end if end > 0 else limit - 2] + "\n" + texts.ELLIPSIS


def fit_alert(text: str) -> str:
    """A button's alert within Telegram's 200 characters."""
    return cut(text, ALERT_LIMIT)


def cut(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` as typed, spacing kept, cut to ``limit`` characters (the last one "…")."""
    return text if len(text) <= limit else text[: limit - 1] + texts.ELLIPSIS


def shorten(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + texts.ELLIPSIS


def percent_suffix(entry: ProgressEntry) -> str:
    """ " 60%" after a status when the report gave a percent, else nothing."""
    return texts.PERCENT.format(percent=entry.percent) if entry.percent is not None else ""


def _entry_status(entry: ProgressEntry) -> str:
    """进行中 60%, or ⛔受阻: 受阻 is marked in every view."""
    return f"{status_word(entry.status)}{percent_suffix(entry)}"


def status_word(status: Status) -> str:
    """A status as every view shows it: 受阻 marked ⛔受阻, the others as they are."""
    mark = texts.LV_BLOCKED_MARK if status is Status.BLOCKED else ""
    return f"{mark}{status.value}"


def _when(item: Item, days_left: int, workdays_late: int | None = None) -> str:
    """还有 N 天, 今天到期, or 逾期 N 天, with the workdays among them when holidays fell inside."""
    if days_left < 0:
        return overdue_days(-days_left, workdays_late)
    if days_left == 0:
        return texts.LV_DUE_TODAY
    return texts.LV_DAYS_LEFT.format(days=days_left)


def overdue_days(days: int, workdays: int | None) -> str:
    """逾期 9 天, or 逾期 9 天（其中工作日 3 天） when days off fell inside the span."""
    if workdays is None or workdays == days:
        return texts.LV_DAYS_OVERDUE.format(days=days)
    return texts.LV_DAYS_OVERDUE_WORKDAYS.format(days=days, workdays=workdays)


class _Blocks:
    """Formats one block per measure and unit, formatting each shared line only once.

    The same item shows up under every unit that owes it (a measure of 各街道乡镇 under 22), so
    a whole-plan list repeats most lines; this keeps /overdue of everything cheap.
    """

    def __init__(self) -> None:
        self._titles: dict[tuple[str, str, str], str] = {}
        self._items: dict[tuple[str, date | None], str] = {}

    def block(self, items: Sequence[UnitItem]) -> str:
        """One measure for one unit: its title once, a line per dated item, then the latest report."""
        first = items[0]
        light = max((i.light for i in items), key=_LIGHT_ORDER.index)
        lines = [self._title(first, light)]
        lines += [self._item(item) for item in items]
        if first.assigned:
            lines.append(_latest_line(first.entry))
        return "\n".join(lines)

    def _title(self, item: UnitItem, light: str) -> str:
        key = (item.measure.id, light, item.role)
        found = self._titles.get(key)
        if found is None:
            found = texts.LV_ITEM.format(
                light=light, measure=item.measure.id, title=item.measure.title, role=item.role_word
            )
            self._titles[key] = found
        return found

    def _item(self, item: UnitItem) -> str:
        key = (item.measure.id, item.item.due if item.item is not None else None)
        found = self._items.get(key)
        if found is None:
            found = _item_line(item)
            self._items[key] = found
        return found


def _item_line(item: UnitItem, text_chars: int = MILESTONE_TEXT_CHARS) -> str:
    """The item's kind, due day, the start of a milestone's text, and when (还有 N 天 / 逾期 N 天)."""
    if item.item is None:
        return texts.LV_ITEM_UNDATED.format(deadline=item.measure.deadline.raw)
    what = (
        texts.LV_ITEM_WHAT.format(text=shorten(item.item.text, text_chars))
        if item.item.kind == "milestone"
        else ""
    )
    return texts.LV_ITEM_DUE.format(
        kind=texts.LV_ITEM_KIND[item.item.kind],
        due=table_day(item.item.due),
        what=what,
        when=_when(item.item, item.days_left, item.workdays_overdue),
    )


def _latest_line(entry: ProgressEntry | None) -> str:
    if entry is None:
        return texts.LV_ITEM_NEVER
    return texts.LV_ITEM_LATEST.format(status=_entry_status(entry), updated=table_day(entry.at.date()))


def _measure_blocks(group: UnitGroup, blocks: _Blocks) -> list[str]:
    by_measure: dict[str, list[UnitItem]] = {}
    for item in group.items:
        by_measure.setdefault(item.measure.id, []).append(item)
    return [blocks.block(items) for items in by_measure.values()]


def _role_label(items: Sequence[UnitItem], role: UnitRole) -> str:
    """The annexes' own words for a role over a unit's items: 主责, 牵头, or 主责/牵头 when both."""
    words = dict.fromkeys(item.role_word for item in items if item.role == role and item.role_word)
    return "/".join(words) or texts.LV_ROLE[role]


def _group_heading(group: UnitGroup) -> str:
    counts = texts.LV_UNIT_COUNTS.format(
        lead_word=_role_label(group.items, "lead"),
        lead=group.lead_items,
        co_word=_role_label(group.items, "co"),
        co=group.co_items,
    )
    heading = texts.LV_UNIT_HEADER.format(unit=group.unit, counts=counts)
    return heading if group.assigned else heading + texts.UNASSIGNED


def unit_report_pages(report: UnitReport, limit: int | None = TELEGRAM_LIMIT) -> list[str]:
    """Overdue, upcoming or my-tasks lists, grouped by unit."""
    scope = report.scope.label or texts.LV_EVERYTHING
    day = table_day(report.today)
    if report.kind == "overdue":
        # The red light says there is something overdue; an empty list gets none.
        title_template = texts.LV_OVERDUE_TITLE if report.groups else texts.LV_OVERDUE_TITLE_CLEAR
        title = title_template.format(scope=scope, date=day)
        counts = texts.LV_OVERDUE_COUNTS.format(
            items=report.item_count, measures=report.measure_count, units=report.unit_count
        )
        empty = texts.LV_OVERDUE_NONE
    elif report.kind == "upcoming":
        title = texts.LV_UPCOMING_TITLE.format(days=report.days, scope=scope, date=day)
        counts = texts.LV_UPCOMING_COUNTS.format(
            items=report.item_count, measures=report.measure_count, units=report.unit_count
        )
        empty = texts.LV_UPCOMING_NONE.format(days=report.days)
    else:
        title = texts.LV_MYTASKS_TITLE.format(scope=scope, date=day)
        late = {i.measure.id for g in report.groups for i in g.items if i.item and i.days_left < 0}
        counts = texts.LV_MYTASKS_COUNTS.format(measures=report.measure_count, overdue=len(late))
        empty = texts.LV_MYTASKS_NONE
    if not report.groups:
        return [f"{title}\n{empty}"]
    blocks = _Blocks()
    sections = [Section(_group_heading(g), _measure_blocks(g, blocks)) for g in report.groups]
    return paginate(f"{title}\n{counts}", sections, limit)


COMPACT_TEXT_CHARS = 24
"""How much of a milestone's text the compact /overdue quotes."""
COMPACT_LISTED_UNITS = 4
"""A role with at most this many units names each; more are counted (各街道乡镇 22 个)."""


def unit_state(entry: ProgressEntry | None) -> str:
    """A unit's latest status in a summary: 未报送, 进行中 60%, or ⛔受阻 (受阻 is marked everywhere)."""
    if entry is None:
        return texts.LV_NOT_REPORTED
    return _entry_status(entry)


def units_summary(rows: Sequence[tuple[str, str]], groups: Mapping[str, Sequence[str]]) -> str:
    """Units and their states, as short as they can say everything: a few by name; many counted,
    by the group they make up (各街道乡镇 22 个) if they do, with the ones that differ named."""
    by_state: dict[str, list[str]] = {}
    for unit, state in rows:
        by_state.setdefault(state, []).append(unit)
    names = [unit for unit, _ in rows]
    if len(rows) <= COMPACT_LISTED_UNITS:
        return texts.CLAUSE_SEPARATOR.join(
            texts.LV_COMPACT_LISTED.format(units=texts.LIST_SEPARATOR.join(units), status=state)
            for state, units in by_state.items()
        )
    group = next((label for label, members in groups.items() if set(members) == set(names)), None)
    counted = (
        texts.LV_COMPACT_GROUP.format(group=group, count=len(rows))
        if group is not None
        else texts.LV_COMPACT_COUNT.format(count=len(rows))
    )
    common = max(by_state, key=lambda state: len(by_state[state]))
    others = [(unit, state) for unit, state in rows if state != common]
    if not others:
        return texts.LV_COMPACT_ALL.format(units=counted, status=common)
    if len(others) <= COMPACT_LISTED_UNITS:
        exceptions = texts.LIST_SEPARATOR.join(
            texts.LV_COMPACT_LISTED.format(units=unit, status=state) for unit, state in others
        )
        return texts.LV_COMPACT_EXCEPT.format(units=counted, exceptions=exceptions, status=common)
    tally = texts.LIST_SEPARATOR.join(
        texts.LV_COMPACT_TALLY_PART.format(status=state, count=len(units))
        for state, units in by_state.items()
    )
    return texts.LV_COMPACT_TALLY.format(units=counted, tally=tally)


def overdue_compact_pages(
    report: UnitReport, groups: Mapping[str, Sequence[str]], limit: int | None = TELEGRAM_LIMIT
) -> list[str]:
    """/overdue for a phone: each overdue item once, its units summarised by role (主责 …；协办 …),
    nothing the long form says left out (a unit is named, or counted in its group)."""
    scope = report.scope.label or texts.LV_EVERYTHING
    day = table_day(report.today)
    if not report.groups:
        return [f"{texts.LV_OVERDUE_TITLE_CLEAR.format(scope=scope, date=day)}\n{texts.LV_OVERDUE_NONE}"]
    title = texts.LV_OVERDUE_TITLE.format(scope=scope, date=day)
    counts = texts.LV_OVERDUE_COUNTS.format(
        items=report.item_count, measures=report.measure_count, units=report.unit_count
    )
    blocks = [_compact_block(rows, groups) for rows in _by_item(report)]
    blocks.append(texts.LV_OVERDUE_DETAIL_HINT)
    return paginate(f"{title}\n{counts}", [Section("", blocks)], limit)


def _by_item(report: UnitReport) -> list[list[UnitItem]]:
    """The report's rows gathered per item (a measure's deadline or milestone, or its undated
    work), most pressing first: by due day, then in the plan's order."""
    by_item: dict[tuple[str, date | None], list[UnitItem]] = {}
    for group in report.groups:
        for unit_item in group.items:
            key = (unit_item.measure.id, unit_item.item.due if unit_item.item is not None else None)
            by_item.setdefault(key, []).append(unit_item)

    def most_pressing_first(rows: list[UnitItem]) -> tuple[date, tuple[int, ...]]:
        first = rows[0]
        due = first.item.due if first.item is not None else date.max
        return due, tuple(int(part) for part in first.measure.id.split("-") if part.isdigit())

    return sorted(by_item.values(), key=most_pressing_first)


def _compact_block(rows: Sequence[UnitItem], groups: Mapping[str, Sequence[str]]) -> str:
    """One item once: its light, measure and title, the item, and its units summarised by role."""
    first = rows[0]
    light = max((row.light for row in rows), key=_LIGHT_ORDER.index)
    lines = [texts.LV_COMPACT_ITEM.format(light=light, measure=first.measure.id, title=first.measure.title)]
    lines.append(_item_line(first, COMPACT_TEXT_CHARS))
    for role in ("lead", "co"):
        owing = [row for row in rows if row.role == role]
        if not owing:
            continue
        states = [
            (row.unit if row.assigned else row.unit + texts.UNASSIGNED, unit_state(row.entry))
            for row in owing
        ]
        role_word = owing[0].role_word or texts.LV_ROLE[role]
        lines.append(texts.LV_COMPACT_ROLE.format(role=role_word, units=units_summary(states, groups)))
    return "\n".join(lines)


MYTASKS_PER_PAGE = 10
"""/mytasks in chat shows this many items a page, most urgent first; a button shows the next."""


def mytasks_pages(
    report: UnitReport, groups: Mapping[str, Sequence[str]], per_page: int = MYTASKS_PER_PAGE
) -> list[str]:
    """/mytasks for a phone: the next ``per_page`` items, most urgent first (overdue longest, then
    by due day, undated work last), each once with its units summarised as in /overdue."""
    scope = report.scope.label or texts.LV_EVERYTHING
    title = texts.LV_MYTASKS_TITLE.format(scope=scope, date=table_day(report.today))
    if not report.groups:
        return [f"{title}\n{texts.LV_MYTASKS_NONE}"]
    late = {i.measure.id for g in report.groups for i in g.items if i.item and i.days_left < 0}
    counts = texts.LV_MYTASKS_COUNTS.format(measures=report.measure_count, overdue=len(late))
    entries = _by_item(report)
    count = (len(entries) + per_page - 1) // per_page
    pages = []
    for number in range(count):
        shown = entries[number * per_page : (number + 1) * per_page]
        top = f"{title}\n{counts}"
        if count > 1:
            first = number * per_page + 1
            top += "\n" + texts.LV_MYTASKS_RANGE.format(
                first=first, last=first + len(shown) - 1, total=len(entries)
            )
        blocks = [_compact_block(rows, groups) for rows in shown]
        if number + 1 < count:
            blocks.append(texts.LV_MYTASKS_MORE.format(left=len(entries) - (number + 1) * per_page))
        pages.append(fit_message(top + "\n\n" + "\n".join(blocks)))
    return pages


def _measure_row(row: SummaryRow) -> str:
    """A row counting measures as a whole (the total, an annex)."""
    return texts.LV_SUMMARY_MEASURE_ROW.format(**row.to_json()) + _period_counts(row)


def _period_counts(row: SummaryRow) -> str:
    """Standing duties' own column, where the row has any: 本期已报送 / 未报送."""
    if not row.period_reported + row.period_missing:
        return ""
    return texts.LV_SUMMARY_PERIOD.format(reported=row.period_reported, missing=row.period_missing)


def _unit_row(row: SummaryRow) -> str:
    """A row counting one unit's own state on its measures (never partly done)."""
    fields = row.to_json()
    if not row.assigned:
        fields["label"] += texts.UNASSIGNED
    return texts.LV_SUMMARY_UNIT_ROW.format(**fields) + _period_counts(row)


SummaryPart = Literal["all", "annexes", "units"]


def summary_pages(
    summary: Summary, limit: int | None = TELEGRAM_LIMIT, part: SummaryPart = "all"
) -> list[str]:
    """The whole summary, every row in full (the CLI), or one part of it: each annex, or every
    unit (what the compact /summary's buttons open)."""
    title = texts.LV_SUMMARY_TITLE.format(
        scope=summary.scope.label or texts.LV_EVERYTHING, date=table_day(summary.today)
    )
    if summary.total.total == 0:
        return [f"{title}\n{texts.LV_SUMMARY_NONE}"]
    header = f"{title}\n{texts.LV_SUMMARY_LEGEND}\n{_measure_row(summary.total)}"
    sections = []
    if part != "units":
        sections.append(Section(texts.LV_SUMMARY_BY_ANNEX, [_measure_row(r) for r in summary.annexes]))
    if part == "units":
        # Opened from the chat's /summary: one line a unit (about 60 lines, not 180 over 2 pages).
        sections.append(Section(texts.LV_SUMMARY_BY_UNIT, [_compact_unit_row(r) for r in summary.units]))
    elif part != "annexes":
        sections.append(Section(texts.LV_SUMMARY_BY_UNIT, [_unit_row(r) for r in summary.units]))
    return paginate(header, sections, limit)


def _compact_unit_row(row: SummaryRow) -> str:
    """A unit's row on one line: 完成 and 逾期 always, the other states where there are any."""
    label = row.label if row.assigned else row.label + texts.UNASSIGNED
    return texts.LV_SUMMARY_COMPACT_UNIT_ROW.format(
        light=row.light, label=label, total=row.total, counts=_compact_counts(row)
    )


SUMMARY_LAGGING = 5
"""The compact /summary names this many of the units last in the ranking."""


def summary_compact(summary: Summary, ranking: Sequence[UnitScore]) -> str:
    """/summary on one screen: the totals, each annex on one line, and the units last in the
    ranking (by results: 办结率, then 逾期项数, as the 通报 ranks them), worst first."""
    title = texts.LV_SUMMARY_TITLE.format(
        scope=summary.scope.label or texts.LV_EVERYTHING, date=table_day(summary.today)
    )
    if summary.total.total == 0:
        return f"{title}\n{texts.LV_SUMMARY_NONE}"
    lines = [
        title,
        texts.LV_SUMMARY_COMPACT_TOTAL.format(
            light=summary.total.light, total=summary.total.total, counts=_compact_counts(summary.total)
        ),
        "",
        texts.LV_SUMMARY_COMPACT_ANNEXES,
    ]
    lines += [
        texts.LV_SUMMARY_COMPACT_ANNEX.format(
            light=row.light, label=short_annex_label(row.label), total=row.total, counts=_compact_counts(row)
        )
        for row in summary.annexes
    ]
    ranked = [score for score in ranking if score.place is not None]
    if not ranked:
        lines += ["", texts.LV_SUMMARY_COMPACT_UNRANKED]
    elif len(ranked) == 1:  # one unit's chat: its own figures, no place among one
        lines += ["", texts.LV_SUMMARY_COMPACT_ONE]
    else:
        lines += ["", texts.LV_SUMMARY_COMPACT_LAGGING.format(count=min(SUMMARY_LAGGING, len(ranked)))]
    for score in list(reversed(ranked))[:SUMMARY_LAGGING]:
        line = texts.LV_SUMMARY_COMPACT_UNIT.format(
            unit=score.unit,
            rate=percent_text(score.completion_rate),
            completed=score.completed,
            due=score.due,
            overdue=score.overdue,
        )
        if len(ranked) > 1:
            line += texts.LV_SUMMARY_COMPACT_PLACE.format(place=score.place, ranked=len(ranked))
        lines.append(line)
    lines += ["", texts.LV_SUMMARY_COMPACT_HINT]
    return "\n".join(lines)


def _compact_counts(row: SummaryRow) -> str:
    """A row's counts on one line: 完成 and 逾期 always, the other states where there are any."""
    parts = [
        texts.LV_SUMMARY_COMPACT_PART.format(state=texts.LV_SUMMARY_STATE["complete"], count=row.complete)
    ]
    for state, count in (
        ("partly_done", row.partly_done),
        ("in_progress", row.in_progress),
        ("blocked", row.blocked),
        ("not_started", row.not_started),
        ("period_reported", row.period_reported),
        ("period_missing", row.period_missing),
    ):
        if count:
            parts.append(
                texts.LV_SUMMARY_COMPACT_PART.format(state=texts.LV_SUMMARY_STATE[state], count=count)
            )
    parts.append(
        texts.LV_SUMMARY_COMPACT_PART.format(state=texts.LV_SUMMARY_STATE["overdue"], count=row.overdue)
    )
    return texts.LV_SCOPE_SEPARATOR.join(parts)


def short_annex_label(label: str) -> str:
    """附件2 大气污染防治 for 附件2 通州区大气污染防治2023年行动计划: the words that tell annexes apart."""
    return re.sub(r"(北京市)?通州区|[0-9]{4}年?行动计划$", "", label).strip()


def evidence_files(refs: Sequence[str]) -> str:
    """How many files of each kind: 照片 2 份、文件 1 份."""
    kinds = Counter(parse_evidence_ref(ref)[0] for ref in refs)
    return texts.LIST_SEPARATOR.join(
        texts.LV_EVIDENCE_FILES.format(
            kind=texts.BOT_EVIDENCE_KINDS.get(kind, texts.LV_EVIDENCE_OTHER), count=n
        )
        for kind, n in kinds.items()
    )


def _history_line(entry: ProgressEntry) -> str:
    """One report: its day, status and note, then how it came (the files it carried, marked 📎, or
    the button, reply, command or command line) and who sent it."""
    note = f" {shorten(entry.note, NOTE_CHARS)}" if entry.note else ""
    how = []
    if entry.evidence:
        how.append(texts.LV_EVIDENCE_MARK.format(files=evidence_files(entry.evidence)))
    if not (entry.evidence and entry.source == "evidence"):
        how.append(texts.LV_SOURCE[entry.source])
    if entry.user_name:
        how.append(entry.user_name)
    return texts.LV_STATUS_HISTORY.format(
        at=table_day(entry.at.date()),
        status=_entry_status(entry),
        note=note,
        how=texts.LV_SCOPE_SEPARATOR.join(how),
    )


def _months_stated(raw: str, months: Sequence[int]) -> bool:
    """Whether the plan's own words already name the months (夏季（6-9月）)."""
    named = {int(number) for number in re.findall(r"[0-9]+", raw)}
    contiguous = list(months) == list(range(months[0], months[-1] + 1))
    return set(months) <= named or (contiguous and {months[0], months[-1]} <= named)


def recurrence_text(recurrence: Recurrence) -> str:
    """The plan's phrase, with its months only where they add something: 第二、三季度每月（4–9月）,
    but 按季度 and 夏季（6-9月）as written."""
    months = recurrence.months
    if not months or len(months) == 12 or _months_stated(recurrence.raw, months):
        return texts.LV_STATUS_RECURRENCE.format(raw=recurrence.raw, months="")
    if list(months) == list(range(months[0], months[-1] + 1)) and len(months) > 2:
        spelled = texts.LV_MONTH_RANGE.format(first=months[0], last=months[-1])
    else:
        spelled = texts.LIST_SEPARATOR.join(map(str, months))
    return texts.LV_STATUS_RECURRENCE.format(
        raw=recurrence.raw, months=texts.LV_STATUS_MONTHS.format(months=spelled)
    )


def unknown_measure_text(error: UnknownMeasure) -> str:
    """No such measure: the ID format, and the measures of the annex and task it names if any."""
    text = texts.LV_UNKNOWN_MEASURE.format(text=cut(error.measure_id, ARGUMENT_CHARS))
    if error.same_task:
        annex, task, _ = error.measure_id.split("-")
        ids = texts.LIST_SEPARATOR.join(error.same_task)
        text += "\n" + texts.LV_SAME_TASK.format(annex=annex, task=task, ids=ids)
    return text


def status_pages(
    status: MeasureStatus,
    limit: int | None = TELEGRAM_LIMIT,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """/status: the measure's facts, its items with each unit's state on them, and each unit's
    progress. Units of one role that have not reported are folded into one line when there are
    more than ``COMPACT_LISTED_UNITS`` (2-63-1's 22 协办 streets and towns: "各街道乡镇 22 个"),
    so a measure of many units fits a phone without losing a name."""
    m = status.measure
    today = status.today
    header = texts.LV_STATUS_TITLE.format(measure=m.id, title=m.title)
    facts = [
        texts.LV_STATUS_WHERE.format(annex=m.annex, annex_title=status.annex_title, section=m.section),
        texts.LV_STATUS_TEXT.format(text=m.text),
        texts.LV_STATUS_DEADLINE.format(
            raw=m.deadline.raw,
            due=texts.LV_STATUS_DUE.format(due=table_day(m.deadline.due)) if m.deadline.due else "",
        ),
    ]
    facts += [texts.LV_STATUS_MILESTONE.format(due=table_day(ms.due), text=ms.text) for ms in m.milestones]
    facts += [recurrence_text(r) for r in m.recurrences]
    leaders = texts.LIST_SEPARATOR.join(status.leaders)
    facts.append(texts.LV_STATUS_LEADERS.format(leaders=leaders or texts.NOTHING))
    if status.complete:
        facts.append(texts.LV_STATUS_COMPLETE)
    elif status.overdue_items:
        first = status.overdue_items[0]
        late = next((i for i in status.items if i.item.id == first.id), None)
        facts.append(
            texts.LV_STATUS_OVERDUE.format(
                kind=texts.LV_ITEM_KIND[first.kind],
                due=table_day(first.due),
                days=overdue_days((today - first.due).days, late.workdays_overdue if late else None),
            )
        )
    else:
        facts.append(texts.LV_STATUS_OPEN)
    if status.next_item is not None and not status.complete:
        item = status.next_item
        facts.append(
            texts.LV_STATUS_NEXT.format(
                due=table_day(item.due),
                text=shorten(item.text, MILESTONE_TEXT_CHARS),
                when=_when(item, (item.due - today).days),
            )
        )
    if status.acknowledgements:
        signed = [
            texts.LV_STATUS_ACK.format(
                recipient=ack.recipient, who=ack.user_name, at=table_day(ack.at.date())
            )
            for ack in status.acknowledgements
        ]
        facts.append(texts.LV_STATUS_ACKS.format(acks=texts.CLAUSE_SEPARATOR.join(signed)))
    unit_blocks = []
    silent = [
        (unit.unit, (unit.light, unit.role))
        for unit in status.units
        if unit.latest is None
        and not unit.covered
        and not unit.recent
        and not unit.evidence
        and unit.assigned
    ]
    folded = _folded(silent, groups or {})
    for unit in status.units:
        fold = folded.get(unit.unit)
        if fold == "":
            continue  # said by its role's folded line
        if fold is not None:
            role = status.role_words.get(unit.role) or texts.LV_ROLE[unit.role]
            unit_blocks.append(
                texts.LV_STATUS_UNIT.format(
                    light=unit.light, role=role, unit=fold, latest=texts.LV_NOT_REPORTED
                )
            )
            continue
        latest = (
            texts.LV_STATUS_LATEST.format(
                status=_entry_status(unit.latest), at=table_day(unit.latest.at.date())
            )
            if unit.latest is not None
            else texts.LV_NOT_REPORTED
        )
        if unit.covered:
            latest += texts.LV_STATUS_COVERED
        name = unit.unit if unit.assigned else unit.unit + texts.UNASSIGNED
        role = status.role_words.get(unit.role) or texts.LV_ROLE[unit.role]
        lines = [texts.LV_STATUS_UNIT.format(light=unit.light, role=role, unit=name, latest=latest)]
        lines += [_history_line(entry) for entry in unit.recent]
        if unit.evidence and unit.evidence_last is not None:
            lines.append(
                texts.LV_STATUS_EVIDENCE.format(
                    count=len(unit.evidence),
                    files=evidence_files(unit.evidence),
                    at=table_day(unit.evidence_last),
                )
            )
        unit_blocks.append("\n".join(lines))
    return paginate(
        header,
        [
            Section("", ["\n".join(facts)]),
            *([Section(texts.SV_STATUS_SECTION, record)] if (record := supervision_lines(status)) else []),
            Section(texts.LV_STATUS_ITEMS, _item_blocks(status, groups or {})),
            Section(texts.LV_STATUS_UNITS, unit_blocks),
        ],
        limit,
    )


def supervision_lines(status: MeasureStatus) -> list[str]:
    """The measure's supervision record for /status: extensions, reviews and 催办, oldest first."""
    lines = []
    for e in status.extensions:
        unit = e.unit or texts.SV_ALL_UNITS
        if e.state == "approved" and e.decided_at is not None:
            lines.append(
                texts.SV_STATUS_EXTENDED.format(
                    unit=unit,
                    to=e.to,
                    original=e.original,
                    by=e.decided_by or texts.SV_ADMIN,
                    day=cn_day(e.decided_at.date()),
                )
            )
        elif e.state == "rejected" and e.decided_at is not None:
            lines.append(
                texts.SV_STATUS_REJECTED.format(
                    unit=unit,
                    to=e.to,
                    by=e.decided_by or texts.SV_ADMIN,
                    day=cn_day(e.decided_at.date()),
                    reason=e.decision_reason or texts.NOTHING,
                )
            )
        else:
            lines.append(
                texts.SV_STATUS_REQUESTED.format(
                    unit=unit, to=e.to, day=cn_day(e.requested_at.date()), reason=e.reason
                )
            )
    for r in status.reviews:
        decided = r.at is not None and r.at.date() <= status.today
        state = r.state if decided else "pending"
        lines.append(
            texts.SV_STATUS_REVIEW[state].format(
                unit=r.unit, day=cn_day(r.claimed), by=r.by or texts.SV_ADMIN, reason=r.reason
            )
        )
    for c in status.chases:
        lines.append(
            texts.SV_STATUS_CHASED.format(
                unit=c.unit, day=cn_day(c.day), by=c.by or texts.SV_ADMIN, item=c.item
            )
        )
    for m in status.monthly:
        answered = m.answered_at is not None and m.answered_at.date() <= status.today
        if answered and m.answered_at is not None:
            lines.append(
                texts.SV_STATUS_MONTHLY_ANSWERED.format(
                    unit=m.unit, day=cn_day(m.day), by=m.answered_by, answered=cn_day(m.answered_at.date())
                )
            )
        else:
            lines.append(texts.SV_STATUS_MONTHLY.format(unit=m.unit, day=cn_day(m.day)))
    return lines


def cn_day(day: date) -> str:
    """6月27日: how a decision's day reads in a sentence."""
    return f"{day.month}月{day.day}日"


STATUS_PERIODS_SHOWN = 1
"""/status shows this many check-in periods (the current one); the JSON carries them all."""


def _folded(units: Sequence[tuple[str, object]], groups: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """For units that have said nothing, keyed by what must match to fold them (role, light): the
    first unit of each key with more than ``COMPACT_LISTED_UNITS`` units gets the folded name
    (their group and count, else their names), the others ""; units not folded are left out."""
    by_key: dict[object, list[str]] = {}
    for unit, key in units:
        by_key.setdefault(key, []).append(unit)
    folded: dict[str, str] = {}
    for names in by_key.values():
        if len(names) <= COMPACT_LISTED_UNITS:
            continue
        group = next((label for label, members in groups.items() if set(members) == set(names)), None)
        folded[names[0]] = (
            texts.LV_COMPACT_GROUP.format(group=group, count=len(names))
            if group is not None
            else texts.LIST_SEPARATOR.join(names)
        )
        folded.update({name: "" for name in names[1:]})
    return folded


def _item_blocks(status: MeasureStatus, groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Each item with its state and each unit's on it: the dated items, then the current period."""
    periods = [i for i in status.items if i.item.kind == "checkin"][-STATUS_PERIODS_SHOWN:]
    shown = [i for i in status.items if i.item.kind != "checkin"] + periods
    blocks = []
    for state in shown:
        item = state.item
        if state.complete:
            light, when = "✅", texts.LV_ITEM_COMPLETE
        elif state.days_overdue:
            light, when = "🔴", overdue_days(state.days_overdue, state.workdays_overdue)
        elif item.kind == "checkin" or item.kind == "window":
            light, when = (
                "⏳",
                texts.LV_ITEM_SPAN.format(start=table_day(item.start or item.due), end=table_day(item.due)),
            )
        else:
            light, when = "⏳", _when(item, (item.due - status.today).days)
        what = (
            texts.LV_ITEM_WHAT.format(text=shorten(item.text, MILESTONE_TEXT_CHARS))
            if item.kind == "milestone"
            else ""
        )
        lines = [
            texts.LV_STATUS_ITEM.format(
                light=light, kind=texts.LV_ITEM_KIND[item.kind], item=item.id, what=what, when=when
            )
        ]
        folded = _folded([(u.unit, u.role) for u in state.units if not u.done and u.entry is None], groups)
        for unit in state.units:
            role = status.role_words.get(unit.role) or texts.LV_ROLE[unit.role]
            fold = folded.get(unit.unit)
            if fold == "":
                continue  # said by its role's folded line
            if fold is not None:
                lines.append(
                    texts.LV_STATUS_ITEM_UNIT.format(role=role, unit=fold, said=texts.LV_NOT_REPORTED, at="")
                )
                continue
            if unit.done:
                said = texts.LV_ITEM_UNIT_DONE if item.dated else texts.LV_ITEM_UNIT_REPORTED
            elif unit.entry is not None:
                said = _entry_status(unit.entry)
            else:
                said = texts.LV_NOT_REPORTED
            at = (
                texts.LV_ITEM_UNIT_AT.format(at=table_day(unit.entry.at.date()))
                if unit.entry is not None
                else ""
            )
            lines.append(texts.LV_STATUS_ITEM_UNIT.format(role=role, unit=unit.unit, said=said, at=at))
        blocks.append("\n".join(lines))
    return blocks


FOUND_TITLE_CHARS = 12
FOUND_TEXT_CHARS = 24


def found_text(matches: Matches) -> str:
    """The measures words found, one line each (ID, task, the start of its text); plain text."""
    words = cut(" ".join(matches.words), ARGUMENT_CHARS)
    if not matches.measures:
        return texts.LV_FIND_NONE.format(words=words)
    lines = [texts.LV_FIND_TITLE.format(words=words, count=matches.total)]
    lines += [
        texts.LV_FIND_ROW.format(
            measure=m.id, title=shorten(m.title, FOUND_TITLE_CHARS), text=shorten(m.text, FOUND_TEXT_CHARS)
        )
        for m in matches.measures
    ]
    if matches.total > len(matches.measures):
        lines.append(texts.LV_FIND_MORE.format(shown=len(matches.measures)))
    lines.append(texts.LV_FIND_PRESS)
    return "\n".join(lines)


def found_button(measure: Measure) -> str:
    return texts.LV_FIND_BUTTON.format(measure=measure.id, title=shorten(measure.title, FOUND_TITLE_CHARS))
