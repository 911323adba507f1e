"""Hostile input gets short answers: every command and button, fed arbitrary text and callback data.

The real bot over HTTP against the local Bot API stand-in, which rejects what Telegram rejects (a
message over 4096 characters, an alert over 200). Whatever the input: no traceback in the log,
no "something went wrong" to the user, every message within 4096 characters, every alert within
200. Hypothesis draws the input (a fixed derandomized sequence, bounded, so CI on two cores stays
fast); a sweep first sends every command its longest argument from every kind of chat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from handlers import help
from tests.bot_harness import Bot, running_bot

# Every command a chat can use (the list /help and the menu are made from), and plain text.
COMMANDS = (*(f"/{name}" for name in help.COMMANDS), "")
WORDS = (
    "区水务局",
    "各街道乡镇",
    "附件2",
    "2-63-1",
    "全部",
    "倪德才",
    "已完成",
    "进行中 1e9%",
    "2023-07-03",
    "<b>&",
)
PERSONAS = ("stranger", "unit", "leader", "admin")
SWEPT = ("stranger", "unit", "admin")
LONGEST = 4096
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

words = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8).map(" ".join)
long_text = st.builds(
    lambda chunk, times: chunk * times,
    st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6)),
    st.integers(min_value=100, max_value=1400),
)
arguments = st.one_of(st.text(max_size=80), words, long_text)
callback_data = st.one_of(
    st.text(min_size=1, max_size=64),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["lv:", "lv:o:", "lv:o:-:", "lv:s:-:99991231::", "p|", "p|2-63-1|"]),
        st.text(max_size=50),
    ),
).filter(lambda data: 1 <= len(data.encode()) <= 64)


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2024, 1, 2)) as running:
        yield running


def place(bot: Bot, persona: str) -> tuple[FakeChat, FakeUser]:
    if persona == "stranger":
        return bot.api.group(-900, "陌生群"), bot.api.user(700, "路人")
    if persona == "unit":
        chat = bot.api.group(-901, "区水务局工作群")
        bot.bind(chat, "区水务局")
        return chat, bot.api.user(701, "联系人")
    if persona == "leader":
        chat = bot.api.group(-902, "倪德才领导群")
        bot.bind(chat, leader="倪德才")
        return chat, bot.api.user(702, "秘书")
    return bot.api.private(bot.admin), bot.admin


def message_text(command: str, argument: str) -> str:
    text = f"{command} {argument}".strip() if command else argument.strip()
    return text[:LONGEST] or "？"


def assert_bounded(messages: list[JSONDict], caplog: pytest.LogCaptureFixture, what: str) -> None:
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], what
    for message in messages:
        assert len(message.get("text", "")) <= LONGEST, what
        assert texts.BOT_ERROR not in message.get("text", ""), what


async def says(bot: Bot, persona: str, text: str, caplog: pytest.LogCaptureFixture) -> None:
    chat, person = place(bot, persona)
    caplog.clear()
    said = await bot.says(chat, person, text)
    edited = [bot.api.message(chat, m["message_id"]) for m in said]
    assert_bounded(said + edited, caplog, f"{persona}: {text[:80]!r}")


async def test_every_command_with_its_longest_argument_gets_a_short_answer(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for persona in SWEPT:
        for command in COMMANDS:
            await says(bot, persona, message_text(command, "区水务局 " * 820), caplog)


@FUZZ
@given(persona=st.sampled_from(PERSONAS), command=st.sampled_from(COMMANDS), argument=arguments)
async def test_any_text_to_any_command_gets_a_short_answer(
    bot: Bot, caplog: pytest.LogCaptureFixture, persona: str, command: str, argument: str
) -> None:
    caplog.set_level(logging.WARNING)
    await says(bot, persona, message_text(command, argument), caplog)


@FUZZ
@given(persona=st.sampled_from(PERSONAS), data=callback_data)
async def test_any_button_gets_a_short_answer(
    bot: Bot, caplog: pytest.LogCaptureFixture, persona: str, data: str
) -> None:
    caplog.set_level(logging.WARNING)
    chat, person = place(bot, persona)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("按钮", callback_data=data)]])
    sent = await bot.app.bot.send_message(chat.id, "旧消息", reply_markup=markup)
    caplog.clear()
    answer, said = await bot.presses(chat, person, sent.message_id, data)
    assert answer is not None, repr(data)
    assert len(answer.get("text") or "") <= 200, repr(data)
    assert_bounded([*said, bot.api.message(chat, sent.message_id)], caplog, repr(data))


@pytest.mark.parametrize(
    "command", ["/overdue", "/status", "/summary", "/mytasks", "/upcoming", "/bind", "/find"]
)
async def test_a_long_argument_is_quoted_at_most_50_characters(
    bot: Bot, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    chat, person = place(bot, "admin")
    marker = "甲" * 4000
    said = await bot.says(chat, person, f"{command} {marker}")
    assert said, command
    for message in said:
        assert "甲" * 51 not in message["text"], command
