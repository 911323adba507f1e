"""``python -m bot calendar --from D [--to D] [--json]``: each day's workday status and why.

Example::

    python -m bot calendar --from 2023-06-21 --to 2023-06-26
    2023-06-22 周四 休息日：端午节
    2023-06-23 周五 休息日：端午节调休
    2023-06-25 周日 工作日：端午节调休上班
"""

from __future__ import annotations

import argparse
import json

from bot import texts
from bot.commands.common import CommandError, add_json_option, day_arg
from schedules.calendar import DayInfo, WorkCalendar

# Ten years of days: a mistyped year should be an error, not millions of lines.
MAX_DAYS = 3660


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "calendar",
        help="show workdays and days off (weekends, holidays, make-up workdays)",
        description="Each day from --from to --to: 工作日 or 休息日 and why, by the official Chinese "
        "calendar (chinesecalendar); years it does not cover fall back to Monday–Friday.",
    )
    parser.add_argument("--from", dest="start", type=day_arg, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=day_arg, help="last day, YYYY-MM-DD (default: --from)")
    add_json_option(parser)
    parser.set_defaults(func=run)


def status(info: DayInfo) -> str:
    return texts.CALENDAR_WORKDAY if info.workday else texts.CALENDAR_DAY_OFF


def why(info: DayInfo) -> str:
    """Why the day is what it is (周末, 国庆节, 端午节调休 …); empty for an ordinary weekday."""
    reasons = [texts.CALENDAR_WHY[info.reason].format(holiday=info.holiday)]
    if not info.official:
        reasons.append(texts.CALENDAR_UNOFFICIAL.format(year=info.day.year))
    return "，".join(filter(None, reasons))


def describe(info: DayInfo) -> str:
    """One line per day, as an operator reads it: ``2023-10-07 周六 工作日：国庆节调休上班``."""
    reason = why(info)
    return texts.CALENDAR_LINE.format(
        date=info.day.isoformat(),
        weekday=texts.CALENDAR_WEEKDAYS[info.day.weekday()],
        status=status(info),
        why=texts.CALENDAR_LINE_WHY.format(why=reason) if reason else "",
    )


def run(args: argparse.Namespace) -> int:
    end = args.end or args.start
    if end < args.start:
        raise CommandError(f"--to {end} is before --from {args.start}")
    if (end - args.start).days >= MAX_DAYS:
        raise CommandError(f"at most {MAX_DAYS} days at a time")
    days = list(WorkCalendar().days(args.start, end))
    if args.json:
        records = [
            {
                "date": info.day.isoformat(),
                "workday": info.workday,
                "reason": info.reason,
                "holiday": info.holiday,
                "official": info.official,
            }
            for info in days
        ]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for info in days:
        print(describe(info))
    workdays = sum(info.workday for info in days)
    print(texts.CALENDAR_TOTAL.format(days=len(days), workdays=workdays, off=len(days) - workdays))
    return 0
