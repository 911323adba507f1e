"""``python -m bot report MEASURE --unit UNIT --status S``: record progress a unit gave by phone.

Example::

    python -m bot report 2-63-1 --unit 区生态环境局 --status 进行中 --percent 60 --note 评估报告初稿已完成
    python -m bot report 3-3-1 --unit 水务局 --status 已完成 --date 2023-09-27

The report goes through the same store API as the bot's (source "cli"). ``--date`` sets the
report's day; its time of day is the current time, as with every ``--date`` of the CLI.
"""

from __future__ import annotations

import argparse
import difflib
import sys

from bot.assignments import unit_roles
from bot.clock import SystemClock
from bot.commands.common import add_date_option, add_db_option, add_plan_option
from bot.commands.db import in_use_by
from bot.commands.remind import InputError, load_plan_and_directory
from bot.directory import Directory
from bot.models import Measure, Plan, Status
from bot.progress import normalize
from bot.store import Store, StoreError, StoreLocked

ROLE_ZH = {"lead": "牵头", "co": "协办"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="record a unit's progress on a measure (for units that report by phone)",
        description="Record one progress report, as the bot would: the unit must be a lead or "
        "co-operating unit of the measure.",
    )
    parser.add_argument("measure", help="measure id, e.g. 2-63-1")
    parser.add_argument("--unit", required=True, help="the reporting unit (name or alias)")
    parser.add_argument("--status", required=True, choices=[s.value for s in Status], help="the status")
    parser.add_argument("--percent", type=_percent, help="percent done, 0-100")
    parser.add_argument("--note", default="", help="what was done or what blocks it")
    add_date_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    parser.set_defaults(func=run)


def _percent(text: str) -> int:
    try:
        value = int(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return value


def find_measure(plan: Plan, measure_id: str) -> Measure:
    measure_id = normalize(measure_id).strip()
    measure = plan.measure(measure_id)
    if measure is None:
        ids = [m.id for m in plan.measures]
        similar = [i for i in ids if i.startswith(measure_id + "-")]
        similar = similar or difflib.get_close_matches(measure_id, ids)
        hint = f" (did you mean {', '.join(similar[:5])}?)" if similar else ""
        raise InputError(f"no measure {measure_id} in the plan{hint}")
    return measure


def find_unit(directory: Directory, measure: Measure, name: str) -> tuple[str, str]:
    """The canonical unit and its role on the measure; refuses groups and units not responsible."""
    unit = directory.resolve(name)
    if unit is None:
        similar = directory.suggest(name)
        hint = f" (did you mean {', '.join(similar)}?)" if similar else ""
        raise InputError(f"unknown unit {name!r}{hint}")
    if directory.is_group(unit):
        members = "、".join(directory.expand(unit)) or "no units yet"
        raise InputError(f"{unit} is a group ({members}); report for one unit")
    roles = unit_roles(measure, directory)
    if unit not in roles:
        responsible = "、".join(f"{u}（{ROLE_ZH[r]}）" for u, r in roles.items()) or "no unit yet"
        raise InputError(f"{unit} is not responsible for {measure.id}; responsible: {responsible}")
    return unit, roles[unit]


def contradiction(status: Status, percent: int | None) -> str | None:
    if status is Status.DONE and percent is not None and percent != 100:
        return f"{status} with {percent}%"
    if status is Status.NOT_STARTED and percent:
        return f"{status} with {percent}%"
    return None


def run(args: argparse.Namespace) -> int:
    status = Status(args.status)
    if (problem := contradiction(status, args.percent)) is not None:
        print(f"error: {problem} contradicts itself; nothing recorded", file=sys.stderr)
        return 2
    try:
        plan, directory = load_plan_and_directory(args.plan, args.units)
        measure = find_measure(plan, args.measure)
        unit, role = find_unit(directory, measure, args.unit)
        at = SystemClock(args.date).now()
        store = Store.open(args.db)
        try:
            entry = store.record_progress(
                measure.id, unit, status, at, percent=args.percent, note=args.note, source="cli"
            )
        finally:
            store.close()
    except StoreLocked as exc:
        print(
            f"error: {in_use_by(args.db, exc)}, so this command cannot write to it; nothing recorded.\n"
            "While the bot runs, report in the unit's chat: /report MEASURE STATUS [PERCENT] [NOTE]. "
            "Or stop the bot, run this command again, then start the bot.\n"
            "机器人正在运行：请在群里发送 /report 填报进展，或先停止机器人再用本命令补录。",
            file=sys.stderr,
        )
        return 1
    except (InputError, StoreError) as exc:
        print(f"error: {exc}; nothing recorded", file=sys.stderr)
        return 1
    percent = f" {entry.percent}%" if entry.percent is not None else ""
    note = f" · {entry.note}" if entry.note else ""
    print(
        f"recorded #{entry.seq}: {entry.measure} {measure.title} · {entry.unit}（{ROLE_ZH[role]}）"
        f" {entry.status}{percent} · {entry.at:%Y-%m-%d %H:%M}{note}"
    )
    return 0
