"""Leader views on the command line: overdue, upcoming, status, summary, mytasks.

The same queries (bot/queries.py) and the same Chinese text (bot/render.py) as in chat, or JSON.
They open the database read-only, so they work while the bot is running. A name, leader, annex
or measure that does not exist, or a plan, directory or database that cannot be read, is an
``error: …`` line and exit 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot import numerals, queries, render, texts
from bot.clock import SystemClock
from bot.commands.common import (
    CommandError,
    add_date_option,
    add_db_option,
    add_json_option,
    add_plan_option,
    load_plan_and_directory,
    open_store_for_reading,
)
from bot.store import Store

EPILOG = (
    "exit status: 0 shown; 2 bad input (unknown unit, leader, annex or measure; unreadable plan, units or db)"
)


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
        "a unit's or a leader's open measures, each at its most pressing dated item",
        "python -m bot mytasks --unit 区水务局 --date 2023-07-03",
    )
    _add_scope_options(mytasks)
    mytasks.set_defaults(func=_mytasks)


def _command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, example: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=f"example: {example}\n{EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_date_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    add_json_option(parser)
    return parser


def _add_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--unit", help="only this unit (name, alias or group label; an open group shows its own rows)"
    )
    parser.add_argument("--leader", help="only this leader's measures")
    parser.add_argument("--annex", type=_annex, help="only this annex: 2, 附件2 or 附件 2")


def _annex(text: str) -> int:
    number = queries.annex_number(text, bare=True)
    if number is None:
        raise argparse.ArgumentTypeError(f'not an annex: {text!r} (write 2, 附件2, or "附件 2" in quotes)')
    return number


def _days(text: str) -> int:
    days = numerals.days(text)
    if days is None:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r} (write 14, 14天, 两周 or 三十天)")
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
    if not (args.unit or args.leader):
        # As in chat, "my" tasks belong to someone: a unit's chat or a leader's.
        raise CommandError("mytasks needs --unit or --leader (overdue/upcoming/summary cover everything)")
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
            result = queries.measure_status(snap, args.measure, store.history, store.acknowledgements)
        except queries.UnknownMeasure as exc:
            raise CommandError(_unknown_measure(exc)) from None
        if args.json:
            return _dump(result.to_json())
        return render.status_pages(result, limit=None, groups=queries.unit_groups(snap.index.directory))[0]

    return _run(args, show)


def _unit_report(args: argparse.Namespace, report: queries.UnitReport) -> str:
    if args.json:
        return _dump(report.to_json())
    return render.unit_report_pages(report, limit=None)[0]


def _scope(args: argparse.Namespace, snap: queries.Snapshot) -> queries.Scope:
    """The intersection of --unit, --leader and --annex (everything when none is given)."""
    directory = snap.index.directory
    asked: list[tuple[str, str, Callable[[], queries.Scope]]] = []
    if getattr(args, "unit", None):
        asked.append(("--unit", "unit", lambda: queries.unit_scope(directory, args.unit)))
    if getattr(args, "leader", None):
        asked.append(("--leader", "leader", lambda: queries.leader_scope(directory, args.leader)))
    if getattr(args, "annex", None) is not None:
        asked.append(("--annex", "annex", lambda: queries.annex_scope(snap.plan, args.annex)))
    if not asked:
        return queries.scope_everything(texts.LV_EVERYTHING)
    parts = []
    for option, what, build in asked:
        try:
            parts.append(build())
        except queries.ScopeError as exc:
            raise CommandError(f"{option}: no {what} {exc.text!r}{_did_you_mean(exc.suggestions)}") from None
    # Each option sets a different field, so together they are simply all of them at once.
    return queries.Scope(
        units=next((p.units for p in parts if p.units is not None), None),
        leader=next((p.leader for p in parts if p.leader is not None), None),
        annex=next((p.annex for p in parts if p.annex is not None), None),
        label=texts.LV_SCOPE_SEPARATOR.join(p.label for p in parts),
    )


# --- plumbing ------------------------------------------------------------------------------------------


def _did_you_mean(suggestions: Sequence[str]) -> str:
    return f"; did you mean {', '.join(suggestions)}?" if suggestions else ""


def _unknown_measure(exc: queries.UnknownMeasure) -> str:
    message = f"no measure {exc.measure_id!r} in the plan (IDs are annex-task-row, e.g. 2-63-1)"
    if exc.same_task:
        message += f"; that task's measures: {', '.join(exc.same_task)}"
    return message


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _run(args: argparse.Namespace, show: Callable[[queries.Snapshot, Store], str]) -> int:
    """Load plan, directory and database (CommandError, exit 2, if any cannot be read), then print."""
    today: date = args.date or SystemClock().now().date()
    plan, directory = load_plan_and_directory(args.plan, args.units)
    with open_store_for_reading(args.db) as store:
        output = show(queries.Snapshot.take(plan, directory, store, today), store)
    print(output)
    return 0
