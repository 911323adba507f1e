"""``python -m bot calendar --from D [--to D] [--json]``: each day's workday status and why.

Example::

    python -m bot calendar --from 2023-06-21 --to 2023-06-26
    2023-06-22 周四 休息日  端午 假期
    2023-06-25 周日 工作日  调休上班（端午）
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.commands.common import add_json_option, day_arg
from schedules.calendar import DayInfo, WorkCalendar

# Ten years of days: a mistyped year should be an error, not millions of lines.
MAX_DAYS = 3660
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


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


def describe(info: DayInfo) -> str:
    """The day's status and its reason, as an operator reads it."""
    if info.reason == "weekday":
        why = ""
    elif info.reason == "weekend":
        why = "周末"
    elif info.reason == "holiday":
        why = f"{info.holiday} 假期"
    elif info.reason == "in_lieu":
        why = f"{info.holiday} 调休休息"
    else:
        why = f"调休上班（{info.holiday}）"
    if not info.official:
        why += f"（{info.day.year}年无官方安排，按周一至周五）"
    return f"{'工作日' if info.workday else '休息日'}  {why}".rstrip()


def run(args: argparse.Namespace) -> int:
    end = args.end or args.start
    if end < args.start:
        print(f"error: --to {end} is before --from {args.start}", file=sys.stderr)
        return 2
    if (end - args.start).days >= MAX_DAYS:
        print(f"error: at most {MAX_DAYS} days at a time", file=sys.stderr)
        return 2
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
        print(f"{info.day.isoformat()} {WEEKDAYS_ZH[info.day.weekday()]} {describe(info)}")
    workdays = sum(info.workday for info in days)
    print(f"共 {len(days)} 天：工作日 {workdays} 天，休息日 {len(days) - workdays} 天")
    return 0
