"""Leader views on the command line: overdue, upcoming, status, summary, mytasks.

The same queries (bot/queries.py) and the same Chinese text (bot/render.py) as in chat, or JSON.
They open the database read-only, so they work while the bot is running.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot import queries, render, texts
from bot.clock import SystemClock
from bot.commands.common import add_date_option, add_db_option, add_json_option, add_plan_option
from bot.directory import Directory
from bot.models import Plan
from bot.store import Store, StoreError

EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """Something the operator must fix; the message says what."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    overdue = _command(
        subparsers,
        "overdue",
        "dated items past due, by unit (lead units first)",
        "python -m bot overdue --date 2023-07-03 --leader 倪德才 --json",
    )
    _add_scope_options(overdue)
    overdue.set_defaults(func=_overdue)

    upcoming = _command(
        subparsers,
        "upcoming",
        "dated items due within the next N days, by unit",
        "python -m bot upcoming --date 2023-06-20 --days 14 --unit 区水务局",
    )
    upcoming.add_argument(
        "--days",
        type=_days,
        default=queries.DEFAULT_UPCOMING_DAYS,
        help="how many days ahead, 0-366 (default: %(default)s)",
    )
    _add_scope_options(upcoming)
    upcoming.set_defaults(func=_upcoming)

    status = _command(
        subparsers,
        "status",
        "one measure in full: deadline, milestones, leaders, every unit's progress and history",
        "python -m bot status 2-63-1 --date 2023-07-03",
    )
    status.add_argument("measure", help="measure ID, e.g. 2-63-1")
    status.set_defaults(func=_status)

    summary = _command(
        subparsers,
        "summary",
        "per annex and per unit: total, complete, in progress, not started, blocked, overdue",
        "python -m bot summary --date 2023-07-03",
    )
    _add_scope_options(summary)
    summary.set_defaults(func=_summary)

    mytasks = _command(
        subparsers,
        "mytasks",
        "a unit's open measures, each at its most pressing dated item",
        "python -m bot mytasks --unit 区水务局 --date 2023-07-03",
    )
    mytasks.add_argument("--unit", required=True, help="unit name, alias or group label")
    mytasks.set_defaults(func=_mytasks)


def _command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, example: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=f"example: {example}",
    )
    add_date_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    add_json_option(parser)
    return parser


def _add_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", help="only this unit (name, alias or group label)")
    parser.add_argument("--leader", help="only this leader's measures")
    parser.add_argument("--annex", type=int, help="only this annex (1-5)")


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 0 <= days <= queries.MAX_UPCOMING_DAYS:
        raise argparse.ArgumentTypeError(f"days must be 0-{queries.MAX_UPCOMING_DAYS}, not {days}")
    return days


# --- the commands ----------------------------------------------------------------------------------


def _overdue(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda snap, store: _unit_report(args, queries.overdue(snap, _scope(args, snap))),
    )


def _upcoming(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda snap, store: _unit_report(args, queries.upcoming(snap, _scope(args, snap), args.days)),
    )


def _mytasks(args: argparse.Namespace) -> int:
    return _run(
        args,
        lambda snap, store: _unit_report(args, queries.my_tasks(snap, _scope(args, snap))),
    )


def _summary(args: argparse.Namespace) -> int:
    def show(snap: queries.Snapshot, store: Store) -> str:
        result = queries.summary(snap, _scope(args, snap))
        return _dump(result.to_json()) if args.json else render.summary_pages(result, limit=None)[0]

    return _run(args, show)


def _status(args: argparse.Namespace) -> int:
    def show(snap: queries.Snapshot, store: Store) -> str:
        try:
            result = queries.measure_status(snap, args.measure, store.history)
        except queries.UnknownMeasure as exc:
            hint = f"; did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""
            raise CommandError(f"no measure {exc.measure_id!r} in the plan{hint}") from None
        return _dump(result.to_json()) if args.json else render.status_pages(result, limit=None)[0]

    return _run(args, show)


def _unit_report(args: argparse.Namespace, report: queries.UnitReport) -> str:
    if args.json:
        return _dump(report.to_json())
    return render.unit_report_pages(report, limit=None)[0]


def _scope(args: argparse.Namespace, snap: queries.Snapshot) -> queries.Scope:
    """The intersection of --unit, --leader and --annex (everything when none is given)."""
    directory = snap.index.directory
    try:
        parts = [
            *([queries.unit_scope(directory, args.unit)] if getattr(args, "unit", None) else []),
            *([queries.leader_scope(directory, args.leader)] if getattr(args, "leader", None) else []),
            *(
                [queries.annex_scope(snap.plan, args.annex)]
                if getattr(args, "annex", None) is not None
                else []
            ),
        ]
    except queries.ScopeError as exc:
        hint = f"; did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""
        raise CommandError(f"unknown unit, leader or annex: {exc.text!r}{hint}") from None
    scope = queries.Scope()
    for part in parts:
        narrowed = scope.narrow(part)
        if narrowed is None:
            raise CommandError("the given --unit, --leader and --annex have nothing in common")
        scope = narrowed
    return scope if parts else queries.scope_everything(texts.LV_EVERYTHING)


# --- plumbing ------------------------------------------------------------------------------------------


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _run(args: argparse.Namespace, show: Callable[[queries.Snapshot, Store], str]) -> int:
    today: date = args.date or SystemClock().now().date()
    try:
        plan, directory = _load_plan(args.plan, args.units)
        with _open_store(args.db) as store:
            snapshot = queries.Snapshot.take(plan, directory, store, today)
            output = show(snapshot, store)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(output)
    return 0


def _load_plan(plan_path: Path, units_path: Path) -> tuple[Plan, Directory]:
    try:
        return Plan.load(plan_path), Directory.load(units_path)
    except FileNotFoundError as exc:
        raise CommandError(f"file not found: {exc.filename} (see --plan / --units)") from None
    except (ValidationError, ValueError) as exc:
        raise CommandError(f"cannot read the plan or unit directory: {exc}") from None


@contextmanager
def _open_store(path: Path) -> Iterator[Store]:
    if not path.exists():
        # A fresh install has no database yet: the views still work, showing nothing reported.
        print(f"note: no database at {path}; showing the plan with no progress reported", file=sys.stderr)
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
