"""Messages the supervision loop sends on its own (issue 10): decision cards to the deciders, a
受阻 forwarded to the measure's leaders the same day. Used by progress reporting, so it imports
nothing of the other handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot import texts
from bot.directory import normalize
from bot.models import Measure, ProgressEntry, Status
from bot.render import cn_day, esc
from bot.services import Services
from bot.supervision import Review
from bot.workflow import decision_button, status_button, supervision
from handlers.chat import Context, echo, services

log = logging.getLogger(__name__)


def decider_chats(svc: Services, measure: Measure) -> list[int]:
    """Where decisions on a measure are asked: its leaders' chats, then each admin's private chat."""
    chats: list[int] = []
    for raw in measure.leaders:
        leader = svc.directory.resolve_leader(raw) or normalize(raw)
        chats += svc.store.chats_for_leader(leader)
    chats += sorted(svc.admin_ids | set(svc.store.role_holders()))
    return list(dict.fromkeys(chats))


def unit_chats(svc: Services, unit: str, also: int | None = None) -> list[int]:
    chats = svc.store.chats_for_unit(unit)
    return list(dict.fromkeys([*([also] if also is not None else []), *chats]))


async def send_all(
    context: Context, chats: Iterable[int], text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Send to each chat; a chat that cannot be reached (an admin who never opened the bot) is
    logged and skipped. Returns how many got it."""
    sent = 0
    for chat_id in chats:
        try:
            await context.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)
            sent += 1
        except Forbidden:
            # Expected, not a fault: an admin who never opened a private chat with the bot.
            log.info("chat %s cannot be reached (never opened the bot, or removed it): skipped", chat_id)
        except TelegramError:
            log.warning("could not send a supervision message to chat %s", chat_id, exc_info=True)
    return sent


def decision_markup(kind: str, number: int) -> InlineKeyboardMarkup:
    yes, no = (
        (texts.SV_BTN_APPROVE, texts.SV_BTN_REJECT)
        if kind == "extension"
        else (texts.SV_BTN_ACCEPT, texts.SV_BTN_RETURN)
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=decision_button(kind, number, True)),  # type: ignore[arg-type]
                InlineKeyboardButton(no, callback_data=decision_button(kind, number, False)),  # type: ignore[arg-type]
            ]
        ]
    )


def review_fields(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "measure": esc(review.measure),
        "unit": esc(review.unit),
        "item": review.item or texts.SV_WHOLE_MEASURE,
        "day": cn_day(review.claimed),
    }


async def follow_up(context: Context, entry: ProgressEntry) -> None:
    """After a report is stored: a 已完成 under review goes to the reviewers; a 受阻 reaches the
    measure's leaders' chats the same day, with the unit's note and a button to /status."""
    svc = services(context)
    measure = svc.plan.measure(entry.measure)
    if measure is None:
        return
    if entry.status is Status.DONE and svc.completion_review:
        review = supervision(svc.store).review(entry.seq)
        if review is not None and review.state == "pending":
            await send_all(
                context,
                decider_chats(svc, measure),
                texts.SV_REVIEW_CARD.format(
                    **review_fields(review), title=esc(measure.title), note=echo(entry.note) or texts.NOTHING
                ),
                decision_markup("review", review.id),
            )
    if entry.status is Status.BLOCKED:
        leaders = []
        for raw in measure.leaders:
            leader = svc.directory.resolve_leader(raw) or normalize(raw)
            leaders += svc.store.chats_for_leader(leader)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.SV_BTN_STATUS, callback_data=status_button(measure.id))]]
        )
        await send_all(
            context,
            dict.fromkeys(leaders),
            texts.SV_BLOCKED.format(
                measure=esc(measure.id),
                title=esc(measure.title),
                unit=esc(entry.unit),
                note=echo(entry.note) or texts.NOTHING,
            ),
            markup,
        )
