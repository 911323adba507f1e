"""Digests as Telegram messages: what an item shows, how long digests split, and delivery under faults.

Fault tests inject 429s, 500s and slow or lost requests on sendMessage at the local Bot API
stand-in; every bound chat must still get its digest exactly once (the sender's retries, the
dispatcher's ledger).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, time
from itertools import pairwise
from pathlib import Path

import pytest
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.assignments import unit_roles
from bot.digest import MAX_ITEMS_PER_MESSAGE
from bot.models import Status
from bot.progress import parse_button
from bot.render import TELEGRAM_LIMIT, telegram_length
from bot.sandbox.botapi import BotApiServer, BotEvent, FakeChat, JSONDict
from bot.store import Store
from schedules.calendar import WorkCalendar
from schedules.jobs import DAILY_JOB
from schedules.policy import Digest, DigestItem, Recipient, digests_for_day
from tests.bot_harness import Bot, running_bot

ECOLOGY = "区生态环境局"
WATER = "区水务局"
TUESDAY = date(2023, 6, 27)  # 2-63-1 and 3-6-4 are due on Friday 6-30
MONDAY_AFTER = date(2023, 7, 3)  # ... and overdue on the next week's first workday
CALENDAR = WorkCalendar()


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", TUESDAY) as running:
        yield running


def bind_groups(bot: Bot, *units: str) -> dict[str, FakeChat]:
    chats = {}
    for index, unit in enumerate(units):
        chat = bot.api.group(-(500 + index), f"{unit}工作群")
        bot.bind(chat, unit)
        chats[unit] = chat
    return chats


def item_ids(message: JSONDict) -> list[str]:
    """The measure of each item line of a digest message, read back from its text."""
    return [
        line.split()[1] for line in message["text"].splitlines() if line[:1] in "🟢🟡🔴" and line[1:2] == " "
    ]


def grouped_ids(message: JSONDict) -> list[str]:
    """The measures of a digest message's compact groups: the line under each 📅 / 📝 heading."""
    lines = message["text"].splitlines()
    return [
        entry.lstrip("🟢🟡🔴").split(" ")[0]
        for heading, line in pairwise(lines)
        if heading.startswith(("📅", "📝"))
        for entry in line.split("；")
    ]


async def test_an_item_shows_id_title_due_date_days_left_and_light(bot: Bot) -> None:
    chats = bind_groups(bot, ECOLOGY, WATER)
    # Another lead unit of 3-6-4 has finished its part: it hears no more of 3-6-4, while
    # 区生态环境局 still owes its own part and is reminded.
    bot.services.store.record_progress("3-6-4", WATER, Status.DONE, bot.clock.now())
    await bot.tick()
    [digest] = bot.api.bot_messages(chats[ECOLOGY])
    lines = digest["text"].splitlines()
    assert lines[0] == "📋 区生态环境局 · 6月27日 工作提醒（2 项）"
    assert "🟡 2-63-1 加强噪声污染治理" in lines
    assert "   6月30日到期 · 还有 3 天" in lines
    assert "🟡 3-6-4 强化生活污染治理" in lines
    assert any(line.startswith("   节点：6月底前完成") for line in lines)
    assert all("3-6-4" not in message["text"] for message in bot.api.bot_messages(chats[WATER]))
    assert {entity["type"] for entity in digest.get("entities", [])} >= {"bold"}
    presses = [
        parse_button(b["callback_data"]) for row in digest["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert [(p.measure, p.status) for p in presses if p] == [
        ("2-63-1", Status.DONE),
        ("2-63-1", Status.IN_PROGRESS),
        ("2-63-1", Status.BLOCKED),
        ("3-6-4", Status.DONE),
        ("3-6-4", Status.IN_PROGRESS),
        ("3-6-4", Status.BLOCKED),
    ]


async def test_overdue_items_are_red_and_leaders_get_the_escalation(bot: Bot) -> None:
    chats = bind_groups(bot, ECOLOGY)
    leaders = bot.api.group(-599, "领导群")
    bot.bind(leaders, leader="倪德才")
    bot.clock.set_day(MONDAY_AFTER)
    await bot.tick()
    # The first workday of July also asks for every standing duty's progress, and the 月调度: in
    # compact groups, one message.
    [digest] = bot.api.bot_messages(chats[ECOLOGY])
    assert "🔴 2-63-1 加强噪声污染治理" in digest["text"]
    assert "   6月30日到期 · 已逾期 3 天（其中工作日 1 天）" in digest["text"]
    [escalation] = bot.api.bot_messages(leaders)
    assert escalation["text"].startswith("📋 倪德才 · 7月3日 逾期督办")
    assert (
        "🔴 2-63-1 加强噪声污染治理\n   6月30日到期 · 已逾期 3 天（其中工作日 1 天）\n   主责：区生态环境局"
        in escalation["text"]
    )
    assert "reply_markup" not in escalation  # leaders read; units report


async def test_a_measure_with_two_reminders_is_one_item_one_button_row_and_counted_once(bot: Bot) -> None:
    # QA: on 7 October 区水务局's digest listed 3-3-1 twice (overdue milestone, monthly check-in)
    # and counted both in its title, under one row of buttons.
    chats = bind_groups(bot, WATER)
    bot.clock.set_day(date(2023, 10, 7))
    await bot.tick()
    messages = bot.api.bot_messages(chats[WATER])
    listed = [measure for message in messages for measure in item_ids(message)]
    rows = [
        parse_button(row[0]["callback_data"])
        for message in messages
        for row in message["reply_markup"]["inline_keyboard"]
    ]
    grouped = [measure for message in messages for measure in grouped_ids(message)]
    assert listed.count("3-3-1") == 1 and "3-3-1" not in grouped
    assert len(listed) + len(grouped) == len(set(listed + grouped))
    assert [row.measure for row in rows if row] == listed
    assert (
        messages[0]["text"]
        .splitlines()[0]
        .startswith(f"📋 区水务局 · 10月7日 工作提醒（{len(listed) + len(grouped)} 项）")
    )
    block = next(b for m in messages for b in m["text"].split("\n\n") if b.startswith("🔴 3-3-1"))
    assert block.splitlines()[1] == "   9月30日到期 · 已逾期 7 天（其中工作日 1 天）"
    assert block.splitlines()[-1] == "   请报送本期进展 · 长期实施"


async def test_a_unit_that_reported_done_is_not_chased_and_digest_and_views_agree(bot: Bot) -> None:
    chats = bind_groups(bot, WATER)
    leaders = bot.api.group(-599, "领导群")
    bot.bind(leaders, leader="倪德才")
    contact = bot.api.user(7001, "水务局联络员")
    bot.clock.set_day(date(2023, 7, 5))
    [confirmation] = await bot.says(chats[WATER], contact, "/report 3-6-4 已完成 工程已完工")
    assert confirmation["text"].startswith("✅ 已记录 3-6-4")
    bot.clock.set_day(date(2023, 7, 10))  # a Monday: overdue items go out
    report = await bot.tick()
    assert (chats[WATER].id, f"unit:{WATER}") not in report.sent  # it owes nothing else that day
    assert bot.api.bot_messages(chats[WATER]) == [confirmation]
    [overdue] = await bot.says(chats[WATER], contact, "/overdue")
    assert "没有逾期事项" in overdue["text"]
    # The measure waits on three more lead units: its leader still hears of it, and who is done, in
    # annex 3's own words (牵头, as /overdue and /status say), not 主责.
    [escalation] = bot.api.bot_messages(leaders)
    block = next(b for b in escalation["text"].split("\n\n") if b.startswith("🔴 3-6-4"))
    assert block.endswith("（已完成：区水务局）") and "牵头：区发展改革委" in block


async def test_a_long_digest_is_split_and_every_item_sent_once(bot: Bot) -> None:
    chats = bind_groups(bot, ECOLOGY)
    plan, directory = bot.services.plan, bot.services.directory
    items = [
        DigestItem(
            measure=m.id,
            reason="overdue",
            due=d.due,
            role=unit_roles(m, directory)[ECOLOGY],
            item=d.id,
            kind=d.kind,
        )
        for m in plan.measures
        if ECOLOGY in unit_roles(m, directory)
        for d in plan.items(m.id)
        if d.kind in ("deadline", "milestone")
    ]
    assert len(items) > 2 * MAX_ITEMS_PER_MESSAGE
    digest = Digest(day=date(2024, 1, 2), recipient=Recipient("unit", ECOLOGY), items=items)
    ids = await bot.sender(chats[ECOLOGY].id, digest)
    await bot.api.idle()
    messages = bot.api.bot_messages(chats[ECOLOGY])
    assert [m["message_id"] for m in messages] == ids and len(ids) >= 3
    for number, message in enumerate(messages, start=1):
        assert telegram_length(message["text"]) <= TELEGRAM_LIMIT
        assert message["text"].startswith(
            f"📋 区生态环境局 · 1月2日 工作提醒（{len(items)} 项）（{number}/{len(ids)}）"
        )
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        assert len(buttons) <= 100
        pressed = [parse_button(b["callback_data"]) for b in buttons]
        assert {p.measure for p in pressed if p is not None} == set(item_ids(message))
        # Overdue entries also carry 申请延期, one a row.
        assert sum(b["text"] == "⏳ 申请延期" for b in buttons) == len(set(item_ids(message)))
    assert ("点下方按钮" in messages[-1]["text"]) and all(
        "点下方按钮" not in m["text"] for m in messages[:-1]
    )
    sent = Counter(measure for message in messages for measure in item_ids(message))
    assert sent == Counter(item.measure for item in items)


def fail_second_message(bot: Bot) -> None:
    """The next digest's second message fails with a 500 (and the sender does not retry it)."""
    bot.sender.retry_delays = ()

    def fail_after_first(event: BotEvent) -> None:
        if event.kind == "sent" and len(bot.api.bot_messages(event.chat)) == 1:
            bot.api.inject("sendMessage", "500")

    bot.api.on_bot_message(fail_after_first)


async def test_a_digest_that_failed_half_way_sends_only_the_rest(bot: Bot) -> None:
    chats = bind_groups(bot, ECOLOGY)
    plan, directory = bot.services.plan, bot.services.directory
    # Overdue entries keep their own lines and buttons (check-ins would make one compact group).
    items = [
        DigestItem(measure=m.id, reason="overdue", due=m.dated_items()[0].due, role="lead")
        for m in plan.measures
        if ECOLOGY in unit_roles(m, directory) and m.dated_items()
    ]
    digest = Digest(day=date(2024, 1, 2), recipient=Recipient("unit", ECOLOGY), items=items)
    fail_second_message(bot)
    with pytest.raises(NetworkError, match="Internal Server Error") as raised:
        await bot.sender(chats[ECOLOGY].id, digest)
    assert type(raised.value) is NetworkError  # a 5xx, not a BadRequest (which is a NetworkError too)
    first = bot.api.bot_messages(chats[ECOLOGY])
    assert len(first) == 1
    ids = await bot.sender(chats[ECOLOGY].id, digest)
    messages = bot.api.bot_messages(chats[ECOLOGY])
    assert ids == [m["message_id"] for m in messages] and len(ids) >= 2
    assert Counter(measure for m in messages for measure in item_ids(m)) == Counter(i.measure for i in items)


async def test_a_resumed_digest_sends_what_is_missing_even_when_the_split_shifts(bot: Bot) -> None:
    # On 2 January 2024 区生态环境局 owes every dated item of the year: overdue entries, each with
    # its own buttons, several messages.
    chats = bind_groups(bot, ECOLOGY)
    chat = chats[ECOLOGY]
    bot.clock.set_day(date(2024, 1, 2))
    fail_second_message(bot)
    failed = await bot.tick()
    assert [f.recipient for f in failed.failed] == [f"unit:{ECOLOGY}"]
    [first] = bot.api.bot_messages(chat)
    assert "（1/" in first["text"].splitlines()[0]
    planned = digests_for_day(
        bot.services.plan, bot.services.directory, {}, CALENDAR, bot.clock.now().date(), include_overdue=True
    )
    [digest] = [d for d in planned if d.recipient.name == ECOLOGY]
    # Before the retry the unit reports three measures of the first message done: they drop out
    # of the digest, so laid out again its first message would reach three items further.
    expected = Counter(item.measure for item in digest.items)
    in_first = Counter(item_ids(first))
    only_in_first = [measure for measure in in_first if in_first[measure] == expected[measure]]
    for measure in only_in_first[:3]:
        bot.services.store.record_progress(measure, ECOLOGY, Status.DONE, bot.clock.now())
    retried = await bot.tick()
    assert retried.sent == [(chat.id, f"unit:{ECOLOGY}")] and retried.complete
    messages = bot.api.bot_messages(chat)
    total = len(messages)
    assert total >= 2
    for number, message in enumerate(messages[1:], start=2):
        assert f"（{number}/{total}）" in message["text"].splitlines()[0]
    sent = Counter(measure for m in messages for measure in item_ids(m))
    assert sum(sent.values()) == len(digest.items)
    assert sent == expected
    [ledger] = bot.services.store.sent_on(bot.clock.now().date())
    assert ledger.message_ids == [m["message_id"] for m in messages]


UNITS = (ECOLOGY, WATER, "区发展改革委", "市规划自然资源委通州分局", "宋庄镇")


async def assert_each_chat_got_one_digest(bot: Bot, chats: dict[str, FakeChat]) -> None:
    for unit, chat in chats.items():
        assert len(bot.api.bot_messages(chat)) == 1, unit
        assert bot.services.store.was_sent(TUESDAY, chat.id, f"unit:{unit}"), unit
    again = await bot.tick()
    assert again.sent == [] and len(again.already_sent) == len(chats)
    assert all(len(bot.api.bot_messages(chat)) == 1 for chat in chats.values())


async def test_429s_and_500s_on_send_still_deliver_each_digest_once(bot: Bot) -> None:
    chats = bind_groups(bot, *UNITS)
    bot.api.inject("sendMessage", "429", times=2, retry_after=0.2)
    bot.api.inject("sendMessage", "500", times=3)
    report = await bot.tick()
    assert report.failed == [] and len(report.sent) == len(UNITS)
    assert bot.api.pending_faults("sendMessage") == 0
    assert bot.api.injected[("sendMessage", "429")] == 2 and bot.api.injected[("sendMessage", "500")] == 3
    await assert_each_chat_got_one_digest(bot, chats)


async def test_slow_and_lost_sends_still_deliver_each_digest_once(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    # A lost request times out after read_timeout; a slow one answers well within it, even on a
    # loaded machine (a slow answer that timed out would be sent again: a duplicate).
    request = HTTPXRequest(read_timeout=1.0, connection_pool_size=8)
    async with running_bot(fake_api, tmp_path / "bot.db", TUESDAY, request=request) as bot:
        chats = bind_groups(bot, *UNITS)
        fake_api.inject("sendMessage", "slow", times=2, delay=0.02)
        fake_api.inject("sendMessage", "lost", times=2, delay=1.5)
        report = await bot.tick()
        assert report.failed == [] and len(report.sent) == len(UNITS)
        assert fake_api.injected[("sendMessage", "lost")] == 2
        await assert_each_chat_got_one_digest(bot, chats)


async def test_a_group_that_removed_the_bot_does_not_stop_the_others(bot: Bot) -> None:
    chats = bind_groups(bot, ECOLOGY, WATER)
    bot.api.remove_bot(chats[WATER])
    report = await bot.tick()
    assert [failure.recipient for failure in report.failed] == [f"unit:{WATER}"]
    assert len(bot.api.bot_messages(chats[ECOLOGY])) == 1
    assert not bot.services.store.was_sent(TUESDAY, chats[WATER].id, f"unit:{WATER}")


async def test_a_groups_list_holds_what_its_button_counts_not_the_entries_listed_on_their_own(
    bot: Bot,
) -> None:
    # 3 July: 16 of 区水务局's 长期实施 check-ins make a group; 2-14-1 (按季度) and 4-11-1 (持续推进)
    # are check-ins too, listed on their own with their own buttons.
    chats = bind_groups(bot, WATER)
    chat = chats[WATER]
    contact = bot.api.user(7002, "水务局联络员")
    bot.clock.set_day(date(2023, 7, 3))
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    named = {b["text"]: b["callback_data"] for row in digest["reply_markup"]["inline_keyboard"] for b in row}
    label = next(text for text in named if text.startswith("逐项填报：本期进展"))
    count = int(label.split("（")[1].split(" ")[0])
    assert "✅ 2-14-1 已完成" in named and "✅ 4-11-1 已完成" in named
    _, listed = await bot.presses(chat, contact, digest["message_id"], named[label])
    shown = [line.split(" ")[0] for message in listed for line in message["text"].splitlines()[1:] if line]
    assert len(shown) == count and f"（区水务局，本期进展，{count} 项）" in listed[0]["text"]
    assert "2-14-1" not in shown and "4-11-1" not in shown


async def test_the_daily_job_catches_up_when_started_after_remind_time(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    store = Store.open(db)
    store.bind_units(-700, [ECOLOGY], title="生态环境局工作群")
    store.close()
    chat = fake_api.group(-700, "生态环境局工作群")
    async with running_bot(fake_api, db, TUESDAY, at=time(10, 0), reminders=True) as bot:
        assert bot.app.job_queue is not None and bot.app.job_queue.get_jobs_by_name(DAILY_JOB)
        [digest] = await fake_api.wait_bot_message(chat)
        assert digest["text"].startswith("📋 区生态环境局 · 6月27日 工作提醒")
        await fake_api.idle()
        assert bot.services.store.was_sent(TUESDAY, chat.id, f"unit:{ECOLOGY}")


async def test_a_compact_group_lists_its_entries_with_their_own_buttons(bot: Bot) -> None:
    # 1 December: 47 of 区水务局's 年底前 measures are 30 days from their deadline, one group.
    chats = bind_groups(bot, WATER)
    chat = chats[WATER]
    contact = bot.api.user(7001, "水务局联络员")
    bot.clock.set_day(date(2023, 12, 1))
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    named = {b["text"]: b["callback_data"] for row in digest["reply_markup"]["inline_keyboard"] for b in row}
    label = next(text for text in named if text.startswith("逐项填报：12月31日到期"))
    lines = digest["text"].splitlines()
    heading = next(n for n, line in enumerate(lines) if line.startswith("📅 12月31日到期 · 还有 30 天"))
    group = [entry.lstrip("🟢🟡🔴").split(" ")[0] for entry in lines[heading + 1].split("；")]
    assert f"（{len(group)} 项）" in label and len(group) > MAX_ITEMS_PER_MESSAGE
    _, listed = await bot.presses(chat, contact, digest["message_id"], named[label])
    shown = [line.split(" ")[0] for message in listed for line in message["text"].splitlines()[1:] if line]
    assert shown == group and len(listed) == 2
    first = listed[0]
    rows = first["reply_markup"]["inline_keyboard"]
    assert len(rows) == MAX_ITEMS_PER_MESSAGE and all(len(row) == 3 for row in rows)
    in_progress = next(b["callback_data"] for b in rows[0] if b["text"] == "🔄 进行中")
    answer, _ = await bot.presses(chat, contact, first["message_id"], in_progress)
    assert answer is not None and answer["text"].startswith("已记录")
    latest = bot.services.store.latest(group[0], WATER)
    assert latest is not None and latest.status is Status.IN_PROGRESS and latest.item == "2023-12-31"
    # The group's button is the day's: on Monday it says so.
    bot.clock.set_day(date(2023, 12, 4))
    answer, _ = await bot.presses(chat, contact, digest["message_id"], named[label])
    assert answer is not None and "以前的提醒按钮" in answer["text"]
