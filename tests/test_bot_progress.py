"""Reporting progress, as conversations: digest buttons, replies, /report and evidence, and refusals.

The real bot over HTTP against the local Bot API stand-in, the real plan, a real database file
and a fake clock on 2023-06-27, when 2-63-1 and 3-6-4 are due in three days.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.models import Status
from bot.progress import button_data, parse_button, parse_evidence_ref
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from tests.bot_harness import Bot, running_bot

DAY = date(2023, 6, 27)
ECOLOGY = "区生态环境局"  # lead unit of 2-63-1 and of 3-6-4
WATER = "区水务局"  # lead unit of 3-6-4 only


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", DAY) as running:
        yield running


def unit_group(bot: Bot, chat_id: int, unit: str, contact_id: int, contact: str) -> tuple[FakeChat, FakeUser]:
    chat = bot.api.group(chat_id, f"{unit}工作群")
    bot.bind(chat, unit)
    return chat, bot.api.user(contact_id, contact)


def button(message: JSONDict, measure: str, status: Status) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for each in row:
            press = parse_button(each["callback_data"])
            if press is not None and press.measure == measure and press.status is status:
                return str(each["callback_data"])
    raise AssertionError(f"no {status} button for {measure} in {message['reply_markup']}")


async def test_a_contact_gets_the_digest_presses_replies_and_sends_a_photo(bot: Bot) -> None:
    chat, contact = unit_group(bot, -301, ECOLOGY, 401, "周主任")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    assert "2-63-1" in digest["text"] and "3-6-4" in digest["text"]

    answer, said = await bot.presses(
        chat, contact, digest["message_id"], button(digest, "2-63-1", Status.DONE)
    )
    assert answer is not None and answer["text"] == "已记录：2-63-1 已完成"
    [confirmation] = said
    assert confirmation["text"].startswith("✅ 已记录 2-63-1 区生态环境局：已完成")
    assert confirmation["reply_to_message"]["message_id"] == digest["message_id"]

    said = await bot.says(chat, contact, "3-6-4 进行中 60% 方案已批复", reply_to=digest["message_id"])
    assert [m["text"] for m in said] == ["✅ 已记录 3-6-4 区生态环境局：进行中 60%（方案已批复） · 周主任"]

    said = await bot.says(chat, contact, photo=True, caption="3-6-4 施工现场", reply_to=digest["message_id"])
    assert "已收到 3-6-4 区生态环境局 的佐证材料（照片），当前状态：进行中" in said[0]["text"]

    history = bot.services.store.history("3-6-4", ECOLOGY)
    assert [(e.status, e.percent, e.source) for e in history] == [
        (Status.IN_PROGRESS, 60, "reply"),
        (Status.IN_PROGRESS, None, "evidence"),
    ]
    assert history[0].note == "方案已批复" and history[1].note == "施工现场"
    for entry in history:
        assert (entry.user_id, entry.user_name, entry.chat_id) == (401, "周主任", chat.id)
        assert entry.at == bot.clock.now()
    kind, file_id, _ = parse_evidence_ref(history[1].evidence[0])
    assert kind == "photo" and bot.api.file_content(file_id)  # the largest size, kept by Telegram
    done = bot.services.store.latest("2-63-1", ECOLOGY)
    assert done is not None and done.status is Status.DONE and done.source == "button"


async def test_a_one_item_digest_needs_no_id(bot: Bot) -> None:
    chat, contact = unit_group(bot, -302, WATER, 402, "吴科长")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    assert "3-6-4" in digest["text"] and "2-63-1" not in digest["text"]

    said = await bot.says(chat, contact, "进行中 30%", reply_to=digest["message_id"])
    assert said[0]["text"].startswith("✅ 已记录 3-6-4 区水务局：进行中 30%")
    said = await bot.says(chat, contact, document="验收报告.pdf", reply_to=digest["message_id"])
    assert "3-6-4 区水务局 的佐证材料（文件 验收报告.pdf），当前状态：进行中" in said[0]["text"]
    said = await bot.says(chat, contact, "好的收到", reply_to=digest["message_id"])
    assert "请写明状态" in said[0]["text"] and "进行中 60%" in said[0]["text"]

    latest = bot.services.store.latest("3-6-4", WATER)
    assert latest is not None and latest.source == "evidence" and latest.status is Status.IN_PROGRESS
    assert parse_evidence_ref(latest.evidence[0])[2] == "验收报告.pdf"
    assert len(bot.services.store.history("3-6-4", WATER)) == 2


async def test_report_command_and_blocked_reason(bot: Bot) -> None:
    chat, contact = unit_group(bot, -303, ECOLOGY, 403, "郑工")
    said = await bot.says(chat, contact, "/report 2-63-1 受阻")
    assert "受阻" in said[0]["text"] and "补充受阻原因" in said[0]["text"]
    said = await bot.says(chat, contact, "2-63-1 受阻 资金未到位", reply_to=said[0]["message_id"])
    assert said[0]["text"].startswith("✅ 已记录 2-63-1 区生态环境局：受阻（资金未到位）")
    said = await bot.says(chat, contact, "/report")
    assert "用法：/report" in said[0]["text"]
    said = await bot.says(chat, contact, "/report 2-63-1 已完成 60%")
    assert "状态和进度不一致" in said[0]["text"]
    assert [e.source for e in bot.services.store.history("2-63-1")] == ["command", "reply"]


async def test_a_strangers_report_is_refused_with_the_reason(bot: Bot) -> None:
    finance, clerk = unit_group(bot, -304, "区财政局", 404, "冯会计")
    said = await bot.says(finance, clerk, "/report 2-63-1 已完成")
    assert "不能代为报告" in said[0]["text"]
    assert "主责 区生态环境局" in said[0]["text"] and "区财政局" in said[0]["text"]
    assert " 等 22 个单位" in said[0]["text"]  # the towns of 各街道乡镇, not all listed

    unbound = bot.api.group(-305, "闲聊群")
    said = await bot.says(unbound, clerk, "/report 2-63-1 已完成")
    assert said[0]["text"] == texts.BOT_REFUSE_NOT_BOUND
    said = await bot.says(finance, clerk, "/report 2-63 已完成")
    assert "没有编号为 2-63 的措施" in said[0]["text"] and "2-63-1" in said[0]["text"]
    assert bot.services.store.history("2-63-1") == []


async def test_group_chatter_is_left_alone(bot: Bot) -> None:
    chat, contact = unit_group(bot, -306, ECOLOGY, 406, "陈")
    assert await bot.says(chat, contact, "2-63-1 已完成") == []  # not addressed to the bot
    assert await bot.says(chat, contact, photo=True, caption="团建合影") == []
    said = await bot.says(chat, contact, photo=True, caption="2-63-1 监测报告")
    assert "佐证材料" in said[0]["text"]


async def test_stale_and_forged_buttons_get_a_clear_answer(bot: Bot) -> None:
    chat, contact = unit_group(bot, -307, ECOLOGY, 407, "卫")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    # The chat is unbound after the digest went out: its buttons no longer speak for the unit.
    bot.services.store.unbind(chat.id)
    answer, said = await bot.presses(
        chat, contact, digest["message_id"], button(digest, "2-63-1", Status.BLOCKED)
    )
    assert said[0]["text"] == texts.BOT_REFUSE_NOT_BOUND

    bot.bind(chat, ECOLOGY)
    forged = {
        "unknown measure": button_data("9-99-9", ECOLOGY, Status.DONE),
        "unit not responsible": button_data("2-63-1", "区财政局", Status.DONE),
        "bad status code": "p|2-63-1|00000000|x",
        "someone else's unit": button_data("2-63-1", "宋庄镇", Status.DONE),
    }
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(n, callback_data=d)] for n, d in forged.items()])
    sent = await bot.app.bot.send_message(chat.id, "旧提醒", reply_markup=markup)
    for name, data in forged.items():
        answer, said = await bot.presses(chat, contact, sent.message_id, data)
        assert answer is not None, name
        if name == "someone else's unit":
            assert "不能代为报告" in said[0]["text"], name
        else:
            assert answer["text"] == texts.BOT_BUTTON_STALE and said == [], name
    assert bot.services.store.history("2-63-1") == []


async def test_a_leader_asks_for_overdue_items(bot: Bot) -> None:
    leaders = bot.api.group(-308, "领导群")
    bot.bind(leaders, leader="倪德才")
    secretary = bot.api.user(408, "秘书")
    bot.clock.set_day(date(2023, 7, 3))
    said = await bot.says(leaders, secretary, "/overdue")
    assert "逾期事项 · 倪德才" in said[0]["text"] and "2-63-1" in said[0]["text"]
    # Once the lead unit reports it done, 2-63-1 is no longer overdue for the leader.
    chat, contact = unit_group(bot, -309, ECOLOGY, 409, "褚")
    await bot.says(chat, contact, "/report 2-63-1 已完成")
    said = await bot.says(leaders, secretary, "/overdue")
    assert "2-63-1" not in said[0]["text"]


async def test_a_failure_is_logged_and_the_user_gets_a_short_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    chat, contact = unit_group(bot, -310, ECOLOGY, 410, "蒋")
    bot.services.store.close()  # the database is gone from under the bot
    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        said = await bot.says(chat, contact, "/report 2-63-1 已完成")
    assert [m["text"] for m in said] == [texts.BOT_ERROR]
    assert caplog.records and caplog.records[0].exc_info is not None
    assert "Traceback" not in said[0]["text"] and bot.api.token not in said[0]["text"]
