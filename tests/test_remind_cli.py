"""The reminder engine's command line: calendar, remind --dry-run and report, on the real plan.

Commands run in-process through ``bot.cli.main`` against the shipped plan and unit directory
and a real database file in a temporary folder; one test runs ``python -m bot`` for real.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.store import Store
from tests.cli_runner import run_main, run_python_m_bot


def preview(capsys: pytest.CaptureFixture[str], day: str, db: Path) -> list[dict[str, Any]]:
    code, out, err = run_main(capsys, "remind", "--date", day, "--dry-run", "--json", "--db", str(db))
    assert code == 0, err
    records: list[dict[str, Any]] = json.loads(out)
    return records


def items_for(records: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    found = [r["items"] for r in records if r.get(kind) == name]
    return found[0] if found else []


# --- calendar ---


def test_calendar_explains_each_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "calendar", "--from", "2023-06-21", "--to", "2023-06-26")
    assert code == 0
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith("2023-"))
    assert lines == {
        "2023-06-21": "周三 工作日",
        "2023-06-22": "周四 休息日：端午节",
        "2023-06-23": "周五 休息日：端午节调休",
        "2023-06-24": "周六 休息日：端午节",
        "2023-06-25": "周日 工作日：端午节调休上班",
        "2023-06-26": "周一 工作日",
    }
    assert out.splitlines()[-1] == "共 6 天：工作日 3 天，休息日 3 天"


def test_calendar_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "calendar", "--from", "2023-10-06", "--to", "2023-10-09", "--json")
    assert code == 0
    days = {d["date"]: (d["workday"], d["reason"]) for d in json.loads(out)}
    assert days == {
        "2023-10-06": (False, "in_lieu"),
        "2023-10-07": (True, "makeup"),
        "2023-10-08": (True, "makeup"),
        "2023-10-09": (True, "weekday"),
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2023-10-06", "--to", "2023-10-01"], "before --from"),
        (["--from", "2023-13-01"], "not a date"),
        (["--from", "2000-01-01", "--to", "2099-12-31"], "at most"),
    ],
)
def test_calendar_refuses_bad_ranges(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run_main(capsys, "calendar", *argv)
    assert code == 2 and message in err and out == ""


# --- remind --dry-run ---


def test_dry_run_lists_the_noise_zoning_deadline_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    records = preview(capsys, "2023-06-30", db)
    expected = {
        "measure": "2-63-1",
        "reason": "due",
        "due": "2023-06-30",
        "role": "lead",
        "basis": [],
        "item": "2023-06-30",
        "kind": "deadline",
        "also": [],
    }
    assert expected in items_for(records, "unit", "区生态环境局")
    assert {**expected, "role": "co"} in items_for(records, "unit", "永顺镇")
    assert all(set(r) in ({"unit", "items"}, {"leader", "items"}) for r in records)
    assert not db.exists()


def test_dry_run_on_the_national_day_makeup_saturday_escalates_overdue_to_leaders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = preview(capsys, "2023-10-07", tmp_path / "bot.db")
    leader = items_for(records, "leader", "秦涛")
    [water_source] = [i for i in leader if i["measure"] == "3-3-1"]
    assert (water_source["reason"], water_source["due"], water_source["role"]) == (
        "overdue",
        "2023-09-30",
        "leader",
    )
    assert {i["reason"] for i in leader} == {"overdue"}
    assert {r["reason"] for i in leader for r in i["also"]} <= {"overdue"}


def test_dry_run_json_lists_each_measure_once_with_its_other_reminders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 7 October: 3-3-1's milestone is overdue and October's check-in is due, for 区水务局.
    water = items_for(preview(capsys, "2023-10-07", tmp_path / "bot.db"), "unit", "区水务局")
    measures = [i["measure"] for i in water]
    assert len(measures) == len(set(measures))
    [water_source] = [i for i in water if i["measure"] == "3-3-1"]
    assert water_source == {
        "measure": "3-3-1",
        "reason": "overdue",
        "due": "2023-09-30",
        "role": "lead",
        "basis": [],
        "item": "2023-09-30",
        "kind": "milestone",
        "also": [
            {"reason": "checkin", "due": None, "basis": ["长期实施"], "item": "2023-10", "kind": "checkin"}
        ],
    }


@pytest.mark.parametrize(
    ("day", "headline"),
    [
        ("2023-10-02", "2023-10-02 休息日（国庆节）：不发提醒"),
        ("2023-07-09", "2023-07-09 休息日（周末）：不发提醒"),
        ("2023-03-01", "2023-03-01 工作日：行动计划 2023-03-20 印发，此前不发提醒"),
        ("2023-03-27", "2023-03-27 工作日：没有需要提醒的事项"),
    ],
)
def test_dry_run_without_reminders_says_why_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, day: str, headline: str
) -> None:
    assert preview(capsys, day, tmp_path / "bot.db") == []
    code, out, _ = run_main(capsys, "remind", "--date", day, "--dry-run", "--db", str(tmp_path / "x.db"))
    assert (code, out) == (0, headline + "\n")


def test_dry_run_headline_mentions_overdue_only_when_digests_have_some(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    # Two Mondays: early April nothing is past due yet; in July 2-63-1 (6月底) is.
    for day, overdue in (("2023-04-03", False), ("2023-07-03", True)):
        records = preview(capsys, day, db)
        assert any(i["reason"] == "overdue" for r in records for i in r["items"]) is overdue
        code, out, _ = run_main(capsys, "remind", "--date", day, "--dry-run", "--db", str(db))
        headline = out.splitlines()[0]
        assert code == 0 and headline.startswith(f"{day} 工作日：{len(records)} 份提醒")
        assert headline.endswith("，含逾期事项") is overdue


def test_dry_run_with_a_missing_plan_or_a_broken_database_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "plan.json"
    argv = ["remind", "--date", "2023-06-30", "--dry-run", "--db", str(tmp_path / "bot.db")]
    code, out, err = run_main(capsys, *argv, "--plan", str(missing))
    assert (code, out) == (2, "") and f"plan file {missing} not found" in err
    broken = tmp_path / "broken.db"
    broken.write_text("{not json", encoding="utf-8")
    code, out, err = run_main(capsys, "remind", "--date", "2023-06-30", "--dry-run", "--db", str(broken))
    assert (code, out) == (2, "") and err.startswith("error: ") and "Traceback" not in err


def test_remind_without_dry_run_says_the_bot_sends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_main(capsys, "remind", "--date", "2023-06-30", "--db", str(tmp_path / "bot.db"))
    assert code == 2 and "--dry-run" in err and out == ""


def test_dry_run_text_shows_bound_chats_and_what_was_sent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    with Store.open(db) as store:
        store.bind_units(-1001, ["区生态环境局"])
        store.bind_units(-1002, ["永顺镇"])
        store.mark_sent(
            date(2023, 6, 30), -1001, "unit:区生态环境局", datetime.combine(date(2023, 6, 30), time(9), TZ)
        )
    code, out, _ = run_main(capsys, "remind", "--date", "2023-06-30", "--dry-run", "--db", str(db))
    assert code == 0
    blocks = {block.splitlines()[0]: block for block in out.split("\n\n")}
    assert "【区生态环境局】→ -1001（已发送）" in blocks
    assert "【永顺镇】→ -1002" in blocks
    assert (
        "  到期 2-63-1 加强噪声污染治理〔主责〕 截止 2023-06-30"
        in blocks["【区生态环境局】→ -1001（已发送）"]
    )
    assert "  到期 2-63-1 加强噪声污染治理〔协办〕 截止 2023-06-30" in blocks["【永顺镇】→ -1002"]
    assert any(header.endswith("未绑定聊天，不会发送") for header in blocks)
    # Leaders' escalations go out on the next week's first workday.
    code, out, _ = run_main(capsys, "remind", "--date", "2023-07-03", "--dry-run", "--db", str(db))
    leader = next(b for b in out.split("\n\n") if b.startswith("【领导 倪德才】"))
    assert "  已逾期 2-63-1 加强噪声污染治理〔领导督办〕 截止 2023-06-30" in leader.splitlines()


def test_dry_run_text_says_节点_for_a_milestone_and_截止_for_a_deadline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    # 3-6-4's 6月底前 is a milestone (its deadline is 年底前), as /overdue calls it; 2-63-1's is a deadline.
    code, out, _ = run_main(capsys, "remind", "--date", "2023-07-03", "--dry-run", "--db", str(db))
    assert code == 0
    leader = next(b for b in out.split("\n\n") if b.startswith("【领导 倪德才】")).splitlines()
    assert "  已逾期 3-6-4 强化生活污染治理〔领导督办〕 节点 2023-06-30" in leader
    assert "  已逾期 2-63-1 加强噪声污染治理〔领导督办〕 截止 2023-06-30" in leader
    # A quarterly check-in names the plan's 按季度, not the 年底前 deadline.
    water = next(b for b in out.split("\n\n") if b.startswith("【区水务局】")).splitlines()
    assert "  进展填报 2-14-1 推进低VOCs含量产品源头替代〔主责〕 按季度" in water


def test_dry_run_text_lists_a_measure_once_with_its_other_reminders_below(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_main(
        capsys, "remind", "--date", "2023-10-07", "--dry-run", "--db", str(tmp_path / "bot.db")
    )
    assert code == 0
    water = next(b for b in out.split("\n\n") if b.startswith("【区水务局】")).splitlines()
    at = water.index("  已逾期 3-3-1 加强饮用水保护〔牵头〕 节点 2023-09-30")
    assert water[at + 1] == "      另：进展填报 长期实施"
    assert sum(" 3-3-1 " in line for line in water) == 1


# --- report ---


def test_a_phone_report_of_completion_ends_the_reminders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    assert any(i["measure"] == "2-63-1" for r in preview(capsys, "2023-06-30", db) for i in r["items"])
    code, out, err = run_main(
        capsys,
        "report",
        "2-63-1",
        "--unit",
        "生态环境局",  # an alias
        "--status",
        "已完成",
        "--note",
        "评估工作已完成",
        "--date",
        "2023-06-29",
        "--db",
        str(db),
    )
    assert code == 0, err
    assert "2-63-1" in out and "区生态环境局（主责）" in out and "已完成" in out
    assert not any(i["measure"] == "2-63-1" for r in preview(capsys, "2023-06-30", db) for i in r["items"])
    with Store.open(db) as store:
        entry = store.latest("2-63-1", "区生态环境局")
    assert entry is not None
    assert (entry.status, entry.source, entry.note, entry.at.date()) == (
        "已完成",
        "cli",
        "评估工作已完成",
        date(2023, 6, 29),
    )


def test_a_co_unit_may_report_progress(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_main(
        capsys,
        "report",
        "2-63-1",
        "--unit",
        "永顺镇",
        "--status",
        "进行中",
        "--percent",
        "40",
        "--db",
        str(tmp_path / "bot.db"),
    )
    assert code == 0, err
    assert "永顺镇（协办）" in out and "40%" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["2-63-1", "--unit", "区水务局", "--status", "进行中"], 2, "not responsible"),
        (["2-63-1", "--unit", "各街道乡镇", "--status", "进行中"], 2, "is a group"),
        (["2-63-1", "--unit", "区生态环竟局", "--status", "进行中"], 2, "did you mean 区生态环境局"),
        (["2-63", "--unit", "区生态环境局", "--status", "进行中"], 2, "did you mean 2-63-1"),
        (["9-99-9", "--unit", "区生态环境局", "--status", "进行中"], 2, "no measure 9-99-9"),
        (
            ["2-63-1", "--unit", "区生态环境局", "--status", "进行中", "--percent", "150"],
            2,
            "between 0 and 100",
        ),
        (["2-63-1", "--unit", "区生态环境局", "--status", "已完成", "--percent", "60"], 2, "contradicts"),
        (["2-63-1", "--unit", "区生态环境局", "--status", "差不多了"], 2, "not a status"),
    ],
)
def test_bad_reports_are_refused_and_record_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], code: int, message: str
) -> None:
    db = tmp_path / "bot.db"
    got, out, err = run_main(capsys, "report", *argv, "--db", str(db))
    assert (got, out) == (code, "")
    assert message in err
    if db.exists():
        with Store.open(db) as store:
            assert store.progress_count() == 0


def test_report_while_the_database_is_in_use_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    with Store.open(db) as store:
        code, out, err = run_main(
            capsys, "report", "2-63-1", "--unit", "区生态环境局", "--status", "进行中", "--db", str(db)
        )
        assert code == 2 and "nothing recorded" in err and out == ""
        assert store.progress_count() == 0


def test_python_dash_m_bot_runs_the_commands(tmp_path: Path) -> None:
    result = run_python_m_bot(
        "remind", "--date", "2023-09-28", "--dry-run", "--json", "--db", str(tmp_path / "b.db")
    )
    assert result.returncode == 0, result.stderr
    water = [r for r in json.loads(result.stdout) if r.get("unit") == "区水务局"]
    [water_source] = [i for i in water[0]["items"] if i["measure"] == "3-3-1"]
    assert (water_source["reason"], water_source["due"], water_source["role"]) == (
        "due",
        "2023-09-30",
        "lead",
    )


def test_the_preview_includes_the_catch_up_the_bot_would_send(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The bot last ran on Monday 3 July; on Thursday 28 September its first run of the week
    # carries the overdue list it missed on Monday. The preview says so too (issue 9).
    db = tmp_path / "bot.db"
    with Store.open(db) as store:
        store.set_meta("reminders.overdue_day", "2023-07-03")
    water = items_for(preview(capsys, "2023-09-28", db), "unit", "区水务局")
    reasons = {i["measure"]: i["reason"] for i in water}
    assert {"3-3-1", "3-6-3", "3-6-4"} <= set(reasons)
    assert reasons["3-6-4"] == "overdue"
    [late] = [i for i in water if i["measure"] == "3-6-4"]
    assert (late["item"], late["kind"], late["due"]) == ("2023-06-30", "milestone", "2023-06-30")
    # Had the bot run on Monday 25 September, Thursday would carry no overdue list.
    with Store.open(db) as store:
        store.set_meta("reminders.overdue_day", "2023-09-25")
    assert all(
        i["reason"] != "overdue" for i in items_for(preview(capsys, "2023-09-28", db), "unit", "区水务局")
    )
