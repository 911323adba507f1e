"""A reminder digest as chat messages: pure text from the digest, the plan and the latest progress.

Each item is one measure (the policy merges a measure's reminders of the day into one entry): its
ID, a short title and a status light, then a line for each reminder, most pressing first (due
date and days left or overdue, a milestone's text, a check-in and what in the plan asks for it);
a leader's escalation also names the lead units still owing their part. Long digests are laid
out on several messages the way the leader views are (``bot.render.paginate``), within
Telegram's 4096 characters; a unit's message also carries at most ``MAX_ITEMS_PER_MESSAGE``
items, because each brings a row of three buttons and Telegram takes about 100 per message.

The text is HTML (digests use bold IDs), so every plan or directory value is escaped here. The
handler (``handlers/reminders.py``) adds the buttons and sends; nothing here knows Telegram.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import texts
from bot.assignments import ItemProgress, Light, is_complete, lead_units, status_light, unit_roles
from bot.clock import TZ
from bot.directory import Directory
from bot.models import DatedItem, Measure, Plan, ProgressEntry, Status
from bot.render import (
    TELEGRAM_LIMIT,
    Section,
    esc,
    format_day,
    joined,
    paginate,
    percent_suffix,
    shorten,
    status_word,
    telegram_length,
)
from schedules.calendar import WorkCalendar
from schedules.monthly import MonthlyEntry
from schedules.policy import Digest, DigestItem, Reminder, dated_item, group_code

MAX_ITEMS_PER_MESSAGE = 24
"""Up to four buttons an entry (已完成 / 进行中 / 受阻, and 申请延期 when due or overdue) keep a unit's
message under Telegram's 100 buttons."""
TITLE_CHARS = 24
MILESTONE_CHARS = 40
GROUP_MIN = 5
"""A unit's entries form a compact group only when there are at least this many alike; fewer keep
their own lines and buttons."""
GROUP_CHUNK = 100
"""A compact group is laid out in blocks of at most this many entries (a block stays whole)."""
LISTED_UNITS = 5
"""A leader's line names this many lead units; a measure of every town would drown the item."""
_PAGE_BREAK = "\n\n"


@dataclass(frozen=True)
class _Block:
    """A block of a digest's text: an entry, a chunk of a compact group, or the 月调度 section."""

    text: str
    items: tuple[DigestItem, ...] = ()
    grouped: tuple[DigestItem, ...] = ()
    group: str | None = None
    monthly: tuple[MonthlyEntry, ...] = ()


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest: its HTML text and the items it carries, in order, and the 月调度
    section if this message carries it (its two buttons go under the message)."""

    text: str
    items: tuple[DigestItem, ...]
    """The entries with their own lines and buttons."""
    monthly: tuple[MonthlyEntry, ...] = ()
    grouped: tuple[DigestItem, ...] = ()
    """The entries of the compact groups in this message (no buttons of their own)."""
    groups: tuple[tuple[str, str, int], ...] = ()
    """(code, label, size) of each compact group in this message: one 逐项填报 button each."""

    @property
    def keys(self) -> list[str]:
        """What this message delivers (``item_key`` of each item, and the section's key)."""
        delivered = [item_key(item) for item in (*self.items, *self.grouped)]
        return delivered + ([MONTHLY_KEY] if self.monthly else [])

    @property
    def extendable(self) -> set[str]:
        """The measures whose entry is due or overdue on a deadline or milestone: a unit may ask
        for more time on them (申请延期) from the entry."""
        return {
            item.measure
            for item in self.items
            if item.reason in ("due", "overdue") and item.kind in ("deadline", "milestone")
        }

    @property
    def measures(self) -> list[str]:
        """The measures of the part's items, each once, in order (one button row each)."""
        return list(dict.fromkeys(item.measure for item in self.items))

    @property
    def entries(self) -> list[tuple[str, str]]:
        """(measure, item) of each entry, once per measure: what its row of buttons records for."""
        first: dict[str, str] = {}
        for item in self.items:
            first.setdefault(item.measure, item.item)
        return list(first.items())


def recorded_mark(entry: ProgressEntry, item_label: str = "") -> str:
    """The line a pressed entry gets in its digest: ✅ 已记录 已完成 · who · 09:30, the item
    (`` 节点 2023-09-30``) before the status when the measure has several."""
    return texts.BOT_DIGEST_RECORDED.format(
        item=esc(item_label),
        status=esc(status_word(entry.status)),
        percent=percent_suffix(entry),
        who=esc(entry.user_name),
        time=entry.at.astimezone(TZ).strftime("%H:%M"),
    )


def mark_recorded(text: str, measure: str, mark: str) -> str | None:
    """A digest message's HTML with ``mark`` as the last line of ``measure``'s entry, in place of
    the mark an earlier press left there; None when the message has no entry for the measure, or
    the marked message would not fit.

    Entries are the blocks ``DigestRenderer.parts`` lays out, a blank line apart, each starting
    with the measure's bold ID (``BOT_DIGEST_ITEM``).
    """
    blocks = text.split(_PAGE_BREAK)
    head = f"<b>{esc(measure)}</b>"
    for number, block in enumerate(blocks):
        lines = block.split("\n")
        if head not in lines[0]:
            continue
        kept = [line for line in lines if not line.lstrip().startswith(texts.BOT_DIGEST_RECORDED_MARK)]
        blocks[number] = "\n".join([*kept, mark])
        marked = _PAGE_BREAK.join(blocks)
        return marked if telegram_length(marked) <= TELEGRAM_LIMIT else None
    return None


MONTHLY_KEY = "monthly"
"""The 月调度 section's key among a digest's delivered item keys."""
SHORT_TITLE_CHARS = 8
"""Titles in a compact group or the 月调度 section: enough to recognise a measure beside its ID."""
MONTHLY_SECTION_CHARS = 3000
"""A section longer than this (about 200 measures) lists IDs without titles: it stays one block."""


def item_key(item: DigestItem) -> str:
    """An item's identity within a day's digest: what a resumed delivery checks off."""
    return f"{item.measure}|{item.reason}|{item.due.isoformat() if item.due else ''}"


class DigestRenderer:
    """Lays out digests against one reading of the plan, the directory and the latest progress."""

    def __init__(
        self,
        plan: Plan,
        directory: Directory,
        latest: Mapping[Any, ProgressEntry],
        calendar: WorkCalendar | None = None,
    ) -> None:
        """``latest``: the latest reports (``Store.latest_items``; any mapping whose values they are).

        ``calendar`` counts the workdays of an overdue span, shown when days off fell inside it.
        """
        self.plan = plan
        self.directory = directory
        self.progress = ItemProgress(latest.values())
        self.calendar = calendar

    def parts(
        self, digest: Digest, *, delivered: Collection[str] = frozenset(), parts_before: int = 0
    ) -> list[DigestPart]:
        """The messages that deliver ``digest``'s items, leaving out those ``delivered`` (item keys).

        ``parts_before`` counts messages of this digest already sent, so the rest are numbered on
        from them: a digest resumed after a failure reads (2/3), (3/3), not (1/2) again.
        """
        items = [item for item in digest.items if item_key(item) not in delivered]
        section = digest.monthly if MONTHLY_KEY not in delivered else ()
        if not items and not section:
            return []
        day = digest.day
        unit = digest.recipient.name if digest.recipient.kind == "unit" else None
        if unit is not None and not digest.items:
            title = texts.BOT_DIGEST_TITLE_MONTHLY.format(unit=esc(unit), date=format_day(day, day))
        elif unit is not None:
            title = texts.BOT_DIGEST_TITLE_UNIT.format(
                unit=esc(unit), date=format_day(day, day), count=len(digest.items)
            )
        else:
            title = texts.BOT_DIGEST_TITLE_LEADER.format(
                leader=esc(digest.recipient.name), date=format_day(day, day), count=len(digest.items)
            )
        full, groups = self.compact(digest, items) if unit is not None else (items, [])
        blocks = [_Block(self.block(digest, item), items=(item,)) for item in full]
        for code, members in groups:
            for start in range(0, len(members), GROUP_CHUNK):
                chunk = tuple(members[start : start + GROUP_CHUNK])
                blocks.append(
                    _Block(
                        self.group_block(digest, chunk, len(members), start > 0), grouped=chunk, group=code
                    )
                )
        if section:
            blocks.append(_Block(self.monthly_block(section), monthly=tuple(section)))
        # Every message keeps room for the footer, whichever example the last one gets.
        longest_id = max([item.measure for item in items] + [entry.measure for entry in section], key=len)
        examples = (texts.BOT_DIGEST_EXAMPLE_ONE, texts.BOT_DIGEST_EXAMPLE_MANY.format(measure=longest_id))
        footer_room = max(telegram_length(_footer(unit, example)) for example in examples)
        marker_room = telegram_length(texts.BOT_DIGEST_PART.format(part=99, parts=99))
        counts = _page_sizes(
            title, [b.text for b in blocks], TELEGRAM_LIMIT - footer_room - marker_room - len(_PAGE_BREAK)
        )
        if unit is not None:
            # Each block brings one row of buttons.
            counts = [
                min(MAX_ITEMS_PER_MESSAGE, count - start)
                for count in counts
                for start in range(0, count, MAX_ITEMS_PER_MESSAGE)
            ]
        total = parts_before + len(counts)
        parts = []
        start = 0
        for number, count in enumerate(counts, start=parts_before + 1):
            here = blocks[start : start + count]
            part_items = tuple(item for b in here for item in b.items)
            grouped = tuple(item for b in here for item in b.grouped)
            part_section = tuple(entry for b in here for entry in b.monthly)
            header = title + (texts.BOT_DIGEST_PART.format(part=number, parts=total) if total > 1 else "")
            body = [header, *(b.text for b in here)]
            if number == total:
                body.append(_footer(unit, _reply_example((*part_items, *grouped), part_section)))
            # One 逐项填报 per group code: it lists the code's entries (all check-ins, say) at once.
            group_buttons = tuple(
                (code, self.group_label(digest, members), sum(len(m) for c, m in groups if c == code))
                for code, members in {c: m for c, m in reversed(groups)}.items()
                if any(b.group == code for b in here)
            )
            parts.append(DigestPart(_PAGE_BREAK.join(body), part_items, part_section, grouped, group_buttons))
            start += count
        return parts

    def compact(
        self, digest: Digest, items: Sequence[DigestItem]
    ) -> tuple[list[DigestItem], list[tuple[str, list[DigestItem]]]]:
        """A unit's entries as the digest lays them out: those that keep their own lines and
        buttons, and the compact groups (``schedules.policy.group_code``) of ``GROUP_MIN`` or more
        entries. An entry the unit reported 受阻 always keeps its own lines (⛔)."""
        # Check-ins group by the plan's words that ask for them (长期实施, 按季度): the group says them.
        found: dict[tuple[str, tuple[str, ...]], list[DigestItem]] = {}
        for item in items:
            code = group_code(item, digest.day)
            if code is not None and not self._blocked(digest, item):
                found.setdefault((code, item.basis), []).append(item)
        groups = [(code, members) for (code, _), members in found.items() if len(members) >= GROUP_MIN]
        grouped = {id(item) for _, members in groups for item in members}
        return [item for item in items if id(item) not in grouped], groups

    def _blocked(self, digest: Digest, item: DigestItem) -> bool:
        entry = self.progress.latest(item.measure, digest.recipient.name)
        return entry is not None and entry.status is Status.BLOCKED

    def group_label(self, digest: Digest, members: Sequence[DigestItem]) -> str:
        """What a group is about, for its heading and its 逐项填报 button: 12月31日到期, 本期进展."""
        first = members[0]
        if first.reason == "checkin" or first.due is None:
            return texts.BOT_DIGEST_GROUP_CHECKIN
        return texts.BOT_DIGEST_GROUP_DUE.format(due=format_day(first.due, digest.day))

    def group_block(
        self, digest: Digest, members: Sequence[DigestItem], total: int, continued: bool = False
    ) -> str:
        """A compact group: a heading (what is asked, how many), then one line of IDs with short
        titles, each marked 🟡 where its light is (stalled), 〔协办〕 where the unit co-operates."""
        first = members[0]
        if first.reason == "checkin" or first.due is None:
            basis = texts.LIST_SEPARATOR.join(first.basis)
            head = texts.BOT_DIGEST_GROUP_CHECKIN_HEAD.format(
                basis=texts.BOT_DIGEST_BASIS.format(basis=esc(basis)) if basis else "", count=total
            )
        else:
            head = texts.BOT_DIGEST_GROUP_DUE_HEAD.format(
                due=format_day(first.due, digest.day), days=(first.due - digest.day).days, count=total
            )
        if continued:
            head += texts.BOT_DIGEST_GROUP_CONTINUED
        entries = []
        for item in members:
            measure = self.plan.measure(item.measure)
            if measure is None:
                entries.append(esc(item.measure))
                continue
            light = self.light(digest, measure, dated_item(measure, item.due))
            entries.append(
                texts.BOT_DIGEST_GROUP_ENTRY.format(
                    light=light if light != "🟢" else "",
                    measure=esc(measure.id),
                    title=esc(shorten(measure.title, SHORT_TITLE_CHARS)),
                    role=texts.BOT_DIGEST_GROUP_CO if item.role == "co" else "",
                )
            )
        return "\n".join([head, texts.SV_MONTHLY_SEPARATOR.join(entries)])

    def block(self, digest: Digest, item: DigestItem) -> str:
        """One item's lines: light, ID, title and role; why it is listed, and for a milestone what
        is due, for each of the measure's reminders that day; for a leader, the lead units still
        owing their part."""
        measure = self.plan.measure(item.measure)
        if measure is None:  # the plan changed under a digest: show the ID, never crash the run
            return f"{texts.STATUS_LIGHT_WARNING} <b>{esc(item.measure)}</b>"
        lines = [
            texts.BOT_DIGEST_ITEM.format(
                light=self.light(digest, measure, dated_item(measure, item.due)),
                measure=esc(measure.id),
                title=esc(shorten(measure.title, TITLE_CHARS)),
                role=texts.BOT_DIGEST_ROLE.format(role=self.plan.role_word(measure.annex, "co"))
                if item.role == "co"
                else "",
            )
        ]
        for reminder in item.reminders():
            lines.append(_reason_line(reminder, digest.day, self.calendar))
            dated = dated_item(measure, reminder.due)
            if dated is not None and dated.kind == "milestone":
                lines.append(
                    texts.BOT_DIGEST_MILESTONE.format(text=esc(shorten(dated.text, MILESTONE_CHARS)))
                )
        if item.role == "leader":
            lines.append(self._lead_units_line(measure, item, digest.day))
        lines += self._blocked_lines(digest, measure)
        return "\n".join(lines)

    def _blocked_lines(self, digest: Digest, measure: Measure) -> list[str]:
        """⛔ marks 受阻 in every view: a unit's own 受阻 report with its day; for a leader, the
        units of the measure whose latest report is 受阻."""
        if digest.recipient.kind == "unit":
            entry = self.progress.latest(measure.id, digest.recipient.name)
            if entry is None or entry.status is not Status.BLOCKED:
                return []
            return [
                texts.BOT_DIGEST_BLOCKED_OWN.format(
                    day=format_day(entry.at.astimezone(TZ).date(), digest.day)
                )
            ]
        blocked = [
            unit
            for unit in unit_roles(measure, self.directory)
            if (entry := self.progress.latest(measure.id, unit)) is not None
            and entry.status is Status.BLOCKED
        ]
        return [texts.BOT_DIGEST_BLOCKED_UNITS.format(units=joined(blocked, LISTED_UNITS))] if blocked else []

    def monthly_block(self, section: Sequence[MonthlyEntry]) -> str:
        """The 月调度 section: one heading, one line of IDs with short titles, one hint."""

        def line(title_chars: int) -> str:
            return texts.SV_MONTHLY_SEPARATOR.join(
                texts.SV_MONTHLY_ENTRY.format(
                    measure=esc(entry.measure), title=esc(shorten(measure.title, title_chars))
                ).strip()
                if title_chars and (measure := self.plan.measure(entry.measure)) is not None
                else esc(entry.measure)
                for entry in section
            )

        entries = line(SHORT_TITLE_CHARS)
        if telegram_length(entries) > MONTHLY_SECTION_CHARS:
            entries = line(0)
        return "\n".join([texts.SV_MONTHLY_HEAD.format(count=len(section)), entries, texts.SV_MONTHLY_HINT])

    def light(self, digest: Digest, measure: Measure, dated: DatedItem | None) -> Light:
        """The item's light as the leader views compute it: the unit's own report for a unit; for
        a leader, the measure as a whole (any unit 受阻 makes it so)."""
        day = digest.day
        if digest.recipient.kind == "unit":
            entry = self.progress.latest(measure.id, digest.recipient.name)
            entries = [entry] if entry is not None else []
            # The entry is there because the unit still owes its item, whatever else it finished.
            complete = False
            status = entry.status if entry is not None else None
        else:
            found = (self.progress.latest(measure.id, unit) for unit in unit_roles(measure, self.directory))
            entries = [entry for entry in found if entry is not None]
            complete = is_complete(measure, self.directory, self.progress, day)
            status = Status.BLOCKED if any(e.status is Status.BLOCKED for e in entries) else None
        last_update = max((e.at.date() for e in entries), default=self.plan.issued)
        due = dated.due if dated is not None else None
        return status_light(due, day, last_update, complete=complete, status=status)

    def _lead_units_line(self, measure: Measure, entry: DigestItem, day: date) -> str:
        """The lead units still owing the escalated item, and those that have done it."""
        leads = lead_units(measure, self.directory)
        role = self.plan.role_word(measure.annex, "lead")
        if not leads:
            return texts.BOT_DIGEST_UNITS.format(role=role, units=texts.UNASSIGNED)
        item = self.plan.item(measure.id, entry.item)
        done = [
            unit for unit in leads if item is not None and self.progress.unit_done(measure, item, unit, day)
        ]
        owing = [unit for unit in leads if unit not in done]
        line = texts.BOT_DIGEST_UNITS.format(role=role, units=joined(owing, LISTED_UNITS))
        return line + texts.BOT_DIGEST_UNITS_DONE.format(units=joined(done, LISTED_UNITS)) if done else line


def _page_sizes(title: str, blocks: Sequence[str], limit: int) -> list[int]:
    """How many blocks each message takes, as ``paginate`` lays them out within ``limit``.

    One block per section with no heading: paginate keeps a short block whole, keeps blocks in
    order and separates them with a blank line, so each page's text after its header is its
    blocks joined by blank lines. That is checked, not assumed.
    """
    pages = paginate(title, [Section("", [block]) for block in blocks], limit)
    sizes = []
    start = 0
    for page in pages:
        body = page.split(_PAGE_BREAK, 1)[1] if _PAGE_BREAK in page else ""
        size = body.count(_PAGE_BREAK) + 1 if body else 0
        if body != _PAGE_BREAK.join(blocks[start : start + size]):
            raise RuntimeError("paginate split a digest item; digest items must stay whole")
        sizes.append(size)
        start += size
    if start != len(blocks):
        raise RuntimeError(f"paginate laid out {start} of {len(blocks)} digest items")
    return sizes


def _reply_example(items: Sequence[DigestItem], section: Sequence[MonthlyEntry] = ()) -> str:
    """What a reply to this message could say: a reply to a message with one measure may leave
    the ID out (handlers/progress.py)."""
    measures = list(dict.fromkeys([item.measure for item in items] + [entry.measure for entry in section]))
    if len(measures) == 1:
        return texts.BOT_DIGEST_EXAMPLE_ONE
    return texts.BOT_DIGEST_EXAMPLE_MANY.format(measure=measures[0])


def _footer(unit: str | None, example: str) -> str:
    if unit is None:
        return texts.BOT_DIGEST_FOOTER_LEADER
    return texts.BOT_DIGEST_FOOTER_UNIT.format(example=esc(example))


def _reason_line(reminder: Reminder, day: date, calendar: WorkCalendar | None) -> str:
    template = texts.BOT_DIGEST_REASONS[reminder.reason]
    due = reminder.due
    if due is None:
        basis = texts.LIST_SEPARATOR.join(reminder.basis)
        return template.format(basis=texts.BOT_DIGEST_BASIS.format(basis=esc(basis)) if basis else "")
    if reminder.reason == "due" and due != day:
        # The due date is a day off, so its reminder comes on the last workday before it.
        template = texts.BOT_DIGEST_DUE_AHEAD
    days = abs((due - day).days)
    if reminder.reason == "overdue" and calendar is not None:
        workdays = calendar.workdays_late(due, day)
        if workdays != days:
            return texts.BOT_DIGEST_OVERDUE_WORKDAYS.format(
                due=format_day(due, day), days=days, workdays=workdays
            )
    return template.format(due=format_day(due, day), days=days)
