"""The leader views on the command line: ``python -m bot overdue|upcoming|status|summary|mytasks``.

Real files (plan, directory, database) in a temporary folder, the real CLI entry point.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.store import Store
from tests.cli_runner import data_options, run_main, run_python_m_bot
from tests.leader_views_data import small_plan


def run(files: dict[str, Path], capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(capsys, *argv, *data_options(files))


def run_json(small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(small_files, capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_overdue_json_on_a_named_day(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json(small_files, capsys, "overdue", "--date", "2023-07-03")
    by_unit = {group["unit"]: group for group in data}
    assert list(by_unit)[:2] == ["区生态环境局", "区水务局"]  # lead units first
    water = by_unit["区水务局"]["items"]
    assert [
        (i["measure"], i["due"], i["days_overdue"], i["status"], i["percent"], i["updated"]) for i in water
    ] == [("2-1-1", "2023-06-30", 3, "进行中", 40, "2023-06-01")]
    town = by_unit["宋庄镇"]
    assert (town["role"], town["items"][0]["status"]) == ("co", "受阻")
    assert by_unit["相关街道乡镇"]["assigned"] is False


def test_a_completion_report_ends_overdue_on_its_own_date(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_json(small_files, capsys, "overdue", "--date", "2023-07-19", "--unit", "生态环境局")
    assert [(g["unit"], [i["measure"] for i in g["items"]]) for g in before] == [("区生态环境局", ["1-1-1"])]
    assert before[0]["items"][0]["days_overdue"] == 19
    after = run_json(small_files, capsys, "overdue", "--date", "2023-07-20", "--unit", "生态环境局")
    assert after == []


def test_overdue_scoped_by_leader_and_annex(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ni = run_json(small_files, capsys, "overdue", "--date", "2023-07-03", "--leader", "倪德才")
    assert {i["measure"] for g in ni for i in g["items"]} == {"1-1-1", "2-3-1"}
    annex2 = run_json(
        small_files, capsys, "overdue", "--date", "2023-07-03", "--leader", "倪德才", "--annex", "2"
    )
    assert {i["measure"] for g in annex2 for i in g["items"]} == {"2-3-1"}


@pytest.mark.parametrize("annex", ["2", "附件2", "附件 2", "附件２", "annex 2"])
def test_annex_is_given_as_in_chat_or_as_a_number(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], annex: str
) -> None:
    code, out, err = run(small_files, capsys, "overdue", "--date", "2023-07-03", "--annex", annex)
    assert code == 0, err
    assert out.startswith("🔴 逾期事项 · 附件2 · 2023-07-03\n")
    data = run_json(small_files, capsys, "summary", "--date", "2023-07-03", "--annex", annex)
    assert [row["label"] for row in data["annexes"]] == ["附件2 大气污染防治"]


@pytest.mark.parametrize("annex", ["附件", "第二", "2a", "-2"])
def test_an_unreadable_annex_is_refused_by_the_parser(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], annex: str
) -> None:
    code, _, err = run(small_files, capsys, "overdue", f"--annex={annex}")
    assert code == 2
    assert f'argument --annex: not an annex: {annex!r} (write 2, 附件2, or "附件 2" in quotes)' in err


def test_overdue_text_is_the_chat_text_in_one_piece(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(small_files, capsys, "overdue", "--date", "2023-07-03", "--unit", "水务局")
    assert code == 0
    assert out.startswith("🔴 逾期事项 · 区水务局 · 2023-07-03\n共 1 项逾期，涉及 1 条措施、1 个单位")
    assert "【区水务局】主责 1 项 · 协办 0 项" in out
    assert "最新：进行中 40% · 更新于 2023-06-01" in out


def test_upcoming(small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        small_files, capsys, "upcoming", "--date", "2023-06-20", "--days", "10", "--unit", "区水务局"
    )
    assert [(g["unit"], [(i["measure"], i["days_left"]) for i in g["items"]]) for g in data] == [
        ("区水务局", [("2-1-1", 10)])
    ]
    nine = run_json(
        small_files, capsys, "upcoming", "--date", "2023-06-20", "--days", "9", "--unit", "区水务局"
    )
    assert nine == []


def test_status_json_and_text(small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(small_files, capsys, "status", "2-1-1", "--date", "2023-07-03")
    assert data["measure"] == "2-1-1" and data["leaders"] == ["郑皓"]
    assert [(u["unit"], u["role"]) for u in data["units"]] == [
        ("区水务局", "lead"),
        ("宋庄镇", "co"),
        ("张家湾镇", "co"),
    ]
    assert data["units"][1]["latest"]["note"] == "资金未到位"
    code, out, _ = run(small_files, capsys, "status", "2-1-1", "--date", "2023-07-03")
    assert code == 0 and "【协办】宋庄镇：⛔受阻 · 2023-06-15" in out and "资金未到位" in out


def test_summary_json(small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(small_files, capsys, "summary", "--date", "2023-07-03")
    assert [row["label"] for row in data["annexes"]] == ["附件1 应对气候变化", "附件2 大气污染防治"]
    total = data["total"]
    assert (total["total"], total["in_progress"], total["blocked"], total["overdue"]) == (4, 0, 1, 3)
    # 1-1-1's only lead unit reports 已完成 on 07-20, after this day: on 07-03 nothing is partly done
    assert total["partly_done"] == 0
    town = next(row for row in data["units"] if row["label"] == "宋庄镇")
    assert (town["blocked"], town["overdue"], town["light"]) == (1, 1, "🔴")


def test_mytasks_for_a_unit(small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(small_files, capsys, "mytasks", "--unit", "区水务局", "--date", "2023-07-03")
    assert [(i["measure"], i["due"]) for i in data[0]["items"]] == [("2-1-1", "2023-06-30"), ("2-2-1", None)]


def test_mytasks_for_a_leader_is_the_union_of_their_measures(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    plan = small_plan()
    theirs = {m.id for m in plan.measures if "郑皓" in m.leaders}
    data = run_json(small_files, capsys, "mytasks", "--leader", "郑皓", "--date", "2023-07-03")
    listed = {item["measure"] for unit in data for item in unit["items"]}
    assert listed and listed <= theirs


def test_mytasks_without_a_unit_or_leader_says_what_it_needs(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "mytasks", "--date", "2023-07-03", *data_options(small_files))
    assert code == 2 and "needs --unit or --leader" in err


def test_an_open_group_is_a_scope_like_a_unit(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """相关街道乡镇 appears as a row of the views, so it can be asked for (by label or alias)."""
    for argv in (["overdue", "--unit", "相关街道乡镇"], ["mytasks", "--unit", "相关乡镇街道"]):
        data = run_json(small_files, capsys, *argv, "--date", "2023-07-03")
        assert [(g["unit"], g["assigned"], [i["measure"] for i in g["items"]]) for g in data] == [
            ("相关街道乡镇", False, ["2-3-1"])
        ]
    code, out, _ = run(
        small_files, capsys, "overdue", "--unit", "相关乡镇街道", "--leader", "倪德才", "--date", "2023-07-03"
    )
    assert code == 0
    assert out.startswith("🔴 逾期事项 · 相关街道乡镇 · 倪德才 · 2023-07-03\n")
    assert "【相关街道乡镇】主责 1 项 · 协办 0 项（尚未指定具体单位）" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["overdue", "--unit", "区水务"], "error: --unit: no unit '区水务'; did you mean 区水务局"),
        (["overdue", "--leader", "倪德"], "error: --leader: no leader '倪德'; did you mean 倪德才?"),
        (["summary", "--leader", "郑浩"], "error: --leader: no leader '郑浩'; did you mean 郑皓?"),
        (["overdue", "--annex", "7"], "error: --annex: no annex '附件7'; did you mean 附件1, 附件2?"),
        (
            ["status", "2-1-9"],
            "error: no measure '2-1-9' in the plan (IDs are annex-task-row, e.g. 2-63-1); "
            "that task's measures: 2-1-1",
        ),
        (
            ["status", "9-9-9"],
            "error: no measure '9-9-9' in the plan (IDs are annex-task-row, e.g. 2-63-1)\n",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_2(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(small_files, capsys, *argv, "--date", "2023-07-03")
    assert code == 2 and out == ""
    assert message in err


@pytest.mark.parametrize("days", ["-1", "400", "两年"])
def test_bad_days_are_refused_by_the_parser(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], days: str
) -> None:
    code, _, err = run(small_files, capsys, "upcoming", "--days", days)
    assert code == 2
    assert "days" in err


def test_a_missing_database_shows_the_plan_with_nothing_reported(
    small_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    small_files["db"] = tmp_path / "nowhere" / "bot.db"
    with caplog.at_level(logging.INFO):
        code, out, _ = run(small_files, capsys, "overdue", "--date", "2023-07-03", "--json")
    assert code == 0 and "no database" in caplog.text
    assert all(item["status"] is None for group in json.loads(out) for item in group["items"])
    assert not small_files["db"].exists()


def test_a_missing_plan_file_is_named(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    small_files["plan"].unlink()
    code, _, err = run(small_files, capsys, "summary")
    assert code == 2 and "plan.json" in err


@pytest.mark.parametrize(
    ("which", "content", "start"),
    [
        ("plan", '{"title": 1}', "error: plan file {path} is not a valid plan: title: Input should be"),
        ("plan", "{不是 JSON", "error: plan file {path} is not a valid plan: Invalid JSON"),
        ("units", '{"units": []}', "error: unit directory {path} is not valid: groups: Field required"),
    ],
)
def test_a_malformed_plan_or_directory_is_one_clear_line_and_exit_2(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], which: str, content: str, start: str
) -> None:
    small_files[which].write_text(content, encoding="utf-8")
    for command in (["overdue"], ["status", "2-1-1"], ["summary"], ["mytasks", "--unit", "区水务局"]):
        code, out, err = run(small_files, capsys, *command, "--date", "2023-07-03")
        assert (code, out) == (2, ""), command
        assert err.startswith(start.format(path=small_files[which])), err
        assert err.count("\n") == 1 and "pydantic.dev" not in err and "Traceback" not in err


def test_a_database_in_use_by_the_bot_is_read(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(small_files["db"]):
        code, out, err = run(small_files, capsys, "overdue", "--date", "2023-07-03")
    assert code == 0, err
    assert "区水务局" in out


def test_a_damaged_database_is_reported_not_crashed_on(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    small_files["db"].write_bytes(b"hello, world\n")
    code, _, err = run(small_files, capsys, "overdue", "--date", "2023-07-03")
    assert code == 2 and err.startswith("error:") and "not a plan-tracker-bot store" in err


def test_the_real_entry_point_runs_as_a_process(small_files: dict[str, Path]) -> None:
    done = run_python_m_bot("overdue", "--date", "2023-07-03", "--json", *data_options(small_files))
    assert done.returncode == 0, done.stderr
    assert {group["unit"] for group in json.loads(done.stdout)} >= {"区水务局", "宋庄镇"}


def test_the_shipped_plan_on_named_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "bot.db")]
    assert main(["overdue", "--date", "2023-06-30", "--unit", "区生态环境局", "--json", *db]) == 0
    assert "2-63-1" not in capsys.readouterr().out
    assert main(["overdue", "--date", "2023-07-01", "--unit", "区生态环境局", "--json", *db]) == 0
    (group,) = json.loads(capsys.readouterr().out)
    noise = next(item for item in group["items"] if item["measure"] == "2-63-1")
    assert (noise["due"], noise["days_overdue"], noise["role"]) == ("2023-06-30", 1, "lead")
    assert noise["status"] is None

    assert main(["status", "3-3-1", "--date", "2023-10-01", *db]) == 0
    out = capsys.readouterr().out
    assert "时间节点：2023-09-30" in out and "已逾期 1 天" in out


def test_the_shipped_directory_suggests_a_leader_for_a_near_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["overdue", "--leader", "秦韬", "--date", "2023-07-03", "--db", str(tmp_path / "bot.db")])
    assert code == 2
    assert "error: --leader: no leader '秦韬'; did you mean 秦涛?" in capsys.readouterr().err


def test_the_shipped_plans_open_groups_show_their_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3-11-5 and 3-14-3 name 相关乡镇政府, an alias of the open group 相关乡镇."""
    db = ["--db", str(tmp_path / "bot.db")]
    assert main(["mytasks", "--unit", "相关乡镇", "--date", "2023-07-03", *db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("📋 待办事项 · 相关乡镇 · 2023-07-03\n")
    headings = [line for line in out.splitlines() if line.startswith("【")]
    assert headings == ["【相关乡镇】主责 2 项 · 责任 2 项（尚未指定具体单位）"]
    assert all(measure in out for measure in ("2-19-1", "2-29-1", "3-11-5", "3-14-3"))
    assert main(["overdue", "--date", "2024-01-02", "--json", *db]) == 0
    units = {group["unit"] for group in json.loads(capsys.readouterr().out)}
    assert "相关乡镇" in units and "相关乡镇政府" not in units and "相关乡镇街道" not in units


@pytest.mark.parametrize(
    ("measure", "line"),
    [
        ("2-13-1", "周期要求：按季度\n"),
        ("2-21-1", "周期要求：夏季（6-9月）\n"),
        ("3-11-2", "周期要求：第二、三季度每月（4–9月）\n"),
    ],
)
def test_the_shipped_plans_recurrences_read_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], measure: str, line: str
) -> None:
    assert main(["status", measure, "--date", "2023-07-03", "--db", str(tmp_path / "bot.db")]) == 0
    assert line in capsys.readouterr().out
