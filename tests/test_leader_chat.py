"""Leader views as conversations: the real bot over HTTP against the local Bot API stand-in.

The real plan and directory, a real database file, a fake clock on named days of 2023/2024.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, time
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import queries, render, reports, texts
from bot.app import CALENDAR_KEY
from bot.models import Status
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from tests.bot_harness import Bot, running_bot
from tests.leader_views_data import items_on_page, report

LEADER = "倪德才"
WATER = "区水务局"


@pytest.fixture
async def bot_on_2024_01_02(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2024, 1, 2)) as bot:
        yield bot


@pytest.fixture
async def bot_on_2023_07_03(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3)) as bot:
        yield bot


def leader_chat(bot: Bot) -> tuple[FakeChat, FakeUser]:
    chat = bot.api.group(-100, "倪德才领导群")
    person = bot.api.user(501, "秘书")
    bot.bind(chat, leader=LEADER)
    return chat, person


def unit_chat(bot: Bot, unit: str = WATER) -> tuple[FakeChat, FakeUser]:
    chat = bot.api.group(-200, f"{unit}工作群")
    person = bot.api.user(601, "联系人")
    bot.bind(chat, unit)
    return chat, person


def buttons(message: JSONDict) -> dict[str, str]:
    """Button text → callback data under a message."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


async def test_a_leader_asks_overdue(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    (answer,) = await bot.says(chat, secretary, "/overdue")
    text = answer["text"]
    assert text.startswith(f"🔴 逾期事项 · {LEADER} · 2023-07-03\n")
    # 2-63-1, the noise-zoning measure due at the end of June, is the leader's and now overdue
    assert "2-63-1" in text and "截止 2023-06-30 · 逾期 3 天" in text
    # One page: no page buttons; the leader's 催办, one per overdue item (issue 10).
    rows = answer["reply_markup"]["inline_keyboard"]
    assert [b["text"].split("（")[0] for row in rows for b in row] == ["催办 2-63-1", "催办 3-6-4"]


async def test_a_completion_report_takes_the_item_off_the_leaders_list(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    measure = bot.services.plan.measure("2-63-1")
    assert measure is not None
    for unit in queries.index_for(bot.services.plan, bot.services.directory).responsible["2-63-1"]:
        if unit.role == "lead":
            report(bot.services.store, "2-63-1", unit.unit, Status.DONE, date(2023, 7, 3), at=time(8, 0))
    (answer,) = await bot.says(chat, secretary, "/overdue")
    assert "2-63-1" not in answer["text"]


async def test_paging_through_a_leaders_overdue_shows_every_item_exactly_once(bot_on_2024_01_02: Bot) -> None:
    bot = bot_on_2024_01_02
    chat, secretary = leader_chat(bot)
    (first,) = await bot.says(chat, secretary, "/overdue 详细")  # the long form, unit by unit
    pages = [first["text"]]
    assert texts.LV_BUTTON_NEXT in buttons(first) and texts.LV_BUTTON_PREV not in buttons(first)
    while texts.LV_BUTTON_NEXT in buttons(bot.api.message(chat, first["message_id"])):
        data = buttons(bot.api.message(chat, first["message_id"]))[texts.LV_BUTTON_NEXT]
        answer, new = await bot.presses(chat, secretary, first["message_id"], data)
        assert answer is not None and new == []  # the page replaces the message; nothing new is posted
        pages.append(bot.api.message(chat, first["message_id"])["text"])
    assert len(pages) >= 3, len(pages)
    assert all(render.telegram_length(page) <= render.TELEGRAM_LIMIT for page in pages)
    assert all(f"（第 {n}/{len(pages)} 页）" in page for n, page in enumerate(pages, start=1))

    services = bot.services
    snapshot = queries.Snapshot.take(services.plan, services.directory, services.store, date(2024, 1, 2))
    expected = queries.overdue(snapshot, queries.leader_scope(services.directory, LEADER))
    shown = Counter(item for page in pages for item in items_on_page(page))
    assert shown == Counter(
        (group.unit, item.measure.id, item.item.due.isoformat())
        for group in expected.groups
        for item in group.items
        if item.item is not None
    )
    assert set(shown.values()) == {1}

    # and back one page
    data = buttons(bot.api.message(chat, first["message_id"]))[texts.LV_BUTTON_PREV]
    await bot.presses(chat, secretary, first["message_id"], data)
    assert bot.api.message(chat, first["message_id"])["text"] == pages[-2]


async def test_a_unit_chat_sees_its_own_units_only(bot_on_2024_01_02: Bot) -> None:
    bot = bot_on_2024_01_02
    chat, contact = unit_chat(bot)
    (answer,) = await bot.says(chat, contact, "/overdue 详细")
    headings = {line for line in answer["text"].split("\n") if line.startswith("【")}
    assert headings and all(line.startswith(f"【{WATER}】") for line in headings)
    (refused,) = await bot.says(chat, contact, "/overdue 区生态环境局")
    assert refused["text"] == texts.LV_REFUSED_OUTSIDE.format(allowed=WATER)
    (refused,) = await bot.says(chat, contact, "/overdue 全部")
    assert refused["text"] == texts.LV_REFUSED_OUTSIDE.format(allowed=WATER)
    (mine,) = await bot.says(chat, contact, "/mytasks")
    assert mine["text"].startswith(f"📋 待办事项 · {WATER} · 2024-01-02")


async def test_mytasks_puts_the_most_urgent_item_first(fake_api: BotApiServer, tmp_path: Path) -> None:
    """宋庄镇 on 2023-06-27: its co item 2-63-1, due in 3 days, before its lead items due at year end."""
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 6, 27)) as bot:
        chat, contact = unit_chat(bot, "宋庄镇")
        (answer,) = await bot.says(chat, contact, "/mytasks")
    body = answer["text"].split("\n\n")[1].split("\n")
    assert body[:3] == [
        "🟡 2-63-1 加强噪声污染治理",
        "   截止 2023-06-30 · 还有 3 天",
        "   协办：宋庄镇（未报送）",
    ]
    assert body[3].startswith("🟢 ") and "宋庄镇（未报送）" in body[5]  # 3-3-1, 责任 at year end


def mytasks_entries(text: str) -> list[tuple[str, str]]:
    """(measure, due day or "") of each entry of a /mytasks page, in order."""
    lines = text.split("\n\n", 1)[1].split("\n")
    entries = []
    for title, item in itertools.pairwise(lines):
        if title[:1] in "🔴🟡🟢" and title[2:3].isdigit():
            due = re.match(r" +(?:截止|节点) ([0-9]{4}-[0-9]{2}-[0-9]{2})", item)
            entries.append((title.split()[1], due.group(1) if due else ""))
    return entries


async def test_mytasks_shows_the_next_ten_items_with_a_button_for_more(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    """倪德才 on 2023-07-03: ten items a page, most urgent first; 下一页 ▶ shows the next ten, also after
    a restart; a button for a page that is gone, or a forged one, gets a clear answer."""
    database = tmp_path / "bot.db"
    async with running_bot(fake_api, database, date(2023, 7, 3)) as bot:
        chat, secretary = leader_chat(bot)
        (first,) = await bot.says(chat, secretary, "/mytasks")
        services = bot.services
        snapshot = queries.Snapshot.take(services.plan, services.directory, services.store, date(2023, 7, 3))
        expected = queries.my_tasks(snapshot, queries.leader_scope(services.directory, LEADER))
    entries = mytasks_entries(first["text"])
    assert len(entries) == render.MYTASKS_PER_PAGE
    assert entries[:2] == [("2-63-1", "2023-06-30"), ("3-6-4", "2023-06-30")]  # the overdue first
    dues = [due for _, due in entries]
    assert dues == sorted(dues)
    # half a year away and nobody reported yet: not yet reminded, so not stalled (🟢, not 🟡)
    assert "🟢 1-1-1 温室气体排放控制目标\n   截止 2023-12-31 · 还有 181 天" in first["text"]
    assert len(first["text"].split("\n")) + 1 <= 50  # one button row
    assert texts.LV_BUTTON_NEXT in buttons(first) and texts.LV_BUTTON_PREV not in buttons(first)

    # a restart: the button still shows the next ten, which start where the first ten ended
    async with running_bot(fake_api, database, date(2023, 7, 3)) as bot:
        answer, new = await bot.presses(
            chat, secretary, first["message_id"], buttons(first)[texts.LV_BUTTON_NEXT]
        )
        assert answer is not None and new == []
        second = bot.api.message(chat, first["message_id"])
        later = mytasks_entries(second["text"])
        assert len(later) == render.MYTASKS_PER_PAGE and not set(later) & set(entries)
        assert entries[-1][1] <= min(due or "9999" for _, due in later)
        assert texts.LV_BUTTON_PREV in buttons(second)
        # every item of every unit once over all the pages
        shown = set(entries) | set(later)
        data = buttons(second).get(texts.LV_BUTTON_NEXT)
        while data is not None:
            await bot.presses(chat, secretary, first["message_id"], data)
            page = bot.api.message(chat, first["message_id"])
            shown |= set(mytasks_entries(page["text"]))
            data = buttons(page).get(texts.LV_BUTTON_NEXT)
        assert shown == {
            (i.measure.id, i.item.due.isoformat() if i.item else "") for g in expected.groups for i in g.items
        }
        # a page beyond the last (the list got shorter), and a forged view, get a clear answer
        stale = {"lv:m:-:20230703::99": "该页已不存在", "lv:m:q:20230703::1": texts.LV_BUTTON_STALE}
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(said, callback_data=data)] for data, said in stale.items()]
        )
        old = await bot.app.bot.send_message(chat.id, "旧消息", reply_markup=markup)
        for data, said in stale.items():
            answer, new = await bot.presses(chat, secretary, old.message_id, data)
            assert answer is not None and said in answer.get("text", "") and new == []


async def test_a_stranger_is_refused(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat = bot.api.group(-300, "无关群")
    stranger = bot.api.user(777, "路人")
    for command in ("/overdue", "/summary", "/mytasks", "/upcoming", "/status 2-63-1"):
        (answer,) = await bot.says(chat, stranger, command)
        assert answer["text"] == texts.LV_REFUSED_UNBOUND, command


async def test_an_admin_sees_everything_and_can_narrow_it(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    private = bot.api.private(bot.admin)
    (everything,) = await bot.says(private, bot.admin, "/overdue")
    assert everything["text"].startswith("🔴 逾期事项 · 全部 · 2023-07-03")
    (annex,) = await bot.says(private, bot.admin, "/overdue 详细 附件3")
    assert annex["text"].startswith("🔴 逾期事项 · 附件3 · 2023-07-03")
    assert {measure.split("-")[0] for _, measure, _ in items_on_page(annex["text"])} == {"3"}
    (unit,) = await bot.says(private, bot.admin, "/overdue 水务局")
    assert unit["text"].startswith(f"🔴 逾期事项 · {WATER} · ")
    (near_miss,) = await bot.says(private, bot.admin, "/overdue 区水务")
    assert near_miss["text"].startswith(texts.LV_UNKNOWN_SCOPE.format(text="区水务"))
    assert WATER in near_miss["text"]


async def test_status_of_a_measure(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    report(
        bot.services.store,
        "2-63-1",
        "区生态环境局",
        Status.IN_PROGRESS,
        date(2023, 6, 20),
        at=time(15, 0),
        percent=80,
        note="方案已报审",
        evidence=["file-1"],
    )
    (answer,) = await bot.says(chat, secretary, "/status 2-63-1")
    text = answer["text"]
    measure = bot.services.plan.measure("2-63-1")
    assert measure is not None
    assert text.startswith(f"📌 2-63-1 {measure.title}")
    assert measure.text[:30] in text and LEADER in text
    assert "【主责】区生态环境局：进行中 80% · 2023-06-20" in text
    assert "方案已报审" in text and "📎 佐证材料共 1 份（材料 1 份），最近一次 2023-06-20" in text
    (usage,) = await bot.says(chat, secretary, "/status")
    assert usage["text"] == texts.LV_USAGE_STATUS


async def test_status_marks_the_reports_that_carried_evidence_sent_in_the_unit_chat(
    bot_on_2023_07_03: Bot,
) -> None:
    """A unit reports by command, then sends a photo and a document; /status shows which lines
    carried which files, so the total of 佐证材料 adds up line by line."""
    bot = bot_on_2023_07_03
    town, contact = unit_chat(bot, "宋庄镇")
    await bot.says(town, contact, "/report 2-63-1 进行中 50%")
    await bot.says(town, contact, photo=True, caption="2-63-1 现场照片")
    await bot.says(town, contact, document="验收报告.pdf", caption="2-63-1 验收报告")
    chat, secretary = leader_chat(bot)
    (answer,) = await bot.says(chat, secretary, "/status 2-63-1")
    lines = answer["text"].split("\n")
    start = lines.index("🔴 【协办】宋庄镇：进行中 50% · 2023-07-03")  # 2-63-1 was due 06-30
    assert lines[start + 1 : start + 5] == [
        "   · 2023-07-03 进行中 50% 验收报告（📎 文件 1 份 · 联系人）",
        "   · 2023-07-03 进行中 50% 现场照片（📎 照片 1 份 · 联系人）",
        "   · 2023-07-03 进行中 50%（命令 · 联系人）",
        "   📎 佐证材料共 2 份（照片 1 份、文件 1 份），最近一次 2023-07-03",
    ]


async def test_status_reads_ids_as_reports_do_and_explains_an_unknown_one(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    for typed in ("２－６３－１", "2 - 63 - 1", "2—63—1"):
        (answer,) = await bot.says(chat, secretary, f"/status {typed}")
        assert answer["text"].startswith("📌 2-63-1 "), typed
    (same_task,) = await bot.says(chat, secretary, "/status 2-63-9")
    assert same_task["text"] == (
        "没有编号为 2-63-9 的措施。措施编号的格式是“附件-序号-条目”，例如 2-63-1。\n"
        "附件2序号63下的措施：2-63-1"
    )
    (nowhere,) = await bot.says(chat, secretary, "/status 9-9-9")
    assert nowhere["text"] == texts.LV_UNKNOWN_MEASURE.format(text="9-9-9")  # no made-up suggestions
    (words,) = await bot.says(chat, secretary, "/status 噪声区划")  # words: a search, found nothing
    assert words["text"] == texts.LV_FIND_NONE.format(words="噪声区划")


async def test_an_admin_asks_for_an_open_group_and_a_near_miss_leader(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    private = bot.api.private(bot.admin)
    (group,) = await bot.says(private, bot.admin, "/mytasks 相关乡镇政府")
    assert group["text"].startswith("📋 待办事项 · 相关乡镇 · 2023-07-03\n")
    roles = [
        line for line in group["text"].split("\n") if line.startswith("   主责") or line.startswith("   责任")
    ]
    assert sorted(line.split("：")[0].strip() for line in roles) == ["主责", "主责", "责任", "责任"]
    assert all(line.endswith("：相关乡镇（尚未指定具体单位）（未报送）") for line in roles)
    (leader,) = await bot.says(private, bot.admin, "/overdue 秦韬")
    assert leader["text"].startswith(texts.LV_UNKNOWN_SCOPE.format(text="秦韬"))
    assert texts.DID_YOU_MEAN.format(names="秦涛") in leader["text"]


async def test_upcoming_and_summary(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    (soon,) = await bot.says(chat, secretary, "/upcoming 100")
    assert soon["text"].startswith(f"⏰ 近期到期（100 天内）· {LEADER} · 2023-07-03")
    assert all("2023-07-03" <= due <= "2023-10-11" for _, _, due in items_on_page(soon["text"]))
    for typed in ("三十天", "30天", "３０"):
        (month,) = await bot.says(chat, secretary, f"/upcoming {typed}")
        assert month["text"].startswith(f"⏰ 近期到期（30 天内）· {LEADER} · 2023-07-03")
    (fortnight,) = await bot.says(chat, secretary, "/upcoming 两周")
    assert fortnight["text"].startswith(f"⏰ 近期到期（14 天内）· {LEADER}")
    (usage,) = await bot.says(chat, secretary, "/upcoming 下个月")
    assert usage["text"] == texts.LV_USAGE_UPCOMING


async def test_summary_fits_one_screen_and_its_buttons_open_the_rest(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    services = bot.services
    scope = queries.leader_scope(services.directory, LEADER)
    snapshot = queries.Snapshot.take(services.plan, services.directory, services.store, date(2023, 7, 3))
    counted = queries.summary(snapshot, scope)
    (table,) = await bot.says(chat, secretary, "/summary")
    compact, compact_buttons = table["text"], buttons(table)  # the message is edited in place below
    lines = compact.split("\n")
    assert lines[0] == f"📊 进展汇总 · {LEADER} · 2023-07-03"
    assert lines[1].startswith(f"{counted.total.light} 共 {counted.total.total} 条措施：完成 0 · ")
    assert len(lines) + 1 <= 25, len(lines)  # one screen, the button row included
    # each annex on one line, with its count and overdue
    for row in counted.annexes:
        (line,) = [line for line in lines if line.startswith(f"{row.light} 附件{row.label[2]} ")]
        assert f"（{row.total}）：完成 {row.complete}" in line and line.endswith(f"逾期 {row.overdue}")
    # the five units last by results (办结率, then 逾期项数), worst first, figures as the 通报 has them
    lagging = [line.split("：")[0].removeprefix("🔻 ") for line in lines if line.startswith("🔻 ")]
    calendar = bot.app.bot_data[CALENDAR_KEY]
    bulletin = reports.report_for(
        services.plan, services.directory, services.store, scope, date(2023, 7, 3), calendar
    )
    figures = {score.unit: score for score in bulletin.ranked}
    assert len(lagging) == 5 and set(lagging) <= set(figures)

    def worst_first(unit: str) -> tuple[float, int]:
        return (figures[unit].completion_rate or 0.0, -figures[unit].overdue)

    assert [worst_first(unit) for unit in lagging] == sorted(worst_first(unit) for unit in lagging)
    assert max(map(worst_first, lagging)) <= min(worst_first(unit) for unit in figures if unit not in lagging)
    for unit in lagging:
        score = figures[unit]
        line = next(line for line in lines if line.startswith(f"🔻 {unit}："))
        assert f"（{score.completed}/{score.due}）· 逾期 {score.overdue} 项" in line
    assert {"区生态环境局", "马驹桥镇", "台湖镇"} <= set(lagging)  # 2 overdue items each

    # the buttons open every annex's and every unit's row in full, and go back
    units_button = compact_buttons[texts.LV_SUMMARY_BUTTON_UNITS]
    await bot.presses(chat, secretary, table["message_id"], units_button)
    page = bot.api.message(chat, table["message_id"])
    pages = [(page["text"], buttons(page))]  # the message is edited in place: keep what each page said
    while texts.LV_BUTTON_NEXT in pages[-1][1]:
        await bot.presses(chat, secretary, table["message_id"], pages[-1][1][texts.LV_BUTTON_NEXT])
        page = bot.api.message(chat, table["message_id"])
        pages.append((page["text"], buttons(page)))
    # one line a unit, so the 58 units fit one message (they took two, 180 lines, before)
    assert len(pages) == 1
    shown = "\n".join(text for text, _ in pages)
    assert texts.LV_SUMMARY_LEGEND in shown and "各单位（本单位的措施数）：" in shown
    lines = shown.splitlines()
    missing = []
    for row in counted.units:
        label = row.label if row.assigned else row.label + texts.UNASSIGNED
        head = f"{row.light} {label}（{row.total}）：完成 {row.complete}"
        line = next((line for line in lines if line.startswith(head)), None)
        if line is None or not line.endswith(f"逾期 {row.overdue}"):
            missing.append(row.label)
        elif row.period_missing:
            assert f"长期实施本期未报送 {row.period_missing}" in line, line
    assert not missing, (missing, shown)
    assert all(texts.LV_SUMMARY_BUTTON_BACK in markup for _, markup in pages)
    await bot.presses(chat, secretary, table["message_id"], pages[-1][1][texts.LV_SUMMARY_BUTTON_BACK])
    assert bot.api.message(chat, table["message_id"])["text"] == compact
    await bot.presses(chat, secretary, table["message_id"], compact_buttons[texts.LV_SUMMARY_BUTTON_ANNEXES])
    annexes = bot.api.message(chat, table["message_id"])["text"]
    assert "各附件（措施数）：" in annexes and "各单位（本单位的措施数）：" not in annexes
    assert all(f"{row.light} {row.label}\n   共 {row.total} · " in annexes for row in counted.annexes)


async def test_a_units_summary_shows_its_own_figures_without_a_place(bot_on_2023_07_03: Bot) -> None:
    bot = bot_on_2023_07_03
    chat, contact = unit_chat(bot)
    (table,) = await bot.says(chat, contact, "/summary")
    lines = table["text"].split("\n")
    assert lines[0] == f"📊 进展汇总 · {WATER} · 2023-07-03"
    position = lines.index(texts.LV_SUMMARY_COMPACT_ONE)
    assert lines[position + 1] == f"🔻 {WATER}：办结率 0.0%（0/1）· 逾期 1 项"  # 3-6-4's 6月底 milestone


async def test_the_summarys_lagging_units_follow_results_not_chatter(bot_on_2023_07_03: Bot) -> None:
    """区生态环境局 finishing 2-63-1 leaves the five last; 马驹桥镇 chatting and acknowledging does not."""
    bot = bot_on_2023_07_03
    chat, secretary = leader_chat(bot)
    report(bot.services.store, "2-63-1", "区生态环境局", Status.DONE, date(2023, 7, 3), at=time(8, 0))
    town, contact = unit_chat(bot, "马驹桥镇")
    for said in ("3-6-4 进行中 正在协调", "收到", "大家辛苦了", "3-6-4 进行中 已开会部署"):
        await bot.says(town, contact, said)
    (table,) = await bot.says(chat, secretary, "/summary")
    lagging = [line for line in table["text"].split("\n") if line.startswith("🔻 ")]
    assert not any(line.startswith("🔻 区生态环境局：") for line in lagging)
    assert any(line.startswith("🔻 马驹桥镇：") for line in lagging)


async def test_forged_and_stale_page_buttons_get_a_clear_answer(bot_on_2024_01_02: Bot) -> None:
    bot = bot_on_2024_01_02
    chat, secretary = leader_chat(bot)
    forged = {
        "beyond the last page": ("lv:o:-:20240102::99", "该页已不存在"),
        "a unit that does not exist": ("lv:o:u9999:20240102::1", texts.LV_BUTTON_STALE),
        "not a date": ("lv:o:-:20241340::1", texts.LV_BUTTON_STALE),
        "a far date": ("lv:o:-:99991231::1", texts.LV_BUTTON_STALE),
        "garbage": ("lv:zz", texts.LV_BUTTON_STALE),
        "beyond this chat's rights": ("lv:o:*:20240102::1", texts.LV_REFUSED_OUTSIDE.format(allowed=LEADER)),
    }
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(name, callback_data=data)] for name, (data, _) in forged.items()]
    )
    sent = await bot.app.bot.send_message(chat.id, "旧消息", reply_markup=markup)
    for name, (data, expected) in forged.items():
        answer, new = await bot.presses(chat, secretary, sent.message_id, data)
        assert answer is not None and expected in answer.get("text", ""), name
        assert new == []
    assert bot.api.message(chat, sent.message_id)["text"] == "旧消息"  # left as it was


@pytest.mark.parametrize(
    ("argument", "label"),
    [("倪 德才", "倪德才"), ("附件2", "附件2"), ("各街道乡镇", "各街道乡镇"), ("生态环境局", "区生态环境局")],
)
async def test_an_admins_narrowed_view_keeps_its_scope_across_pages(
    bot_on_2024_01_02: Bot, argument: str, label: str
) -> None:
    bot = bot_on_2024_01_02
    private = bot.api.private(bot.admin)
    (first,) = await bot.says(private, bot.admin, f"/overdue 详细 {argument}")
    title = f"🔴 逾期事项 · {label} · 2024-01-02"
    assert first["text"].startswith(title)
    data = buttons(first)[texts.LV_BUTTON_NEXT]
    answer, _ = await bot.presses(private, bot.admin, first["message_id"], data)
    assert answer is not None and not answer.get("show_alert")
    second = bot.api.message(private, first["message_id"])["text"]
    assert second.startswith(title) and "（第 2/" in second


async def test_a_page_buttons_refusal_fits_an_alert(bot_on_2024_01_02: Bot) -> None:
    """A chat of many units is refused a wider view with the scope it may see: cut to 200."""
    bot = bot_on_2024_01_02
    chat = bot.api.group(-300, "多单位群")
    bot.bind(chat, *[unit.name for unit in bot.services.directory.units][:60])
    person = bot.api.user(801, "联系人")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("全部", callback_data="lv:o:*:20240102::1")]])
    sent = await bot.app.bot.send_message(chat.id, "旧消息", reply_markup=markup)
    answer, _ = await bot.presses(chat, person, sent.message_id, "lv:o:*:20240102::1")
    assert answer is not None and answer["show_alert"]
    assert answer["text"].startswith("本聊天只能查看") and len(answer["text"]) <= 200
