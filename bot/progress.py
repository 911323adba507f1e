"""Progress reports as people type them, and who may report for what.

Pure: no Telegram, no clock. The handlers turn a message into text, call ``parse_progress``,
then ``authorize_report``, and record what comes back through the store.

What people type, in any of these shapes (spaces and Chinese punctuation between parts are
optional, full-width digits and dashes are fine)::

    2-63-1 已完成 已报送评估报告
    进行中 60%            (replying to a one-item digest: the ID comes from the digest)
    2-63-1 受阻 资金未到位
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.assignments import UnitRole, unit_roles
from bot.directory import Directory
from bot.models import Measure, Plan, Status
from bot.store import Binding

MEASURE_ID = re.compile(r"\d{1,2}-\d{1,3}-\d{1,3}")
# Dashes people type for "-" on Chinese keyboards; NFKC already maps the full-width ones.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−－", "-"))
_SEPARATORS = re.compile(r"[\s,，、:：;；。.]*")
_ID_AT = re.compile(r"(\d{1,2}-\d{1,3}-\d{1,3})(?![\d-])")
# Where a report names its measure, a truncated ID ("2-63") is taken as one, so the answer can be
# "no such measure, did you mean 2-63-1" rather than a generic hint.
_ID_TYPED_AT = re.compile(r"(\d{1,2}-\d{1,3}(?:-\d{1,3})?)(?![\d-])")
# "完成60%" is a percentage, not the status 完成, so percent is tried before status.
_PERCENT_AT = re.compile(r"(?:进度|完成)?[:：]?\s*(\d{1,4})\s*%")

STATUS_WORDS: dict[str, Status] = {
    "已完成": Status.DONE,
    "完成": Status.DONE,
    "进行中": Status.IN_PROGRESS,
    "未开始": Status.NOT_STARTED,
    "受阻": Status.BLOCKED,
}
# Longest first, so 已完成 wins over 完成.
_STATUS_AT = re.compile("|".join(sorted(map(re.escape, STATUS_WORDS), key=len, reverse=True)))


class ParseProblem(StrEnum):
    EMPTY = "empty"
    NO_MEASURE = "no_measure"
    MULTIPLE_MEASURES = "multiple_measures"
    NO_STATUS = "no_status"
    BAD_PERCENT = "bad_percent"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True)
class ProgressReport:
    """What a message says. ``status`` is None only where the caller allowed it (evidence)."""

    measure: str
    status: Status | None
    percent: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ProgressParseError:
    problem: ParseProblem
    detail: str = ""


def normalize(text: str) -> str:
    """Full-width digits, ％ and dashes to ASCII, so ２－６３－１ and 2-63-1 are the same ID."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def find_measure_ids(text: str) -> list[str]:
    """Every measure ID in a text, in order, without repeats (e.g. the items of a digest)."""
    found: list[str] = []
    for match in _ID_AT.finditer(normalize(text)):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found


def parse_progress(
    text: str, *, default_measure: str | None = None, require_status: bool = True
) -> ProgressReport | ProgressParseError:
    """Read ``[ID] [status] [percent]`` in any order at the start of ``text``; the rest is the note.

    ``default_measure`` is used when the text names no ID (a reply to a one-item digest).
    """
    text = normalize(text).strip()
    if not text and (require_status or default_measure is None):
        return ProgressParseError(ParseProblem.EMPTY)
    measure: str | None = None
    status: Status | None = None
    percent: int | None = None
    pos = 0
    while True:
        pos = _SEPARATORS.match(text, pos).end()  # type: ignore[union-attr]
        if (found := _ID_TYPED_AT.match(text, pos)) is not None:
            if measure is not None:
                if found.group(1) == measure:
                    pos = found.end()
                    continue
                return ProgressParseError(ParseProblem.MULTIPLE_MEASURES, f"{measure}、{found.group(1)}")
            measure = found.group(1)
        elif percent is None and (found := _PERCENT_AT.match(text, pos)) is not None:
            percent = int(found.group(1))
            if percent > 100:
                return ProgressParseError(ParseProblem.BAD_PERCENT, found.group(0).strip())
        elif status is None and (found := _STATUS_AT.match(text, pos)) is not None:
            status = STATUS_WORDS[found.group(0)]
        else:
            break
        pos = found.end()
    note = text[pos:].strip()

    measure = measure or default_measure
    if measure is None:
        return ProgressParseError(ParseProblem.NO_MEASURE)
    if status is None and percent is not None:
        # A bare "60%" says what the status is; the confirmation shows the status it became.
        status = {0: Status.NOT_STARTED, 100: Status.DONE}.get(percent, Status.IN_PROGRESS)
    if status is None and require_status:
        return ProgressParseError(ParseProblem.NO_STATUS)
    if status is Status.DONE and percent is not None and percent != 100:
        return ProgressParseError(ParseProblem.CONTRADICTION, f"{status} {percent}%")
    if status is Status.NOT_STARTED and percent:
        return ProgressParseError(ParseProblem.CONTRADICTION, f"{status} {percent}%")
    return ProgressReport(measure=measure, status=status, percent=percent, note=note)


# --- who may report for what ---


class RefusalReason(StrEnum):
    UNKNOWN_MEASURE = "unknown_measure"
    NOT_BOUND = "not_bound"
    NOT_RESPONSIBLE = "not_responsible"


@dataclass(frozen=True)
class ReportTarget:
    """The units this chat reports for on this measure (one or more of its bound units)."""

    measure: Measure
    units: tuple[str, ...]


@dataclass(frozen=True)
class ReportRefusal:
    reason: RefusalReason
    measure_id: str
    chat_units: tuple[str, ...] = ()
    responsible: tuple[tuple[str, UnitRole], ...] = ()
    similar: tuple[str, ...] = ()


def authorize_report(
    plan: Plan,
    directory: Directory,
    binding: Binding | None,
    measure_id: str,
    *,
    unit: str | None = None,
) -> ReportTarget | ReportRefusal:
    """Only a chat bound to a unit reports, and only for measures where that unit is lead or co.

    ``unit`` narrows the report to one unit (a digest or button is addressed to one); without it
    the report is for every bound unit of the chat that answers for the measure.
    """
    measure = plan.measure(measure_id)
    if measure is None:
        prefix = measure_id + "-"
        similar = tuple(m.id for m in plan.measures if m.id.startswith(prefix))[:5]
        return ReportRefusal(RefusalReason.UNKNOWN_MEASURE, measure_id, similar=similar)
    chat_units = tuple(binding.units) if binding is not None else ()
    if not chat_units:
        return ReportRefusal(RefusalReason.NOT_BOUND, measure_id)
    roles = unit_roles(measure, directory)
    candidates = [u for u in chat_units if u in roles and (unit is None or u == unit)]
    if not candidates:
        return ReportRefusal(
            RefusalReason.NOT_RESPONSIBLE,
            measure_id,
            chat_units=(unit,) if unit is not None and unit in chat_units else chat_units,
            responsible=tuple(roles.items()),
        )
    return ReportTarget(measure=measure, units=tuple(candidates))


# --- digest buttons ---
# Callback data is at most 64 bytes, and a unit's name in UTF-8 can be longer than that, so a
# button names its unit by a short hash; the handler finds the unit among the measure's units.

BUTTON_PREFIX = "p"
BUTTON_STATUSES = (Status.DONE, Status.IN_PROGRESS, Status.BLOCKED)
_STATUS_CODES = {Status.DONE: "d", Status.IN_PROGRESS: "i", Status.BLOCKED: "b"}
_CODE_STATUSES = {code: status for status, code in _STATUS_CODES.items()}
_BUTTON_RE = re.compile(rf"{BUTTON_PREFIX}\|({MEASURE_ID.pattern})\|([0-9a-f]{{8}})\|([a-z])")


@dataclass(frozen=True)
class ButtonPress:
    measure: str
    unit_tag: str
    status: Status


def unit_tag(unit: str) -> str:
    return hashlib.blake2s(unit.encode("utf-8"), digest_size=4).hexdigest()


def button_data(measure: str, unit: str, status: Status) -> str:
    return f"{BUTTON_PREFIX}|{measure}|{unit_tag(unit)}|{_STATUS_CODES[status]}"


def parse_button(data: str) -> ButtonPress | None:
    """The press a button's callback data stands for; None for anything malformed or forged."""
    found = _BUTTON_RE.fullmatch(data)
    if found is None or found.group(3) not in _CODE_STATUSES:
        return None
    return ButtonPress(found.group(1), found.group(2), _CODE_STATUSES[found.group(3)])


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
