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
    assert said == []  # a press posts nothing to the group: its entry in the digest is marked
    marked = await bot.marked(chat, digest["message_id"], edits_before=0)
    entry = next(block for block in marked["text"].split("\n\n") if "2-63-1" in block.split("\n")[0])
    assert entry.endswith("✅ 已记录 已完成 · 周主任 · 08:00")
    assert marked["reply_markup"] == digest["reply_markup"]  # the buttons stay

    said = await bot.says(chat, contact, "3-6-4 进行中 60% 方案已批复", reply_to=digest["message_id"])
    assert [m["text"] for m in said] == ["✅ 已记录 3-6-4 区生态环境局：进行中 60%（方案已批复） · 周主任"]

    said = await bot.says(chat, contact, photo=True, caption="3-6-4 施工现场", reply_to=digest["message_id"])
    assert "已收到 3-6-4 区生态环境局 的佐证材料（照片），状态未变，仍为 进行中 60%" in said[0]["text"]

    history = bot.services.store.history("3-6-4", ECOLOGY)
    assert [(e.status, e.percent, e.source) for e in history] == [
        (Status.IN_PROGRESS, 60, "reply"),
        (Status.IN_PROGRESS, 60, "evidence"),
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
    assert "3-6-4 区水务局 的佐证材料（文件 验收报告.pdf），状态未变，仍为 进行中 30%" in said[0]["text"]
    said = await bot.says(chat, contact, "进展如何", reply_to=digest["message_id"])
    assert said[0]["text"] == "您是说 <code>3-6-4 进行中 进展如何</code> 吗？是的话请照这样再发一次。" or said

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
    assert "状态和进度对不上（已完成 60%）" in said[0]["text"]
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
    assert await bot.says(chat, contact, "明天开会讨论 2-63-1") == []  # not addressed to the bot
    assert await bot.says(chat, contact, "2-63-1 那个报告谁在写") == []  # an ID, but no status
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
    assert "已记录" not in texts.BOT_ERROR and "没有处理成功" in texts.BOT_ERROR  # never reads like a success
    assert caplog.records and caplog.records[0].exc_info is not None
    assert "Traceback" not in said[0]["text"] and bot.api.token not in said[0]["text"]


async def test_a_chat_of_two_units_is_asked_which_and_digests_keep_their_unit(bot: Bot) -> None:
    chat = bot.api.group(-311, "联合工作群")
    bot.bind(chat, WATER, ECOLOGY)  # both answer for 3-6-4; only ECOLOGY for 2-63-1
    contact = bot.api.user(411, "沈")
    said = await bot.says(chat, contact, "/report 3-6-4 已完成")
    assert "区水务局、区生态环境局 都负责 3-6-4" in said[0]["text"]
    assert "/report 3-6-4 区水务局 已完成" in said[0]["text"]
    assert bot.services.store.history("3-6-4") == []

    said = await bot.says(chat, contact, "/report 3-6-4 水务局 已完成 工程完工")
    assert said[0]["text"].startswith("✅ 已记录 3-6-4 区水务局：已完成（工程完工）")
    said = await bot.says(chat, contact, "/report 2-63-1 进行中")
    assert said[0]["text"].startswith("✅ 已记录 2-63-1 区生态环境局：进行中")
    said = await bot.says(chat, contact, "/report 3-6-4 区财政局 已完成")
    assert "没有绑定 区财政局" in said[0]["text"] and "区水务局、区生态环境局" in said[0]["text"]

    await bot.tick()
    digests = {m["text"].split("\n")[0]: m for m in bot.api.bot_messages(chat) if m.get("reply_markup")}
    [ecology_digest] = [m for title, m in digests.items() if ECOLOGY in title]
    said = await bot.says(chat, contact, "3-6-4 受阻 资金未到位", reply_to=ecology_digest["message_id"])
    assert said[0]["text"].startswith(f"✅ 已记录 3-6-4 {ECOLOGY}：受阻（资金未到位）")
    edits = bot.edits(chat, ecology_digest["message_id"])
    _, said = await bot.presses(
        chat, contact, ecology_digest["message_id"], button(ecology_digest, "3-6-4", Status.IN_PROGRESS)
    )
    # The button under 3-6-4's entry records for the item the entry is about: its 6月底 milestone.
    marked = await bot.marked(chat, ecology_digest["message_id"], edits)
    assert "✅ 已记录 节点 2023-06-30 进行中 · " in marked["text"]
    assert [(e.unit, e.status, e.item) for e in bot.services.store.history("3-6-4")] == [
        (WATER, Status.DONE, None),
        (ECOLOGY, Status.BLOCKED, None),
        (ECOLOGY, Status.IN_PROGRESS, "2023-06-30"),
    ]


async def test_evidence_without_a_status_never_invents_one(bot: Bot) -> None:
    chat, contact = unit_group(bot, -312, WATER, 412, "韩")
    said = await bot.says(chat, contact, photo=True, caption="3-6-4 现场照片")
    assert "尚未报告过状态，记为 未开始" in said[0]["text"] and "进行中" not in said[0]["text"].split("如")[0]
    first = bot.services.store.latest("3-6-4", WATER)
    assert first is not None and first.status is Status.NOT_STARTED and first.evidence

    await bot.says(chat, contact, "/report 3-6-4 受阻 资金未到位")
    said = await bot.says(chat, contact, document="资金申请.pdf", caption="3-6-4")
    assert "状态未变，仍为 受阻" in said[0]["text"]
    said = await bot.says(chat, contact, photo=True, caption="3-6-4 进行中 50% 已开工")
    assert "状态：进行中 50%" in said[0]["text"]
    assert [e.status for e in bot.services.store.history("3-6-4", WATER)] == [
        Status.NOT_STARTED,
        Status.BLOCKED,
        Status.BLOCKED,
        Status.IN_PROGRESS,
    ]


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("3-6-4 完成情况良好", "您是说 3-6-4 已完成 情况良好 吗？"),
        ("3-6-4 进行中 -5%", "0–100 之间的整数"),
        ("3-6-4 进行中 0.5%", "0–100 之间的整数"),
        ("3-6-4 进行中 60", "您是说 3-6-4 进行中 60% 吗？"),
    ],
)
async def test_unclear_status_and_percent_are_refused_not_guessed(bot: Bot, typed: str, answer: str) -> None:
    chat, contact = unit_group(bot, -313, WATER, 413, "杨")
    said = await bot.says(chat, contact, f"/report {typed}")
    assert answer in said[0]["text"]
    assert bot.services.store.history("3-6-4") == []


async def test_a_long_note_is_stored_whole_and_echoed_short(bot: Bot) -> None:
    chat, contact = unit_group(bot, -314, WATER, 414, "朱")
    note = "施工进展说明" * 678  # 4068 characters: the message itself is near Telegram's limit
    said = await bot.says(chat, contact, f"/report 3-6-4 进行中 {note}")
    [confirmed] = said
    assert confirmed["text"].startswith("✅ 已记录 3-6-4 区水务局：进行中（施工进展说明")
    assert "…）" in confirmed["text"] and len(confirmed["text"]) < 400
    [entry] = bot.services.store.history("3-6-4")
    assert entry.note == note
    assert not bot.api.errors


async def test_a_failed_confirmation_never_says_nothing_was_saved(bot: Bot) -> None:
    chat, contact = unit_group(bot, -315, WATER, 415, "秦")
    bot.api.inject("sendMessage", "500")
    said = await bot.says(chat, contact, "/report 3-6-4 进行中 40% 已开工")
    assert [m["text"] for m in said] == [
        "✅ 已记录 3-6-4 区水务局：进行中 40%。（详细确认未能发出，记录已保存，无需重复报告。）"
    ]
    # Nothing gets through at all: the record stands, and no "出了问题" follows later.
    bot.api.inject("sendMessage", "500", times=2)
    said = await bot.says(chat, contact, "/report 3-6-4 受阻")
    assert said == []
    assert [e.status for e in bot.services.store.history("3-6-4")] == [Status.IN_PROGRESS, Status.BLOCKED]
    said = await bot.says(chat, contact, "/report 3-6-4 已完成")
    assert texts.BOT_ERROR not in [m["text"] for m in said]


async def test_attachments_that_seem_meant_for_the_bot_get_a_hint(bot: Bot) -> None:
    chat, contact = unit_group(bot, -316, ECOLOGY, 416, "尤")
    said = await bot.says(chat, contact, photo=True, caption="现场照片 3-6-4")
    assert [m["text"] for m in said] == ["请把措施编号写在说明的开头，如 3-6-4 现场照片，再发送一次。"]
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)[-1:]
    said = await bot.says(chat, contact, photo=True, reply_to=digest["message_id"])
    assert "请在照片或文件的说明里写上措施编号" in said[0]["text"]
    assert await bot.says(chat, contact, document="会议纪要.docx", caption="周五例会") == []
    private = bot.api.private(contact)
    said = await bot.says(private, contact, photo=True)
    assert "请在照片或文件的说明里写上措施编号" in said[0]["text"]
    assert bot.services.store.history("3-6-4") == []


async def test_a_percent_without_a_status_is_refused_and_the_block_stands(bot: Bot) -> None:
    chat, contact = unit_group(bot, -317, WATER, 417, "何")
    await bot.says(chat, contact, "/report 3-6-4 受阻 资金未到位")
    said = await bot.says(chat, contact, "/report 3-6-4 80%")
    assert said[0]["text"] == "3-6-4 80%：现在是进行中、已完成还是受阻？"
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)[-1:]
    said = await bot.says(chat, contact, "80%", reply_to=digest["message_id"])
    assert said[0]["text"] == "3-6-4 80%：现在是进行中、已完成还是受阻？"
    said = await bot.says(chat, contact, photo=True, caption="3-6-4 80% 现场")
    assert said[0]["text"] == "3-6-4 80%：现在是进行中、已完成还是受阻？"
    latest = bot.services.store.latest("3-6-4", WATER)
    assert latest is not None and (latest.status, latest.note) == (Status.BLOCKED, "资金未到位")
    assert len(bot.services.store.history("3-6-4")) == 1


async def test_a_leaders_chat_and_an_admin_are_told_where_progress_is_reported(bot: Bot) -> None:
    leaders = bot.api.group(-318, "领导群")
    bot.bind(leaders, leader="倪德才")
    secretary = bot.api.user(418, "秘书")
    said = await bot.says(leaders, secretary, "/report 2-63-1 已完成")
    text = said[0]["text"]
    assert "本聊天是 倪德才 的领导群" in text and "主责 区生态环境局" in text and "/status 2-63-1" in text
    assert "邀请码" not in text and "/bind" not in text

    said = await bot.says(leaders, bot.admin, "/report 2-63-1 已完成")
    text = said[0]["text"]
    assert "倪德才 的领导群" in text and "主责 区生态环境局" in text
    assert "/bind 区生态环境局" in text and "/invite 区生态环境局" in text and "索取" not in text

    admin_chat = bot.api.private(bot.admin)
    said = await bot.says(admin_chat, bot.admin, "/report 3-6-4 已完成")
    text = said[0]["text"]
    assert "本聊天没有绑定单位" in text and "区水务局" in text and "/bind 区发展改革委" in text
    assert "索取" not in text
    said = await bot.says(leaders, bot.admin, photo=True, caption="2-63-1 现场照片")
    assert "/bind 区生态环境局" in said[0]["text"]
    assert bot.services.store.history("2-63-1") == [] and bot.services.store.history("3-6-4") == []


async def test_evidence_in_a_chat_of_two_units_is_asked_which_with_a_caption_example(bot: Bot) -> None:
    chat = bot.api.group(-319, "联合工作群")
    bot.bind(chat, WATER, ECOLOGY)
    contact = bot.api.user(419, "吕")
    said = await bot.says(chat, contact, photo=True, caption="3-6-4")
    assert "例如：3-6-4 区水务局 现场照片" in said[0]["text"]
    said = await bot.says(chat, contact, document="验收报告.pdf", caption="3-6-4 竣工验收")
    assert "例如：3-6-4 区水务局 竣工验收" in said[0]["text"] and "已完成" not in said[0]["text"]
    said = await bot.says(chat, contact, photo=True, caption="3-6-4 进行中 50% 已开工")
    assert "例如：3-6-4 区水务局 进行中 50% 已开工" in said[0]["text"]
    assert bot.services.store.history("3-6-4") == []
    # The example, as sent, is recorded.
    said = await bot.says(chat, contact, photo=True, caption="3-6-4 区水务局 现场照片")
    assert "已收到 3-6-4 区水务局 的佐证材料（照片）" in said[0]["text"]


async def test_a_private_text_is_recorded_as_text_and_status_says_so(bot: Bot) -> None:
    contact = bot.api.user(419, "施科员")
    private = bot.api.private(contact)
    bot.bind(private, ECOLOGY)
    said = await bot.says(private, contact, "2-63-1 进行中 50% 初稿已完成")
    assert said[0]["text"].startswith("✅ 已记录 2-63-1 区生态环境局：进行中 50%")
    [entry] = bot.services.store.history("2-63-1", ECOLOGY)
    assert entry.source == "text"

    # Words after the ID are not read as part of it.
    said = await bot.says(private, contact, "/status 2-63-1 进展如何")
    text = said[0]["text"]
    assert "没有编号为" not in text and text.startswith("📌 2-63-1")
    assert "   · 2023-06-27 进行中 50% 初稿已完成（文字 · 施科员）" in text.splitlines()
    # A number after the ID is not glued onto it (2-63-12), and an ID typed with spaces still reads.
    for typed in ("/status 2-63-1 2", "/status 2 - 63 - 1"):
        said = await bot.says(private, contact, typed)
        assert said[0]["text"].startswith("📌 2-63-1"), typed


async def test_an_edited_message_does_nothing(bot: Bot) -> None:
    """Editing an old report neither records it again nor turns a newer status back."""
    chat, contact = unit_group(bot, -309, ECOLOGY, 409, "冯工")
    blocked = await bot.api.user_sends(chat, contact, "/report 2-63-1 受阻 资金未到位")
    await bot.api.idle(quiet=0.05)
    await bot.says(chat, contact, "/report 2-63-1 已完成")
    before = bot.services.store.history("2-63-1")
    said_before = len(bot.api.bot_messages(chat))
    for edit in ("/report 2-63-1 受阻 资金还没到位", "/report 2-63-1 进行中 50%"):
        await bot.api.user_edits(chat, contact, blocked["message_id"], edit)
        await bot.api.idle(quiet=0.05)
    assert bot.services.store.history("2-63-1") == before
    latest = bot.services.store.latest("2-63-1", ECOLOGY)
    assert latest is not None and latest.status is Status.DONE
    assert len(bot.api.bot_messages(chat)) == said_before


async def test_presses_within_a_second_make_one_edit_and_no_group_message(bot: Bot) -> None:
    chat, contact = unit_group(bot, -331, ECOLOGY, 431, "冯科长")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    first = await bot.api.user_presses(
        chat, contact, digest["message_id"], button(digest, "2-63-1", Status.DONE)
    )
    second = await bot.api.user_presses(
        chat, contact, digest["message_id"], button(digest, "3-6-4", Status.BLOCKED)
    )
    marked = await bot.marked(chat, digest["message_id"], edits_before=0)
    assert bot.edits(chat, digest["message_id"]) == 1  # both presses, one edit
    assert [bot.api.callback_answer(q)["text"] for q in (first, second)] == [  # type: ignore[index]
        "已记录：2-63-1 已完成",
        "已记录：3-6-4 受阻",
    ]
    assert (
        "✅ 已记录 已完成 · 冯科长" in marked["text"]
        and "✅ 已记录 节点 2023-06-30 ⛔受阻 · 冯科长" in marked["text"]
    )
    assert bot.api.bot_messages(chat) == [marked]
    # Pressing again replaces the entry's mark; a reply still gets its one-line confirmation.
    await bot.api.user_presses(
        chat, contact, digest["message_id"], button(digest, "2-63-1", Status.IN_PROGRESS)
    )
    marked = await bot.marked(chat, digest["message_id"], edits_before=1)
    assert marked["text"].count("✅ 已记录") == 2 and "✅ 已记录 进行中 · 冯科长" in marked["text"]
    said = await bot.says(chat, contact, "2-63-1 已完成", reply_to=digest["message_id"])
    assert [m["text"] for m in said] == ["✅ 已记录 2-63-1 区生态环境局：已完成 · 冯科长"]


async def test_a_digest_that_cannot_be_marked_gets_the_one_line_confirmation(bot: Bot) -> None:
    chat, contact = unit_group(bot, -332, ECOLOGY, 432, "褚")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    bot.api.inject("editMessageText", "500", times=3)
    await bot.api.user_presses(chat, contact, digest["message_id"], button(digest, "2-63-1", Status.DONE))
    [said] = (await bot.api.wait_bot_message(chat, 2))[1:]
    assert said["text"].startswith("✅ 已记录 2-63-1 区生态环境局：已完成 · 褚")
    assert said["reply_to_message"]["message_id"] == digest["message_id"]
