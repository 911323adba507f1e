"""Progress reports as people type them, and who may report for what.

Pure: no Telegram, no clock. The handlers turn a message into text, call ``parse_progress``,
then ``authorize_report``, and store what comes back with ``record_report``. The ``report`` CLI
command checks a unit named by an operator with ``check_report``.

What people type: a header of measure ID, unit, status and percent, in any order, then a note.
Spaces and Chinese punctuation between parts are optional where the parts cannot run together;
full-width digits, ％ and dashes are fine::

    2-63-1 已完成 已报送评估报告
    进行中 60%                 (replying to a one-item digest: the ID comes from the digest)
    2-63-1 受阻 资金未到位
    3-6-4 区水务局 已完成        (a chat bound to several units names the one it reports for)

The rules, so that nothing is silently guessed:

- A status word (已完成, 完成, 进行中, 未开始, 受阻) is a whole token: it ends the text, or is followed
  by a separator, a digit (``进行中60%``) or a unit name. ``完成了`` is refused with a hint, never read
  as 已完成 with the note "了".
- A percent is a whole number 0–100 written with % or ％ (``60%``, ``进度60%``). A percent that is
  negative, fractional or above 100 is refused; so is a bare number where a percent would stand
  (``进行中 60``), because it is a percent without its sign, not a note.
- A percent never stands in for the status: ``3-6-4 80%`` is refused with a hint, because 80%
  after a 受阻 report could mean the block is lifted, or not; only the unit can say.
- A unit name (or alias) is read only before the status or percent; after them the text is the
  note, which may well begin with a place name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from bot import texts
from bot.assignments import ItemProgress, UnitRole, unit_roles
from bot.directory import Directory
from bot.models import Item, Measure, Plan, ProgressEntry, ProgressSource, Status
from bot.numerals import CHINESE_NUMERAL, number
from bot.store import Binding, Store
from bot.supervision import REVIEWS, claim_review

MEASURE_ID = re.compile(r"\d{1,2}-\d{1,3}-\d{1,3}")
# Dashes people type for "-" on Chinese keyboards; NFKC already maps the full-width ones.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−－", "-"))
_SEPARATOR_CHARS = " \t\n\r,，、:：;；。."
_SEPARATORS = re.compile(r"[\s,，、:：;；。.]*")
# Not inside a longer number: 2023-07-03 is a date, not measure 23-07-03.
_ID_AT = re.compile(r"(?<![\d-])(\d{1,2}-\d{1,3}-\d{1,3})(?![\d-])")
# Where a report names its measure, a truncated ID ("2-63") is taken as one, so the answer can be
# "no such measure, did you mean 2-63-1" rather than a generic hint.
_ID_TYPED_AT = re.compile(r"(\d{1,2}-\d{1,3}(?:-\d{1,3})?)(?![\d-])")
# Anywhere in a caption: something that looks like an ID, not part of a longer number or date.
_ID_LIKE = re.compile(r"(?<![\d-])\d{1,2}-\d{1,3}(?:-\d{1,3})?(?![\d-])")
# A number with a percent sign, whatever the number: "完成60%" is a percentage, not the status 完成,
# so this is tried before the status words; an invalid number is refused, not left in the note.
_PERCENT_AT = re.compile(r"(?:进度|完成)?[:：]?\s*([+-]?\d+(?:\.\d+)?)\s*%")
# A percent in words: 百分之五十, 百分之百, 五成 (fifty per cent), 8成.
CHINESE_PERCENT = re.compile(rf"(?:百分之({CHINESE_NUMERAL})|(\d{{1,2}}|{CHINESE_NUMERAL})成)")
_CHINESE_PERCENT_AT = re.compile(rf"(?:进度|完成)?[:：]?\s*{CHINESE_PERCENT.pattern}")
# A number where a percent would stand but without its sign ("进行中 60", "进度60").
# A percent written some other way (1e9%, 1,000%, 0x10%): refused, never kept as the note.
_ODD_PERCENT_AT = re.compile(r"[+-]?\d[0-9A-Za-z.,+-]*%")
_BARE_NUMBER_AT = re.compile(r"(进度[:：]?\s*)?([+-]?\d+(?:\.\d+)?)")
# An item named in the header (issue 9): by kind (3-3-1 节点), by its due month or day (9月底,
# 9月30日), a check-in month (10月) or its id (2023-09-30, 2023-10, 2023-Q3). Read only before
# the status, like a unit: after it, "6月底前已完成…" is the note.
_ITEM_AT = re.compile(
    r"(节点|截止|时段|\d{4}-(?:Q[1-4]|W\d{2}|\d{1,2}(?:-\d{1,2})?)|\d{1,2}月(?:底|末)前?|\d{1,2}月\d{1,2}日|\d{1,2}月份?)"
)
_LONGEST_NAME = 40
"""Longest unit name or alias tried at one position (the directory's are far shorter)."""
_DETAIL_CHARS = 20
"""How much of an unreadable token a parse error quotes back."""

STATUS_WORDS: dict[str, Status] = {
    word: Status(status) for status, words in texts.STATUS_WORDS.items() for word in words
}
"""Every word people use for a status (the table is in bot/texts.py) → the status it stands for."""
# Longest first, so 已完成 wins over 完成 and 完成了 over 完成.
_STATUS_AT = re.compile("|".join(sorted(map(re.escape, STATUS_WORDS), key=len, reverse=True)))

UnitResolver = Callable[[str], str | None]
"""A name or alias → the canonical unit (or group label) it stands for; None if it is no unit."""


class ParseProblem(StrEnum):
    EMPTY = "empty"
    NO_MEASURE = "no_measure"
    MULTIPLE_MEASURES = "multiple_measures"
    MULTIPLE_UNITS = "multiple_units"
    NO_STATUS = "no_status"
    GLUED_STATUS = "glued_status"
    BAD_PERCENT = "bad_percent"
    PERCENT_WITHOUT_SIGN = "percent_without_sign"
    PERCENT_WITHOUT_STATUS = "percent_without_status"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True)
class ProgressReport:
    """What a message says. ``status`` is None only where the caller allowed it (evidence).

    ``unit`` is the unit the message names (canonical), or None when it names none.
    """

    measure: str
    status: Status | None
    percent: int | None = None
    note: str = ""
    unit: str | None = None
    item: str | None = None
    """The item as the message names it (节点, 9月底, 2023-09-30; ``find_item`` reads it), or None."""


@dataclass(frozen=True)
class ProgressParseError:
    """Why a message is not a report. ``understood`` is the report as the bot reads it, written the
    way it would be accepted (``2-63-1 已完成 情况良好``), for a question that repeats it back."""

    problem: ParseProblem
    detail: str = ""
    understood: str = field(default="", compare=False)


def normalize_text(text: str) -> str:
    """Full-width digits, ％ and dashes to ASCII, so ２－６３－１ and 2-63-1 read the same."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def _normalized_with_origins(text: str) -> tuple[str, list[int]]:
    """``normalize_text`` character by character, and where each resulting character came from.

    Parsing reads the normalized text; a note is cut from the original by these positions, so it
    is stored as written (１２０㎡ ① stays so).
    """
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        piece = normalize_text(char)
        pieces.append(piece)
        origins.extend([index] * len(piece))
    origins.append(len(text))
    return "".join(pieces), origins


def normalize_measure_id(text: str) -> str:
    """A measure ID as typed (``２－６３－１``, ``2 - 63 - 1``, ``2—63—1``) in the plan's form ``2-63-1``.

    The one place IDs are normalized: the bot's reports, the views and the CLI all use it.
    """
    return "".join(normalize_text(text).split())


def find_measure_ids(text: str) -> list[str]:
    """Every measure ID in a text, in order, without repeats (e.g. the items of a digest)."""
    found: list[str] = []
    for match in _ID_AT.finditer(normalize_text(text)):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found


def measure_id_in(text: str) -> str | None:
    """The first thing like a measure ID anywhere in a text (``3-6-4``, ``3-6``), or None."""
    found = _ID_LIKE.search(normalize_text(text))
    return found.group(0) if found is not None else None


def contradiction(status: Status, percent: int | None) -> str | None:
    """Why a status and a percent cannot both be true (已完成 60%, 未开始 20%), or None."""
    if status is Status.DONE and percent is not None and percent != 100:
        return f"{status} {percent}%"
    if status is Status.NOT_STARTED and percent:
        return f"{status} {percent}%"
    return None


def valid_percent(text: str) -> int | None:
    """The percent a number stands for: a whole number 0–100, else None."""
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    value = int(text)
    return value if value <= 100 else None


def as_written(
    measure: str | None, unit: str | None, status: Status | None, percent: int | str | None, note: str
) -> str:
    """A report written the way it is read (``3-6-4 区水务局 进行中 60% 说明``), for a question that
    repeats what was understood."""
    parts = (measure, unit, status, f"{percent}%" if percent is not None else None, note)
    return " ".join(str(part) for part in parts if part)


def chinese_percent(found: re.Match[str]) -> int | None:
    """The percent 百分之N or N成 stands for (0–100), else None."""
    words, tenths = found.group(1), found.group(2)
    value = number(words) if words is not None else number(tenths)
    if value is None:
        return None
    if tenths is not None:
        value *= 10
    return value if value <= 100 else None


class _Header:
    """Reads the header of one normalized message, part by part, from a position."""

    def __init__(self, text: str, unit_named: UnitResolver | None) -> None:
        self.text = text
        self.unit_named = unit_named

    def skip_separators(self, pos: int) -> int:
        return _SEPARATORS.match(self.text, pos).end()  # type: ignore[union-attr]

    def unit_at(self, pos: int) -> tuple[str, int] | None:
        """The longest unit name starting at ``pos`` that ends a token: (canonical, end)."""
        if self.unit_named is None:
            return None
        token_end = pos
        limit = min(len(self.text), pos + _LONGEST_NAME)
        while token_end < limit and self.text[token_end] not in _SEPARATOR_CHARS:
            token_end += 1
        for end in range(token_end, pos + 1, -1):
            canonical = self.unit_named(self.text[pos:end])
            if canonical is not None and self.ends_token(end):
                return canonical, end
        return None

    def ends_token(self, pos: int) -> bool:
        """Whether a header part ending at ``pos`` stands alone: the text ends there, or a
        separator, a digit (an ID or percent), 进度 or a status word follows."""
        if pos >= len(self.text):
            return True
        char = self.text[pos]
        if char in _SEPARATOR_CHARS or char.isdigit() or self.text.startswith("进度", pos):
            return True
        return self.text.startswith("百分之", pos) or _STATUS_AT.match(self.text, pos) is not None

    def starts_part(self, pos: int) -> bool:
        """Whether another header part starts at ``pos`` (after separators) or the text ends."""
        pos = self.skip_separators(pos)
        if pos >= len(self.text):
            return True
        return any(
            pattern.match(self.text, pos) is not None
            for pattern in (_ID_TYPED_AT, _PERCENT_AT, _CHINESE_PERCENT_AT, _STATUS_AT)
        )

    def token(self, pos: int) -> str:
        """The run of text from ``pos`` to the next separator, for quoting in an error."""
        end = pos
        while end < len(self.text) and self.text[end] not in _SEPARATOR_CHARS:
            end += 1
        return self.text[pos : min(end, pos + _DETAIL_CHARS)]


def parse_progress(
    text: str,
    *,
    default_measure: str | None = None,
    require_status: bool = True,
    unit_named: UnitResolver | None = None,
) -> ProgressReport | ProgressParseError:
    """Read ``[ID] [unit] [status] [percent]`` in any order at the start of ``text``; the rest is the note.

    ``default_measure`` is used when the text names no ID (a reply to a one-item digest).
    ``unit_named`` resolves unit names; without it no unit is read.
    """
    original = text.strip()
    text, origins = _normalized_with_origins(original)
    if not text and (require_status or default_measure is None):
        return ProgressParseError(ParseProblem.EMPTY)
    header = _Header(text, unit_named)
    measure: str | None = None
    unit: str | None = None
    item: str | None = None
    status: Status | None = None
    percent: int | None = None
    pos = 0
    while True:
        pos = header.skip_separators(pos)
        if (found := _ID_TYPED_AT.match(text, pos)) is not None:
            if measure is not None and found.group(1) != measure:
                return ProgressParseError(ParseProblem.MULTIPLE_MEASURES, f"{measure}、{found.group(1)}")
            measure, pos = found.group(1), found.end()
        elif (
            item is None
            and status is None
            and percent is None
            and (found := _ITEM_AT.match(text, pos)) is not None
            and header.ends_token(found.end())
        ):
            item, pos = found.group(1), found.end()
        elif percent is None and (found := _PERCENT_AT.match(text, pos)) is not None:
            percent = valid_percent(found.group(1))
            if percent is None:
                return ProgressParseError(ParseProblem.BAD_PERCENT, found.group(0).strip())
            pos = found.end()
        elif percent is None and (found := _CHINESE_PERCENT_AT.match(text, pos)) is not None:
            percent = chinese_percent(found)
            if percent is None:
                return ProgressParseError(ParseProblem.BAD_PERCENT, found.group(0).strip())
            pos = found.end()
        elif percent is None and (found := _BARE_NUMBER_AT.match(text, pos)) is not None:
            # "进行中 60" or "进度60" is a percent missing its sign; "进行中 3 个点位已整改" is a note.
            said_progress = found.group(1) is not None
            if said_progress or (header.ends_token(found.end()) and header.starts_part(found.end())):
                understood = as_written(measure or default_measure, unit, status, found.group(2), "")
                return ProgressParseError(ParseProblem.PERCENT_WITHOUT_SIGN, found.group(2), understood)
            break
        elif status is None and (found := _STATUS_AT.match(text, pos)) is not None:
            if not header.ends_token(found.end()):
                rest = text[found.end() :].strip()
                status = STATUS_WORDS[found.group(0)]
                understood = as_written(measure or default_measure, unit, status, percent, rest)
                return ProgressParseError(ParseProblem.GLUED_STATUS, header.token(pos), understood)
            status, pos = STATUS_WORDS[found.group(0)], found.end()
        elif status is None and percent is None and (named := header.unit_at(pos)) is not None:
            if unit is not None and named[0] != unit:
                return ProgressParseError(ParseProblem.MULTIPLE_UNITS, f"{unit}、{named[0]}")
            unit, pos = named
        else:
            break
    if percent is None and (odd := _ODD_PERCENT_AT.match(text, pos)) is not None:
        return ProgressParseError(ParseProblem.BAD_PERCENT, odd.group(0)[:_DETAIL_CHARS])  # 1e9%, 5e-1%
    note = original[origins[pos] :].strip()

    measure = measure or default_measure
    if measure is None:
        # "完成了" replying to a digest of many items: say back what was read, ask only which measure.
        read = status is not None or percent is not None
        said = as_written(None, unit, status, percent, note) if read else ""
        return ProgressParseError(ParseProblem.NO_MEASURE, understood=said)
    if status is None and percent is not None:
        # "80%" alone could mean 进行中, or that a 受阻 measure moved on, or 已完成: a guess would
        # silently overwrite a status the unit set, so it is refused (evidence captions too).
        return ProgressParseError(
            ParseProblem.PERCENT_WITHOUT_STATUS, f"{percent}%", as_written(measure, unit, None, percent, "")
        )
    if status is None and require_status:
        return ProgressParseError(ParseProblem.NO_STATUS, understood=measure)
    if status is not None and (problem := contradiction(status, percent)) is not None:
        return ProgressParseError(ParseProblem.CONTRADICTION, problem)
    return ProgressReport(measure=measure, status=status, percent=percent, note=note, unit=unit, item=item)


def evidence_status(latest: ProgressEntry | None) -> tuple[Status, int | None]:
    """The status evidence without one is filed under: the unit's latest, or 未开始 if it never reported.

    A photo is proof of something already reported, not a report: it never invents 进行中.
    """
    if latest is None:
        return Status.NOT_STARTED, None
    return latest.status, latest.percent


# --- who may report for what ---


class RefusalReason(StrEnum):
    UNKNOWN_MEASURE = "unknown_measure"
    NOT_BOUND = "not_bound"
    LEADER_CHAT = "leader_chat"
    UNIT_NOT_BOUND = "unit_not_bound"
    NOT_RESPONSIBLE = "not_responsible"
    WHICH_UNIT = "which_unit"
    UNKNOWN_UNIT = "unknown_unit"
    UNIT_IS_GROUP = "unit_is_group"
    UNKNOWN_ITEM = "unknown_item"


@dataclass(frozen=True)
class ReportTarget:
    """The one unit a report is recorded for, its role on the measure, and the item it names."""

    measure: Measure
    unit: str
    role: UnitRole
    item: Item | None = None


@dataclass(frozen=True)
class ReportRefusal:
    """Why a report cannot be recorded, with what the answer needs to say so.

    ``unit`` is the unit the report named; ``chat_units`` the chat's units (for WHICH_UNIT: the
    ones that answer for the measure); ``similar`` near misses (measures, or unit names);
    ``members`` the members of a group named where a unit was expected; ``leader`` the leader
    of a leader's chat, which sees the measure but does not report it.
    """

    reason: RefusalReason
    measure_id: str
    chat_units: tuple[str, ...] = ()
    responsible: tuple[tuple[str, UnitRole], ...] = ()
    similar: tuple[str, ...] = ()
    unit: str | None = None
    members: tuple[str, ...] = ()
    leader: str | None = None
    item: str | None = None
    """For UNKNOWN_ITEM: the item as typed; ``items`` describes the measure's (``describe_items``)."""
    items: str = ""


def similar_measures(plan: Plan, measure_id: str, limit: int = 5) -> tuple[str, ...]:
    """The measures a truncated ID stands for: ``2-63`` → 2-63-1, 2-63-2 … (nothing for other typos,
    where any "closest" ID would be a guess)."""
    prefix = measure_id + "-"
    return tuple(m.id for m in plan.measures if m.id.startswith(prefix))[:limit]


def _measure(plan: Plan, measure_id: str) -> Measure | ReportRefusal:
    measure = plan.measure(measure_id)
    if measure is None:
        return ReportRefusal(
            RefusalReason.UNKNOWN_MEASURE, measure_id, similar=similar_measures(plan, measure_id)
        )
    return measure


def authorize_report(
    plan: Plan,
    directory: Directory,
    binding: Binding | None,
    measure_id: str,
    *,
    unit: str | None = None,
    item: str | None = None,
) -> ReportTarget | ReportRefusal:
    """Only a chat bound to a unit reports, and only for measures where that unit is lead or co.

    A chat without units (unbound, or a leader's) is refused with the measure's responsible
    units, so the answer can say where its progress is reported.

    ``unit`` is the unit the report is for: named in the message, or the unit of the digest or
    button it answers. Without it, the chat's one unit that answers for the measure; a chat with
    several such units is asked which, never recorded for all of them at once.
    """
    measure = _measure(plan, measure_id)
    if isinstance(measure, ReportRefusal):
        return measure
    target = _authorize_unit(measure, directory, binding, measure_id, unit)
    return _with_item(plan, target, item)


def _with_item(
    plan: Plan, target: ReportTarget | ReportRefusal, typed: str | None
) -> ReportTarget | ReportRefusal:
    """The target with the item ``typed`` names; refused (with the measure's items) if it names none."""
    if isinstance(target, ReportRefusal) or typed is None:
        return target
    found = find_item(plan, target.measure, typed)
    if found is None:
        return ReportRefusal(
            RefusalReason.UNKNOWN_ITEM,
            target.measure.id,
            item=typed,
            items=describe_items(plan.items(target.measure.id)),
        )
    return ReportTarget(target.measure, target.unit, target.role, found)


def _authorize_unit(
    measure: Measure, directory: Directory, binding: Binding | None, measure_id: str, unit: str | None
) -> ReportTarget | ReportRefusal:
    chat_units = tuple(binding.units) if binding is not None else ()
    roles = unit_roles(measure, directory)
    if not chat_units:
        leader = binding.leader if binding is not None else None
        return ReportRefusal(
            RefusalReason.LEADER_CHAT if leader else RefusalReason.NOT_BOUND,
            measure.id,
            responsible=tuple(roles.items()),
            leader=leader,
        )
    if unit is not None:
        if unit not in chat_units:
            return ReportRefusal(RefusalReason.UNIT_NOT_BOUND, measure_id, chat_units=chat_units, unit=unit)
        return _unit_target(measure, unit, roles)
    candidates = tuple(u for u in chat_units if u in roles)
    if not candidates:
        return ReportRefusal(
            RefusalReason.NOT_RESPONSIBLE, measure_id, chat_units=chat_units, responsible=tuple(roles.items())
        )
    if len(candidates) > 1:
        return ReportRefusal(RefusalReason.WHICH_UNIT, measure_id, chat_units=candidates)
    return ReportTarget(measure, candidates[0], roles[candidates[0]])


def check_report(
    plan: Plan, directory: Directory, measure_id: str, unit_name: str, item: str | None = None
) -> ReportTarget | ReportRefusal:
    """A report an operator enters for a unit by name (``python -m bot report``): the measure must
    exist, the unit, named or by alias, must be one unit (not a group) that answers for it, and
    ``item`` (if given) must be one of the measure's items."""
    measure = _measure(plan, normalize_measure_id(measure_id))
    if isinstance(measure, ReportRefusal):
        return measure
    unit = directory.resolve(unit_name)
    if unit is None:
        return ReportRefusal(
            RefusalReason.UNKNOWN_UNIT,
            measure.id,
            unit=unit_name,
            similar=tuple(directory.suggest(unit_name)),
        )
    if directory.is_group(unit):
        return ReportRefusal(
            RefusalReason.UNIT_IS_GROUP, measure.id, unit=unit, members=tuple(directory.expand(unit))
        )
    return _with_item(plan, _unit_target(measure, unit, unit_roles(measure, directory)), item)


def _unit_target(measure: Measure, unit: str, roles: dict[str, UnitRole]) -> ReportTarget | ReportRefusal:
    """``unit`` as the report's target if it answers for the measure; refused with who does if not."""
    if unit not in roles:
        return ReportRefusal(
            RefusalReason.NOT_RESPONSIBLE, measure.id, chat_units=(unit,), responsible=tuple(roles.items())
        )
    return ReportTarget(measure, unit, roles[unit])


# --- which item a report is about ---

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH_DAY = re.compile(r"(\d{1,2})(?:月(\d{1,2})日?|-(\d{1,2}))")
_MONTH_END = re.compile(r"(\d{1,2})月(?:底|末)前?")
_MONTH = re.compile(r"(\d{1,2})月(?:份)?")
ITEM_KIND_WORDS: dict[str, str] = {"节点": "milestone", "截止": "deadline", "时段": "window"}
"""Words that name an item by its kind, when the measure has one of that kind (3-3-1 节点)."""


def find_item(plan: Plan, measure: Measure, typed: str) -> Item | None:
    """The measure's item a typed word stands for, or None.

    Accepted: the item's id (``2023-09-30``, ``2023-10``, ``2023-Q3``), its due date however
    written (``9-30``, ``9月30日``), ``9月底`` for what is due in September (a milestone or
    deadline that month), ``10月`` for October's check-in period (else what is due in October),
    and 节点 / 截止 / 时段 when the measure has exactly one item of that kind.
    """
    items = plan.items(measure.id)
    text = "".join(normalize_text(typed).split())
    if not text:
        return None
    by_id = {item.id.lower(): item for item in items}
    if text.lower() in by_id:
        return by_id[text.lower()]
    if text in ITEM_KIND_WORDS:
        kind = ITEM_KIND_WORDS[text]
        found = [item for item in items if item.kind == kind]
        return found[0] if len(found) == 1 else None
    dated = [item for item in items if item.dated]
    if (iso := _ISO_DAY.fullmatch(text)) is not None:
        month, day = int(iso.group(2)), int(iso.group(3))
        if int(iso.group(1)) != plan.year:
            return None
        return next((item for item in dated if (item.due.month, item.due.day) == (month, day)), None)
    if (found_day := _MONTH_DAY.fullmatch(text)) is not None:
        month, day = int(found_day.group(1)), int(found_day.group(2) or found_day.group(3))
        return next((item for item in dated if (item.due.month, item.due.day) == (month, day)), None)
    in_month: int | None = None
    if (end := _MONTH_END.fullmatch(text)) is not None:
        in_month = int(end.group(1))
    elif (month_only := _MONTH.fullmatch(text)) is not None:
        in_month = int(month_only.group(1))
        period = by_id.get(f"{plan.year}-{in_month:02d}")
        if period is not None:
            return period
    if in_month is None:
        return None
    due_then = [item for item in dated if item.due.month == in_month]
    return due_then[0] if len(due_then) == 1 else None


def describe_items(items: Sequence[Item]) -> str:
    """The items a refusal lists: each id with its kind (2023-06-30 节点、2023-12-31 截止); check-in
    periods as one range (2023-04…2023-12 进展填报) so a standing duty's list stays short."""
    dated = [f"{item.id} {texts.LV_ITEM_KIND[item.kind]}" for item in items if item.dated]
    periods = [item.id for item in items if not item.dated]
    if periods:
        span = periods[0] if len(periods) == 1 else f"{periods[0]}…{periods[-1]}"
        dated.append(f"{span} {texts.LV_ITEM_KIND['checkin']}")
    return texts.LIST_SEPARATOR.join(dated)


# --- recording ---

EvidenceState = Literal["given", "kept", "none"]
"""Evidence carried a status ("given"), kept the unit's latest ("kept"), or found none ("none")."""


@dataclass(frozen=True)
class Recorded:
    """A stored report and how its status came about (for evidence: given, kept or none yet)."""

    entry: ProgressEntry
    state: EvidenceState = "given"


def record_report(
    store: Store,
    target: ReportTarget,
    report: ProgressReport,
    at: datetime,
    *,
    plan_items: Sequence[Item] = (),
    source: ProgressSource,
    evidence: Sequence[str] = (),
    user_id: int | None = None,
    user_name: str = "",
    chat_id: int | None = None,
    review: bool = False,
) -> Recorded:
    """Store an authorized report. Evidence without a status is filed under the unit's latest
    status (未开始 if it never reported), read and written in one transaction.

    The report is about ``target.item`` if it names one; else, for a dated measure, the unit's one
    open dated item if it has exactly one (so 进行中 on the year-end deadline does not reopen a
    milestone the unit finished), else the measure as a whole; for a standing duty, the period
    it falls in (no item). With ``review`` (completion review on) a 已完成 opens its review
    (待审核) in the same transaction.
    """
    item = target.item.id if target.item is not None else _only_open_item(store, plan_items, target, at)
    with store.transaction():
        status, percent = report.status, report.percent
        state: EvidenceState = "given"
        if status is None:
            latest = store.latest(target.measure.id, target.unit)
            status, percent = evidence_status(latest)
            state = "kept" if latest is not None else "none"
        entry = store.record_progress(
            target.measure.id,
            target.unit,
            status,
            at,
            percent=percent,
            note=report.note,
            evidence=evidence,
            user_id=user_id,
            user_name=user_name,
            chat_id=chat_id,
            source=source,
            item=item,
        )
        opened = claim_review(entry) if review else None
        if opened is not None:
            store.replace_record(REVIEWS, entry.seq, opened)
    return Recorded(entry, state)


def _only_open_item(
    store: Store, plan_items: Sequence[Item], target: ReportTarget, at: datetime
) -> str | None:
    """The unit's one dated item still open on the day of ``at``, for a dated measure; else None."""
    measure = target.measure
    if measure.deadline.kind == "ongoing":
        return None
    reports = store.latest_items()
    progress = ItemProgress(
        entry for (m, unit, _), entry in reports.items() if m == measure.id and unit == target.unit
    )
    day = at.date()
    dated = [item for item in plan_items if item.dated]
    if len(dated) < 2:
        return None  # one item is the measure as a whole
    open_items = [i for i in dated if not progress.unit_done(measure, i, target.unit, day)]
    return open_items[0].id if len(open_items) == 1 else None


# --- digest buttons ---
# Callback data is at most 64 bytes, and a unit's name in UTF-8 can be longer than that, so a
# button names its unit by a short hash; the handler finds the unit among the measure's units.
# A button under a digest entry also names the entry's item (its id, e.g. 2023-09-30 or 2023-10);
# buttons sent before items had none and record for the measure as a whole, as they did.

BUTTON_PREFIX = "p"
BUTTON_STATUSES = (Status.DONE, Status.IN_PROGRESS, Status.BLOCKED)
_STATUS_CODES = {Status.DONE: "d", Status.IN_PROGRESS: "i", Status.BLOCKED: "b"}
_CODE_STATUSES = {code: status for status, code in _STATUS_CODES.items()}
_BUTTON_RE = re.compile(
    rf"{BUTTON_PREFIX}\|({MEASURE_ID.pattern})\|([0-9a-f]{{8}})\|([a-z])(?:\|([0-9A-Z-]{{4,10}}))?"
)


@dataclass(frozen=True)
class ButtonPress:
    measure: str
    unit_tag: str
    status: Status
    item: str | None = None


def unit_tag(unit: str) -> str:
    return hashlib.blake2s(unit.encode("utf-8"), digest_size=4).hexdigest()


def button_data(measure: str, unit: str, status: Status, item: str = "") -> str:
    data = f"{BUTTON_PREFIX}|{measure}|{unit_tag(unit)}|{_STATUS_CODES[status]}"
    return f"{data}|{item}" if item else data


def parse_button(data: str) -> ButtonPress | None:
    """The press a button's callback data stands for; None for anything malformed or forged."""
    found = _BUTTON_RE.fullmatch(data)
    if found is None or found.group(3) not in _CODE_STATUSES:
        return None
    return ButtonPress(found.group(1), found.group(2), _CODE_STATUSES[found.group(3)], found.group(4))


def unit_for_tag(measure: Measure, directory: Directory, tag: str) -> str | None:
    """The measure's unit a button's tag names, or None when no unit matches (a stale button)."""
    return next((unit for unit in unit_roles(measure, directory) if unit_tag(unit) == tag), None)


# --- evidence ---

EvidenceKind = Literal["photo", "document"]


def evidence_ref(kind: EvidenceKind, file_id: str, file_name: str | None = None) -> str:
    """How a file is kept in ``ProgressEntry.evidence``: kind, Telegram file id, and name if any."""
    return f"{kind}:{file_id}" + (f":{file_name}" if file_name else "")


def parse_evidence_ref(ref: str) -> tuple[str, str, str | None]:
    """(kind, file_id, file_name) of a stored evidence reference."""
    kind, _, rest = ref.partition(":")
    file_id, _, name = rest.partition(":")
    return kind, file_id, name or None
