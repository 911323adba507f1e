"""/export, /chart and the monthly 通报 as conversations: the real bot over HTTP against the local
Bot API stand-in, the real plan and directory, a real database file and a fake clock."""

from __future__ import annotations

from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot import texts
from bot.clock import TZ, FakeClock
from bot.models import Status
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from bot.services import Services
from bot.store import Store
from schedules.bulletin import LAST_RUN_KEY, BulletinDelivery, run_bulletin
from schedules.calendar import WorkCalendar
from tests.bot_harness import ADMIN_ID, Bot, running_bot, shipped_plan
from tests.cli_runner import run_main
from tests.leader_views_data import report
from tests.test_bot_monthly import section_message
from tests.test_bot_supervision import buttons

LEADER = "倪德才"
WATER = "区水务局"


async def asks(bot: Bot, chat: FakeChat, user: FakeUser, text: str) -> JSONDict:
    """``user`` sends ``text``; the bot's next message in the chat, once it has arrived (a workbook
    is written in a worker thread, so the bot can look idle before it answers)."""
    before = len(bot.api.bot_messages(chat))
    await bot.api.user_sends(chat, user, text)
    return (await bot.api.wait_bot_message(chat, before + 1, timeout=60))[before]


def workbook(bot: Bot, message: JSONDict) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(bot.api.file_content(message["document"]["file_id"])))


def units_on_sheet(book: openpyxl.Workbook, sheet: str, column: str) -> set[str]:
    rows = book[sheet].iter_rows(min_row=3, values_only=True)
    headers = [str(h) for h in next(rows)]
    at = headers.index(column)
    return {str(row[at]) for row in rows if row[1] is not None}


async def test_export_in_a_leader_chat_sends_that_leaders_workbook(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3)) as bot:
        chat = bot.api.group(-100, "倪德才领导群")
        bot.bind(chat, leader=LEADER)
        sent = await asks(bot, chat, bot.api.user(501, "秘书"), "/export")
        assert sent["document"]["file_name"] == "督办台账-2023-07-03.xlsx"
        assert LEADER in sent["caption"]
        book = workbook(bot, sent)
        assert book.sheetnames == ["汇总", "逾期", "台账", "通报"]
        leaders = {str(row[9]) for row in book["逾期"].iter_rows(min_row=4, values_only=True)}
        assert leaders and all(LEADER in names for names in leaders)


async def test_a_unit_chat_gets_its_own_units_workbook_and_cannot_look_beyond(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3)) as bot:
        chat = bot.api.group(-200, "水务局工作群")
        person = bot.api.user(601, "联系人")
        bot.bind(chat, WATER)
        report(
            bot.services.store, "3-3-1", WATER, Status.IN_PROGRESS, date(2023, 6, 20), percent=30, note="开工"
        )
        sent = await asks(bot, chat, person, "/export")
        book = workbook(bot, sent)
        assert units_on_sheet(book, "台账", "单位") == {WATER}
        assert units_on_sheet(book, "通报", "单位") == {WATER}
        refused = await asks(bot, chat, person, "/export 全部")
        assert refused["text"] == texts.LV_REFUSED_OUTSIDE.format(allowed=WATER)


async def test_an_admin_names_a_scope_and_a_typo_gets_a_chinese_answer(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 7, 3)) as bot:
        private = bot.api.private(bot.admin)
        sent = await asks(bot, private, bot.admin, "/export 附件2")
        assert "附件2" in sent["caption"]
        answer = await asks(bot, private, bot.admin, "/export 不存在的局")
        assert "未找到" in answer["text"] and texts.RPT_USAGE_EXPORT in answer["text"]


async def test_chart_sends_a_png(fake_api: BotApiServer, tmp_path: Path) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", date(2023, 10, 9)) as bot:
        chat = bot.api.group(-100, "倪德才领导群")
        bot.bind(chat, leader=LEADER)
        sent = await asks(bot, chat, bot.api.user(501, "秘书"), "/chart")
        photo = bot.api.file_content(sent["photo"][-1]["file_id"])
        assert photo.startswith(b"\x89PNG") and LEADER in sent["caption"]


async def test_the_monthly_bulletin_goes_out_once_on_the_first_workday_even_after_a_restart(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    # 2023-08-01 (a Tuesday) is August's first workday; the bot starts after REMIND_AT, so the
    # start-up catch-up sends the 通报.
    with Store.open(db) as store:
        store.bind_leader(-100, LEADER, title="倪德才领导群")
        report(store, "2-63-1", "区生态环境局", Status.DONE, date(2023, 7, 20))
        report(store, "3-3-1", WATER, Status.BLOCKED, date(2023, 7, 21), note="资金未到位")
    chat = fake_api.group(-100, "倪德才领导群")
    admin_chat = fake_api.private(fake_api.user(ADMIN_ID, "管理员", "admin"))
    async with running_bot(fake_api, db, date(2023, 8, 1), time(10, 0), reminders=True) as bot:
        # The leader's daily digest may come too; the 通报 is its text, the workbook and the chart.
        await bot.api.wait_until(lambda: any("photo" in m for m in fake_api.bot_messages(chat)), 60)
        messages = fake_api.bot_messages(chat)
        (text,) = [m for m in messages if m.get("text", "").startswith("📋 2023年7月 推进情况通报")]
        (document,) = [m for m in messages if "document" in m]
        (photo,) = [m for m in messages if "photo" in m]
        assert text["text"].startswith("📋 2023年7月 推进情况通报")
        assert "上月报告完成 1 项：2-63-1 区生态环境局" in text["text"]
        assert "排名靠前" in text["text"] and "相对滞后" in text["text"]
        assert document["document"]["file_name"] == "督办台账-2023-08-01.xlsx"
        assert "photo" in photo
        store = bot.services.store
        await bot.api.wait_until(lambda: store.was_sent(date(2023, 8, 1), ADMIN_ID, "通报:admin"), 60)
        assert store.was_sent(date(2023, 8, 1), chat.id, f"通报:{LEADER}")
        assert [m["document"]["file_name"] for m in fake_api.bot_messages(admin_chat) if "document" in m] == [
            "督办台账-2023-08-01.xlsx"
        ]
    before = len(fake_api.bot_messages(chat))
    async with running_bot(fake_api, db, date(2023, 8, 1), time(11, 0), reminders=True) as bot:
        store = bot.services.store
        await bot.api.wait_until(lambda: (store.get_meta(LAST_RUN_KEY) or "").startswith("2023-08-01T11"), 30)
        await bot.api.idle()
    assert len(fake_api.bot_messages(chat)) == before
    assert len([m for m in fake_api.bot_messages(admin_chat) if "document" in m]) == 1


async def test_the_last_bulletin_reports_on_december_and_none_follows(tmp_path: Path) -> None:
    plan, directory = shipped_plan()
    delivered: list[BulletinDelivery] = []

    async def send(delivery: BulletinDelivery) -> list[int]:
        delivered.append(delivery)
        return [len(delivered)]

    with Store.open(tmp_path / "bot.db") as store:
        store.bind_leader(-100, LEADER, title="倪德才领导群")
        for day, expected in ((date(2024, 1, 2), 2), (date(2024, 2, 1), 0)):
            clock = FakeClock.at(day, time(10, 0))
            services = Services(plan, directory, store, clock, admin_ids=frozenset({ADMIN_ID}))
            run = await run_bulletin(services, WorkCalendar(), send)
            assert len(run.sent) == expected, day
    assert delivered[0].text.startswith("📋 2023年12月 推进情况通报")


async def test_the_on_time_reporting_rate_counts_answered_monthly_requests(
    fake_api: BotApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """按时报送率 from the 月调度: July's is sent on Monday 7-03 and due by its fifth workday, 7-07.
    区水务局 answers with one tap that morning; 区生态环境局 never does; 区发展改革委 has no chat,
    so it is never asked."""
    db = tmp_path / "bot.db"
    async with running_bot(fake_api, db, date(2023, 7, 3), time(9, 0)) as bot:
        water = bot.api.group(-300, "水务局工作群")
        bot.bind(water, WATER)
        bot.bind(bot.api.group(-301, "生态环境局工作群"), "区生态环境局")
        await bot.tick()
        message = section_message(bot, water)
        bot.clock.set(datetime(2023, 7, 3, 10, 30, tzinfo=TZ))
        answer, _ = await bot.presses(
            water, bot.api.user(701, "水务联系人"), message["message_id"], buttons(message)["均按计划推进"]
        )
        assert answer is not None and "已记录" in answer["text"]

    def rates(day: str) -> dict[str, Any]:
        target = tmp_path / f"{day}.xlsx"
        code, _, err = run_main(capsys, "export", "--date", day, "-o", str(target), "--db", str(db))
        assert code == 0, err
        sheet = openpyxl.load_workbook(target)["通报"]
        rows = sheet.iter_rows(min_row=3, values_only=True)
        headers = [str(h) for h in next(rows)]
        at, unit = headers.index("按时报送率"), headers.index("单位")
        table = {str(row[unit]): row[at] for row in rows if row[unit] is not None}
        note = next(str(row[0]) for row in sheet.iter_rows(values_only=True) if "按时报送率 =" in str(row[0]))
        assert "按时答复月调度的月份 ÷ 收到月调度的月份" in note
        return table

    before_due = rates("2023-07-04")  # 区生态环境局 may still answer until 7-07: not counted yet
    assert (before_due[WATER], before_due["区生态环境局"], before_due["区发展改革委"]) == (1, "—", "—")
    after_due = rates("2023-07-10")
    assert (after_due[WATER], after_due["区生态环境局"], after_due["区发展改革委"]) == (1, 0, "—")
    assert rates("2023-06-30")[WATER] == "—"  # asked after that day
