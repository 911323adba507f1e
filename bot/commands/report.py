"""``python -m bot report MEASURE --unit UNIT --status S``: record progress a unit gave by phone.

Example::

    python -m bot report 2-63-1 --unit 区生态环境局 --status 进行中 --percent 60 --note 评估报告初稿已完成
    python -m bot report 3-3-1 --unit 水务局 --status 已完成 --item 2023-09-30 --date 2023-09-27

``--item DUE`` names the item reported on by its due date (a milestone's or the deadline's,
``YYYY-MM-DD``; a check-in period by its id, ``2023-10``). An item the measure does not have is
refused (exit 2, nothing recorded) with the measure's items. Without ``--item`` the report is
about the measure as a whole: 已完成 closes every dated item of a dated measure; for a standing
duty it is the report of the period its day falls in.

The report goes through the same checks (``bot.progress.check_report``) and the same store API
as the bot's (source "cli"). ``--date`` sets the report's day, from the plan's issue date on;
its time of day is the current time, as with every ``--date`` of the CLI.

It prints the one-line confirmation the chat would show (plain text), with the unit's role, the
time and the record number; a long note is cut there as in the chat (it is stored whole).

With completion review on (``BOT_COMPLETION_REVIEW=on``), a 已完成 waits for review (待审核;
``python -m bot review``).

Exit codes: 0 recorded; 1 the database is in use by the running bot; 2 the report was refused
(unknown measure or unit, a unit not responsible, a contradiction) or the input is unreadable.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from bot import numerals, paths, texts
from bot.clock import TZ, SystemClock
from bot.commands.common import (
    CommandError,
    add_date_option,
    add_db_option,
    add_plan_option,
    completion_review_on,
    load_plan_and_directory,
    open_store_for_reading,
)
from bot.commands.db import in_use_by
from bot.models import Plan, Status, UnitRole
from bot.progress import (
    CHINESE_PERCENT,
    STATUS_WORDS,
    RefusalReason,
    ReportRefusal,
    check_report,
    chinese_percent,
    contradiction,
    describe_items,
    find_item,
    normalize_text,
)
from bot.render import cut, percent_suffix
from bot.store import Store, StoreError, StoreLocked
from bot.workflow import open_review, supervision


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="record a unit's progress on a measure (for units that report by phone)",
        description="Record one progress report, as the bot would: the unit must be a lead or "
        "co-operating unit of the measure.",
    )
    parser.add_argument("measure", help="measure id, e.g. 2-63-1")
    parser.add_argument("--unit", required=True, help="the reporting unit (name or alias)")
    parser.add_argument(
        "--status",
        required=True,
        type=_status,
        help="the status: 已完成, 进行中, 未开始, 受阻, or a word the chat reads as one (完成, 在办 …)",
    )
    parser.add_argument("--percent", type=_percent, help="percent done, 0-100 (60, 60%%, 百分之六十, 六成)")
    parser.add_argument("--note", default="", help="what was done or what blocks it")
    parser.add_argument(
        "--item",
        metavar="DUE",
        help="the item reported on: its due date YYYY-MM-DD (a milestone's or the deadline's), "
        "or a check-in period (2023-10); without it, the measure as a whole",
    )
    add_date_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    parser.set_defaults(func=run)


def _status(text: str) -> Status:
    """A status as the chat reads it: the four names and the words people use for them."""
    status = STATUS_WORDS.get(normalize_text(text).strip())
    if status is None:
        words = "、".join(STATUS_WORDS)
        raise argparse.ArgumentTypeError(f"not a status: {text!r} (one of {words})")
    return status


def _percent(text: str) -> int:
    typed = normalize_text(text).strip()
    found = CHINESE_PERCENT.fullmatch(typed)
    value = chinese_percent(found) if found is not None else numerals.number(typed.rstrip("%"))
    if value is None:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return value


def _names(units: tuple[str, ...]) -> str:
    return texts.LIST_SEPARATOR.join(units)


def _role_word(refusal: ReportRefusal, role: UnitRole, plan: Plan | None) -> str:
    """The measure's annex's word for the role (牵头 / 责任 in annexes 3 and 4); 主责 / 协办 without one."""
    measure = plan.measure(refusal.measure_id) if plan is not None else None
    return (
        plan.role_word(measure.annex, role)
        if plan is not None and measure is not None
        else texts.LV_ROLE[role]
    )


def describe_refusal(refusal: ReportRefusal, plan: Plan | None = None) -> str:
    """Why ``check_report`` refused, for the operator (English, names as the plan writes them)."""
    reason = refusal.reason
    if reason is RefusalReason.UNKNOWN_MEASURE:
        hint = f" (did you mean {', '.join(refusal.similar)}?)" if refusal.similar else ""
        return f"no measure {refusal.measure_id} in the plan{hint}"
    if reason is RefusalReason.UNKNOWN_UNIT:
        hint = f" (did you mean {', '.join(refusal.similar)}?)" if refusal.similar else ""
        return f"unknown unit {refusal.unit!r}{hint}"
    if reason is RefusalReason.UNIT_IS_GROUP:
        members = _names(refusal.members) or "no units yet; an operator lists them in data/units.json"
        return f"{refusal.unit} is a group ({members}); report for one unit"
    responsible = (
        _names(tuple(f"{unit}（{_role_word(refusal, role, plan)}）" for unit, role in refusal.responsible))
        or "no unit yet"
    )
    unit = _names(refusal.chat_units)
    return f"{unit} is not responsible for {refusal.measure_id}; responsible: {responsible}"


def _check_db_path(path: Path) -> None:
    """A database in a folder that does not exist is a typo, except the default one's data/state/."""
    if path != paths.DB and not path.parent.is_dir():
        raise CommandError(f"folder {path.parent} does not exist (--db {path}); nothing recorded")


def run(args: argparse.Namespace) -> int:
    status: Status = args.status
    if (problem := contradiction(status, args.percent)) is not None:
        raise CommandError(f"{problem} contradicts itself; nothing recorded")
    plan, directory = load_plan_and_directory(args.plan, args.units)
    # The machine's clock may be a day behind the operator's calendar; further ahead is a typo, and
    # a report dated in the future would stand as the latest status from its day on.
    latest_day = SystemClock().now().date() + timedelta(days=1)
    if args.date is not None and args.date > latest_day:
        raise CommandError(
            f"--date {args.date} is after today ({latest_day - timedelta(days=1)}); a report cannot be "
            "dated in the future; nothing recorded"
        )
    if args.db.exists():
        # The dates /setdue gave and the units /assign named are the plan's too.
        with open_store_for_reading(args.db) as current:
            plan = supervision(current).plan(plan)
    review = completion_review_on()
    if args.date is not None and args.date < plan.issued:
        raise CommandError(
            f"--date {args.date} is before the plan was issued ({plan.issued}); nothing recorded"
        )
    target = check_report(plan, directory, args.measure, args.unit)
    if isinstance(target, ReportRefusal):
        raise CommandError(f"{describe_refusal(target, plan)}; nothing recorded")
    item = None
    if args.item is not None:
        item = find_item(plan, target.measure, args.item)
        if item is None:
            raise CommandError(
                f"{target.measure.id} has no item {args.item}; its items: "
                f"{describe_items(plan.items(target.measure.id))}; nothing recorded"
            )
    _check_db_path(args.db)
    at = SystemClock(args.date).now()
    try:
        with Store.open(args.db) as store, store.transaction():
            entry = store.record_progress(
                target.measure.id,
                target.unit,
                status,
                at,
                percent=args.percent,
                note=args.note,
                source="cli",
                item=item.id if item is not None else None,
            )
            if review:
                open_review(store, entry)
    except StoreLocked as exc:
        raise CommandError(
            f"{in_use_by(args.db, exc)}, so this command cannot write to it; nothing recorded.\n"
            "While the bot runs, report in the unit's chat: /report MEASURE STATUS [PERCENT] [NOTE]. "
            "Or stop the bot, run this command again, then start the bot.\n"
            "机器人正在运行：请在群里发送 /report 填报进展，或先停止机器人再用本命令补录。"
        ) from None
    except StoreError as exc:
        raise CommandError(f"{exc}; nothing recorded") from None
    print(
        texts.BOT_RECORDED_CLI.format(
            measure=entry.measure,
            item=texts.ITEM_LABEL.format(kind=texts.LV_ITEM_KIND[item.kind], item=item.id) if item else "",
            unit=entry.unit,
            role=plan.role_word(target.measure.annex, target.role),
            status=entry.status,
            percent=percent_suffix(entry),
            note=texts.BOT_RECORDED_NOTE.format(note=cut(entry.note)) if entry.note else "",
            at=f"{entry.at.astimezone(TZ):%Y-%m-%d %H:%M}",
            seq=entry.seq,
        )
    )
    return 0
