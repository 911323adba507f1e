"""One busy group never stalls the district: updates run concurrently across chats and in order
within each, and a 429 or the per-group limit holds up only the chat it is about.

The real bot over HTTP against the Bot API stand-in. Telegram's minute per group is shortened to
three seconds (the limiter is the real one), so 40 reports end in seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.sandbox.botapi import BotApiServer, BotEvent, FakeChat, FakeUser
from handlers.concurrency import PacedRateLimiter
from tests.bot_harness import Bot, running_bot

DAY = date(2023, 6, 27)
ECOLOGY = "区生态环境局"  # lead unit of 2-63-1
WATER = "区水务局"  # lead unit of 3-6-4
GROUP_PERIOD = 3.0
REPORTS = 40


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    limiter = PacedRateLimiter(group_period=GROUP_PERIOD)
    async with running_bot(fake_api, tmp_path / "bot.db", DAY, rate_limiter=limiter) as running:
        yield running


def unit_group(bot: Bot, chat_id: int, unit: str, contact_id: int, contact: str) -> tuple[FakeChat, FakeUser]:
    chat = bot.api.group(chat_id, f"{unit}工作群")
    bot.bind(chat, unit)
    return chat, bot.api.user(contact_id, contact)


def sent_log(bot: Bot) -> list[tuple[int, str]]:
    """Every message the bot sends from now on, as (chat id, text), in the order Telegram got them."""
    sent: list[tuple[int, str]] = []

    def note(event: BotEvent) -> None:
        if event.kind == "sent":
            sent.append((event.chat.id, str(event.message.get("text", ""))))

    bot.api.on_bot_message(note)
    return sent


async def test_group_b_is_answered_while_group_a_sends_40_reports(bot: Bot) -> None:
    a, alice = unit_group(bot, -501, ECOLOGY, 601, "周主任")
    b, bob = unit_group(bot, -502, WATER, 602, "钱科长")
    sent = sent_log(bot)
    for number in range(1, REPORTS + 1):
        await bot.api.user_sends(a, alice, f"/report 2-63-1 进行中 {number}%")
    await bot.api.user_sends(b, bob, "/report 3-6-4 进行中 50%")

    await bot.api.wait_bot_message(b, timeout=10)
    await bot.api.wait_bot_message(a, REPORTS, timeout=30)
    first_to_b = next(i for i, (chat, _) in enumerate(sent) if chat == b.id)
    answered_to_a_before_b = [text for chat, text in sent[:first_to_b] if chat == a.id]
    # Group A may have 20 answers a minute; B's one answer does not queue behind the other 20.
    assert len(answered_to_a_before_b) < 20
    assert sent[first_to_b][1].startswith("✅ 已记录 3-6-4 区水务局：进行中 50%")
    # Within group A, every report is recorded and answered in the order it was sent.
    to_a = [text for chat, text in sent if chat == a.id]
    assert to_a == [f"✅ 已记录 2-63-1 区生态环境局：进行中 {n}% · 周主任" for n in range(1, REPORTS + 1)]
    assert [entry.percent for entry in bot.services.store.history("2-63-1", ECOLOGY)] == list(
        range(1, REPORTS + 1)
    )
    assert bot.api.max_rate(GROUP_PERIOD, a) <= 20


async def test_a_429_in_one_group_pauses_that_group_alone(bot: Bot) -> None:
    a, alice = unit_group(bot, -511, ECOLOGY, 611, "周主任")
    b, bob = unit_group(bot, -512, WATER, 612, "钱科长")
    bot.api.inject("sendMessage", "429", retry_after=2, chat=a)
    await bot.api.user_sends(a, alice, "/report 2-63-1 进行中 10%")
    await bot.api.wait_until(lambda: bot.api.injected[("sendMessage", "429")] == 1)

    await bot.api.user_sends(b, bob, "/report 3-6-4 进行中 50%")
    [answer] = await bot.api.wait_bot_message(b)
    assert answer["text"].startswith("✅ 已记录 3-6-4 区水务局：进行中 50%")
    assert bot.api.bot_messages(a) == []  # A's answer still waits out its retry_after
    [late] = await bot.api.wait_bot_message(a, timeout=10)
    assert late["text"].startswith("✅ 已记录 2-63-1 区生态环境局：进行中 10%")
