"""``python -m bot remind --date D --dry-run [--json]``: preview one day's reminder digests.

Example::

    python -m bot remind --date 2023-06-30 --dry-run
    python -m bot remind --date 2023-10-07 --dry-run --json --db data/state/bot.db

The preview is what the bot sends that day: the same computation as the sender
(``schedules.dispatch.plan_day``) over the database's progress and ledger, so complete items drop
out and a week whose first workday the bot missed gets its overdue list on the next run (the
catch-up). It shows each recipient's bound chats (those already sent marked); it sends nothing
and writes nothing. Delivery is the running bot's job (``python -m bot run``), every day at
BOT_REMIND_AT.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot import texts
from bot.clock import SystemClock
from bot.commands.calendar import why
from bot.commands.common import (
    CommandError,
    add_date_option,
    add_db_option,
    add_json_option,
    add_plan_option,
    load_plan_and_directory,
    monthly_progress_on,
    open_store_for_reading,
)
from bot.models import Measure, Plan
from bot.store import StoreError
from schedules.calendar import DayInfo, WorkCalendar
from schedules.dispatch import chats_for, plan_day
from schedules.policy import Digest, Reminder, dated_item

ROLES = {**texts.LV_ROLE, "leader": texts.REMIND_ROLE_LEADER}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "remind",
        help="preview a day's reminder digests (--dry-run)",
        description="Print the digests the bot would deliver on a day: per unit and leader, the "
        "measures due, upcoming, overdue or asking for a check-in. Nothing is sent.",
    )
    add_date_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="only print (required: the bot sends)")
    add_json_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.dry_run:
        raise CommandError(
            "remind only previews (add --dry-run); the running bot (python -m bot run) "
            "delivers reminders every workday at BOT_REMIND_AT"
        )
    day = args.date or SystemClock().now().date()
    plan, directory = load_plan_and_directory(args.plan, args.units)
    calendar = WorkCalendar()
    try:
        with open_store_for_reading(args.db) as store:
            digests = plan_day(
                store, plan, directory, calendar, day, monthly_progress=monthly_progress_on()
            ).digests
            chats = {d.recipient.key: chats_for(store, d.recipient) for d in digests}
            sent = {(e.chat_id, e.recipient) for e in store.sent_on(day)}
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps([digest_record(d) for d in digests], ensure_ascii=False, indent=2))
        return 0
    print(_headline(calendar.info(day), plan, digests))
    for digest in digests:
        print()
        print(_text(digest, plan, chats[digest.recipient.key], sent))
    return 0


def _headline(info: DayInfo, plan: Plan, digests: list[Digest]) -> str:
    day = info.day.isoformat()
    if not info.workday:
        return texts.REMIND_NONE_DAY_OFF.format(date=day, why=why(info))
    if info.day < plan.issued:
        return texts.REMIND_NONE_BEFORE_ISSUE.format(date=day, issued=plan.issued.isoformat())
    if not digests:
        return texts.REMIND_NONE_NOTHING_DUE.format(date=day)
    overdue = any(item.reason == "overdue" for digest in digests for item in digest.items)
    return texts.REMIND_HEADER.format(
        date=day, count=len(digests), overdue=texts.REMIND_HEADER_OVERDUE if overdue else ""
    )


def digest_record(digest: Digest) -> dict[str, Any]:
    """A digest as ``--json`` prints it: the recipient and its entries (item, kind, due …)."""
    items = [item.model_dump(mode="json") for item in digest.items]
    record: dict[str, Any] = {digest.recipient.kind: digest.recipient.name, "items": items}
    if digest.monthly:
        record["monthly"] = [{"measure": e.measure, "item": e.item} for e in digest.monthly]
    return record


def _text(digest: Digest, plan: Plan, chats: list[int], sent: set[tuple[int, str]]) -> str:
    key = digest.recipient.key
    where = texts.LIST_SEPARATOR.join(
        texts.REMIND_CHAT_SENT.format(chat=chat) if (chat, key) in sent else str(chat) for chat in chats
    )
    if digest.recipient.kind == "unit":
        header = texts.REMIND_RECIPIENT_UNIT.format(
            unit=digest.recipient.name, chats=where or texts.REMIND_NO_CHAT
        )
    else:
        header = texts.REMIND_RECIPIENT_LEADER.format(
            leader=digest.recipient.name, chats=where or texts.REMIND_NO_CHAT
        )
    lines = [header]
    for item in digest.items:
        measure = plan.measure(item.measure)
        first, *also = item.reminders()
        lines.append(
            texts.REMIND_ITEM.format(
                reason=texts.REMIND_REASONS[item.reason],
                measure=item.measure,
                title=measure.title if measure else "",
                role=plan.role_word(measure.annex, item.role)
                if measure and item.role != "leader"
                else ROLES[item.role],
                detail=_detail(first, measure),
            )
        )
        lines.extend(
            texts.REMIND_ALSO.format(
                reason=texts.REMIND_REASONS[other.reason], detail=_detail(other, measure)
            )
            for other in also
        )
    if digest.monthly:
        lines.append(
            texts.REMIND_MONTHLY.format(
                count=len(digest.monthly),
                measures=texts.LIST_SEPARATOR.join(entry.measure for entry in digest.monthly),
            )
        )
    return "\n".join(lines)


def _detail(reminder: Reminder, measure: Measure | None) -> str:
    """What a reminder is about: 节点 or 截止 and the date, as /overdue says it; a check-in's basis."""
    if reminder.due is None:
        basis = texts.LIST_SEPARATOR.join(reminder.basis)
        return texts.REMIND_ITEM_BASIS.format(basis=basis) if basis else ""
    dated = dated_item(measure, reminder.due) if measure is not None else None
    kind = reminder.kind or (dated.kind if dated is not None else "deadline")
    return texts.REMIND_ITEM_DUE.format(kind=texts.LV_ITEM_KIND[kind], due=reminder.due.isoformat())
