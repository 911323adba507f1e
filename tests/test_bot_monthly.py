"""月调度 (issue 10, part 6) as a conversation: the real bot over HTTP against the Bot API stand-in,
the shipped plan, a real database file and a fake clock.

Monday 2023-07-03 is July's first workday: 区水务局's digest carries one 月调度 section listing the
open items it has not reported on for 30 days; one tap answers it, and the answer survives a
restart, shows in /status and in the CLI's JSON, and counts as answered in time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.clock import TZ
from bot.models import Status
from bot.sandbox.botapi import BotApiServer, FakeChat, JSONDict
from bot.store import Store
from bot.workflow import monthly_progress_answers, supervision
from schedules.calendar import WorkCalendar
from tests.bot_harness import Bot, running_bot
from tests.cli_runner import run_main
from tests.test_bot_supervision import button_markup, buttons

UNIT = "区水务局"
JULY_3 = date(2023, 7, 3)
SECTION = "月调度"


@pytest.fixture
async def bot_on_07_03(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", JULY_3, time(9, 0)) as bot:
        yield bot


def section_message(bot: Bot, chat: FakeChat) -> JSONDict:
    """The digest message that carries the 月调度 section (its two buttons under it)."""
    found = [m for m in bot.api.bot_messages(chat) if "均按计划推进" in buttons(m)]
    assert len(found) == 1, [m.get("text") for m in bot.api.bot_messages(chat)]
    return found[0]


def section_ids(message: JSONDict) -> list[str]:
    """The measure IDs of the section's one line (after its heading)."""
    lines = message["text"].split("\n")
    heading = next(n for n, line in enumerate(lines) if line.startswith("🗓 月调度"))
    return [entry.split(" ")[0] for entry in lines[heading + 1].split("；")]


async def test_the_monthly_section_is_answered_with_one_tap_and_survives_a_restart(
    fake_api: BotApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(fake_api, db, JULY_3, time(9, 0)) as bot:
        chat = bot.api.group(-300, "水务局工作群")
        other = bot.api.group(-301, "生态环境局工作群")
        contact = bot.api.user(701, "水务联系人")
        bot.bind(chat, UNIT)
        bot.bind(other, "区生态环境局")
        # 3-1-1 was reported on in June: it is not asked about again.
        bot.services.store.record_progress(
            "3-1-1", UNIT, Status.IN_PROGRESS, datetime(2023, 6, 20, 10, tzinfo=TZ), user_name="水务联系人"
        )
        await bot.tick()
        message = section_message(bot, chat)
        listed = section_ids(message)
        assert "3-5-2" in listed and "3-1-1" not in listed
        # One compact section: the items of the section have no button rows of their own.
        assert len(listed) > 20
        assert not any(data.startswith("p|3-5-2|") for data in buttons(message).values())

        # A forged press, and a press from another unit's chat, are refused and record nothing.
        all_on_plan = buttons(message)["均按计划推进"]
        forged = all_on_plan.replace(all_on_plan.split(":")[2], "00000000")
        fake = await bot.app.bot.send_message(
            chat.id, "伪造", reply_markup=button_markup({"均按计划推进": forged})
        )
        answer, _ = await bot.presses(chat, contact, fake.message_id, forged)
        assert answer is not None and "无效或已过期" in answer["text"]
        copy = await bot.app.bot.send_message(
            other.id, "旧消息", reply_markup=button_markup(buttons(message))
        )
        answer, _ = await bot.presses(other, contact, copy.message_id, all_on_plan)
        assert answer is not None and f"只有 {UNIT} 的工作群" in answer["text"]
        assert bot.services.store.latest(listed[0], UNIT) is None

        # 逐项填报 lists them again, each with its own buttons.
        _, each = await bot.presses(chat, contact, message["message_id"], buttons(message)["逐项填报"])
        assert each and "逐项填报" in each[0]["text"]
        assert any(data.startswith(f"p|{listed[0]}|") for data in buttons(each[0]).values())

        # One tap: 进行中 for every listed item, and a confirmation that lists them.
        bot.clock.set(datetime(2023, 7, 3, 10, 30, tzinfo=TZ))
        answer, told = await bot.presses(chat, contact, message["message_id"], all_on_plan)
        assert answer is not None and f"已记录 {len(listed)} 项为进行中" in answer["text"]
        (confirmation,) = told
        assert "月调度已确认（水务联系人 10:30）" in confirmation["text"]
        assert all(measure in confirmation["text"] for measure in listed)
        for measure in listed:
            latest = bot.services.store.latest(measure, UNIT)
            assert latest is not None and latest.status == "进行中" and latest.note == "月调度：均按计划推进"
        # A second press says it was answered, and records nothing more.
        count = bot.services.store.progress_count()
        answer, _ = await bot.presses(chat, contact, message["message_id"], all_on_plan)
        assert answer is not None and "已由 水务联系人 于 7月3日 确认" in answer["text"]
        assert bot.services.store.progress_count() == count

    # A restart: the answer is still there, in /status and in the CLI's JSON.
    async with running_bot(fake_api, db, date(2023, 7, 4), time(9, 0)) as bot:
        leader_chat = bot.api.group(-302, "领导群")
        (status,) = await bot.says(leader_chat, bot.admin, f"/status {listed[0]}")
        assert "区水务局：7月3日 月调度，水务联系人 7月3日 确认均按计划推进" in status["text"]
        answers = monthly_progress_answers(bot.services.store, WorkCalendar())
        assert answers[(UNIT, "2023-07")].on_time
        assert answers[("区生态环境局", "2023-07")].answered_on is None
    code, out, err = run_main(capsys, "status", listed[0], "--json", "--date", "2023-07-04", "--db", str(db))
    assert code == 0, err
    shown = json.loads(out)
    (request,) = [r for r in shown["monthly"] if r["unit"] == UNIT]
    assert request["answered_by"] == "水务联系人" and request["month"] == "2023-07"
    assert listed[0] in {entry["measure"] for entry in request["items"]}

    # August's first workday asks again only about what has been quiet for 30 days since.
    with Store.open(db) as store:
        assert supervision(store).monthly_request(UNIT, "2023-07") is not None
    code, out, err = run_main(
        capsys, "remind", "--dry-run", "--json", "--date", "2023-08-01", "--db", str(db)
    )
    assert code == 0, err
    august = next(d for d in json.loads(out) if d.get("unit") == UNIT)
    assert listed[0] not in {entry["measure"] for entry in august.get("monthly", [])}


async def test_monthly_progress_off_sends_no_section(fake_api: BotApiServer, tmp_path: Path) -> None:
    async with running_bot(fake_api, tmp_path / "bot.db", JULY_3, time(9, 0), monthly_progress=False) as bot:
        chat = bot.api.group(-300, "水务局工作群")
        bot.bind(chat, UNIT)
        await bot.tick()
        sent = bot.api.bot_messages(chat)
        assert sent and not any(SECTION in m.get("text", "") for m in sent)
        assert not any("均按计划推进" in buttons(m) for m in sent)


async def test_a_monthly_button_of_a_past_month_is_stale(bot_on_07_03: Bot) -> None:
    bot = bot_on_07_03
    chat = bot.api.group(-300, "水务局工作群")
    contact = bot.api.user(701, "水务联系人")
    bot.bind(chat, UNIT)
    await bot.tick()
    message = section_message(bot, chat)
    bot.clock.set(datetime(2023, 8, 1, 9, 0, tzinfo=TZ))
    answer, _ = await bot.presses(chat, contact, message["message_id"], buttons(message)["均按计划推进"])
    assert answer is not None and "2023-07 的月调度按钮，已过期" in answer["text"]
