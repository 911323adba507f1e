"""``python -m bot <command>``: the one command-line entry point.

Each command lives in ``bot/commands/<module>.py`` with a ``register(subparsers)`` that adds its
parser and sets ``func``; ``func(args)`` returns the exit code.

Only the chosen command's module is imported: ``python -m bot overdue`` must not pay for
python-telegram-bot, APScheduler, httpx and dateparser, which only ``run`` and ``sandbox`` need.
``--help``, a missing or an unknown command import every module, so the listing stays complete.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from bot.commands.common import EXIT_BAD_INPUT, CommandError

COMMANDS: dict[str, str] = {
    "plan": "plan",
    "remind": "remind",
    "report": "report",
    "extension": "supervision",
    "review": "supervision",
    "setdue": "supervision",
    "assign": "supervision",
    "calendar": "calendar",
    "overdue": "views",
    "upcoming": "views",
    "status": "views",
    "summary": "views",
    "mytasks": "views",
    "export": "export",
    "run": "run",
    "sandbox": "run",
    "db": "db",
    "admin": "admin",
}
"""Each command and the module under ``bot.commands`` that registers it, in ``--help`` order."""


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line (the first word that is not an option), if it is known."""
    for word in argv:
        if word in ("-h", "--help"):
            return None
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: just its command's module, or every module when none is chosen."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Tongzhou 2023 action plan: import, reminders, progress and leader views.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    command = chosen_command(argv) if argv is not None else None
    modules = [COMMANDS[command]] if command is not None else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"bot.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    if not gc.isenabled():
        # Paused for the imports by bot/__main__.py: what they built lives as long as the
        # process, so the collector need not scan it again.
        gc.freeze()
        gc.enable()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args.func(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`… | head`): not an error. Point stdout at devnull so the
        # interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code
