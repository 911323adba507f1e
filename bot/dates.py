"""Chinese date expressions: the plan's own rule layer, and a lenient reader for user input.

The plan's dates (完成时限 cells, dated commitments and recurring duties in measure texts) are
decided here by explicit rules, never by dateparser: dateparser 1.5 returns None for 年底前,
6月底前 and 6月30日, and reads 前 as "ago" (9月30日前 becomes a day in the past). An
expression no rule knows is an error, so the importer stops instead of guessing.

dateparser is used only by ``parse_user_date``, for what it reads well in chat: ISO and English
dates and relative words (明天, 3天后), always checked against a sanity window around today.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

from bot.models import Deadline, Every, Milestone, Recurrence
from bot.numerals import chinese_number

ONGOING_PHRASES = frozenset({"长期实施", "持续推进", "按时间节点完成"})
"""完成时限 cells that name no date: the work goes on all year (kept as ``raw``)."""

ALL_YEAR = tuple(range(1, 13))

# A user's date more than this far from today is a typo or a misreading, not an answer.
USER_DATE_WINDOW = timedelta(days=2 * 366)


class DateRuleError(ValueError):
    """A date expression that no rule interprets; the message quotes it."""


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _make_date(year: int, month: int, day: int | None, raw: str) -> date:
    """The day, or the month's last day when ``day`` is None; DateRuleError if it does not exist."""
    if not 1 <= month <= 12:
        raise DateRuleError(f"no month {month} in {raw!r}")
    if day is None:
        return month_end(year, month)
    try:
        return date(year, month, day)
    except ValueError:
        raise DateRuleError(f"no such day in {raw!r}") from None


# --- 完成时限 cells -------------------------------------------------------------------------

_YEAR = r"(?:(?P<year>\d{4})年)?"
_DEADLINE_YEAR_END = re.compile(r"^(?:(?P<year>\d{4}))?年底前?$")
_DEADLINE_MONTH_END = re.compile(rf"^{_YEAR}(?P<month>\d{{1,2}})月底前?$")
_DEADLINE_DAY = re.compile(rf"^{_YEAR}(?P<month>\d{{1,2}})月(?P<day>\d{{1,2}})日前?$")
_DEADLINE_WINDOW = re.compile(
    r"^(?:(?P<year1>\d{4})年)?(?P<month1>\d{1,2})月?[-－—–~～至到]"
    r"(?:(?P<year2>\d{4})年)?(?P<month2>\d{1,2})月底?$"
)


def _year(match: re.Match[str], group: str, default: int) -> int:
    text = match.group(group)
    return int(text) if text else default


def parse_deadline(raw: str, year: int) -> Deadline:
    """Read a 完成时限 cell. ``year`` is the plan's year, used when the cell names none.

    年底前 → 31 Dec; X月底(前) → the month's last day; X月Y日(前) → that day; X月-Y月 → a
    window from the 1st of X to the end of Y; 长期实施 / 持续推进 / 按时间节点完成 → ongoing.
    Whitespace inside the cell is ignored (the .docx wraps 长期 / 实施 over two lines).
    """
    text = re.sub(r"\s+", "", raw)
    if text in ONGOING_PHRASES:
        return Deadline(raw=text, kind="ongoing")
    if match := _DEADLINE_YEAR_END.match(text):
        return Deadline(raw=text, kind="date", due=date(_year(match, "year", year), 12, 31))
    if match := _DEADLINE_MONTH_END.match(text):
        due = _make_date(_year(match, "year", year), int(match["month"]), None, text)
        return Deadline(raw=text, kind="date", due=due)
    if match := _DEADLINE_DAY.match(text):
        due = _make_date(_year(match, "year", year), int(match["month"]), int(match["day"]), text)
        return Deadline(raw=text, kind="date", due=due)
    if match := _DEADLINE_WINDOW.match(text):
        start_year = _year(match, "year1", year)
        start = _make_date(start_year, int(match["month1"]), 1, text)
        due = _make_date(_year(match, "year2", start_year), int(match["month2"]), None, text)
        if due < start:
            raise DateRuleError(f"window ends before it starts: {text!r}")
        return Deadline(raw=text, kind="window", start=start, due=due)
    raise DateRuleError(f"unknown deadline phrase {text!r}")


# --- dated commitments inside a measure's text ---------------------------------------------

# 到2023年底, 2023年底前, 年底前, 9月底前, 6月30日前 (到/于/在 and 前 are optional).
_MILESTONE = re.compile(
    r"(?:到|于|在)?(?:"
    r"(?:(?P<ye_year>\d{4})年|年)底"
    r"|(?:(?P<me_year>\d{4})年)?(?P<me_month>\d{1,2})月底"
    r"|(?:(?P<d_year>\d{4})年)?(?P<d_month>\d{1,2})月(?P<d_day>\d{1,2})日"
    r")前?"
)
_CLAUSE_END = "，,；;。\n"
_SENTENCE_END = "；;。\n"


def _milestone_due(match: re.Match[str], year: int) -> date:
    if match["me_month"]:
        return _make_date(_year(match, "me_year", year), int(match["me_month"]), None, match[0])
    if match["d_month"]:
        return _make_date(_year(match, "d_year", year), int(match["d_month"]), int(match["d_day"]), match[0])
    return date(_year(match, "ye_year", year), 12, 31)


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: between the surrounding separators (，；。).

    When the date ends its clause (到2023年底，…) the commitment is the clause after it.
    """
    begin = max(text.rfind(sep, 0, start) for sep in _CLAUSE_END) + 1
    stop = len(text)
    for sep in _CLAUSE_END:
        found = text.find(sep, end)
        if found != -1:
            stop = min(stop, found)
    if not text[end:stop].strip() and stop < len(text) and text[stop] not in _SENTENCE_END:
        following = [found for sep in _CLAUSE_END if (found := text.find(sep, stop + 1)) != -1]
        stop = min(following, default=len(text))
    return text[begin:stop].strip()


def find_milestones(text: str, year: int) -> list[Milestone]:
    """Dated commitments in a measure's text, in text order, each with the clause it applies to.

    A year before the plan's year (较2020年, 比2022年, 完成2022年…调查) is a baseline or a past
    reference and never matches: only 年底 / X月底 / X月Y日 expressions are commitments, and
    those set in an earlier year are skipped. A bare year (2023年达到…) names the plan year,
    whose commitment is the 完成时限 cell itself.
    """
    milestones: list[Milestone] = []
    for match in _MILESTONE.finditer(text):
        due = _milestone_due(match, year)
        if due.year < year:
            continue
        milestones.append(Milestone(raw=match[0], due=due, text=_clause(text, match.start(), match.end())))
    return milestones


# --- recurring duties inside a measure's text ----------------------------------------------

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
_QUARTERLY_MONTHLY = re.compile(r"第(?P<quarters>[一二三四](?:[、和及至到-][一二三四])*)季度(?:每月|按月)")
_SEASON_MONTHS = re.compile(r"[春夏秋冬]季[（(](?P<first>\d{1,2})[-－—–~～至到](?P<last>\d{1,2})月[)）]")
_SIMPLE_RECURRENCES: tuple[tuple[re.Pattern[str], Every], ...] = (
    (re.compile(r"每个?月|按月"), "month"),
    (re.compile(r"每个?季度|按季度"), "quarter"),
    (re.compile(r"每周|按周"), "week"),
    (re.compile(r"每年度?|按年度"), "year"),
)


def _quarters(spec: str) -> list[int]:
    """第二、三季度 → [2, 3]; 第二至四季度 → [2, 3, 4]."""
    quarters: list[int] = []
    parts = re.split(r"([、和及至到-])", spec)
    for index in range(0, len(parts), 2):
        number = _CN_DIGITS[parts[index]]
        if index >= 2 and parts[index - 1] in "至到-" and quarters:
            quarters.extend(range(quarters[-1] + 1, number + 1))
        else:
            quarters.append(number)
    return quarters


def find_recurrences(text: str) -> list[Recurrence]:
    """Recurring duties in a measure's text, in text order, without repeats.

    ``months`` are the months the duty covers: 按月 / 每季度 / 按年度 cover the whole year;
    第二、三季度每月 covers April–September; 夏季（6-9月）covers June–September (monthly).
    Words without a period (定期, 及时) and daily routines (每日定时开启) are not recurrences.
    """
    found: list[tuple[int, Recurrence]] = []
    taken: list[range] = []

    def claim(match: re.Match[str], recurrence: Recurrence) -> None:
        span = range(match.start(), match.end())
        if any(span.start < other.stop and other.start < span.stop for other in taken):
            return
        taken.append(span)
        found.append((match.start(), recurrence))

    for match in _QUARTERLY_MONTHLY.finditer(text):
        months = [month for q in _quarters(match["quarters"]) for month in range(3 * q - 2, 3 * q + 1)]
        claim(match, Recurrence(raw=match[0], every="month", months=months))
    for match in _SEASON_MONTHS.finditer(text):
        first, last = int(match["first"]), int(match["last"])
        if not 1 <= first <= last <= 12:
            raise DateRuleError(f"no such months in {match[0]!r}")
        claim(match, Recurrence(raw=match[0], every="month", months=list(range(first, last + 1))))
    for pattern, every in _SIMPLE_RECURRENCES:
        for match in pattern.finditer(text):
            claim(match, Recurrence(raw=match[0], every=every, months=list(ALL_YEAR)))
    recurrences: list[Recurrence] = []
    for _, recurrence in sorted(found, key=lambda item: item[0]):
        if recurrence not in recurrences:
            recurrences.append(recurrence)
    return recurrences


# --- dates typed by users ------------------------------------------------------------------

_CN_NUMBER = re.compile(r"(?P<number>[零一二两三四五六七八九十]+)(?=个?(?:天|日|周|星期|礼拜|月|年))")


def _arabic(match: re.Match[str]) -> str:
    """三 → 3, 十二 → 12; a run that is no number people write (二三十) is left as typed."""
    value = chinese_number(match["number"])
    return match[0] if value is None else str(value)


def _plausible(day: date, today: date) -> bool:
    return abs(day - today) <= USER_DATE_WINDOW


_ISO_SHAPED = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def parse_user_date(text: str, today: date) -> date | None:
    """A date a user typed (2023-06-30, June 30, 6月底, 9月30日前, 明天, 3天后, 三天后 …), or None.

    Chinese calendar expressions go through the plan's own rules (in today's year); everything
    else through dateparser, relative to ``today``. Anything unreadable, or further than about
    two years from today, is None: the caller asks again rather than store a misreading.
    """
    cleaned = re.sub(r"\s+", " ", text).strip()
    if not cleaned or cleaned[0] in "-+−－＋":
        # dateparser drops the sign: -5天后 would be read as five days ahead. No such date is typed.
        return None
    cleaned = _CN_NUMBER.sub(_arabic, cleaned)
    try:
        deadline = parse_deadline(cleaned.replace(" ", ""), today.year)
    except DateRuleError:
        pass
    else:
        if deadline.kind == "date" and deadline.due is not None:
            return deadline.due if _plausible(deadline.due, today) else None
        return None
    if _ISO_SHAPED.fullmatch(cleaned):
        # Shaped like YYYY-MM-DD but maybe impossible (2023-13-01): dateparser would swap day and
        # month rather than refuse, and a silent guess is worse than asking again.
        try:
            iso = date.fromisoformat(cleaned)
        except ValueError:
            return None
        return iso if _plausible(iso, today) else None
    # Imported here: dateparser takes a quarter of a second to load, and only chat dates need it
    # (``plan import`` and every view use the rules above).
    import dateparser

    parsed = dateparser.parse(
        cleaned,
        languages=["zh", "en"],
        settings={"RELATIVE_BASE": datetime.combine(today, time(12, 0)), "RETURN_AS_TIMEZONE_AWARE": False},
    )
    if parsed is None:
        return None
    day = parsed.date()
    return day if _plausible(day, today) else None
