"""Options shared by several commands, so every command spells them the same way."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot import paths
from bot.clock import parse_day


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_plan_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", type=Path, default=paths.PLAN, help="plan file (default: %(default)s)")
    parser.add_argument(
        "--units", type=Path, default=paths.UNITS, help="unit directory file (default: %(default)s)"
    )


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=paths.DB, help="database path (default: %(default)s)")


def add_date_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--date",
        type=_day,
        required=required,
        help="the day to act as today, YYYY-MM-DD, Asia/Shanghai" + ("" if required else " (default: today)"),
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
