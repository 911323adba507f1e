"""The supervision loop from the command line (issue 10): extensions, completion review, dates, units.

Examples::

    python -m bot extension request 2-63-1 --unit 区生态环境局 --to 2023-07-31 --reason 等待评审 --json
    python -m bot extension list --state pending --json
    python -m bot extension decide 1 approve --by 倪德才
    python -m bot review list --json
    python -m bot review accept 12
    python -m bot review return 12 --reason 缺少验收材料
    python -m bot setdue 2-10-1 2023-09-30 --note 完成充电桩建设
    python -m bot assign 5-1-1 区生态环境局 区水务局

Each is a thin shell over ``bot.workflow``. ``list`` reads alongside the running bot; the others
write, so like ``report`` they need the bot stopped. ``review`` needs ``COMPLETION_REVIEW=on`` in
the environment or ``.env``.

Exit codes: 0 done; 2 refused, nothing written (unknown measure, item, request or claim; a unit
not responsible; a date not after the one in force; no reason given where one is needed; a
decided request decided again; the database in use by the running bot) or unreadable input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot import texts
from bot.clock import SystemClock
from bot.commands.common import (
    CommandError,
    add_date_option,
    add_db_option,
    add_json_option,
    add_plan_option,
    completion_review_on,
    day_arg,
    load_plan_and_directory,
    open_store_for_reading,
)
from bot.commands.db import in_use_by
from bot.commands.report import describe_refusal
from bot.progress import describe_items
from bot.store import Store, StoreError, StoreLocked
from bot.supervision import EXTENSION_STATES
from bot.workflow import (
    Problem,
    WorkflowError,
    decide_extension,
    decide_review,
    extensions,
    pending_reviews,
    request_extension,
    set_due,
)
from bot.workflow import assign as assign_units

ResultT = TypeVar("ResultT")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ext = subparsers.add_parser("extension", help="extension requests (延期申请) and their decisions")
    ext_commands = ext.add_subparsers(dest="action", metavar="ACTION", required=True)
    request = ext_commands.add_parser("request", help="a unit asks to move an item's due date")
    request.add_argument("measure", help="measure id, e.g. 2-63-1")
    request.add_argument("--unit", required=True, help="the asking unit (name or alias)")
    request.add_argument("--to", required=True, type=day_arg, help="the new due date, YYYY-MM-DD")
    request.add_argument("--reason", required=True, help="why more time is needed")
    request.add_argument(
        "--item", metavar="DUE", help="the item (its due date); default: the first still open"
    )
    _common(request, json_output=True)
    request.set_defaults(func=_request)
    listing = ext_commands.add_parser("list", help="the requests and their decisions")
    listing.add_argument("--state", choices=EXTENSION_STATES, help="only requests in this state")
    add_json_option(listing)
    add_db_option(listing)
    listing.set_defaults(func=_list)
    decide = ext_commands.add_parser("decide", help="approve or reject a pending request")
    decide.add_argument("id", type=int, help="the request's number")
    decide.add_argument("decision", choices=("approve", "reject"))
    decide.add_argument("--reason", default="", help="why (asked for a rejection)")
    decide.add_argument("--by", default="", help="who decided, e.g. 倪德才")
    _common(decide, plan=False)
    decide.set_defaults(func=_decide)

    review = subparsers.add_parser("review", help="completion review (办结审核; COMPLETION_REVIEW=on)")
    review_commands = review.add_subparsers(dest="action", metavar="ACTION", required=True)
    pending = review_commands.add_parser("list", help="claims waiting for review")
    add_json_option(pending)
    add_db_option(pending)
    pending.set_defaults(func=_review_list)
    accept = review_commands.add_parser("accept", help="通过: the claim closes the item as of its date")
    accept.add_argument("id", type=int, help="the claim's record number")
    accept.add_argument("--by", default="", help="who reviewed")
    _common(accept, plan=False)
    accept.set_defaults(func=_review_decide, accept=True, reason="")
    send_back = review_commands.add_parser("return", help="退回: the item reopens; the unit is told why")
    send_back.add_argument("id", type=int, help="the claim's record number")
    send_back.add_argument("--reason", required=True, help="why it is sent back")
    send_back.add_argument("--by", default="", help="who reviewed")
    _common(send_back, plan=False)
    send_back.set_defaults(func=_review_decide, accept=False)

    setdue = subparsers.add_parser("setdue", help="give a 按时间节点完成 measure a date (it becomes an item)")
    setdue.add_argument("measure", help="measure id, e.g. 2-10-1")
    setdue.add_argument("due", type=day_arg, help="the date, YYYY-MM-DD")
    setdue.add_argument("--note", default="", help="what is due then")
    _common(setdue)
    setdue.set_defaults(func=_setdue)

    assign = subparsers.add_parser("assign", help="name the units an open group (各相关单位) stands for")
    assign.add_argument("measure", help="measure id, e.g. 5-1-1")
    assign.add_argument("names", nargs="+", metavar="UNIT", help="unit names or aliases")
    _common(assign)
    assign.set_defaults(func=_assign)


def _common(parser: argparse.ArgumentParser, *, plan: bool = True, json_output: bool = False) -> None:
    add_date_option(parser)
    add_db_option(parser)
    if plan:
        add_plan_option(parser)
    if json_output:
        add_json_option(parser)


@contextmanager
def _writing(path: Path) -> Iterator[Store]:
    """The database for writing; the running bot holds it (exit 1), like ``report``."""
    try:
        with Store.open(path) as store:
            yield store
    except StoreLocked as exc:
        raise CommandError(
            f"{in_use_by(path, exc)}, so this command cannot write to it; nothing recorded.\n"
            "Stop the bot, run this command again, then start the bot.\n"
            "机器人正在运行：请先停止机器人再执行本命令。"
        ) from None
    except StoreError as exc:
        raise CommandError(f"{exc}; nothing recorded") from None


def _act(args: argparse.Namespace, action: Callable[[Store], ResultT]) -> ResultT:
    """Run ``action`` on the writable database; a refusal or a running bot is exit 2."""
    with _writing(args.db) as store:
        try:
            return action(store)
        except WorkflowError as exc:
            raise CommandError(f"{_describe(exc)}; nothing recorded") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _request(args: argparse.Namespace) -> int:
    plan, directory = load_plan_and_directory(args.plan, args.units)
    at = SystemClock(args.date).now()
    made = _act(
        args,
        lambda store: request_extension(
            store,
            plan,
            directory,
            args.measure,
            args.unit,
            args.to,
            args.reason,
            at,
            item=args.item,
            by="cli",
        ),
    )
    if args.json:
        data = made.to_json()
        _print_json(
            {key: data[key] for key in ("id", "state", "measure", "unit", "item", "to", "reason", "from")}
        )
    else:
        print(
            f"extension request #{made.id}: {made.measure} {made.item} {made.unit} "
            f"{made.original} → {made.to} (pending)"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_store_for_reading(args.db) as store:
        found = extensions(store, args.state)
    if args.json:
        _print_json([e.to_json() for e in found])
        return 0
    for e in found:
        decided = f" by {e.decided_by or '?'} {e.decided_at:%Y-%m-%d}" if e.decided_at else ""
        print(
            f"#{e.id} {e.state}{decided}: {e.measure} {e.item} {e.unit or texts.SV_ALL_UNITS} "
            f"{e.original} → {e.to} ({e.reason})"
        )
    if not found:
        print("no extension requests")
    return 0


def _decide(args: argparse.Namespace) -> int:
    at = SystemClock(args.date).now()
    approve = args.decision == "approve"
    decided = _act(
        args, lambda store: decide_extension(store, args.id, approve, at, by=args.by, reason=args.reason)
    )
    print(
        f"extension request #{decided.id} {decided.state}: {decided.measure} {decided.item} "
        f"{decided.unit or texts.SV_ALL_UNITS} → {decided.to}"
    )
    return 0


def _review_required() -> None:
    if not completion_review_on():
        raise CommandError(
            "completion review is off; set BOT_COMPLETION_REVIEW=on in the environment or .env"
        )


def _review_list(args: argparse.Namespace) -> int:
    _review_required()
    with open_store_for_reading(args.db) as store:
        found = pending_reviews(store)
    if args.json:
        _print_json(
            [{key: r.to_json()[key] for key in ("id", "measure", "unit", "item", "claimed")} for r in found]
        )
        return 0
    for r in found:
        print(f"#{r.id}: {r.measure} {r.item or '-'} {r.unit} claimed {r.claimed}")
    if not found:
        print("no claims waiting for review")
    return 0


def _review_decide(args: argparse.Namespace) -> int:
    _review_required()
    at = SystemClock(args.date).now()
    decided = _act(
        args, lambda store: decide_review(store, args.id, args.accept, at, by=args.by, reason=args.reason)
    )
    print(f"claim #{decided.id} {decided.state}: {decided.measure} {decided.item or '-'} {decided.unit}")
    return 0


def _setdue(args: argparse.Namespace) -> int:
    plan, _ = load_plan_and_directory(args.plan, args.units)
    at = SystemClock(args.date).now()
    made = _act(
        args, lambda store: set_due(store, plan, args.measure, args.due, at, note=args.note, by="cli")
    )
    print(f"{made.measure}: item {made.due} added" + (f" ({made.note})" if made.note else ""))
    return 0


def _assign(args: argparse.Namespace) -> int:
    plan, directory = load_plan_and_directory(args.plan, args.units)
    at = SystemClock(args.date).now()
    made = _act(
        args, lambda store: assign_units(store, plan, directory, args.measure, args.names, at, by="cli")
    )
    print(f"{made.measure}: {made.group} → {', '.join(made.units)}")
    return 0


def _describe(exc: WorkflowError) -> str:
    """A refusal, for the operator (English, names as the plan writes them)."""
    problem = exc.problem
    if problem is Problem.UNKNOWN_MEASURE:
        return f"no measure {exc.measure} in the plan"
    if problem is Problem.UNIT_REFUSED and exc.refusal is not None:
        return describe_refusal(exc.refusal)
    if problem is Problem.UNKNOWN_ITEM:
        return f"{exc.measure} has no dated item {exc.item}; its items: {describe_items(exc.items)}"
    if problem is Problem.NO_OPEN_ITEM:
        return f"{exc.measure} has no open dated item for this unit"
    if problem is Problem.NOT_LATER:
        return f"the new date must be after the due date in force ({exc.due})"
    if problem is Problem.NO_REASON:
        return "a reason is needed"
    if problem is Problem.UNKNOWN_REQUEST:
        return f"no extension request #{exc.item}"
    if problem is Problem.UNKNOWN_REVIEW:
        return f"no claim #{exc.item} waiting for review"
    if problem is Problem.ALREADY_DECIDED:
        return f"#{exc.item} was already decided ({exc.state})"
    if problem is Problem.NOT_TIMED:
        return f"{exc.measure} has its own dates ({exc.state}); setdue is for 按时间节点完成 measures"
    if problem is Problem.NO_OPEN_GROUP:
        return f"{exc.measure} names no open group (各相关单位 …) to assign"
    return f"unknown units: {', '.join(exc.names) or '(none given)'}"
