"""``python -m bot plan import|check`` end to end: the real CLI on the real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot import paths
from bot.cli import main
from bot.plan_import import annex_counts
from tests.bot_harness import shipped_plan
from tests.cli_runner import run_python_m_bot


def test_import_reproduces_the_committed_plan_byte_for_byte(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    done = run_python_m_bot("plan", "import", str(paths.SOURCE_PLAN), "-o", str(first))
    assert done.returncode == 0, done.stderr
    assert "199 measures" in done.stdout
    assert main(["plan", "import", str(paths.SOURCE_PLAN), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes() == paths.PLAN.read_bytes()


def test_an_uninterpretable_source_fails_clearly_and_leaves_the_output_alone(tmp_path: Path) -> None:
    lines = paths.SOURCE_PLAN.read_text(encoding="utf-8").split("\n")
    assert lines[1135] == "\t6月底"
    lines[1135] = "\t年中前后"
    source = tmp_path / "plan.txt"
    source.write_text("\n".join(lines), encoding="utf-8")
    output = tmp_path / "plan.json"
    output.write_text("previous plan", encoding="utf-8")

    done = run_python_m_bot("plan", "import", str(source), "-o", str(output))

    assert done.returncode == 2  # input the importer cannot use, like an unreadable file
    assert done.stderr.startswith("error: ")
    assert "annex 2, row 序号 63, line 1136" in done.stderr and "'年中前后'" in done.stderr
    assert "Traceback" not in done.stderr
    assert output.read_text(encoding="utf-8") == "previous plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.txt"]


def test_import_without_the_directory_refuses_to_guess_a_leader_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "plan",
            "import",
            str(paths.SOURCE_PLAN),
            "-o",
            str(tmp_path / "p.json"),
            "--units",
            str(tmp_path / "no.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no unit directory" in err and "annex 1" in err and "line 297" in err and "陈江华倪德才" in err
    assert not (tmp_path / "p.json").exists()


def test_import_of_a_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "import", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "p.json")]) == 2
    assert "not found" in capsys.readouterr().err


def test_import_with_a_broken_directory_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units.json"
    units.write_text('{"units": [{"name": "区水务局"}], "groups": [], "leaders": []}', encoding="utf-8")
    code = main(
        ["plan", "import", str(paths.SOURCE_PLAN), "-o", str(tmp_path / "p.json"), "--units", str(units)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: unit directory {units} is not valid: units.0.kind: Field required")
    assert "pydantic.dev" not in err and err.count("\n") == 1
    assert not (tmp_path / "p.json").exists()


def test_check_prints_the_counts_and_finds_everything_resolved(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check"]) == 0
    out = capsys.readouterr().out
    plan, _ = shipped_plan()
    rows = [line.split() for line in out.splitlines()]
    table = {int(row[0]): row[1:8] for row in rows if row and row[0] in {"1", "2", "3", "4", "5"}}
    for counts in annex_counts(plan):
        kinds = counts.deadline_kinds
        expected = [counts.tasks, counts.measures, kinds["date"], kinds["window"], kinds["ongoing"]]
        expected += [counts.milestones, counts.recurrences]
        assert table[counts.annex] == [str(value) for value in expected]
    assert "every unit and leader resolves" in out
    assert "相关街道乡镇" in out  # an open group still waiting for an operator


def test_check_lists_what_does_not_resolve_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(paths.UNITS.read_text(encoding="utf-8"))
    data["units"] = [unit for unit in data["units"] if unit["name"] != "区税务局"]
    data["leaders"].remove("陈江华")
    units = tmp_path / "units.json"
    units.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    assert main(["plan", "check", "--units", str(units)]) == 1

    err = capsys.readouterr().err
    assert "unit '区税务局' in 2-75-1" in err
    assert "leader '陈江华' in 1-15-2" in err


def test_check_with_unusable_files_exits_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unusable input is exit 2, told apart from findings (exit 1) a script may act on."""
    assert main(["plan", "check", "--plan", str(tmp_path / "absent.json")]) == 2
    assert "not found" in capsys.readouterr().err
    broken = tmp_path / "plan.json"
    broken.write_text('{"title": 1}', encoding="utf-8")
    not_json = tmp_path / "not.json"
    not_json.write_text("{这不是 JSON", encoding="utf-8")
    for argv, start in [
        (["--plan", str(broken)], f"error: plan file {broken} is not a valid plan: title: Input should be"),
        (["--plan", str(not_json)], f"error: plan file {not_json} is not a valid plan: Invalid JSON"),
        (["--units", str(broken)], f"error: unit directory {broken} is not valid: units: Field required"),
    ]:
        assert main(["plan", "check", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith(start), err
        assert "pydantic.dev" not in err and "Traceback" not in err and err.count("\n") == 1


def test_check_suggests_a_leader_for_a_near_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(paths.UNITS.read_text(encoding="utf-8"))
    data["leaders"] = ["秦韬" if name == "秦涛" else name for name in data["leaders"]]
    units = tmp_path / "units.json"
    units.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["plan", "check", "--units", str(units)]) == 1
    err = capsys.readouterr().err
    assert "leader '秦涛'" in err and "did you mean 秦韬?" in err


@pytest.mark.parametrize("command", [["plan"], ["plan", "import"], ["plan", "check"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "usage: python -m bot plan" in out
    assert "``" not in out and "::" not in out  # plain text, not docstring markup
    if command == ["plan"]:
        assert "Turn the plan document into data/plan.json" in out
    if command != ["plan"]:
        assert "exit status: 0" in out and "; 2 the" in out


def plan_with(tmp_path: Path, change: str) -> Path:
    """The shipped plan with one field of its first measure set wrong, as a hand edit would."""
    data = json.loads(paths.PLAN.read_text(encoding="utf-8"))
    first = data["measures"][0]
    if change == "month 13":
        first["recurrences"] = [{"raw": "按月", "every": "month", "months": [12, 13]}]
    elif change == "window without a start":
        first["deadline"] = {"raw": "6月-9月", "kind": "window", "due": "2023-09-30"}
    elif change == "dated deadline without a date":
        first["deadline"] = {"raw": "9月底前", "kind": "date"}
    elif change == "a year typed wrong":
        first["deadline"] = {"raw": "年底前", "kind": "date", "due": "9999-12-31"}
    else:
        first["deadline"]["kind"] = "someday"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ("month 13", "months are 1-12, not 13"),
        ("window without a start", "a window needs a start"),
        ("dated deadline without a date", "a date deadline needs its due date"),
        ("a year typed wrong", "more than 20 years from the plan's year 2023"),
        ("unknown kind", "deadline.kind"),
    ],
)
def test_a_plan_that_loads_is_a_plan_that_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, complaint: str
) -> None:
    plan = plan_with(tmp_path, change)
    assert main(["plan", "check", "--plan", str(plan)]) == 2
    err = capsys.readouterr().err
    assert complaint in err and "Traceback" not in err and err.count("\n") == 1
    assert main(["remind", "--date", "2023-12-01", "--dry-run", "--plan", str(plan)]) == 2
    assert complaint in capsys.readouterr().err


def test_check_of_a_device_or_fifo_refuses_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    for plan in ("/dev/zero", str(fifo)):
        done = run_python_m_bot("plan", "check", "--plan", plan)
        assert done.returncode == 2 and "is not a regular file" in done.stderr, done.stderr


def test_import_into_a_folder_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = paths.ROOT / "data" / "source" / "tongzhou-2023-action-plan.txt"
    assert main(["plan", "import", str(source), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: -o {tmp_path} is a folder") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
