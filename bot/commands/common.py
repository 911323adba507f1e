"""What several commands share, so every command spells options, loads files and fails the same way.

Exit codes: 0 success; 1 the command ran and found a problem the operator asked about (e.g.
``plan check`` with unresolved names); 2 the command could not run on its input (bad option,
missing or unreadable plan, directory or database). ``CommandError`` is the 2 case:
``bot.cli.main`` prints it as ``error: …`` and exits 2.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from bot import paths
from bot.clock import parse_day
from bot.config import ConfigError, load_settings
from bot.directory import Directory
from bot.models import Plan
from bot.store import Store, StoreError

LoadedT = TypeVar("LoadedT")

log = logging.getLogger(__name__)

EXIT_PROBLEM_FOUND = 1
EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """The command cannot run on its input; the message says what to fix."""


def day_arg(text: str) -> date:
    """argparse type for ``YYYY-MM-DD``."""
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
        type=day_arg,
        required=required,
        help="the day to act as today, YYYY-MM-DD, Asia/Shanghai" + ("" if required else " (default: today)"),
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def describe_invalid(exc: ValidationError) -> str:
    """The first problem pydantic found, with where it is, in one line (no library URLs)."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    # A validator's own ValueError comes prefixed "Value error, "; the operator needs only its text.
    message = first["msg"].removeprefix("Value error, ")
    more = exc.error_count() - 1
    return f"{where + ': ' if where else ''}{message}" + (f" (and {more} more problems)" if more else "")


def _load(
    load: Callable[[Path], LoadedT],
    path: Path,
    what: str,
    *,
    invalid: str = "not valid",
    missing_hint: str = "",
) -> LoadedT:
    """``load(path)``, with every way it fails as one CommandError line naming ``what`` it is."""
    if path.exists() and not path.is_file():
        # A FIFO or a device such as /dev/zero would be read forever; a folder is a typo.
        raise CommandError(f"{what} {path} is not a regular file")
    try:
        return load(path)
    except FileNotFoundError:
        raise CommandError(f"{what} {path} not found{missing_hint}") from None
    except ValidationError as exc:
        raise CommandError(f"{what} {path} is {invalid}: {describe_invalid(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {what} {path}: {exc}") from None


def load_plan(path: Path) -> Plan:
    return _load(
        Plan.load, path, "plan file", invalid="not a valid plan", missing_hint=" (`make plan` imports it)"
    )


def load_directory(path: Path) -> Directory:
    return _load(Directory.load, path, "unit directory")


def load_plan_and_directory(plan_path: Path, units_path: Path) -> tuple[Plan, Directory]:
    return load_plan(plan_path), load_directory(units_path)


def completion_review_on() -> bool:
    """Whether BOT_COMPLETION_REVIEW is on (environment or .env)."""
    try:
        return load_settings().completion_review
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def monthly_progress_on() -> bool:
    """Whether BOT_MONTHLY_PROGRESS is on (environment or .env; on by default)."""
    try:
        return load_settings().monthly_progress
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


@contextmanager
def open_store_for_reading(path: Path) -> Iterator[Store]:
    """The database read-only (the running bot may hold the write lock).

    A database that does not exist yet is shown as empty (nothing reported, nothing bound) and
    is not created: a preview or a view must never write.
    """
    if not path.exists():
        log.info("no database at %s yet: showing nothing reported and no bound chats", path)
        store = Store.open(None)
    else:
        try:
            store = Store.open(path, read_only=True)
        except StoreError as exc:
            raise CommandError(str(exc)) from None
    try:
        yield store
    finally:
        store.close()
