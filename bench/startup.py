"""``python -m bench startup``: how long the bot takes to start, and its memory, as history grows.

``python -m bot run`` (long polling) against the Bot API stand-in on 127.0.0.1, with a database of
0, 10k and 100k reports: seconds from starting the process to its first ``getUpdates``, and its
resident memory (RSS) then. Beside it, in the same run: a bare python-telegram-bot echo bot
started the same way. Each figure is the median of ``--rounds`` rounds, each round starting the
echo bot and then the bot on each database, so a busy moment of the machine weighs on all alike.
Goal (issue 15): at 100k reports within 2× the echo bot's start-up and RSS below 150 MB. The bot
runs on the day the stored reports lead up to (``bench overdue``'s day), as a deployment does:
today is never before a stored report.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import signal
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bench.overdue import DAY, _fill
from bot import paths
from bot.directory import Directory
from bot.models import Plan
from bot.sandbox.botapi import BotApiServer
from bot.store import Store

GOAL_RATIO = 2.0
GOAL_RSS_MB = 150.0
ECHO_BOT = """
import sys
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text(update.effective_message.text)

app = ApplicationBuilder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling()
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def first_poll(argv: list[str], env: dict[str, str], api: BotApiServer) -> dict[str, float]:
    """Start ``argv``; seconds to its first getUpdates and its RSS then; then stop it."""
    polls = api.calls["getUpdates"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=paths.ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await api.wait_until(lambda: api.calls["getUpdates"] > polls, timeout=120)
        seconds = loop.time() - began
        memory = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=60)
    return {"start_s": round(seconds, 3), "rss_mb": memory}


async def measure(databases: dict[int, Path], rounds: int, today: str) -> dict[str, Any]:
    samples: dict[str, list[dict[str, float]]] = {}
    async with BotApiServer() as api:
        base_url = f"http://{api.host}:{api.port}"
        echo = [sys.executable, "-c", ECHO_BOT, api.token, f"{base_url}/bot"]
        for _ in range(rounds):
            samples.setdefault("echo", []).append(await first_poll(echo, dict(os.environ), api))
            for records, db in databases.items():
                env = {
                    **os.environ,
                    "TELEGRAM_BOT_TOKEN": api.token,
                    "TELEGRAM_API_BASE_URL": base_url,
                    "BOT_DB_PATH": str(db),
                    "BOT_TODAY": today,
                }
                run = await first_poll([sys.executable, "-m", "bot", "run"], env, api)
                samples.setdefault(str(records), []).append(run)
    return {
        name: {figure: statistics.median(s[figure] for s in runs) for figure in ("start_s", "rss_mb")}
        for name, runs in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench startup", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records", type=int, nargs="+", default=[0, 10_000, 100_000], help="reports stored per run"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds; medians are printed (default: %(default)s)"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=DAY,
        help="the bot's day (default: %(default)s, the day the stored reports lead up to; the bot "
        "refuses a report dated after its today, so an earlier day is a store that never arises)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if any(n < 0 for n in args.records) or args.rounds < 1:
        parser.error("--records must be >= 0 and --rounds >= 1")
    # As deployed (deploy/Dockerfile): the bot's own modules compiled to bytecode beforehand, as
    # the echo bot's library is, so that neither start pays for compiling its code.
    for package in ("bot", "handlers", "schedules"):
        compileall.compile_dir(paths.ROOT / package, quiet=1)
    plan, directory = Plan.load(paths.PLAN), Directory.load(paths.UNITS)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        databases = {}
        for records in args.records:
            db = Path(folder) / f"{records}.db"
            _fill(Store.open(db), plan, directory, records)  # as bench overdue fills its store
            databases[records] = db
        figures = asyncio.run(measure(databases, args.rounds, args.today.isoformat()))
    echo = figures["echo"]
    for records in args.records:
        run = figures[str(records)]
        run["ratio_to_echo"] = round(run["start_s"] / echo["start_s"], 2)
    figures["today"] = args.today.isoformat()
    figures["goal"] = {"ratio": GOAL_RATIO, "rss_mb": GOAL_RSS_MB}
    largest = figures[str(max(args.records))]
    met = largest["ratio_to_echo"] <= GOAL_RATIO and largest["rss_mb"] < GOAL_RSS_MB
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"python -m bot run to its first getUpdates, against the Bot API stand-in "
            f"(medians of {args.rounds} rounds)"
        )
        print(f"  {'baseline: PTB echo bot':<26} {echo['start_s']:6.2f} s   {echo['rss_mb']:6.1f} MB")
        for records in args.records:
            run = figures[str(records)]
            print(
                f"  {f'bot, {records:,} reports':<26} {run['start_s']:6.2f} s   {run['rss_mb']:6.1f} MB   "
                f"{run['ratio_to_echo']:.2f}x the echo bot"
            )
        print(
            f"  goal at {max(args.records):,}: <= {GOAL_RATIO}x and < {GOAL_RSS_MB:.0f} MB: "
            + ("met" if met else "NOT met")
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
