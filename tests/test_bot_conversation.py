"""Meeting people where they are: each thing a new unit contact or leader typed, and what the bot does.

One test per row of issue 12's table, as conversations with the real bot over HTTP against the
local Bot API stand-in (privacy mode off, as the README tells operators to set it), the real plan,
a real database file and a fake clock on 2023-06-27, when 2-63-1 and 3-6-4 are due in three days.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot import texts
from bot.models import Status
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser
from bot.store import Store
from tests.bot_harness import Bot, running_bot, shipped_plan
from tests.cli_runner import run_main

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


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("完成了", Status.DONE),
        ("已经完成", Status.DONE),
        ("已办结", Status.DONE),
        ("正在推进", Status.IN_PROGRESS),
        ("遇到困难 资金没到位", Status.BLOCKED),
        ("还没开始", Status.NOT_STARTED),
    ],
)
async def test_the_words_people_use_for_a_status_are_recorded(bot: Bot, typed: str, status: Status) -> None:
    chat, contact = unit_group(bot, -501, WATER, 601, "吴科长")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    said = await bot.says(chat, contact, typed, reply_to=digest["message_id"])
    assert said[0]["text"].startswith(f"✅ 已记录 3-6-4 区水务局：{status}")
    latest = bot.services.store.latest("3-6-4", WATER)
    assert latest is not None and latest.status is status


async def test_what_stays_unclear_is_one_short_question_repeating_what_was_understood(bot: Bot) -> None:
    contact = bot.api.user(602, "吴科长")
    chat = bot.api.private(contact)
    bot.bind(chat, WATER)
    said = await bot.says(chat, contact, "3-6-4 完成情况良好")
    assert [m["text"] for m in said] == ["您是说 3-6-4 已完成 情况良好 吗？是的话请照这样再发一次。"]
    said = await bot.says(chat, contact, "3-6-4 进行中 60")
    assert [m["text"] for m in said] == ["您是说 3-6-4 进行中 60% 吗？是的话请照这样再发一次。"]
    assert bot.services.store.latest("3-6-4", WATER) is None
    # In the unit's group the same words may be people asking each other: no answer there.
    group, _ = unit_group(bot, -502, WATER, 602, "吴科长")
    assert await bot.says(group, contact, "3-6-4 完成情况如何") == []


async def test_a_status_replying_to_a_digest_of_several_measures_is_asked_which_one(bot: Bot) -> None:
    """完成了 under a digest of 2-63-1 and 3-6-4: the bot repeats what it read and asks only which
    measure, with an example from that digest, never "or reply to the digest" (they just did)."""
    chat, contact = unit_group(bot, -518, ECOLOGY, 614, "周主任")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    said = await bot.says(chat, contact, "完成了", reply_to=digest["message_id"])
    assert [m["text"] for m in said] == [
        "这条提醒有多项措施，“已完成”是哪一项的进展？请在开头写上编号，如 2-63-1 已完成。"
    ]
    said = await bot.says(chat, contact, "正在推进 百分之五十", reply_to=digest["message_id"])
    assert [m["text"] for m in said] == [
        "这条提醒有多项措施，“进行中 50%”是哪一项的进展？请在开头写上编号，如 2-63-1 进行中 50%。"
    ]
    assert bot.services.store.latest("2-63-1", ECOLOGY) is None
    said = await bot.says(chat, contact, "2-63-1 进行中 50%", reply_to=digest["message_id"])
    assert said[0]["text"].startswith("✅ 已记录 2-63-1 区生态环境局：进行中 50%")
    # In a private chat, with no digest to name a measure from, the example is a made-up one.
    private = bot.api.private(contact)
    bot.bind(private, ECOLOGY)
    said = await bot.says(private, contact, "完成了")
    assert [m["text"] for m in said] == ["“已完成”是哪项措施的进展？请在开头写上编号，如 2-63-1 已完成。"]


@pytest.mark.parametrize(
    ("typed", "percent"), [("百分之五十", 50), ("五成", 50), ("８０％", 80), ("百分之百", 100)]
)
async def test_a_percent_in_words_or_full_width_is_kept(bot: Bot, typed: str, percent: int) -> None:
    chat, contact = unit_group(bot, -503, WATER, 603, "吴科长")
    status = "已完成" if percent == 100 else "进行中"
    said = await bot.says(chat, contact, f"3-6-4 {status} {typed} 管网已铺设")
    assert said[0]["text"].startswith(f"✅ 已记录 3-6-4 区水务局：{status} {percent}%（管网已铺设）")
    latest = bot.services.store.latest("3-6-4", WATER)
    assert latest is not None and latest.percent == percent and latest.note == "管网已铺设"


async def test_a_report_in_the_unit_group_needs_no_reply_and_chatter_gets_no_answer(bot: Bot) -> None:
    chat, contact = unit_group(bot, -504, WATER, 604, "何")
    colleague = bot.api.user(605, "郑")
    said = await bot.says(chat, contact, "3-6-4 受阻 资金没到位")
    assert [m["text"] for m in said] == ["✅ 已记录 3-6-4 区水务局：受阻（资金没到位） · 何"]
    assert [m["reply_to_message"]["message_id"] for m in said] == [bot.api.messages(chat)[-2]["message_id"]]
    for chatter in ("收到", "明天下午开会说一下 3-6-4", "3-6-4 谁在跟？", "好的，马上落实"):
        assert await bot.says(chat, colleague, chatter) == []
    said = await bot.says(chat, colleague, "3-6-4 已完成 60%")  # a status, but it does not add up: ask
    assert said[0]["text"] == "状态和进度对不上（已完成 60%），请核对后再发。"
    history = bot.services.store.history("3-6-4", WATER)
    assert [(e.status, e.note, e.source) for e in history] == [(Status.BLOCKED, "资金没到位", "text")]


@pytest.mark.parametrize("typed", ["收到", "好的，马上落实", "已阅", "明白👌"])
async def test_an_acknowledgement_of_a_digest_is_signed_for_with_a_reaction(bot: Bot, typed: str) -> None:
    chat, contact = unit_group(bot, -505, ECOLOGY, 606, "周主任")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    said = await bot.says(chat, contact, typed, reply_to=digest["message_id"])
    assert said == []  # no lecture, no line: a 👌 on the message
    acknowledging = bot.api.messages(chat)[-1]
    assert acknowledging["text"] == typed
    assert bot.api.reaction(chat, acknowledging["message_id"]) == ["👌"]
    for measure in ("2-63-1", "3-6-4"):
        [signed] = bot.services.store.acknowledgements(measure)
        assert (signed.recipient, signed.user_name, signed.at) == (ECOLOGY, "周主任", bot.clock.now())
    assert bot.services.store.latest("2-63-1", ECOLOGY) is None  # a 签收 is no report

    admin_chat = bot.api.private(bot.admin)
    [status] = await bot.says(admin_chat, bot.admin, "/status 2-63-1")
    assert "签收：区生态环境局 周主任 2023-06-27" in status["text"]


async def test_an_acknowledgement_gets_one_short_line_when_the_reaction_fails(bot: Bot) -> None:
    """setMessageReaction refused (the stand-in answers an error): the 签收 is still recorded, and
    the bot says so in one short line instead, never a hint."""
    chat, contact = unit_group(bot, -516, ECOLOGY, 612, "周主任")
    await bot.tick()
    [digest] = bot.api.bot_messages(chat)
    bot.api.inject("setMessageReaction", "500", chat=chat)
    said = await bot.says(chat, contact, "收到", reply_to=digest["message_id"])
    assert bot.api.pending_faults("setMessageReaction") == 0  # the bot did try to react
    assert [m["text"] for m in said] == [
        texts.BOT_ACKNOWLEDGED.format(measures="2-63-1、3-6-4", who="周主任")
    ]
    assert len(said[0]["text"].split("\n")) == 1
    [acknowledging] = [m for m in bot.api.messages(chat) if m["text"] == "收到"]
    assert bot.api.reaction(chat, acknowledging["message_id"]) == []
    assert [ack.user_name for ack in bot.services.store.acknowledgements("2-63-1")] == ["周主任"]


async def test_a_leader_signs_for_the_overdue_reminder(bot: Bot) -> None:
    chat = bot.api.group(-506, "倪德才领导群")
    bot.bind(chat, leader="倪德才")
    secretary = bot.api.user(607, "秘书")
    bot.clock.set_day(date(2023, 7, 3))
    await bot.tick()
    [reminder] = bot.api.bot_messages(chat)
    assert "逾期督办" in reminder["text"]
    assert await bot.says(chat, secretary, "已阅", reply_to=reminder["message_id"]) == []
    assert bot.api.reaction(chat, bot.api.messages(chat)[-1]["message_id"]) == ["👌"]
    [signed, *_] = bot.services.store.acknowledgements("2-63-1")
    assert (signed.recipient, signed.user_name) == ("倪德才", "秘书")


async def test_official_names_resolve_in_invite_and_bind(bot: Bot) -> None:
    admin_chat = bot.api.private(bot.admin)
    [invite] = await bot.says(admin_chat, bot.admin, "/invite 通州区水务局")
    assert invite["text"].startswith("🎟 区水务局 的邀请码")
    group = bot.api.group(-507, "宋庄镇工作群")
    [bound] = await bot.says(group, bot.admin, "/bind 北京市通州区宋庄镇人民政府")
    assert bound["text"].startswith("✅ 本群已绑定：宋庄镇")
    town = bot.api.group(-508, "于家务工作群")
    [bound] = await bot.says(town, bot.admin, "/bind 于家务回族乡")
    assert bound["text"].startswith("✅ 本群已绑定：于家务乡")
    # a report naming one of the chat's units, and a view's scope, by the official name
    shared = bot.api.group(-517, "水务和生态环境联合群")
    bot.bind(shared, WATER, ECOLOGY)
    contact = bot.api.user(613, "吴科长")
    [recorded] = await bot.says(shared, contact, "/report 3-6-4 通州区水务局 进行中 管网施工")
    assert recorded["text"].startswith("✅ 已记录 3-6-4 区水务局：进行中")
    latest = bot.services.store.latest("3-6-4", WATER)
    assert latest is not None and latest.status is Status.IN_PROGRESS
    bot.clock.set_day(date(2023, 7, 3))
    [view] = await bot.says(admin_chat, bot.admin, "/overdue 北京市通州区水务局")
    assert view["text"].startswith("🔴 逾期事项 · 区水务局 · 2023-07-03")


async def test_days_and_annexes_as_people_write_them(bot: Bot) -> None:
    admin_chat = bot.api.private(bot.admin)
    for typed in ("30天", "三十天"):
        [soon] = await bot.says(admin_chat, bot.admin, f"/upcoming {typed}")
        assert soon["text"].startswith("⏰ 近期到期（30 天内）")
    [fortnight] = await bot.says(admin_chat, bot.admin, "/upcoming 两周")
    assert fortnight["text"].startswith("⏰ 近期到期（14 天内）")
    bot.clock.set_day(date(2023, 7, 3))
    [by_annex] = await bot.says(admin_chat, bot.admin, "/overdue 附件二")
    assert by_annex["text"].startswith("🔴 逾期事项 · 附件2")


def test_the_command_line_takes_the_words_the_chat_takes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "bot.db")
    code, out, err = run_main(
        capsys,
        "report",
        "3-6-4",
        "--unit",
        "通州区水务局",
        "--status",
        "完成",
        "--db",
        db,
        "--date",
        "2023-06-27",
    )
    assert code == 0, err
    assert out.startswith("✅ 已记录 3-6-4 区水务局（") and "）：已完成 · 命令行录入 " in out
    code, out, err = run_main(
        capsys,
        "report",
        "3-6-4",
        "--unit",
        "水务局",
        "--status",
        "正在推进",
        "--percent",
        "百分之六十",
        "--db",
        db,
    )
    assert code == 0, err
    code, _, err = run_main(capsys, "report", "3-6-4", "--unit", "水务局", "--status", "差不多了", "--db", db)
    assert code == 2 and "not a status: '差不多了'" in err
    with Store.open(Path(db)) as store:
        assert [(e.status, e.percent) for e in store.history("3-6-4")] == [
            (Status.DONE, None),
            (Status.IN_PROGRESS, 60),
        ]


def test_the_status_words_table_is_the_one_the_readme_lists() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for status, words in texts.STATUS_WORDS.items():
        assert f"| {status} | {'、'.join(words)} |" in readme  # the table
        assert f"{status}：{'、'.join(words)}" in readme  # the 操作说明


async def test_measures_are_found_by_words(bot: Bot) -> None:
    chat = bot.api.group(-509, "倪德才领导群")
    bot.bind(chat, leader="倪德才")
    secretary = bot.api.user(608, "秘书")
    [found] = await bot.says(chat, secretary, "/status 噪声")
    lines = found["text"].splitlines()
    assert lines[0] == "🔎 含“噪声”的措施：4 项"
    assert [line.split()[0] for line in lines[1:5]] == ["2-63-1", "2-64-1", "2-65-1", "2-66-1"]
    buttons = [row[0] for row in found["reply_markup"]["inline_keyboard"]]
    assert [b["text"].split()[0] for b in buttons] == ["2-63-1", "2-64-1", "2-65-1", "2-66-1"]
    answer, _ = await bot.presses(chat, secretary, found["message_id"], buttons[0]["callback_data"])
    assert answer is not None
    assert bot.api.message(chat, found["message_id"])["text"].startswith("📌 2-63-1 加强噪声污染治理")

    [only] = await bot.says(chat, secretary, "/find 接诉即办")  # one match opens directly
    assert only["text"].startswith("📌 2-66-1 ")
    [many] = await bot.says(chat, secretary, "/find 扬尘")
    assert many["text"].startswith("🔎 含“扬尘”的措施：14 项")
    assert len(many["reply_markup"]["inline_keyboard"]) == 10 and "只列出前 10 项" in many["text"]
    [none] = await bot.says(chat, secretary, "/find 火星")
    assert none["text"].startswith("没有找到含“火星”的措施")
    [usage] = await bot.says(chat, secretary, "/find")
    assert usage["text"] == texts.LV_USAGE_FIND
    stranger = bot.api.group(-510, "未绑定的群")
    [refused] = await bot.says(stranger, secretary, "/find 噪声")
    assert refused["text"] == texts.LV_REFUSED_UNBOUND


async def test_binding_a_unit_in_a_leaders_chat_asks_first(bot: Bot) -> None:
    leaders = bot.api.group(-511, "倪德才领导群")
    bot.bind(leaders, leader="倪德才")
    [question] = await bot.says(leaders, bot.admin, "/bind 区水务局")
    assert question["text"].startswith("本群是 倪德才 的领导群。再绑定 区水务局 后，本群也会成为单位群")
    binding = bot.services.store.binding(leaders.id)
    assert binding is not None and binding.units == []
    yes, cancel = question["reply_markup"]["inline_keyboard"][0]
    await bot.presses(leaders, bot.admin, question["message_id"], cancel["callback_data"])
    assert bot.api.message(leaders, question["message_id"])["text"] == "已取消，本群的绑定没有变化。"
    binding = bot.services.store.binding(leaders.id)
    assert binding is not None and binding.units == []

    [question] = await bot.says(leaders, bot.admin, "/bind 区水务局")
    yes, _ = question["reply_markup"]["inline_keyboard"][0]
    await bot.presses(leaders, bot.admin, question["message_id"], yes["callback_data"])
    assert bot.api.message(leaders, question["message_id"])["text"].startswith("✅ 本群已绑定：区水务局")
    binding = bot.services.store.binding(leaders.id)
    assert binding is not None and (binding.units, binding.leader) == (["区水务局"], "倪德才")

    units = bot.api.group(-512, "区水务局工作群")
    bot.bind(units, WATER)
    [question] = await bot.says(units, bot.admin, "/bindleader 倪德才")
    assert question["text"].startswith("本群已绑定单位 区水务局。再绑定为 倪德才 的领导群后")
    yes, _ = question["reply_markup"]["inline_keyboard"][0]
    await bot.presses(units, bot.admin, question["message_id"], yes["callback_data"])
    binding = bot.services.store.binding(units.id)
    assert binding is not None and binding.leader == "倪德才"
    # A chat that is both already is not asked again.
    [done] = await bot.says(units, bot.admin, "/bind 区交通局")
    assert done["text"].startswith("✅ 本群已绑定：区水务局、区交通局")


async def test_a_leaders_overdue_fits_a_phone_and_names_every_unit_the_long_form_names(bot: Bot) -> None:
    chat = bot.api.group(-513, "倪德才领导群")
    bot.bind(chat, leader="倪德才")
    secretary = bot.api.user(609, "秘书")
    bot.clock.set_day(date(2023, 7, 3))
    [detailed] = await bot.says(chat, secretary, "/overdue 详细")
    pages = [detailed["text"]]
    while next_page := [
        b
        for row in (detailed.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if "下一页" in b["text"]
    ]:
        await bot.presses(chat, secretary, detailed["message_id"], next_page[0]["callback_data"])
        detailed = bot.api.message(chat, detailed["message_id"])
        pages.append(detailed["text"])
    long_form = "\n".join(pages)
    owed: dict[str, set[str]] = {}  # measure → the units the long form lists under it
    unit = ""
    for line in long_form.splitlines():
        if line.startswith("【"):
            unit = line[1 : line.index("】")]
        elif line.startswith("🔴 ") and re.fullmatch(r"\d+-\d+-\d+", line.split()[1]):
            owed.setdefault(line.split()[1], set()).add(unit)
    assert set(owed) == {"2-63-1", "3-6-4"} and len(set().union(*owed.values())) == 26

    [compact] = await bot.says(chat, secretary, "/overdue")
    buttons = (compact.get("reply_markup") or {}).get("inline_keyboard", [])
    assert len(compact["text"].splitlines()) + len(buttons) <= 40
    _, directory = shipped_plan()
    blocks = re.split(r"\n(?=🔴 )", compact["text"])[1:]
    assert [block.split()[1] for block in blocks] == ["2-63-1", "3-6-4"]
    for block in blocks:
        measure = block.split()[1]
        counted = 0
        for role_line in block.splitlines()[2:]:
            if "：" not in role_line or role_line.startswith("发送"):
                continue
            said = role_line.split("：", 1)[1]
            if found := re.search(r"(\S+) (\d+) 个", said):  # a group, counted
                group, count = found.group(1), int(found.group(2))
                members = set(directory.expand(group))
                assert members <= owed[measure] and len(members) == count
                counted += count
            else:
                named = [name for name in owed[measure] if name in said]
                counted += len(named)
        assert counted == len(owed[measure]), block  # the counts add up to the long form's units


async def test_status_of_a_measure_of_many_units_folds_those_that_said_nothing(bot: Bot) -> None:
    """/status 2-63-1 listed its 22 协办 streets and towns twice (per item, per unit), 60 lines;
    units of one role that have not reported fold into one line, each unit still named or counted."""
    chat = bot.api.group(-519, "倪德才领导群")
    bot.bind(chat, leader="倪德才")
    secretary = bot.api.user(615, "秘书")
    bot.clock.set_day(date(2023, 7, 3))
    [status] = await bot.says(chat, secretary, "/status 2-63-1")
    lines = status["text"].splitlines()
    assert lines.count("   【协办】各街道乡镇 22 个：未报送") == 1  # under the item
    assert lines.count("🔴 【协办】各街道乡镇 22 个：未报送") == 1  # among the units
    assert len(lines) <= 20

    song, streets = bot.api.group(-520, "宋庄镇工作群"), bot.api.user(616, "宋庄镇联络员")
    bot.bind(song, "宋庄镇")
    await bot.says(song, streets, "2-63-1 进行中 正在排查")
    [status] = await bot.says(chat, secretary, "/status 2-63-1")
    text = status["text"]
    assert "各街道乡镇 22 个" not in text and "【协办】宋庄镇：进行中" in text
    _, directory = shipped_plan()
    others = [unit for unit in directory.expand("各街道乡镇") if unit != "宋庄镇"]
    folded = [line for line in text.splitlines() if line.endswith("：未报送") and "【协办】" in line]
    assert len(folded) == 2 and all(all(unit in line for unit in others) for line in folded)


async def test_the_lights_rule_is_in_help_and_a_block_is_marked(bot: Bot) -> None:
    chat, contact = unit_group(bot, -514, WATER, 610, "何")
    [help_text] = await bot.says(chat, contact, "/help")
    assert texts.BOT_HELP_LIGHTS in help_text["text"]
    await bot.says(chat, contact, "3-6-4 卡住了 资金没到位")
    # ⛔ marks 受阻 in every view: the unit's digest, /upcoming and /mytasks the same day, …
    await bot.tick()
    [digest] = [m for m in bot.api.bot_messages(chat) if "工作提醒" in m["text"]]
    entry = next(block for block in digest["text"].split("\n\n") if "3-6-4" in block.split("\n")[0])
    assert entry.split("\n")[0].startswith("🟡 ") and "⛔ 本单位6月27日报告受阻" in entry
    [upcoming] = await bot.says(chat, contact, "/upcoming")
    assert "最新：⛔受阻" in upcoming["text"]
    [mine] = await bot.says(chat, contact, "/mytasks")
    assert "区水务局（⛔受阻）" in mine["text"]
    # … and a week later the leader's escalation, both forms of /overdue, /status and /summary.
    bot.clock.set_day(date(2023, 7, 3))
    leaders = bot.api.group(-515, "倪德才领导群")
    bot.bind(leaders, leader="倪德才")
    secretary = bot.api.user(611, "秘书")
    await bot.tick()
    [escalation] = [m for m in bot.api.bot_messages(leaders) if "逾期督办" in m["text"]]
    assert "⛔ 受阻：区水务局" in escalation["text"]
    [overdue] = await bot.says(chat, contact, "/overdue")
    assert "区水务局（⛔受阻）" in overdue["text"]
    [detailed] = await bot.says(leaders, secretary, "/overdue 详细")
    assert "最新：⛔受阻" in detailed["text"]
    [status] = await bot.says(leaders, secretary, "/status 3-6-4")
    assert "区水务局：⛔受阻" in status["text"]
    [summary] = await bot.says(leaders, secretary, "/summary")
    assert "⛔受阻 1" in summary["text"]
