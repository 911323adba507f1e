"""Running the real command line from tests, the two ways an operator's command can be run.

``run_main`` calls ``bot.cli.main`` in this process (fast; output captured by pytest's ``capsys``);
``run_python_m_bot`` starts ``python -m bot`` as its own process, for what only a process shows:
the entry point itself, or a command run while this process holds the database like the bot does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.paths import ROOT


def data_options(files: dict[str, Path]) -> list[str]:
    """``--plan --units --db`` for the files a test wrote (keys ``plan``, ``units``, ``db``)."""
    return ["--plan", str(files["plan"]), "--units", str(files["units"]), "--db", str(files["db"])]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``bot.cli.main(argv)`` in this process: exit status, stdout, stderr.

    An argument argparse refuses exits through SystemExit, as on the command line; that comes back
    as its exit status too, so a test reads every refusal the same way.
    """
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def run_python_m_bot(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGV`` in a child process, from the project folder; never raises on failure."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
