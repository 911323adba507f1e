"""Reporting items through the chat (issue 9): a digest button records for its entry's item, a
reply or /report may name the item (3-3-1 节点, 3-3-1 9月底), and views follow each item.

Real bot over HTTP against the Bot API stand-in, on the shipped plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.models import Status
from bot.progress import parse_button
from bot.sandbox.botapi import BotApiServer, JSONDict
from tests.bot_harness import Bot, running_bot

WATER = "区水务局"
SEPT_28 = date(2023, 9, 28)  # 3-3-1's 9月底 milestone is due (30 September is a holiday)


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", SEPT_28) as running:
        yield running


def button(message: JSONDict, measure: str, status: Status) -> tuple[str, str | None]:
    for row in message["reply_markup"]["inline_keyboard"]:
        for each in row:
            press = parse_button(each["callback_data"])
            if press is not None and press.measure == measure and press.status is status:
                return str(each["callback_data"]), press.item
    raise AssertionError(f"no {status} button for {measure}")


async def test_a_button_under_a_digest_entry_records_for_that_entrys_item(bot: Bot) -> None:
    chat = bot.api.group(-501, "水务局工作群")
    bot.bind(chat, WATER)
    contact = bot.api.user(601, "吴科长")
    await bot.tick()
    digest = next(m for m in bot.api.bot_messages(chat) if "3-3-1" in m["text"])
    data, item = button(digest, "3-3-1", Status.DONE)
    assert item == "2023-09-30"
    _, said = await bot.presses(chat, contact, digest["message_id"], data)
    marked = await bot.marked(chat, digest["message_id"], edits_before=0)
    assert said == [] and "✅ 已记录 节点 2023-09-30 已完成 · " in marked["text"]
    entry = bot.services.store.latest("3-3-1", WATER)
    assert entry is not None and (entry.item, entry.source) == ("2023-09-30", "button")

    # On 9 October the milestone is no longer overdue here; the standing duty still is open.
    bot.clock.advance(timedelta(days=11))
    said = await bot.says(chat, contact, "/overdue")
    assert "3-3-1" not in "\n".join(m["text"] for m in said)
    said = await bot.says(chat, contact, "/status 3-3-1")
    text = "\n".join(m["text"] for m in said)
    assert "✅ 节点 2023-09-30" in text and "【牵头】区水务局：已完成" in text


async def test_a_reply_or_report_names_the_item(bot: Bot) -> None:
    chat = bot.api.group(-502, "水务局工作群")
    bot.bind(chat, WATER)
    contact = bot.api.user(602, "吴科长")
    said = await bot.says(chat, contact, "/report 3-3-1 9月底 已完成 名录已印发")
    assert said[0]["text"].startswith("✅ 已记录 3-3-1 节点 2023-09-30 区水务局：已完成（名录已印发）")
    said = await bot.says(chat, contact, "3-3-1 节点 进行中", reply_to=said[0]["message_id"])
    assert said[0]["text"].startswith("✅ 已记录 3-3-1 节点 2023-09-30 区水务局：进行中")
    # Without an item, a standing duty's report is this month's.
    said = await bot.says(chat, contact, "/report 3-3-1 进行中 水质检测正常")
    assert said[0]["text"].startswith("✅ 已记录 3-3-1 区水务局：进行中")
    assert [e.item for e in bot.services.store.history("3-3-1", WATER)] == ["2023-09-30", "2023-09-30", None]


async def test_an_item_the_measure_does_not_have_is_refused_with_its_items(bot: Bot) -> None:
    chat = bot.api.group(-503, "水务局工作群")
    bot.bind(chat, WATER)
    contact = bot.api.user(603, "吴科长")
    said = await bot.says(chat, contact, "/report 3-6-4 9月底 已完成")
    assert "3-6-4 没有“9月底”这一事项" in said[0]["text"]
    assert "2023-06-30 节点、2023-12-31 截止" in said[0]["text"]
    assert bot.services.store.history("3-6-4") == []


async def test_with_one_open_item_naming_it_is_optional(bot: Bot) -> None:
    chat = bot.api.group(-504, "水务局工作群")
    bot.bind(chat, WATER)
    contact = bot.api.user(604, "吴科长")
    await bot.says(chat, contact, "/report 3-6-4 6月底 已完成")
    # Only the year-end deadline is open for 区水务局: 进行中 is about it, not the finished milestone.
    said = await bot.says(chat, contact, "/report 3-6-4 进行中 60%")
    assert said[0]["text"].startswith("✅ 已记录 3-6-4 截止 2023-12-31 区水务局：进行中 60%")
    status = [m["text"] for m in await bot.says(chat, contact, "/status 3-6-4")]
    assert any("【牵头】区水务局：已完成" in text for text in status)


async def test_status_speaks_each_annexs_role_words(bot: Bot) -> None:
    chat = bot.api.group(-505, "领导群")
    bot.bind(chat, leader="秦涛")
    leader = bot.api.user(605, "秦涛")
    water_source = "\n".join(m["text"] for m in await bot.says(chat, leader, "/status 3-3-1"))
    assert "【牵头】区水务局" in water_source and "【责任】" in water_source
    assert "【主责】" not in water_source and "【协办】" not in water_source
    noise = "\n".join(m["text"] for m in await bot.says(chat, leader, "/status 2-63-1"))
    assert "【主责】区生态环境局" in noise and "【协办】" in noise
