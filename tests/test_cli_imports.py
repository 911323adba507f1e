"""The CLI imports only the chosen command: an operator's view does not load the bot's libraries."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from bench.__main__ import main as bench_main
from bot import cli
from bot.paths import ROOT

HEAVY = ("telegram", "apscheduler", "httpx", "dateparser", "handlers")


def modules_loaded_by(*argv: str) -> tuple[int, str, set[str]]:
    """Run ``bot.cli.main(argv)`` in a fresh interpreter; its exit code, stdout and the heavy
    top-level packages it imported."""
    probe = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "try:\n"
        f"    code = main({list(argv)!r})\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "loaded = sorted({name.split('.')[0] for name in sys.modules} & set(sys.argv[1:]))\n"
        "print(json.dumps({'code': code, 'loaded': loaded}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    result = json.loads(done.stderr.strip().splitlines()[-1])
    return result["code"], done.stdout, set(result["loaded"])


def test_overdue_loads_no_telegram_scheduler_http_or_dateparser() -> None:
    code, out, loaded = modules_loaded_by(
        "overdue", "--date", "2023-07-03", "--json", "--db", "/nonexistent.db"
    )
    assert code == 0 and json.loads(out)[0]["items"]  # the whole plan: something is overdue
    assert loaded == set()


@pytest.mark.parametrize(
    "argv",
    [
        ("plan", "check"),
        ("report", "--help"),
        ("remind", "--help"),
        ("status", "--help"),
        ("db", "--help"),
        ("calendar", "--from", "2023-10-01"),
    ],
)
def test_operator_commands_load_none_of_them_either(argv: tuple[str, ...]) -> None:
    code, _, loaded = modules_loaded_by(*argv)
    assert code == 0 and loaded == set()


def test_run_loads_the_bot_but_not_the_report_writers_or_date_parser() -> None:
    """What ``python -m bot run`` imports before its first getUpdates: the libraries answering
    updates, none that only a workbook, a document, a chart or a typed date needs (those load
    when a command asks for them)."""
    writers = ("dateparser", "openpyxl", "xlsxwriter", "docx", "matplotlib")
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['run', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & set(sys.argv[1:])), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "telegram", "handlers", *writers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1] == str(["handlers", "telegram"])


def test_the_command_list_names_every_command_each_module_registers() -> None:
    """``--help`` lists every command, and each command imports the module that defines it."""
    for module in set(cli.COMMANDS.values()):
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(f"bot.commands.{module}").register(subparsers)
        for name in subparsers.choices:
            assert cli.COMMANDS[name] == module
    full = cli.build_parser(["--help"]).format_help()
    assert all(name in full for name in cli.COMMANDS)


def test_an_unknown_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["overdu"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "'overdue'" in err and "'sandbox'" in err


def test_the_cli_benchmark_reports_the_paired_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    code = bench_main(["cli", "--rounds", "1", "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert code in (0, 1)  # 1: the 1.5x goal was missed on this (busy) machine
    assert figures["rounds"] == 1
    assert 0 < figures["python_ms"] < figures["overdue_ms"]
    assert figures["ratio_to_import_telegram"] > 0
