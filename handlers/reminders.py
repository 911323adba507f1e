"""Delivering digests to Telegram: the ``send`` the reminder dispatcher calls for each chat.

A digest becomes one or more messages (Telegram allows 4096 characters and, in practice, about
100 inline buttons per message), each item with its ID, short title, due date, days left or
overdue and a status light; unit digests carry 已完成 / 进行中 / 受阻 buttons per measure.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot import texts
from bot.assignments import Light, is_complete, is_done, lead_units, status_light
from bot.models import DatedItem, Measure, Status
from bot.progress import BUTTON_STATUSES, button_data
from bot.render import TELEGRAM_LIMIT, telegram_length
from bot.services import Services
from handlers.chat import esc, joined
from schedules.policy import Digest, DigestItem

log = logging.getLogger(__name__)

MAX_ITEMS_PER_MESSAGE = 30
"""Three buttons an item keeps a keyboard well under Telegram's 100 buttons."""
TITLE_CHARS = 24
MILESTONE_CHARS = 40
SEND_RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0, 10.0)
"""Waits before re-sending a message after a network error or a 5xx (429s are AIORateLimiter's)."""
PARTS_META_PREFIX = "digest-parts"


@dataclass(frozen=True)
class DigestMessage:
    text: str
    keyboard: InlineKeyboardMarkup | None


def format_day(day: date, today: date) -> str:
    if day.year == today.year:
        return texts.BOT_DATE.format(month=day.month, day=day.day)
    return texts.BOT_DATE_OTHER_YEAR.format(year=day.year, month=day.month, day=day.day)


def short(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


class DigestRenderer:
    """Turns a digest into messages, reading the latest progress for each item's light."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def messages(self, digest: Digest) -> list[DigestMessage]:
        unit = digest.recipient.name if digest.recipient.kind == "unit" else None
        blocks = [(item, self.item_block(digest, item)) for item in digest.items]
        if unit is not None:
            title = texts.BOT_DIGEST_TITLE_UNIT.format(
                unit=esc(unit), date=format_day(digest.day, digest.day), count=len(digest.items)
            )
            first = digest.items[0].measure if digest.items else "2-63-1"
            example = (
                "进行中 60%" if len({i.measure for i in digest.items}) == 1 else f"{first} 已完成 情况说明"
            )
            footer = texts.BOT_DIGEST_FOOTER_UNIT.format(example=esc(example))
        else:
            title = texts.BOT_DIGEST_TITLE_LEADER.format(
                leader=esc(digest.recipient.name),
                date=format_day(digest.day, digest.day),
                count=len(digest.items),
            )
            footer = texts.BOT_DIGEST_FOOTER_LEADER
        groups = self.split(title, footer, [block for _, block in blocks])
        result = []
        start = 0
        for number, group in enumerate(groups, start=1):
            items = [item for item, _ in blocks[start : start + len(group)]]
            start += len(group)
            header = title + (
                texts.BOT_DIGEST_PART.format(part=number, parts=len(groups)) if len(groups) > 1 else ""
            )
            body = "\n\n".join([header, *group] + ([footer] if number == len(groups) else []))
            keyboard = self.keyboard(items, unit) if unit is not None else None
            result.append(DigestMessage(body, keyboard))
        return result

    @staticmethod
    def split(title: str, footer: str, blocks: Sequence[str]) -> list[list[str]]:
        """Blocks grouped into messages: each within the length limit and MAX_ITEMS_PER_MESSAGE."""
        marker = telegram_length(texts.BOT_DIGEST_PART.format(part=99, parts=99))
        room = TELEGRAM_LIMIT - telegram_length(title) - marker - telegram_length(footer) - 4
        groups: list[list[str]] = [[]]
        used = 0
        for block in blocks:
            cost = telegram_length(block) + 2
            if groups[-1] and (used + cost > room or len(groups[-1]) >= MAX_ITEMS_PER_MESSAGE):
                groups.append([])
                used = 0
            groups[-1].append(block)
            used += cost
        return groups

    def keyboard(self, items: Sequence[DigestItem], unit: str) -> InlineKeyboardMarkup | None:
        """One row per measure: 已完成 / 进行中 / 受阻 for this unit."""
        rows = []
        for measure in dict.fromkeys(item.measure for item in items):
            rows.append(
                [
                    InlineKeyboardButton(
                        texts.BOT_STATUS_BUTTONS[status].format(measure=measure),
                        callback_data=button_data(measure, unit, status),
                    )
                    for status in BUTTON_STATUSES
                ]
            )
        return InlineKeyboardMarkup(rows) if rows else None

    def item_block(self, digest: Digest, item: DigestItem) -> str:
        plan, today = self.services.plan, digest.day
        measure = plan.measure(item.measure)
        if measure is None:  # the plan changed under a digest: show the ID, never crash the run
            return f"{texts.STATUS_LIGHT_WARNING} <b>{esc(item.measure)}</b>"
        dated = next((d for d in measure.dated_items() if d.due == item.due), None)
        lines = [
            texts.BOT_DIGEST_ITEM.format(
                light=self.light(digest, measure, dated),
                measure=esc(measure.id),
                title=esc(short(measure.title, TITLE_CHARS)),
                role=texts.BOT_DIGEST_ROLES[item.role],
            )
        ]
        due = item.due
        lines.append(
            texts.BOT_DIGEST_REASONS[item.reason].format(
                due=format_day(due, today) if due else "",
                days=abs((due - today).days) if due else 0,
                deadline=esc(measure.deadline.raw),
            )
        )
        if dated is not None and dated.kind == "milestone":
            lines.append(texts.BOT_DIGEST_MILESTONE.format(text=esc(short(dated.text, MILESTONE_CHARS))))
        if item.role == "leader":
            lines.append(
                texts.BOT_DIGEST_UNITS.format(units=joined(lead_units(measure, self.services.directory)))
            )
        return "\n".join(lines)

    def light(self, digest: Digest, measure: Measure, dated: DatedItem | None) -> Light:
        store, today = self.services.store, digest.day
        if digest.recipient.kind == "unit":
            entry = store.latest(measure.id, digest.recipient.name)
            entries = [entry] if entry is not None else []
            complete = is_done(entry, today)
        else:
            latest = store.latest_for_measure(measure.id)
            entries = list(latest.values())
            complete = is_complete(
                measure, self.services.directory, {(measure.id, u): e for u, e in latest.items()}, today
            )
        last_update = max((e.at.date() for e in entries), default=self.services.plan.issued)
        status = entries[0].status if digest.recipient.kind == "unit" and entries else None
        if digest.recipient.kind == "leader" and any(e.status is Status.BLOCKED for e in entries):
            status = Status.BLOCKED
        due = dated.due if dated is not None else None
        return status_light(due, today, last_update, complete=complete, status=status)


class DigestSender:
    """The dispatcher's ``send``: deliver a digest's messages, each exactly once.

    Messages already delivered for a digest are remembered in the store, so when a later message
    fails and the dispatcher retries the digest, the earlier ones are not sent again.
    """

    def __init__(
        self, bot: Bot, services: Services, retry_delays: Sequence[float] = SEND_RETRY_DELAYS
    ) -> None:
        self.bot = bot
        self.services = services
        self.renderer = DigestRenderer(services)
        self.retry_delays = tuple(retry_delays)

    async def __call__(self, chat_id: int, digest: Digest) -> list[int]:
        messages = self.renderer.messages(digest)
        key = f"{PARTS_META_PREFIX}:{chat_id}:{digest.recipient.key}"
        sent = self._already_sent(key, digest.day)
        for message in messages[len(sent) :]:
            sent.append(await self._send(chat_id, message))
            if len(messages) > 1:
                self.services.store.set_meta(key, json.dumps({"day": digest.day.isoformat(), "ids": sent}))
        return sent

    def _already_sent(self, key: str, day: date) -> list[int]:
        stored = self.services.store.get_meta(key)
        if not stored:
            return []
        try:
            state = json.loads(stored)
            return [int(i) for i in state["ids"]] if state.get("day") == day.isoformat() else []
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable %s: %r", key, stored)
            return []

    async def _send(self, chat_id: int, message: DigestMessage) -> int:
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            try:
                sent = await self.bot.send_message(
                    chat_id, message.text, parse_mode=ParseMode.HTML, reply_markup=message.keyboard
                )
                return sent.message_id
            except BadRequest:
                raise  # the message itself is wrong: sending it again cannot help
            except (NetworkError, RetryAfter) as error:
                # Timeouts, lost connections and Telegram's 5xx; 429s that outlasted AIORateLimiter's
                # own retries. Forbidden (the bot was removed) is neither and goes to the dispatcher.
                if delay is None:
                    raise
                log.warning("sending to chat %d failed (%s), attempt %d; retrying", chat_id, error, attempt)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
