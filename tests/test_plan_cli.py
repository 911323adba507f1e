"""``python -m bot plan import|check`` end to end: the real CLI on the real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import paths
from bot.cli import main
from bot.models import Plan
from bot.plan_import import annex_counts


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_import_reproduces_the_committed_plan_byte_for_byte(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    done = run_cli("plan", "import", str(paths.SOURCE_PLAN), "-o", str(first))
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

    done = run_cli("plan", "import", str(source), "-o", str(output))

    assert done.returncode == 1
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
    assert code == 1
    assert "no unit directory" in err and "annex 1" in err and "line 297" in err and "陈江华倪德才" in err
    assert not (tmp_path / "p.json").exists()


def test_import_of_a_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "import", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "p.json")]) == 1
    assert "not found" in capsys.readouterr().err


def test_check_prints_the_counts_and_finds_everything_resolved(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check"]) == 0
    out = capsys.readouterr().out
    plan = Plan.load(paths.PLAN)
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


def test_check_with_unusable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", "--plan", str(tmp_path / "absent.json")]) == 1
    assert "not found" in capsys.readouterr().err
    broken = tmp_path / "plan.json"
    broken.write_text('{"title": 1}', encoding="utf-8")
    assert main(["plan", "check", "--plan", str(broken)]) == 1
    assert "not a valid plan" in capsys.readouterr().err
    assert main(["plan", "check", "--units", str(broken)]) == 1
    assert "not valid" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["plan"], ["plan", "import"], ["plan", "check"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: python -m bot plan" in capsys.readouterr().out
