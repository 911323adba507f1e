"""``python -m bench fanout``: a busy day's reminders to every bound chat, at Telegram's pace.

2023-12-01 with every unit and every leader bound to a chat of its own: the daily dispatcher
sends each digest through the bot's real rate limiter to the Bot API stand-in on 127.0.0.1,
which timestamps every message it accepts. Printed per run: messages, chats, wall time, mean
rate, the most messages in any rolling second (the peak), and both as ratios to Telegram's
30 msg/s.

Three runs, in the same process: the bot as configured (the paced limiter), the same with a
share of sendMessage calls answered 429 (``--share``, retry_after 1 s), and the baseline,
PTB's stock ``AIORateLimiter()`` the bot used before. Every run must deliver exactly the
messages of the clean run, chat by chat: lost and duplicated are counted against it.
Goal: peak <= 30 and mean >= 27 msg/s, 0 lost, 0 duplicated, with and without the 429s.
A message answered 429 was not delivered, so the limiter gives its slot to the next one and the
peak counts delivered messages only; ``requests_per_s`` (messages and 429s) is the rate of
requests Telegram saw. ``--scale N`` binds N chats to every unit and leader: a fan-out N times as
long, over which the last chat's retry_after weighs less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot import paths
from bot.app import SENDER_KEY, build_application
from bot.clock import FakeClock
from bot.config import Settings
from bot.directory import Directory
from bot.models import Plan
from bot.sandbox.botapi import BotApiServer
from bot.services import Services
from bot.store import Store
from handlers.concurrency import PacedRateLimiter
from schedules.calendar import WorkCalendar
from schedules.dispatch import run_reminders

DAY = date(2023, 12, 1)
TELEGRAM_RATE = 30.0
GOAL_MEAN = 27.0
UNIT_CHATS = -1_001_000_000
LEADER_CHATS = -1_002_000_000
CHAT_SPACING = 10_000
"""Between the ids of one unit's chats under ``--scale``."""

T = TypeVar("T")


class StandIn:
    """The Bot API stand-in on a thread and event loop of its own, as Telegram is on a machine of
    its own: it timestamps a message when it arrives, not when the bot's busy loop gets round to
    it (sharing the bot's loop, a blocked loop would bunch its timestamps)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bot-api-stand-in", daemon=True)

    def __enter__(self) -> BotApiServer:
        self._thread.start()
        self.api = self.call(BotApiServer)
        asyncio.run_coroutine_threadsafe(self.api.start(), self._loop).result()
        return self.api

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def call(self, work: Callable[[], T]) -> T:
        """``work()`` on the stand-in's loop (its state belongs there); its result."""

        async def run() -> T:
            return work()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()


def fan_out(
    plan: Plan,
    directory: Directory,
    limiter: Callable[[], BaseRateLimiter[Any]],
    *,
    share_429: float = 0.0,
    seed: int = 2023,
    scale: int = 1,
) -> dict[str, Any]:
    """One day's dispatch to every unit's and leader's chat (``scale`` chats each); the figures
    and what each chat got."""
    stand_in = StandIn()
    with stand_in as api, tempfile.TemporaryDirectory(prefix="bench-fanout-") as folder:

        def open_chats() -> list[tuple[int, str, str]]:
            chats = [
                (UNIT_CHATS - n - copy * CHAT_SPACING, f"{u.name}工作群{copy or ''}", u.name)
                for copy in range(scale)
                for n, u in enumerate(directory.units)
            ]
            chats += [
                (LEADER_CHATS - n - copy * CHAT_SPACING, f"{name}督办群{copy or ''}", name)
                for copy in range(scale)
                for n, name in enumerate(directory.leaders)
            ]
            for chat_id, title, _ in chats:
                api.group(chat_id, title)
            if share_429:
                api.inject_share("sendMessage", "429", share_429, seed=seed, retry_after=1)
            return chats

        store = Store.open(Path(folder) / "bot.db")
        for chat_id, title, name in stand_in.call(open_chats):
            if chat_id > LEADER_CHATS:
                store.bind_units(chat_id, [name], title=title)
            else:
                store.bind_leader(chat_id, name, title=title)
        services = Services(plan, directory, store, FakeClock.at(DAY, time(9, 0)), admin_ids=frozenset())
        settings = Settings(_env_file=None, telegram_bot_token=SecretStr(api.token))  # type: ignore[call-arg]

        async def dispatch() -> tuple[float, int]:
            app = build_application(
                settings,
                services,
                base_url=api.base_url,
                base_file_url=api.base_file_url,
                reminders=False,
                rate_limiter=limiter(),
            )
            loop = asyncio.get_running_loop()
            async with app:
                began = loop.time()
                report = await run_reminders(services, WorkCalendar(), app.bot_data[SENDER_KEY])
                return loop.time() - began, len(report.failed)

        wall, failed = asyncio.run(dispatch())
        store.close()
        delivered, peak, answered_429 = stand_in.call(
            lambda: (
                Counter((e.chat.id, e.message.get("text")) for e in api.events if e.kind == "sent"),
                api.max_rate(1.0),
                api.injected[("sendMessage", "429")],
            )
        )
    messages = sum(delivered.values())
    return {
        "messages": messages,
        "chats": len({chat for chat, _ in delivered}),
        "wall_s": round(wall, 3),
        "mean_per_s": round(messages / wall, 2) if wall else 0.0,
        "peak_per_s": peak,
        "answered_429": answered_429,
        "requests_per_s": round((messages + answered_429) / wall, 2) if wall else 0.0,
        "failed_chats": failed,
        "delivered": delivered,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--share", type=float, default=0.1, help="share of sendMessage answered 429 (default: %(default)s)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the AIORateLimiter run")
    parser.add_argument("--plan", type=Path, default=paths.PLAN)
    parser.add_argument("--units", type=Path, default=paths.UNITS)
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="bind this many chats to every unit and leader: a longer fan-out (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be 1 or more")
    if not 0 <= args.share < 1:
        parser.error("--share must be within 0..1")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plan, directory = Plan.load(args.plan), Directory.load(args.units)
    runs: dict[str, dict[str, Any]] = {}
    runs["paced"] = fan_out(plan, directory, PacedRateLimiter, scale=args.scale)
    runs["paced_429"] = fan_out(plan, directory, PacedRateLimiter, share_429=args.share, scale=args.scale)
    if not args.no_baseline:
        runs["aiolimiter"] = fan_out(plan, directory, AIORateLimiter, scale=args.scale)
    expected = runs["paced"]["delivered"]
    figures: dict[str, Any] = {
        "day": DAY.isoformat(),
        "share_429": args.share,
        "scale": args.scale,
        "telegram_rate": TELEGRAM_RATE,
    }
    for name, run in runs.items():
        got = run.pop("delivered")
        run["lost"] = sum((expected - got).values())
        run["duplicated"] = sum((got - expected).values())
        run["mean_ratio"] = round(run["mean_per_s"] / TELEGRAM_RATE, 3)
        run["peak_ratio"] = round(run["peak_per_s"] / TELEGRAM_RATE, 3)
        figures[name] = run
    met = all(
        figures[name]["peak_per_s"] <= TELEGRAM_RATE
        and figures[name]["mean_per_s"] >= GOAL_MEAN
        and figures[name]["lost"] == figures[name]["duplicated"] == 0
        for name in ("paced", "paced_429")
    )
    figures["goal_met"] = met
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _print(figures)
    return 0 if met else 1


def _print(f: dict[str, Any]) -> None:
    print(f"reminders of {f['day']} to every bound unit and leader chat, against the Bot API stand-in")
    names = {
        "paced": "paced limiter",
        "paced_429": f"paced, {f['share_429']:.0%} answered 429",
        "aiolimiter": "baseline: AIORateLimiter()",
    }
    for key, name in names.items():
        if key not in f:
            continue
        r = f[key]
        print(
            f"  {name:<28} {r['messages']:4d} msgs to {r['chats']:3d} chats in {r['wall_s']:6.2f} s   "
            f"mean {r['mean_per_s']:5.1f}/s ({r['mean_ratio']:.2f}x 30)   "
            f"peak {r['peak_per_s']:3d} in 1 s ({r['peak_ratio']:.2f}x 30)   "
            f"429s {r['answered_429']:3d} ({r['requests_per_s']:4.1f} requests/s)   "
            f"lost {r['lost']}   duplicated {r['duplicated']}"
        )
    print(
        f"  goal: peak <= 30 and mean >= {GOAL_MEAN:.0f}/s, nothing lost or duplicated: "
        + ("met" if f["goal_met"] else "NOT met")
    )


if __name__ == "__main__":
    raise SystemExit(main())
