"""The sandbox through the real command line: stdin in, a transcript out, exit code 0 at end of input."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.sandbox.terminal import run_sandbox, sandbox, sandbox_start
from schedules.calendar import WorkCalendar
from tests.bot_harness import bot_settings, shipped_plan

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    args: list[str], script: str, bot_today: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # An empty token in the environment wins over any developer .env: the sandbox, never Telegram.
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "BOT_TODAY": bot_today, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def assert_in_order(out: str, expected_in_order: list[str]) -> None:
    position = 0
    for expected in expected_in_order:
        found = out.find(expected, position)
        assert found >= 0, f"{expected!r} missing after position {position} in:\n{out}"
        position = found + len(expected)


def test_the_readme_example_runs_without_a_token() -> None:
    result = run_cli(["run"], ":date 2023-07-03\n/overdue\n")
    assert result.returncode == 0, result.stderr
    # Outside the plan's year the sandbox also says on which day it started instead of today.
    lines = [line for line in result.stdout.splitlines() if not line.startswith("[sandbox] 实际日期")]
    assert lines[0].startswith("[sandbox] 沙盒已启动")
    assert lines[1:4] == [
        "[管理员 @ 领导群] > :date 2023-07-03",
        "[sandbox] 今天是 2023-07-03",
        "[管理员 @ 领导群] > /overdue",
    ]
    assert lines[4] == "[bot]"
    assert lines[5].strip() == "🔴 逾期事项 · 倪德才 · 2023-07-03"
    assert "2-63-1 加强噪声污染治理" in result.stdout


README_TRANSCRIPT = re.compile(r"^\$ printf '([^']*)' \| make run\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_transcripts() -> list[tuple[str, list[str]]]:
    """Each transcript in the README: the lines piped into ``make run``, and the lines shown."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        (script.replace("\\n", "\n"), shown.splitlines())
        for script, shown in README_TRANSCRIPT.findall(readme)
    ]


@pytest.mark.parametrize(("script", "shown"), readme_transcripts(), ids=lambda value: str(value)[:30])
def test_every_readme_transcript_is_what_the_sandbox_prints(script: str, shown: list[str]) -> None:
    """The README's transcripts are the real sandbox's output (``make run`` is ``python -m bot run``
    with no token): every line shown is printed, in that order; ``…`` marks lines left out. The
    line naming the real date depends on the day the README was written, and digests to other chats
    go out in the fan-out's order, so those are only looked for."""
    assert shown, "a transcript shows nothing"
    result = run_cli(["run"], script)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    position = 0
    for line in shown:
        if line.strip() == "…" or line.startswith("[sandbox] 实际日期"):
            continue
        if line.startswith("[bot → "):
            assert line in printed, line
            continue
        assert line in printed[position:], f"{line!r} not printed after line {position}:\n{result.stdout}"
        position = printed.index(line, position) + 1


def test_a_contacts_day_in_the_sandbox() -> None:
    script = "\n".join(
        [
            "# 区水务局 gets its reminder and reports",
            ":as 水务局",
            ":tick",
            ":press 3-6-4 进行中",
            ":reply 受阻 资金未到位",
            ":photo 3-6-4 现场照片",
            "/report 2-63-1 已完成",
            ":as 区水物局",
            ":as 北京市通州区宋庄镇人民政府",
            ":date 2023-13-01",
            ":leader 倪德才",
            "/status 3-6-4",
        ]
    )
    result = run_cli(["sandbox", "--date", "2023-06-27"], script + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    expected_in_order = [
        "# 区水务局 gets its reminder and reports",
        "[区水务局联络员 @ 区水务局工作群] > :tick",
        "📋 区水务局 · 6月27日 工作提醒（1 项）",
        "[🔄 进行中]",
        "[sandbox] 2023-06-27：",
        "[区水务局联络员 @ 区水务局工作群] > :press 3-6-4 进行中",
        "[bot 提示] 已记录：3-6-4 进行中",
        "[bot]（已修改）",
        "✅ 已记录 节点 2023-06-30 进行中 · 区水务局联络员 · ",
        "> :reply 受阻 资金未到位",
        "✅ 已记录 3-6-4 区水务局：受阻（资金未到位）",
        "> :photo 3-6-4 现场照片",
        "📎 已收到 3-6-4 区水务局 的佐证材料（照片），状态未变，仍为 受阻",
        "> /report 2-63-1 已完成",
        "不能代为报告：2-63-1 的责任单位是 主责 区生态环境局",
        "> :as 区水物局",
        "[sandbox] 没有单位“区水物局”。您是不是要找：区水务局",
        "[宋庄镇联络员 @ 宋庄镇工作群] > :date 2023-13-01",
        "[sandbox] 日期须是 2000–2099 年间真实存在的一天：2023-13-01",
        "[倪德才 @ 领导群] > /status 3-6-4",
        "区水务局：⛔受阻",
    ]
    # Digests to other chats show as one line each; the current chat's in full.
    assert "[bot → 区生态环境局工作群] 📋 区生态环境局 · 6月27日 工作提醒（2 项）" in out
    assert_in_order(out, expected_in_order)


def test_the_questions_a_button_asks_are_answered_with_answer() -> None:
    """申请延期 and 不同意 each ask for a reply; :reply goes to the digest, :answer to the question."""
    script = "\n".join(
        [
            ":as 区水务局",
            ":tick",
            ":press 申请延期",
            ":answer 7-31 等待管网验收",
            ":leader 倪德才",
            ":press 不同意",
            ":answer 理由不充分",
        ]
    )
    result = run_cli(["sandbox", "--date", "2023-07-03"], script + "\n")
    assert result.returncode == 0, result.stderr
    assert_in_order(
        result.stdout,
        [
            "> :press 申请延期",
            "请回复本消息，写明新的完成日期和理由",
            "> :answer 7-31 等待管网验收",
            "📝 已提交延期申请 #1：3-6-4（2023-06-30）区水务局 由 2023-06-30 延至 2023-07-31",
            "> :press 不同意",
            "> :answer 理由不充分",
            "[bot → 区水务局工作群]",
            "理由不充分",
        ],
    )
    # The admin's private chat, never opened, is skipped quietly: no traceback on the terminal.
    assert "Traceback" not in result.stderr


def test_a_workbook_and_a_chart_show_under_the_command_that_asked_for_them() -> None:
    """/export and /chart take a moment (the file is written in a worker thread, the chat shows
    "sending a file…"): the sandbox waits for them, so the next line is not answered first."""
    result = run_cli(["sandbox", "--date", "2023-07-03"], ":leader 倪德才\n/export\n/chart\n/whoami\n")
    assert result.returncode == 0, result.stderr
    assert_in_order(
        result.stdout,
        [
            "> /export\n[bot]\n  督办台账（截至 2023-07-03，倪德才）",
            "> /chart\n[bot]\n  各附件完成率",
            "> /whoami\n[bot]",
        ],
    )


def test_press_prefers_the_button_that_says_exactly_what_was_typed() -> None:
    """On 2023-07-03 区水务局's digest has a group's "逐项填报：本期进展（16 项）" and 月调度's "逐项填报"."""
    result = run_cli(["sandbox", "--date", "2023-07-03"], ":as 区水务局\n:tick\n:press 逐项填报\n")
    assert result.returncode == 0, result.stderr
    assert_in_order(result.stdout, ["> :press 逐项填报\n[bot]\n  🗓 月调度 · 逐项填报（区水务局，47 项）"])


def test_run_without_a_token_honours_bot_today() -> None:
    result = run_cli(["run"], "/overdue\n", bot_today="2023-07-03")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[sandbox] 沙盒已启动：今天是 2023-07-03")
    assert "逾期事项 · 倪德才 · 2023-07-03" in result.stdout


def test_a_stranger_and_a_private_chat_try_the_refusals() -> None:
    script = "\n".join(
        [
            ":stranger",
            "/report 2-63-1 已完成",
            ":private",
            "/start 区水务局",
            ":admin",
            ":private",
            "/bindings",
        ]
    )
    result = run_cli(["sandbox", "--date", "2023-06-27"], script + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    expected_in_order = [
        "[陌生人 @ 未绑定的群] > /report 2-63-1 已完成",
        "本聊天没有绑定单位，不能报告进展。请向管理员索取本单位的邀请码",
        "[陌生人 @ 私聊] > /start 区水务局",
        "绑定需要邀请码",
        "[管理员 @ 领导群] > :private",
        "[管理员 @ 私聊] > /bindings",
        "📎 绑定情况",
    ]
    assert_in_order(out, expected_in_order)


def test_the_simulated_day_moves_by_dates_and_relative_words() -> None:
    script = ":date 2023-07-03\n:date 明天\n:date 3天后\n:date 6月30日\n:date 下个吉日\n"
    result = run_cli(["sandbox"], script)
    assert result.returncode == 0, result.stderr
    assert_in_order(
        result.stdout,
        [
            "今天是 2023-07-03",
            "今天是 2023-07-04",
            "今天是 2023-07-07",
            "今天是 2023-06-30",
            "看不懂的日期：下个吉日",
        ],
    )


def test_a_rehearsal_kept_in_a_file_is_read_by_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "rehearsal.db"
    script = "\n".join(
        [
            ":as 区水务局",
            ":tick",
            ":replyphoto",
            "/report 3-6-4 受阻 资金未到位",
            ":replyfile 资金申请.pdf 已上报区财政",
        ]
    )
    result = run_cli(["sandbox", "--date", "2023-06-27", "--db", str(db)], script + "\n")
    assert result.returncode == 0, result.stderr
    assert f"[sandbox] 数据库：{db}" in result.stdout
    assert_in_order(
        result.stdout,
        [
            "> :replyphoto",
            # A reply to the one-item digest: evidence for 3-6-4 without its ID.
            "📎 已收到 3-6-4 区水务局 的佐证材料（照片），尚未报告过状态",
            "> :replyfile 资金申请.pdf 已上报区财政",
            "📎 已收到 3-6-4 区水务局 的佐证材料（文件 资金申请.pdf），状态未变，仍为 受阻",
        ],
    )

    status = subprocess.run(
        [sys.executable, "-m", "bot", "status", "3-6-4", "--date", "2023-06-27", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert "【牵头】区水务局：⛔受阻" in status.stdout and "资金未到位" in status.stdout
    assert "区水务局联络员" in status.stdout

    # A second session goes on where the first stopped: same chats, same records, nothing resent.
    result = run_cli(["sandbox", "--date", "2023-06-27", "--db", str(db)], ":as 区水务局\n:tick\n/mytasks\n")
    assert result.returncode == 0, result.stderr
    assert "26 份提醒，本次发出 0 份，共 0 条消息；此前已发 26 份；未送达 0 份" in result.stdout
    assert "受阻" in result.stdout.split("> /mytasks")[1]


def test_the_sandbox_keeps_to_memory_unless_given_a_file_and_never_the_bots(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    env_db = {"BOT_DB_PATH": str(state / "bot.db")}
    result = run_cli(["run"], "/report 2-63-1 已完成\n", bot_today="2023-06-27", env=env_db)
    assert result.returncode == 0, result.stderr
    assert list(state.iterdir()) == []  # a fresh `make run` writes nothing

    for db, message in [
        (state / "bot.db", "is the bot's own database"),
        (tmp_path / "missing" / "r.db", "does not exist"),
    ]:
        result = run_cli(["sandbox", "--db", str(db)], "/help\n", env=env_db)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert result.stdout == ""
    assert list(state.iterdir()) == [] and not (tmp_path / "missing").exists()


def test_a_second_session_on_the_same_file_reaches_the_private_and_leader_chats_of_the_first(
    tmp_path: Path,
) -> None:
    db = tmp_path / "rehearsal.db"
    session = ["sandbox", "--date", "2023-06-27", "--db", str(db)]
    invited = run_cli(session, "/invite 区水务局\n")
    assert invited.returncode == 0, invited.stderr
    found = re.search(r"邀请码：(\w+)", invited.stdout)
    assert found is not None, invited.stdout
    bound = run_cli(session, f":as 区水务局\n:private\n/start {found[1]}\n:leader 秦涛\n")
    assert bound.returncode == 0, bound.stderr
    assert "本聊天已绑定：区水务局" in bound.stdout

    # A Monday: the contact's private chat gets 区水务局's digest, 秦涛's chat his overdue list.
    result = run_cli(["sandbox", "--date", "2023-07-03", "--db", str(db)], ":tick\n")
    assert result.returncode == 0, result.stderr
    assert "[bot → 区水务局联络员] 📋 区水务局 · 7月3日 工作提醒" in result.stdout
    assert "[bot → 秦涛领导群] 📋 秦涛 · 7月3日" in result.stdout
    assert "未送达 0 份" in result.stdout
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr


async def test_a_failed_delivery_is_one_sandbox_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan, directory = shipped_plan()
    out = io.StringIO()
    async with sandbox(bot_settings("unused"), plan, directory, date(2023, 6, 27), out) as world:
        world.api.remove_bot(world.unit_chats["区水务局"])
        with caplog.at_level(logging.WARNING):
            await world.handle(":tick")
    lines = out.getvalue().splitlines()
    summary = next(line for line in lines if line.startswith("[sandbox] 2023-06-27："))
    counted = re.search(r"本次发出 (\d+) 份", summary)
    assert counted is not None, summary
    sent = int(counted[1])
    assert summary.startswith(f"[sandbox] 2023-06-27：{sent + 1} 份提醒") and "未送达 1 份" in summary
    assert (
        "[sandbox] 未送达：区水务局 的提醒 → 区水务局工作群：Forbidden: bot was kicked from the group chat"
        in lines
    )
    assert not [record for record in caplog.records if record.exc_info], caplog.text


def test_the_sandbox_and_run_read_the_plan_and_directory_given(tmp_path: Path) -> None:
    plan = json.loads((ROOT / "data" / "plan.json").read_text(encoding="utf-8"))
    for measure in plan["measures"]:
        if measure["id"] == "2-63-1":
            measure["task"] = "排练用的噪声治理"
    rehearsal_plan = tmp_path / "plan.json"
    rehearsal_plan.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    units = ROOT / "data" / "units.json"
    for command in ["sandbox", "run"]:
        result = run_cli([command, "--plan", str(rehearsal_plan), "--units", str(units)], "/status 2-63-1\n")
        assert result.returncode == 0, result.stderr
        assert "2-63-1 排练用的噪声治理" in result.stdout

    missing = tmp_path / "units.json"
    result = run_cli(["sandbox", "--units", str(missing)], "/help\n")
    assert result.returncode == 2 and f"unit directory {missing} not found" in result.stderr
    assert result.stdout == ""


def test_outside_the_plans_year_the_sandbox_starts_on_its_first_workday_and_says_so() -> None:
    plan, _ = shipped_plan()
    calendar = WorkCalendar()
    start = sandbox_start(plan, calendar, date(plan.year + 3, 12, 7))
    assert start > plan.issued and calendar.is_workday(start)
    assert all(not calendar.is_workday(day) for day in _days_between(plan.issued, start))
    within = date(plan.year, 8, 1)
    assert sandbox_start(plan, calendar, within) == within


def _days_between(first: date, last: date) -> list[date]:
    """The days strictly between two days."""
    return [date.fromordinal(n) for n in range(first.toordinal() + 1, last.toordinal())]


async def test_the_start_line_names_the_real_day_and_the_plans_year() -> None:
    plan, directory = shipped_plan()
    out = io.StringIO()
    start = sandbox_start(plan, WorkCalendar(), date(plan.year + 3, 12, 7))
    code = await run_sandbox(
        bot_settings("unused"),
        plan,
        directory,
        start,
        io.StringIO(""),
        out,
        real_today=date(plan.year + 3, 12, 7),
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"[sandbox] 沙盒已启动：今天是 {start.isoformat()}")
    assert lines[1].startswith(f"[sandbox] 实际日期 {plan.year + 3}-12-07 不在行动计划的 {plan.year} 年内")
    assert ":date 可换到任何一天" in lines[1]


async def test_page_buttons_and_a_new_group_can_be_used_from_the_sandbox() -> None:
    plan, directory = shipped_plan()
    out = io.StringIO()
    async with sandbox(bot_settings("unused"), plan, directory, date(2023, 7, 3), out) as world:
        await world.handle("/mytasks 全部")
        first = world.api.bot_messages(world.persona.chat)[-1]
        assert "第 1–10 项（共 199 项" in first["text"]
        await world.handle(":page next")
        assert "第 11–20 项" in world.api.message(world.persona.chat, first["message_id"])["text"]
        await world.handle(":page 上一页")
        assert "第 1–10 项" in world.api.message(world.persona.chat, first["message_id"])["text"]
        await world.handle(":page prev")
        await world.handle(":page sideways")
        await world.handle("/summary")
        await world.handle(":press 全部单位")
        summary = world.api.bot_messages(world.persona.chat)[-1]
        assert "各单位（本单位的措施数）：" in summary["text"]
        await world.handle(":press 返回汇总")
        assert "相对滞后的" in world.api.message(world.persona.chat, summary["message_id"])["text"]
        await world.handle(":press 没有这个按钮")

        await world.handle(":group 区水务局新工作群")
        group = world.persona.chat
        assert world.persona.user == world.admin and world.services.store.binding(group.id) is None
        await world.handle("/bind 通州区水务局")
        binding = world.services.store.binding(group.id)
        assert binding is not None and binding.units == ["区水务局"]
        await world.handle(":admin")
        await world.handle(":group 区水务局新工作群")
        assert world.persona.chat.id == group.id
    transcript = out.getvalue()
    assert "[sandbox] 已经是第一页了。" in transcript
    assert "里没有写着“没有这个按钮”的按钮。" in transcript
    assert "[sandbox] 用法：:page next 或 :page prev" in transcript
    assert "[sandbox] 您（管理员）在“区水务局新工作群”里，本群尚未绑定。" in transcript
    assert "✅ 本群已绑定：区水务局" in transcript
