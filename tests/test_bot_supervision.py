"""The supervision loop as conversations (issue 10): the real bot over HTTP against the Bot API
stand-in, the shipped plan, a real database file and a fake clock.

区生态环境局 (lead unit of 2-63-1, due 2023-06-30) asks for more time; 倪德才 (its leader) decides,
reviews, chases; the bot tells each side in its own chat.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, time
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from bot.store import Store
from bot.workflow import supervision
from tests.bot_harness import Bot, running_bot
from tests.cli_runner import run_main

UNIT = "区生态环境局"
LEADER = "倪德才"


def buttons(message: JSONDict) -> dict[str, str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def button_markup(named: dict[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in named.items()]
    )


def chats(bot: Bot) -> tuple[FakeChat, FakeUser, FakeChat, FakeUser]:
    unit_chat = bot.api.group(-200, "生态环境局工作群")
    contact = bot.api.user(601, "联系人")
    bot.bind(unit_chat, UNIT)
    leader_chat = bot.api.group(-100, "倪德才领导群")
    secretary = bot.api.user(501, "秘书")
    bot.bind(leader_chat, leader=LEADER)
    return unit_chat, contact, leader_chat, secretary


@pytest.fixture
async def bot_on_06_27(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 6, 27), time(10, 0)) as bot:
        yield bot


def digest_measures(bot: Bot, chat: FakeChat, since: int) -> str:
    return "\n".join(m.get("text", "") for m in bot.api.bot_messages(chat)[since:])


async def test_an_extension_asked_in_the_unit_chat_and_approved_by_the_leader(bot_on_06_27: Bot) -> None:
    bot = bot_on_06_27
    unit_chat, contact, leader_chat, secretary = chats(bot)
    (asked,) = await bot.says(unit_chat, contact, "/extend 2-63-1")
    assert "请写明新的完成日期（须晚于 2023-06-30）" in asked["text"]
    (sent,) = await bot.says(unit_chat, contact, "/extend 2-63-1 7-31 等待专家评审意见")
    assert "已提交延期申请 #1" in sent["text"] and "2023-07-31" in sent["text"]
    card = bot.api.bot_messages(leader_chat)[-1]
    assert "延期申请 #1" in card["text"] and "等待专家评审意见" in card["text"]
    assert set(buttons(card)) == {"同意", "不同意"}
    # A unit's contact cannot decide, even with the button's data in the unit's own chat.
    forged = await bot.app.bot.send_message(unit_chat.id, "旧卡片", reply_markup=button_markup(buttons(card)))
    answer, _ = await bot.presses(unit_chat, contact, forged.message_id, buttons(card)["同意"])
    assert answer is not None and "只有管理员和该措施的牵头领导" in answer["text"]
    before = len(bot.api.bot_messages(unit_chat))
    answer, _ = await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["同意"])
    assert answer is not None and answer["text"] == "已记录"
    told = digest_measures(bot, unit_chat, before)
    assert "延期申请 #1 已同意" in told and "延至 2023-07-31" in told
    assert buttons(bot.api.message(leader_chat, card["message_id"])) == {}

    # The unit's reminders follow the new date; the co-operating streets' do not.
    for day, expect in (
        (date(2023, 7, 3), None),
        (date(2023, 7, 28), "2-63-1"),
        (date(2023, 8, 7), "2-63-1"),
    ):
        bot.clock.set_day(day)
        before = len(bot.api.bot_messages(unit_chat))
        await bot.tick()
        text = digest_measures(bot, unit_chat, before)
        # An entry of its own (light, ID, title); 07-03's 月调度 section may still ask for progress.
        entry = re.search(r"^\S+ 2-63-1 加强噪声污染治理$", text, re.MULTILINE)
        assert (entry is not None) == (expect is not None), (day, text)
    # Overdue for the unit only after the new date: not on 07-03, and on 08-01.
    for day, late in ((date(2023, 7, 3), False), (date(2023, 8, 1), True)):
        bot.clock.set_day(day)
        (own,) = await bot.says(unit_chat, contact, "/overdue")
        assert ("2-63-1" in own["text"]) == late, (day, own["text"])
    (status,) = await bot.says(leader_chat, secretary, "/status 2-63-1")
    assert "区生态环境局：延期至 2023-07-31（原定 2023-06-30，秘书 6月27日 同意）" in status["text"]


async def test_another_units_measure_is_refused_as_an_extension_not_as_a_report(bot_on_06_27: Bot) -> None:
    bot = bot_on_06_27
    water = bot.api.group(-201, "水务局工作群")
    bot.bind(water, "区水务局")
    (said,) = await bot.says(water, bot.api.user(602, "何"), "/extend 2-63-1 7-31 等待专家评审意见")
    assert said["text"].startswith("不能代为申请延期：2-63-1 的责任单位是 主责 区生态环境局")
    assert not supervision(bot.services.store).extensions


async def test_the_extension_button_under_an_overdue_entry_asks_for_the_date_and_reason(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3), time(9, 0)) as bot:
        unit_chat, contact, leader_chat, _ = chats(bot)
        await bot.tick()
        digest = next(m for m in bot.api.bot_messages(unit_chat) if "2-63-1" in m.get("text", ""))
        rows = digest["reply_markup"]["inline_keyboard"]
        row = next(r for r in rows if any(b["callback_data"].startswith("p|2-63-1|") for b in r))
        extend = next(b["callback_data"] for b in row if b["text"] == "⏳ 申请延期")
        # Only due or overdue entries carry it (2-63-1 and 3-6-4), not the check-ins or groups.
        assert sum(b["text"] == "⏳ 申请延期" for r in rows for b in r) == 2
        _, (question,) = await bot.presses(unit_chat, contact, digest["message_id"], extend)
        assert "区生态环境局 申请延期 2-63-1（事项 2023-06-30，现行完成日期 2023-06-30）" in question["text"]
        (missing,) = await bot.says(unit_chat, contact, "7-31", reply_to=question["message_id"])
        assert "请写明延期理由" in missing["text"]
        (sent,) = await bot.says(unit_chat, contact, "7-31 等待专家评审意见", reply_to=question["message_id"])
        assert "已提交延期申请 #1" in sent["text"] and "2023-07-31" in sent["text"]
        card = bot.api.bot_messages(leader_chat)[-1]
        assert "延期申请 #1" in card["text"] and set(buttons(card)) == {"同意", "不同意"}
        # Another unit's chat cannot ask for this unit.
        other = bot.api.group(-202, "水务局工作群")
        bot.bind(other, "区水务局")
        copy = await bot.app.bot.send_message(
            other.id, "旧提醒", reply_markup=button_markup({"延期": extend})
        )
        answer, _ = await bot.presses(other, contact, copy.message_id, extend)
        assert answer is not None and "只有 区生态环境局 的工作群" in answer["text"]


async def test_a_rejection_asks_for_a_reason_and_changes_nothing(bot_on_06_27: Bot) -> None:
    bot = bot_on_06_27
    unit_chat, contact, leader_chat, secretary = chats(bot)
    await bot.says(unit_chat, contact, "/extend 2-63-1 7月31日 等待评审")
    card = bot.api.bot_messages(leader_chat)[-1]
    _, asked = await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["不同意"])
    (prompt,) = asked
    assert "写明延期申请 #1 不同意或退回的理由" in prompt["text"]
    before = len(bot.api.bot_messages(unit_chat))
    (done,) = await bot.says(leader_chat, secretary, "材料不全，按期完成", reply_to=prompt["message_id"])
    assert "延期申请 #1 不同意" in done["text"]
    told = digest_measures(bot, unit_chat, before)
    assert "未获同意" in told and "材料不全，按期完成" in told and "2023-06-30" in told
    bot.clock.set_day(date(2023, 7, 3))
    before = len(bot.api.bot_messages(unit_chat))
    await bot.tick()
    assert "2-63-1" in digest_measures(bot, unit_chat, before)
    # Pressing again: the decision stands.
    answer, _ = await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["同意"])
    assert answer is not None and "已处理（不同意）" in answer["text"]


async def test_forged_buttons_get_a_clear_answer(bot_on_06_27: Bot) -> None:
    bot = bot_on_06_27
    _, _, leader_chat, secretary = chats(bot)
    forged = ("sv:x:99:a", "sv:v:7:a", "sv:c:zzzz:20230627", "sv:c:00000000:20230627", "sv:q")
    sent = await bot.app.bot.send_message(
        leader_chat.id, "旧卡片", reply_markup=button_markup({data: data for data in forged})
    )
    for data in forged:
        answer, said = await bot.presses(leader_chat, secretary, sent.message_id, data)
        assert answer is not None and answer["text"] == "这个按钮无效或已过期。" and said == [], data


@pytest.fixture
async def bot_reviewing(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(
        fake_api, tmp_path / "bot.db", date(2023, 6, 29), time(10, 0), completion_review=True
    ) as bot:
        yield bot


async def test_a_claim_under_review_is_returned_then_accepted(bot_reviewing: Bot) -> None:
    bot = bot_reviewing
    unit_chat, contact, leader_chat, secretary = chats(bot)
    await bot.says(unit_chat, contact, "/report 2-63-1 已完成 评估报告已报送")
    card = bot.api.bot_messages(leader_chat)[-1]
    assert "办结审核" in card["text"] and set(buttons(card)) == {"通过", "退回"}
    bot.clock.set_day(date(2023, 7, 3))
    before = len(bot.api.bot_messages(unit_chat))
    await bot.tick()
    assert "2-63-1" not in digest_measures(bot, unit_chat, before)

    bot.clock.set_day(date(2023, 7, 5))
    _, (prompt,) = await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["退回"])
    before = len(bot.api.bot_messages(unit_chat))
    await bot.says(leader_chat, secretary, "缺少验收材料", reply_to=prompt["message_id"])
    assert "被退回" in digest_measures(bot, unit_chat, before) and "缺少验收材料" in digest_measures(
        bot, unit_chat, before
    )
    bot.clock.set_day(date(2023, 7, 6))
    overdue = await bot.says(leader_chat, secretary, f"/overdue {UNIT}")
    assert "2-63-1" in overdue[0]["text"]

    await bot.says(unit_chat, contact, "/report 2-63-1 已完成 补充验收材料")
    card = bot.api.bot_messages(leader_chat)[-1]
    answer, _ = await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["通过"])
    assert answer is not None and answer["text"] == "已记录"
    bot.clock.set_day(date(2023, 7, 10))
    before = len(bot.api.bot_messages(unit_chat))
    await bot.tick()
    assert "2-63-1" not in digest_measures(bot, unit_chat, before)


async def test_chasing_a_late_unit_reaches_its_chat_once_a_day(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3), time(10, 0)) as bot:
        unit_chat, contact, leader_chat, secretary = chats(bot)
        (offer,) = await bot.says(leader_chat, secretary, "/chase")
        data = buttons(offer)[f"催办 {UNIT}"]
        answer, _ = await bot.presses(leader_chat, secretary, offer["message_id"], data)
        assert answer is not None and "已向 区生态环境局 发送督办提醒" in answer["text"]
        assert f"✓ 今日已催办 {UNIT}" in buttons(bot.api.message(leader_chat, offer["message_id"]))
        reminders = [m for m in bot.api.bot_messages(unit_chat) if "督办提醒" in m.get("text", "")]
        assert len(reminders) == 1 and "2-63-1" in reminders[0]["text"] and LEADER in reminders[0]["text"]
        answer, _ = await bot.presses(leader_chat, secretary, offer["message_id"], data)
        assert answer is not None and "今天已催办过" in answer["text"]
        assert len([m for m in bot.api.bot_messages(unit_chat) if "督办提醒" in m.get("text", "")]) == 1
        # A reply to the 督办提醒 records progress like a reply to a digest.
        (confirmed,) = await bot.says(
            unit_chat, contact, "2-63-1 进行中 60%", reply_to=reminders[0]["message_id"]
        )
        assert "已记录" in confirmed["text"]
        (status,) = await bot.says(leader_chat, secretary, "/status 2-63-1")
        assert "倪德才 催办" in status["text"]
    with Store.open(tmp_path / "bot.db") as store:
        assert [c.unit for c in supervision(store).chases if c.measure == "2-63-1"] == [UNIT]


async def test_chasing_from_the_leaders_overdue_reaches_each_late_unit_once_a_day(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3), time(10, 0)) as bot:
        unit_chat, contact, leader_chat, secretary = chats(bot)
        street = bot.api.group(-201, "宋庄镇工作群")
        bot.bind(street, "宋庄镇")
        (view,) = await bot.says(leader_chat, secretary, "/overdue")
        # One 催办 per overdue item, for all of its late units: 2-63-1's lead unit and 22 streets.
        assert set(buttons(view)) == {"催办 2-63-1（23 个单位）", "催办 3-6-4（6 个单位）"}
        data = buttons(view)["催办 2-63-1（23 个单位）"]
        answer, _ = await bot.presses(leader_chat, secretary, view["message_id"], data)
        assert answer is not None and "已就 2-63-1 向 23 个单位发送督办提醒（2 个群）" in answer["text"]
        assert "✓ 今日已催办 2-63-1" in buttons(bot.api.message(leader_chat, view["message_id"]))
        for chat in (unit_chat, street):
            (reminder,) = [m for m in bot.api.bot_messages(chat) if "督办提醒" in m.get("text", "")]
            assert (
                "2-63-1" in reminder["text"]
                and LEADER in reminder["text"]
                and "3-6-4" not in reminder["text"]
            )
        answer, _ = await bot.presses(leader_chat, secretary, view["message_id"], data)
        assert answer is not None and "今天都已催办过" in answer["text"]
        assert len([m for m in bot.api.bot_messages(unit_chat) if "督办提醒" in m.get("text", "")]) == 1
        # A unit's chat sees its /overdue without 催办; /chase there is refused in words.
        (own,) = await bot.says(unit_chat, contact, "/overdue")
        assert "reply_markup" not in own
        (refused,) = await bot.says(unit_chat, contact, "/chase")
        assert refused["text"] == "只有领导群和管理员可以催办。"
        # The next day the button is stale.
        bot.clock.set_day(date(2023, 7, 4))
        answer, _ = await bot.presses(leader_chat, secretary, view["message_id"], data)
        assert answer is not None and "以前的催办按钮" in answer["text"]
    with Store.open(tmp_path / "bot.db") as store:
        chased = [c for c in supervision(store).chases if c.measure == "2-63-1"]
        assert len(chased) == 23 and {c.unit for c in chased} >= {UNIT, "宋庄镇"}


async def test_requests_decisions_and_chases_made_in_chat_survive_a_restart(
    fake_api: BotApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(fake_api, db, date(2023, 6, 27), time(10, 0), completion_review=True) as bot:
        unit_chat, contact, leader_chat, secretary = chats(bot)
        await bot.says(unit_chat, contact, "/extend 2-63-1 7-31 等待专家评审意见")
        card = bot.api.bot_messages(leader_chat)[-1]
        await bot.presses(leader_chat, secretary, card["message_id"], buttons(card)["同意"])
        await bot.says(unit_chat, contact, "/report 3-6-4 已完成 工程已完工")
        bot.clock.set_day(date(2023, 7, 3))
        (view,) = await bot.says(leader_chat, secretary, "/overdue")
        chase_2_63_1 = next(data for text, data in buttons(view).items() if text.startswith("催办 2-63-1"))
        await bot.presses(leader_chat, secretary, view["message_id"], chase_2_63_1)
    async with running_bot(fake_api, db, date(2023, 7, 4), time(10, 0), completion_review=True) as bot:
        leader_chat = bot.api.group(-100, "倪德才领导群")
        secretary = bot.api.user(501, "秘书")
        (status,) = await bot.says(leader_chat, secretary, "/status 2-63-1")
        assert "区生态环境局：延期至 2023-07-31（原定 2023-06-30，秘书 6月27日 同意）" in status["text"]
        assert "中仓街道：7月3日 倪德才 催办" in status["text"]
        (status,) = await bot.says(leader_chat, secretary, "/status 3-6-4")
        assert "区生态环境局：6月27日 报已完成，待审核" in status["text"]
    code, out, err = run_main(capsys, "status", "2-63-1", "--json", "--date", "2023-07-04", "--db", str(db))
    assert code == 0, err
    shown = json.loads(out)
    assert [(e["unit"], e["state"], e["to"], e["decided_by"]) for e in shown["extensions"]] == [
        (UNIT, "approved", "2023-07-31", "秘书")
    ]
    # 2-63-1's lead unit is not late (extended); its 22 co-operating streets are, each chased once.
    assert len(shown["chases"]) == 22 and {c["by"] for c in shown["chases"]} == {LEADER}
    code, out, err = run_main(capsys, "status", "3-6-4", "--json", "--date", "2023-07-04", "--db", str(db))
    assert code == 0, err
    assert [(r["unit"], r["state"], r["claimed"]) for r in json.loads(out)["reviews"]] == [
        (UNIT, "pending", "2023-06-27")
    ]


async def test_a_blocked_report_reaches_the_leaders_the_same_day(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 6, 20), time(10, 0)) as bot:
        unit_chat, contact, leader_chat, secretary = chats(bot)
        await bot.says(unit_chat, contact, "/report 2-63-1 受阻 资金未到位")
        forwarded = bot.api.bot_messages(leader_chat)[-1]
        assert "受阻" in forwarded["text"] and "资金未到位" in forwarded["text"] and UNIT in forwarded["text"]
        _, pages = await bot.presses(
            leader_chat, secretary, forwarded["message_id"], buttons(forwarded)["查看详情 /status"]
        )
        assert pages and "2-63-1" in pages[0]["text"]


async def test_admins_set_dates_and_fill_open_groups(fake_api: BotApiServer, tmp_path: Path) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 6, 27), time(10, 0)) as bot:
        private = bot.api.private(bot.admin)
        (done,) = await bot.says(private, bot.admin, "/setdue 2-10-1 9-30 完成充电设施建设")
        assert "2-10-1 增加时间节点 2023-09-30" in done["text"]
        (refused,) = await bot.says(private, bot.admin, "/setdue 2-63-1 9-30")
        assert "按时间节点完成" in refused["text"]
        (done,) = await bot.says(private, bot.admin, "/assign 5-1-1 区生态环境局、水务局")
        assert "各相关单位" in done["text"] and "区水务局" in done["text"]
        unit_chat, contact, _, _ = chats(bot)
        (not_admin,) = await bot.says(unit_chat, contact, "/assign 5-1-1 区水务局")
        assert "只有管理员" in not_admin["text"]
