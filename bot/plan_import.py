"""Import the action plan from its text conversion (.docx → .txt) into the plan model.

The text keeps the .docx tables as tab-structured lines:

- a line that begins with a tab (after optional spaces) starts a cell; a line without a tab
  continues the cell before it; blank lines usually separate rows but are not reliable (rows
  run together, and a blank line can fall inside a row), so rows are read by counting cells:
  a section row (一、…) is one cell, a table row is seven;
- ``附件N`` on a line of its own starts an annex, the next line is its title, then comes the
  header row (序号 | 重点任务 | 工作措施 | 完成时限 | 牵头领导 | 主责单位/牵头部门 | 协办单位/责任单位);
- noise: bookmark markers ``[bookmark: _Hlk…]`` and page footers ``- 1 -`` are dropped;
- merged cells: an empty 重点任务 or 完成时限 continues the cell above, an empty 序号 is one
  more measure row of the task above; an empty 协办单位, ``——`` or ``—`` means none;
- names: leaders lose the spaces the .docx used for alignment, run-together leaders and units
  are split, units broken over two lines are joined, always using names known from the
  document itself (and, when given, the directory); nothing is split by guessing.

Anything the importer cannot interpret raises ``PlanImportError`` naming the annex, row and line.
Pure: no clock, no Telegram, no files (the CLI reads and writes them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.dates import DateRuleError, find_milestones, find_recurrences, parse_deadline
from bot.directory import Directory
from bot.models import Annex, Deadline, Measure, Plan

NO_UNITS = frozenset({"", "——", "—", "－", "-"})
"""协办单位 cells that mean "none"."""

COLUMNS = ("序号", "重点任务", "工作措施", "完成时限", "牵头领导", "主责单位", "协办单位")
_HEADER_ALTERNATIVES: dict[int, tuple[str, ...]] = {5: ("主责单位", "牵头部门"), 6: ("协办单位", "责任单位")}

_ANNEX_HEADING = re.compile(r"^\s*附件\s*(\d+)\s*$")
_CELL_START = re.compile(r"^[ \u3000]*\t")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_PAGE_FOOTER = re.compile(r"^\s*[-－—]\s*\d+\s*[-－—]\s*$")
_SECTION = re.compile(r"^[一二三四五六七八九十]+、")
_ISSUED = re.compile(r"^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$")
_COVER_ANNEX = re.compile(r"^(?:附件[:：])?\s*(\d+)[.．、]\s*(.+?)\s*$")
_PLAN_YEAR = re.compile(r"(\d{4})年")
_NAME_CHARS = re.compile(r"^[\u4e00-\u9fff·]+$")
_WHITESPACE = re.compile(r"\s+")


class PlanImportError(Exception):
    """The source cannot be interpreted. ``str()`` names the annex, row and line."""

    def __init__(self, message: str, *, annex: int | None = None, row: str | None = None, line: int) -> None:
        self.message = message
        self.annex = annex
        self.row = row
        self.line = line
        where = [f"annex {annex}" if annex is not None else "cover page"]
        if row:
            where.append(f"row {row}")
        where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass(frozen=True)
class Where:
    """A table row's location, for error messages."""

    annex: int
    row: str

    def error(self, message: str, line: int) -> PlanImportError:
        return PlanImportError(message, annex=self.annex, row=self.row, line=line)


@dataclass(frozen=True)
class KnownNames:
    """Names the importer may use to split or join, besides those found in the document."""

    units: frozenset[str] = frozenset()
    leaders: frozenset[str] = frozenset()


# --- reading cells --------------------------------------------------------------------------


@dataclass
class Cell:
    line: int
    lines: list[str] = field(default_factory=list)
    after_blank: bool = False

    @property
    def text(self) -> str:
        """The cell's non-empty lines, stripped, one per line."""
        return "\n".join(part for part in (raw.strip() for raw in self.lines) if part)

    @property
    def flat(self) -> str:
        """The cell as one line, for short cells the .docx wrapped (长期 / 实施)."""
        return join_wrapped(self.text.split("\n"))


def join_wrapped(parts: Iterable[str]) -> str:
    """Join lines the .docx wrapped: no space between Chinese, one between two Latin words."""
    joined = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if (
            joined
            and joined[-1].isascii()
            and joined[-1].isalnum()
            and part[0].isascii()
            and part[0].isalnum()
        ):
            joined += " "
        joined += part
    return joined


@dataclass
class AnnexBlock:
    no: int
    title: str
    heading_line: int
    cells: list[Cell]


def _clean(line: str) -> str:
    """Drop bookmark markers and trailing spaces, keeping a cell-starting tab."""
    cleaned = _BOOKMARK.sub("", line)
    return cleaned.rstrip() if not _CELL_START.match(cleaned) else cleaned.rstrip(" \u3000\r")


def _split_document(lines: Sequence[str]) -> tuple[list[tuple[int, str]], list[AnnexBlock]]:
    """The cover page (numbered lines before the first annex) and the annexes as cell streams."""
    cover: list[tuple[int, str]] = []
    annexes: list[AnnexBlock] = []
    current: AnnexBlock | None = None
    expect_title = False
    blank_before = False
    for number, raw in enumerate(lines, start=1):
        line = _clean(raw)
        if _PAGE_FOOTER.match(line):
            continue
        if heading := _ANNEX_HEADING.match(line):
            current = AnnexBlock(int(heading[1]), "", number, [])
            annexes.append(current)
            expect_title = True
            continue
        if current is None:
            cover.append((number, line))
            continue
        if not line.strip() and not _CELL_START.match(line):
            blank_before = True
            continue
        if expect_title:
            if _CELL_START.match(line):
                raise PlanImportError(
                    "the annex heading is not followed by its title", annex=current.no, line=number
                )
            current.title = line.strip()
            expect_title = False
            blank_before = False
            continue
        if _CELL_START.match(line):
            current.cells.append(Cell(number, [line.split("\t", 1)[1]], after_blank=blank_before))
        elif current.cells:
            current.cells[-1].lines.append(line)
        else:
            raise PlanImportError(f"text before the table: {line.strip()!r}", annex=current.no, line=number)
        blank_before = False
    if current is not None and expect_title:
        raise PlanImportError("the file ends after the annex heading", annex=current.no, line=len(lines))
    return cover, annexes


# --- the cover page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    title: str
    year: int
    issued: date
    annexes: dict[int, str]


def _read_cover(cover: Sequence[tuple[int, str]]) -> Cover:
    last_line = cover[-1][0] if cover else 1
    text = "".join(line.strip() for _, line in cover)
    title_match = re.search(r"印发《(.+?)》", text) or re.search(r"《(.+?)》", text)
    if title_match is None:
        raise PlanImportError("no plan title 《…》 on the cover page", line=last_line)
    title = title_match[1]
    year_match = _PLAN_YEAR.search(title)
    if year_match is None:
        raise PlanImportError(f"the plan title names no year: {title!r}", line=last_line)
    issued: date | None = None
    for number, line in cover:
        if match := _ISSUED.match(line):
            try:
                issued = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise PlanImportError(f"not a date: {line.strip()!r}", line=number) from None
    if issued is None:
        raise PlanImportError(
            "no issue date (YYYY年M月D日 on a line of its own) on the cover page", line=last_line
        )
    annexes: dict[int, str] = {}
    in_list = False
    for _, line in cover:
        stripped = line.strip()
        if stripped.startswith(("附件:", "附件：")):
            in_list = True
        if not in_list:
            continue
        if not stripped:
            break
        if match := _COVER_ANNEX.match(stripped):
            annexes[int(match[1])] = match[2]
    return Cover(title=title, year=int(year_match[1]), issued=issued, annexes=annexes)


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    annex: int
    section: str
    cells: tuple[Cell, ...]
    columns: tuple[str, ...]
    """The annex's own column names (附件3 and 附件4 say 牵头部门 / 责任单位), for messages."""


def _starts_next_row(cell: Cell) -> bool:
    """Whether a cell inside a row's span is really the next row's start (so a cell is missing).

    A bare number is never a task, measure, deadline, name or unit: it is a 序号. A section
    heading only counts after a blank line, since a measure's text could begin with 一、.
    """
    return cell.flat.isdigit() or (cell.after_blank and bool(_SECTION.match(cell.flat)))


def _check_header(block: AnnexBlock, cells: Sequence[Cell]) -> tuple[str, ...]:
    if len(cells) < len(COLUMNS):
        line = cells[0].line if cells else block.heading_line
        raise PlanImportError(
            "the table header is incomplete (the file looks truncated)", annex=block.no, line=line
        )
    names: list[str] = []
    for index, cell in enumerate(cells):
        name = _WHITESPACE.sub("", cell.flat)
        names.append(name)
        allowed = _HEADER_ALTERNATIVES.get(index, (COLUMNS[index],))
        # 附件3 titles its measures column 2023年工作措施.
        ok = name.endswith("工作措施") if index == 2 else name in allowed
        if not ok:
            raise PlanImportError(
                f"header column {index + 1} is {name!r}, expected {' or '.join(allowed)}",
                annex=block.no,
                line=cell.line,
            )
    return tuple(names)


def _rows(block: AnnexBlock) -> list[RawRow]:
    """Group an annex's cells into section headings and seven-cell table rows."""
    width = len(COLUMNS)
    cells = block.cells
    columns = _check_header(block, cells[:width])
    rows: list[RawRow] = []
    section = ""
    last_no = ""
    index = width
    while index < len(cells):
        first = cells[index]
        if _SECTION.match(first.flat):
            section = first.flat
            index += 1
            continue
        if first.flat.isdigit():
            last_no = first.flat
        label = f"序号 {first.flat}" if first.flat else f"without 序号 after 序号 {last_no or '(none)'}"
        row = cells[index : index + width]
        for offset, cell in enumerate(row[1:], start=1):
            if _starts_next_row(cell):
                raise PlanImportError(
                    f"the row has {offset} cells, expected {width}: a cell is missing "
                    f"(the next row starts at line {cell.line} with {cell.flat!r})",
                    annex=block.no,
                    row=label,
                    line=first.line,
                )
        if len(row) < width:
            raise PlanImportError(
                f"the row has {len(row)} cells, expected {width}: the file looks truncated",
                annex=block.no,
                row=label,
                line=first.line,
            )
        rows.append(RawRow(block.no, section, tuple(row), columns))
        index += width
    return rows


# --- names ----------------------------------------------------------------------------------


def _segmentations(token: str, vocabulary: frozenset[str], limit: int = 2) -> list[list[str]]:
    """Ways to write ``token`` as a sequence of vocabulary words (at most ``limit`` found)."""
    results: list[list[str]] = []

    def walk(start: int, path: list[str]) -> None:
        if len(results) >= limit:
            return
        if start == len(token):
            results.append(list(path))
            return
        for end in range(len(token), start, -1):
            word = token[start:end]
            if word in vocabulary:
                path.append(word)
                walk(end, path)
                path.pop()

    walk(0, [])
    return results


def _squeeze(text: str) -> str:
    return _WHITESPACE.sub("", text)


def _join_broken(lines: Sequence[str], protected: frozenset[str], known: frozenset[str]) -> list[str]:
    """Rejoin names the .docx broke over lines (区住房城乡 / 建设委 → 区住房城乡建设委).

    Two lines are joined when together they are a known name and neither is a directory name
    on its own, so two real units on consecutive lines are never glued together.
    """
    result: list[str] = []
    index = 0
    while index < len(lines):
        current = lines[index]
        while (
            index + 1 < len(lines)
            and current not in protected
            and lines[index + 1] not in protected
            and current + lines[index + 1] in known
        ):
            index += 1
            current += lines[index]
        if current:
            result.append(current)
        index += 1
    return result


def _unit_lines(cell: Cell) -> list[str]:
    return [_squeeze(line) for line in cell.text.split("\n")]


@dataclass(frozen=True)
class _Names:
    """The vocabulary for splitting and joining names, built from the whole document first.

    Leaders: every two- or three-character token of a 牵头领导 cell is a name (a Chinese name has
    two or three characters), plus the directory's leaders. Units: every line of a unit cell,
    after rejoining broken names, plus the directory's names and aliases.
    """

    leaders: frozenset[str]
    units: frozenset[str]
    directory_units: frozenset[str]

    @classmethod
    def collect(cls, rows: Sequence[RawRow], known: KnownNames) -> _Names:
        leaders = set(known.leaders)
        seen_lines: set[str] = set()
        for row in rows:
            for line in row.cells[4].text.split("\n"):
                token = _squeeze(line)
                if 2 <= len(token) <= 3 and _NAME_CHARS.match(token):
                    leaders.add(token)
            for cell in row.cells[5:7]:
                seen_lines.update(_unit_lines(cell))
        # Fragments of a broken name must not count as names themselves, so the vocabulary is
        # what the cells hold after rejoining.
        candidates = known.units | frozenset(seen_lines)
        units = set(known.units)
        for row in rows:
            for cell in row.cells[5:7]:
                units.update(_join_broken(_unit_lines(cell), known.units, candidates))
        return cls(frozenset(leaders), frozenset(units - NO_UNITS), known.units)

    def leaders_of(self, cell: Cell, where: Where) -> list[str]:
        names: list[str] = []
        for line in cell.text.split("\n"):
            token = _squeeze(line)
            if not token:
                continue
            if token in self.leaders:
                names.append(token)
                continue
            options = _segmentations(token, self.leaders)
            if len(options) != 1 or not _NAME_CHARS.match(token):
                problem = "can be split more than one way" if len(options) > 1 else "is not a known name"
                raise where.error(
                    f"牵头领导 {line.strip()!r} {problem}; a run-together name can only be split into "
                    "names known from the document or the directory's leaders (data/units.json). "
                    "If the cell is right, add the leaders to the directory; otherwise a cell may be "
                    "missing in this row",
                    cell.line,
                )
            names.extend(options[0])
        return names

    def units_of(self, cell: Cell, where: Where, *, column: str, optional: bool = False) -> list[str]:
        lines = _unit_lines(cell)
        if optional and "".join(lines) in NO_UNITS:
            return []
        units: list[str] = []
        for token in _join_broken(lines, self.directory_units, self.units | self.directory_units):
            if token in NO_UNITS or token.isdigit():
                raise where.error(
                    f"{column} {token!r} is not a unit (a cell may be missing in this row)", cell.line
                )
            if token in self.directory_units:
                units.append(token)
                continue
            options = _segmentations(token, self.units - {token})
            if len(options) == 1 and len(options[0]) > 1:
                units.extend(options[0])
            elif len(options) > 1:
                raise where.error(
                    f"{column} {token!r} can be split into known units more than one way", cell.line
                )
            else:
                units.append(token)
        if not units:
            raise where.error(f"{column} is empty", cell.line)
        return units


# --- measures -------------------------------------------------------------------------------


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _measures(rows: Sequence[RawRow], names: _Names, year: int) -> list[Measure]:
    measures: list[Measure] = []
    previous: RawRow | None = None
    task_no = 0
    k = 0
    task = ""
    deadline: Deadline | None = None
    for row in rows:
        if previous is None or previous.annex != row.annex:
            task_no, k, task, deadline = 0, 0, "", None
        same_section = (
            previous is not None and previous.annex == row.annex and previous.section == row.section
        )
        no_cell, task_cell, text_cell, deadline_cell, leader_cell, lead_cell, co_cell = row.cells
        no = no_cell.flat
        if no:
            if not no.isdigit():
                raise PlanImportError(
                    f"序号 {no!r} is not a number "
                    "(a cell may be missing or extra in this row or the one above)",
                    annex=row.annex,
                    line=no_cell.line,
                )
            if int(no) != task_no + 1:
                raise PlanImportError(
                    f"序号 {no} follows 序号 {task_no or '(none)'}: a row is missing or out of order",
                    annex=row.annex,
                    row=f"序号 {no}",
                    line=no_cell.line,
                )
            task_no, k = int(no), 1
            label = f"序号 {no}"
        else:
            if task_no == 0:
                raise PlanImportError(
                    "a row without 序号 has no task above it to belong to", annex=row.annex, line=no_cell.line
                )
            k += 1
            label = f"序号 {task_no} ({_ordinal(k)} measure row)"
        where = Where(row.annex, label)

        this_task = task_cell.flat
        if this_task:
            if not no and this_task != task:
                raise where.error(
                    f"a row without 序号 names another 重点任务 {this_task!r} (the task above is {task!r})",
                    task_cell.line,
                )
            task = this_task
        elif not same_section or not task:
            raise where.error(
                "重点任务 is empty and there is no task above in this section to continue", task_cell.line
            )

        text = text_cell.text
        if not text:
            raise where.error("工作措施 is empty", text_cell.line)

        raw_deadline = deadline_cell.flat
        if raw_deadline:
            try:
                deadline = parse_deadline(raw_deadline, year)
            except DateRuleError as exc:
                raise where.error(f"完成时限: {exc}", deadline_cell.line) from None
        elif not same_section or deadline is None:
            raise where.error(
                "完成时限 is empty and there is no deadline above in this section to continue",
                deadline_cell.line,
            )

        leaders = names.leaders_of(leader_cell, where)
        if not leaders:
            raise where.error("牵头领导 is empty", leader_cell.line)
        try:
            milestones = find_milestones(text, year)
            recurrences = find_recurrences(text)
        except DateRuleError as exc:
            raise where.error(f"工作措施: {exc}", text_cell.line) from None
        assert deadline is not None
        measures.append(
            Measure(
                id=f"{row.annex}-{task_no}-{k}",
                annex=row.annex,
                section=row.section,
                task_no=task_no,
                task=task,
                text=text,
                deadline=deadline,
                milestones=milestones,
                recurrences=recurrences,
                leaders=leaders,
                lead_units=names.units_of(lead_cell, where, column=row.columns[5]),
                co_units=names.units_of(co_cell, where, column=row.columns[6], optional=True),
            )
        )
        previous = row
    return measures


def parse_plan(source: str, known: KnownNames | None = None) -> Plan:
    """The plan in ``source`` (the text conversion of the .docx); raises PlanImportError.

    ``known`` adds names (from the unit directory) that may be used to split run-together
    leaders and units; names found standing alone in the document are always known.
    """
    lines = source.splitlines()
    cover_lines, blocks = _split_document(lines)
    if not blocks:
        raise PlanImportError("no annex (附件N on a line of its own) found", line=len(lines) or 1)
    cover = _read_cover(cover_lines)
    annexes: list[Annex] = []
    rows: list[RawRow] = []
    for expected_no, block in enumerate(blocks, start=1):
        if block.no != expected_no:
            raise PlanImportError(
                f"附件{block.no} where 附件{expected_no} was expected", line=block.heading_line
            )
        listed = cover.annexes.get(block.no)
        if cover.annexes and listed != block.title:
            raise PlanImportError(
                f"the annex title {block.title!r} differs from the cover page's list ({listed!r})",
                annex=block.no,
                line=block.heading_line + 1,
            )
        annex_rows = _rows(block)
        if not any(True for _ in annex_rows):
            raise PlanImportError("the annex has no table rows", annex=block.no, line=block.heading_line)
        columns = annex_rows[0].columns
        annexes.append(Annex(no=block.no, title=block.title, lead_word=columns[5], co_word=columns[6]))
        rows.extend(annex_rows)
    missing = sorted(set(cover.annexes) - {block.no for block in blocks})
    if missing:
        raise PlanImportError(
            f"the cover page lists 附件{missing[0]}, which is not in the file (is it truncated?)",
            annex=blocks[-1].no,
            line=len(lines),
        )
    names = _Names.collect(rows, known or KnownNames())
    measures = _measures(rows, names, cover.year)
    return Plan(title=cover.title, year=cover.year, issued=cover.issued, annexes=annexes, measures=measures)


# --- checking a plan against the directory --------------------------------------------------


@dataclass(frozen=True)
class AnnexCounts:
    """What ``plan check`` counts per annex: tasks are distinct 序号, measures are table rows."""

    annex: int
    title: str
    tasks: int
    measures: int
    deadline_kinds: dict[str, int]
    milestones: int
    recurrences: int


def annex_counts(plan: Plan) -> list[AnnexCounts]:
    counts: list[AnnexCounts] = []
    for annex in plan.annexes:
        measures = [m for m in plan.measures if m.annex == annex.no]
        kinds = {
            kind: sum(1 for m in measures if m.deadline.kind == kind)
            for kind in ("date", "window", "ongoing")
        }
        counts.append(
            AnnexCounts(
                annex=annex.no,
                title=annex.title,
                tasks=len({m.task_no for m in measures}),
                measures=len(measures),
                deadline_kinds=kinds,
                milestones=sum(len(m.milestones) for m in measures),
                recurrences=sum(len(m.recurrences) for m in measures),
            )
        )
    return counts


@dataclass(frozen=True)
class Unresolved:
    """A name in the plan the directory does not know, and where it is used."""

    kind: Literal["unit", "leader"]
    name: str
    measures: tuple[str, ...]


def unresolved_names(plan: Plan, directory: Directory) -> list[Unresolved]:
    """Every unit or leader named in the plan that the directory cannot resolve, in plan order."""
    found: dict[tuple[Literal["unit", "leader"], str], list[str]] = {}
    for measure in plan.measures:
        for unit in [*measure.lead_units, *measure.co_units]:
            if directory.resolve(unit) is None:
                found.setdefault(("unit", unit), []).append(measure.id)
        for leader in measure.leaders:
            if directory.resolve_leader(leader) is None:
                found.setdefault(("leader", leader), []).append(measure.id)
    return [Unresolved(kind, name, tuple(dict.fromkeys(ids))) for (kind, name), ids in found.items()]


def unstaffed_measures(plan: Plan, directory: Directory) -> list[str]:
    """Measures whose lead units stand for nobody yet (open groups no operator has filled in)."""
    return [m.id for m in plan.measures if not any(directory.expand(name) for name in m.lead_units)]


def open_group_usage(plan: Plan, directory: Directory) -> dict[str, list[str]]:
    """Open groups that still have no members, with the measures that name them."""
    usage: dict[str, list[str]] = {}
    for group in directory.groups:
        if group.open and not group.members:
            usage[group.label] = []
    for measure in plan.measures:
        for name in [*measure.lead_units, *measure.co_units]:
            label = directory.resolve(name)
            if label in usage and measure.id not in usage[label]:
                usage[label].append(measure.id)
    return usage
