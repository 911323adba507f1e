"""``python -m bot remind --date D --dry-run [--json]``: preview one day's reminder digests.

Example::

    python -m bot remind --date 2023-06-30 --dry-run
    python -m bot remind --date 2023-10-07 --dry-run --json --db data/state/bot.db

The preview reads progress from the database (if it exists) so complete measures drop out, and
shows each recipient's bound chats; it sends nothing and writes nothing. Delivery is the running
bot's job (``python -m bot run``), every day at REMIND_AT.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.clock import SystemClock
from bot.commands.common import add_date_option, add_db_option, add_json_option, add_plan_option
from bot.directory import Directory
from bot.models import Plan, ProgressEntry
from bot.store import Store, StoreError
from schedules.calendar import WorkCalendar
from schedules.dispatch import chats_for
from schedules.policy import Digest, digests_for_day, is_overdue_day

log = logging.getLogger(__name__)

REASON_ZH = {
    "upcoming": "即将到期",
    "due": "到期",
    "overdue": "已逾期",
    "checkin": "进展填报",
    "window_start": "时段开始",
}
ROLE_ZH = {"lead": "牵头", "co": "协办", "leader": "领导督办"}


class InputError(Exception):
    """A plan, directory or database that cannot be used; the message says which and why."""


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


def load_plan_and_directory(plan_path: Path, units_path: Path) -> tuple[Plan, Directory]:
    try:
        plan = Plan.load(plan_path)
    except FileNotFoundError:
        raise InputError(f"plan file {plan_path} not found (make plan imports it)") from None
    except ValidationError as exc:
        raise InputError(f"plan file {plan_path} is not a valid plan: {exc.error_count()} problems") from None
    try:
        directory = Directory.load(units_path)
    except FileNotFoundError:
        raise InputError(f"unit directory {units_path} not found") from None
    except ValidationError as exc:
        raise InputError(f"unit directory {units_path} is not valid: {exc.error_count()} problems") from None
    return plan, directory


@contextmanager
def open_existing(path: Path) -> Iterator[Store | None]:
    """The database (read-only, so the running bot may hold it) if it exists, else None.

    A preview must not create an empty database.
    """
    if not path.exists():
        log.info("no database at %s: no progress and no bound chats yet", path)
        yield None
        return
    store = Store.open(path, read_only=True)
    try:
        yield store
    finally:
        store.close()


def run(args: argparse.Namespace) -> int:
    if not args.dry_run:
        print(
            "error: remind only previews (add --dry-run); the running bot (python -m bot run) "
            "delivers reminders every workday at REMIND_AT",
            file=sys.stderr,
        )
        return 2
    day = args.date or SystemClock().now().date()
    try:
        plan, directory = load_plan_and_directory(args.plan, args.units)
        calendar = WorkCalendar()
        with open_existing(args.db) as store:
            latest: Mapping[tuple[str, str], ProgressEntry] = store.latest_all() if store else {}
            digests = digests_for_day(plan, directory, latest, calendar, day)
            chats = {d.recipient.key: chats_for(store, d.recipient) if store else [] for d in digests}
            sent = {(e.chat_id, e.recipient) for e in store.sent_on(day)} if store else set()
    except (InputError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([_record(d) for d in digests], ensure_ascii=False, indent=2))
        return 0
    info = calendar.info(day)
    if not digests:
        why = "before the plan's issue date" if day < plan.issued else "nothing is due"
        if not info.workday:
            why = "not a workday"
        print(f"{day} {'工作日' if info.workday else '休息日'}: no reminders ({why})")
        return 0
    overdue = "，含逾期事项" if is_overdue_day(day, calendar) else ""
    print(f"{day} 工作日：{len(digests)} 份提醒{overdue}")
    for digest in digests:
        print()
        print(_text(digest, plan, chats[digest.recipient.key], sent))
    return 0


def _record(digest: Digest) -> dict[str, Any]:
    items = [item.model_dump(mode="json") for item in digest.items]
    return {digest.recipient.kind: digest.recipient.name, "items": items}


def _text(digest: Digest, plan: Plan, chats: list[int], sent: set[tuple[int, str]]) -> str:
    who = digest.recipient.name if digest.recipient.kind == "unit" else f"领导 {digest.recipient.name}"
    where = "、".join(
        f"{chat}{'（已发送）' if (chat, digest.recipient.key) in sent else ''}" for chat in chats
    )
    lines = [f"【{who}】→ {where or '未绑定聊天，不会发送'}"]
    for item in digest.items:
        measure = plan.measure(item.measure)
        title = measure.title if measure else ""
        due = f" 截止 {item.due}" if item.due else ""
        lines.append(f"  {REASON_ZH[item.reason]} {item.measure} {title}〔{ROLE_ZH[item.role]}〕{due}")
    return "\n".join(lines)
