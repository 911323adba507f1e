"""Delivering digests to Telegram: the ``send`` the reminder dispatcher calls for each chat.

The text and its split into messages come from ``bot.digest``; here a unit's messages get their
已完成 / 进行中 / 受阻 buttons, one row per measure, and go out, each exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot import texts
from bot.digest import DigestPart, DigestRenderer
from bot.progress import BUTTON_STATUSES, button_data
from bot.queries import latest_as_of
from bot.services import Services
from bot.supervision import month_key
from bot.workflow import extend_button, group_button, monthly_button
from schedules.calendar import WorkCalendar
from schedules.policy import Digest

log = logging.getLogger(__name__)

SEND_RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0, 10.0)
"""Waits before re-sending a message after a network error or a 5xx (429s: the rate limiter's)."""
PARTS_META_PREFIX = "digest-parts"


def keyboard(
    entries: Sequence[tuple[str, str]],
    unit: str,
    day: date | None = None,
    *,
    monthly: bool = False,
    groups: Sequence[tuple[str, str, int]] = (),
    extendable: Collection[str] = (),
) -> InlineKeyboardMarkup | None:
    """One row per entry (measure, item): 已完成 / 进行中 / 受阻 for this unit and that item; a
    逐项填报 row per compact group (code, label, size) of the digest of ``day``; with ``monthly``
    (a 月调度 section in the message) a last row 均按计划推进 / 逐项填报. An entry whose measure is
    ``extendable`` (due or overdue) also gets 申请延期."""
    rows = [
        [
            *(
                InlineKeyboardButton(
                    texts.BOT_STATUS_BUTTONS[status].format(measure=measure),
                    callback_data=button_data(measure, unit, status, item),
                )
                for status in BUTTON_STATUSES
            ),
            *(
                [InlineKeyboardButton(texts.SV_BTN_EXTEND, callback_data=extend_button(measure, unit, item))]
                if measure in extendable
                else []
            ),
        ]
        for measure, item in entries
    ]
    if day is not None:
        rows.extend(
            [
                InlineKeyboardButton(
                    texts.BOT_DIGEST_GROUP_BUTTON.format(label=label, count=count),
                    callback_data=group_button(unit, day, code),
                )
            ]
            for code, label, count in groups
        )
    if monthly and day is not None:
        month = month_key(day)
        rows.append(
            [
                InlineKeyboardButton(label, callback_data=monthly_button(unit, month, all_on_plan))
                for label, all_on_plan in (
                    (texts.SV_BTN_MONTHLY_ALL, True),
                    (texts.SV_BTN_MONTHLY_EACH, False),
                )
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


@dataclass
class Delivered:
    """The messages of one day's digest for one chat that Telegram has accepted so far."""

    day: date
    message_ids: list[int] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    """The item keys (``bot.digest.item_key``) each message carried."""

    def keys(self) -> set[str]:
        return {key for part in self.items for key in part}

    def to_json(self) -> str:
        parts = [{"id": i, "items": keys} for i, keys in zip(self.message_ids, self.items, strict=True)]
        return json.dumps({"day": self.day.isoformat(), "parts": parts}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, day: date) -> Delivered:
        """What was delivered on ``day``; nothing if the record is of another day."""
        state = json.loads(text)
        if state.get("day") != day.isoformat():
            return cls(day)
        parts = state["parts"]
        return cls(day, [int(p["id"]) for p in parts], [[str(k) for k in p["items"]] for p in parts])


class DigestSender:
    """The dispatcher's ``send``: deliver a digest's messages, each item exactly once.

    After each message of a multi-message digest, the items it carried are recorded in the
    store. When a later message fails and the dispatcher retries, the digest is laid out again
    from the current progress, which may split differently (a unit reported in between), so
    the retry sends the items not yet delivered rather than "messages from number N on".
    """

    def __init__(
        self,
        bot: Bot,
        services: Services,
        retry_delays: Sequence[float] = SEND_RETRY_DELAYS,
        calendar: WorkCalendar | None = None,
    ) -> None:
        self.bot = bot
        self.services = services
        self.calendar = calendar if calendar is not None else WorkCalendar()
        self.retry_delays = tuple(retry_delays)

    async def __call__(self, chat_id: int, digest: Digest) -> list[int]:
        svc = self.services
        key = f"{PARTS_META_PREFIX}:{chat_id}:{digest.recipient.key}"
        delivered = self._delivered(key, digest.day)
        renderer = DigestRenderer(svc.plan, svc.directory, latest_as_of(svc.store, digest.day), self.calendar)
        parts = renderer.parts(digest, delivered=delivered.keys(), parts_before=len(delivered.message_ids))
        unit = digest.recipient.name if digest.recipient.kind == "unit" else None
        for part in parts:
            delivered.message_ids.append(await self._send(chat_id, part, unit, digest.day))
            delivered.items.append(part.keys)
            if len(delivered.message_ids) > 1 or len(parts) > 1:
                svc.store.set_meta(key, delivered.to_json())
        return delivered.message_ids

    def _delivered(self, key: str, day: date) -> Delivered:
        stored = self.services.store.get_meta(key)
        if not stored:
            return Delivered(day)
        try:
            return Delivered.from_json(stored, day)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable %s: %r", key, stored)
            return Delivered(day)

    async def _send(self, chat_id: int, part: DigestPart, unit: str | None, day: date) -> int:
        markup = (
            keyboard(
                part.entries,
                unit,
                day,
                monthly=bool(part.monthly),
                groups=part.groups,
                extendable=part.extendable,
            )
            if unit is not None
            else None
        )
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            try:
                sent = await self.bot.send_message(
                    chat_id, part.text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
                return sent.message_id
            except BadRequest:
                raise  # the message itself is wrong: sending it again cannot help
            except (NetworkError, RetryAfter) as error:
                # Timeouts, lost connections and Telegram's 5xx; 429s that outlasted the rate limiter's
                # own retries. Forbidden (the bot was removed) is neither and goes to the dispatcher.
                if delay is None:
                    raise
                log.warning("sending to chat %d failed (%s), attempt %d; retrying", chat_id, error, attempt)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
