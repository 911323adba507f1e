"""``python -m bench busy_group``: how long group B waits for its answer while group A is busy.

Group A's contact sends 40 ``/report``s in a row; then group B sends one. Timed: from B's message
reaching the Bot API stand-in (127.0.0.1) to the bot's answer reaching it. Telegram lets a group
have 20 messages a minute, so A's answers take over a minute; B must not wait for them.

Beside it, in the same run: a bare python-telegram-bot echo bot (default settings: one update at a
time, no rate limiter) answering the same 41 messages, the least any bot pays. ``--before`` adds
the bot as it was configured before (one update at a time, PTB's AIORateLimiter): B then waits for
A's whole minute (it takes that long to run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)

from bot import paths
from bot.app import App, build_application, polling
from bot.clock import FakeClock
from bot.config import Settings
from bot.directory import Directory
from bot.models import Plan
from bot.sandbox.botapi import BotApiServer, BotEvent
from bot.services import Services
from bot.store import Store

DAY = date(2023, 6, 27)
A_CHAT, B_CHAT = -3001, -3002
A_UNIT, B_UNIT = "区生态环境局", "区水务局"  # lead units of 2-63-1 and 3-6-4


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def echo_bot(api: BotApiServer, services: Services) -> App:
    app: App = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def our_bot(api: BotApiServer, services: Services) -> App:
    settings = Settings(_env_file=None, telegram_bot_token=SecretStr(api.token))  # type: ignore[call-arg]
    return build_application(settings, services, base_url=api.base_url, reminders=False)


def bot_before(api: BotApiServer, services: Services) -> App:
    settings = Settings(_env_file=None, telegram_bot_token=SecretStr(api.token))  # type: ignore[call-arg]
    return build_application(
        settings,
        services,
        base_url=api.base_url,
        reminders=False,
        rate_limiter=AIORateLimiter(max_retries=3),
        update_processor=SimpleUpdateProcessor(1),
    )


async def busy_group(
    plan: Plan, directory: Directory, make: Callable[[BotApiServer, Services], App], reports: int
) -> dict[str, float]:
    """A's ``reports`` then B's one; B's wait and how long A's answers took, in seconds."""
    async with BotApiServer() as api:
        with tempfile.TemporaryDirectory(prefix="bench-busy-") as folder:
            store = Store.open(Path(folder) / "bot.db")
            services = Services(plan, directory, store, FakeClock.at(DAY, time(10, 0)), admin_ids=frozenset())
            a, b = api.group(A_CHAT, "A"), api.group(B_CHAT, "B")
            store.bind_units(a.id, [A_UNIT])
            store.bind_units(b.id, [B_UNIT])
            alice, bob = api.user(701, "周主任"), api.user(702, "钱科长")
            loop = asyncio.get_running_loop()
            answered: dict[int, list[float]] = {a.id: [], b.id: []}

            def note(event: BotEvent) -> None:
                if event.kind == "sent":
                    answered[event.chat.id].append(loop.time())

            api.on_bot_message(note)
            async with polling(make(api, services)):
                began = loop.time()
                for number in range(1, reports + 1):
                    await api.user_sends(a, alice, f"/report 2-63-1 进行中 {number}%")
                b_sent = loop.time()
                await api.user_sends(b, bob, "/report 3-6-4 进行中 50%")
                await api.wait_bot_message(b, timeout=600)
                await api.wait_bot_message(a, reports, timeout=600)
            store.close()
    return {
        "b_wait_s": round(answered[b.id][0] - b_sent, 3),
        "a_done_s": round(answered[a.id][-1] - began, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench busy_group", description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=40, help="group A's reports (default: %(default)s)")
    parser.add_argument("--before", action="store_true", help="also the bot as configured before (slow)")
    parser.add_argument("--plan", type=Path, default=paths.PLAN)
    parser.add_argument("--units", type=Path, default=paths.UNITS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("--reports must be >= 1")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plan, directory = Plan.load(args.plan), Directory.load(args.units)
    runs = {"bot": our_bot, "echo": echo_bot} | ({"before": bot_before} if args.before else {})
    figures: dict[str, Any] = {"reports": args.reports}
    for name, make in runs.items():
        figures[name] = asyncio.run(busy_group(plan, directory, make, args.reports))
    figures["ratio_to_echo"] = round(figures["bot"]["b_wait_s"] / figures["echo"]["b_wait_s"], 2)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"group B's one /report after group A's {args.reports}: B's wait for its answer")
        names = {"bot": "the bot", "echo": "baseline: PTB echo bot", "before": "the bot as before"}
        for key, name in names.items():
            if key in figures:
                run = figures[key]
                wait, done = run["b_wait_s"], run["a_done_s"]
                print(f"  {name:<24} B waits {wait:7.3f} s   A's answers done after {done:7.2f} s")
        print(f"  bot / echo bot = {figures['ratio_to_echo']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
