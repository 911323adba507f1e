"""Every ``python -m bot`` command works on a server whose TZ is UTC (a common default on servers
and in containers): the system's TZ is not a setting, and dates stay Shanghai dates.

Each command runs as its own process with TZ=UTC and BOT_… settings pointing into tmp_path;
``run --live`` with TZ=UTC is in tests/test_live.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.cli import COMMANDS
from bot.clock import TZ
from bot.models import Status
from bot.paths import ROOT
from bot.store import Store

SOURCE = ROOT / "data" / "source" / "tongzhou-2023-action-plan.txt"

CASES: dict[str, list[str]] = {
    "plan import": ["plan", "import", str(SOURCE), "-o", "{tmp}/plan.json"],
    "plan check": ["plan", "check"],
    "remind": ["remind", "--date", "2023-06-30", "--dry-run", "--db", "{db}"],
    "report": [
        "report",
        "2-63-1",
        "--unit",
        "区生态环境局",
        "--status",
        "进行中",
        "--date",
        "2023-06-27",
        "--db",
        "{db}",
    ],
    "calendar": ["calendar", "--from", "2023-09-28", "--to", "2023-10-09"],
    "overdue": ["overdue", "--date", "2023-07-03", "--db", "{db}"],
    "upcoming": ["upcoming", "--date", "2023-06-20", "--db", "{db}"],
    "status": ["status", "3-6-4", "--date", "2023-07-03", "--db", "{db}"],
    "summary": ["summary", "--date", "2023-07-03", "--db", "{db}"],
    "export": ["export", "--date", "2023-07-03", "-o", "{tmp}/督办台账.xlsx", "--db", "{db}"],
    "mytasks": ["mytasks", "--unit", "区水务局", "--date", "2023-07-03", "--db", "{db}"],
    "run": ["run", "--date", "2023-07-03"],  # no token: the sandbox
    "sandbox": ["sandbox", "--date", "2023-07-03"],
    "db check": ["db", "check", "--db", "{db}"],
    "db backup": ["db", "backup", "{tmp}/backups/", "--db", "{db}"],
    "db compact": ["db", "compact", "--db", "{db}"],
    "db restore": ["db", "restore", "{tmp}/copy.db", "--db", "{db}"],
    "admin grant": ["admin", "grant", "4242", "--db", "{db}"],
    "admin revoke": ["admin", "revoke", "4242", "--db", "{db}"],
    "admin list": ["admin", "list", "--db", "{db}"],
    "extension request": [
        "extension",
        "request",
        "2-63-1",
        "--unit",
        "区生态环境局",
        "--to",
        "2023-07-31",
        "--reason",
        "等待评审",
        "--date",
        "2023-06-27",
        "--db",
        "{db}",
    ],
    "extension list": ["extension", "list", "--db", "{db}"],
    "review list": ["review", "list", "--db", "{db}"],
    "setdue": ["setdue", "2-10-1", "2023-09-30", "--date", "2023-06-27", "--db", "{db}"],
    "assign": ["assign", "5-1-1", "区水务局", "--date", "2023-06-27", "--db", "{db}"],
}
EXPECTED_OUTPUT = {
    "calendar": "2023-10-07",
    "status": "3-6-4",
    "export": "督办台账.xlsx",
    "report": "已记录 2-63-1",
    "run": "沙盒已启动",
    "sandbox": "沙盒已启动",
    "db restore": "restored",
    "admin list": "BOT_ADMIN_IDS: 77",
    "extension request": "2023-06-30 → 2023-07-31",
    "setdue": "2023-09-30",
}


def test_every_command_is_tried() -> None:
    assert {case.split()[0] for case in CASES} == set(COMMANDS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_command_works_with_tz_utc(case: str, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    with Store.open(db) as store:
        store.record_progress(
            "3-6-4", "区水务局", Status.IN_PROGRESS, datetime.combine(date(2023, 6, 27), time(9), TZ)
        )
        store.backup(tmp_path / "copy.db")
    (tmp_path / "backups").mkdir()
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("BOT_", "TELEGRAM_"))},
        "TZ": "UTC",
        "TELEGRAM_BOT_TOKEN": "",
        "BOT_ADMIN_IDS": "77",
        "BOT_DB_PATH": str(tmp_path / "state" / "bot.db"),
        "BOT_COMPLETION_REVIEW": "on",
    }
    argv = [word.format(db=db, tmp=tmp_path) for word in CASES[case]]
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        env=environment,
        input=":help\n/whoami\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "TZ" not in done.stderr
    assert EXPECTED_OUTPUT.get(case, "") in done.stdout
