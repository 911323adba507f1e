"""``python -m bot run`` and ``python -m bot sandbox``: run the bot for real, or in the terminal sandbox.

With TELEGRAM_BOT_TOKEN set, ``run`` long-polls Telegram (or serves a webhook when BOT_WEBHOOK_URL is
set) until SIGINT or SIGTERM, then stops cleanly. Without a token it starts the sandbox, so
``make run`` on a fresh machine shows the product instead of failing; ``run --live`` (what a
service runs) never does: without a token it exits 2, so a typo in .env cannot look like success.

Start-up waits for Telegram: while it cannot be reached (no route, a proxy not up yet) the bot
retries with a growing delay, capped at a minute, one log line per attempt; a rejected token is
fatal at once.

``--db PATH`` names the database: for the bot it replaces BOT_DB_PATH; the sandbox keeps everything
in memory unless given one (so ``make run`` never writes data/state/), and then never the bot's
own database, where its made-up chats would get real reminders. ``--plan`` and ``--units`` replace
BOT_PLAN_PATH and BOT_UNITS_PATH, as in the other commands.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Iterator
from datetime import date
from itertools import chain, repeat
from pathlib import Path

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import paths
from bot.app import App, build_application
from bot.clock import SystemClock
from bot.commands.common import CommandError, add_date_option, add_plan_option, load_plan_and_directory
from bot.config import ConfigError, Settings, load_settings
from bot.services import Services
from bot.storage import collector_paused
from bot.store import Store, StoreError

log = logging.getLogger(__name__)

EXIT_BAD_TOKEN = 2
"""Telegram rejected the token: restarting cannot help (the systemd unit does not restart on 2)."""
STARTUP_FIRST_DELAY = 1.0
STARTUP_MAX_DELAY = 60.0
NO_ADMIN_WARNING = (
    "no admin configured: nobody can bind chats. Send /whoami to the bot in a private chat, put "
    "the user id it shows in BOT_ADMIN_IDS and restart (or, bot stopped: python -m bot admin grant USER_ID)"
)


class TokenRedactor(logging.Filter):
    """Replaces the bot token in every log record, tracebacks included, before any handler sees it.

    URLs of Bot API calls contain the token (``/bot<token>/sendMessage``), and network errors
    quote URLs; this keeps it out of logs whatever the library prints.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<TOKEN>"), ()
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<TOKEN>")
        return True


def protect_token(token: str) -> None:
    redactor = TokenRedactor(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # httpx logs every request URL at INFO, token and all; its warnings are still worth seeing.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the bot: long polling, a webhook when BOT_WEBHOOK_URL is set, the sandbox without a token",
        description="Run the bot with the settings from .env / the environment (see .env.example).",
    )
    add_date_option(run)
    _add_plan_options(run)
    run.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="database file (default: BOT_DB_PATH for the bot; in memory for the sandbox, without a token)",
    )
    run.add_argument(
        "--live",
        action="store_true",
        help="the real bot only, as a service runs it: without TELEGRAM_BOT_TOKEN exit 2, never the sandbox",
    )
    run.set_defaults(func=run_command)
    sandbox = subparsers.add_parser(
        "sandbox",
        help="chat with the real bot in the terminal, against a local stand-in of Telegram",
        description="Each stdin line is a message; ':help' lists the sandbox commands. "
        "Example: printf ':date 2023-07-03\\n/overdue\\n' | python -m bot sandbox",
    )
    add_date_option(sandbox)
    _add_plan_options(sandbox)
    sandbox.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="keep the sandbox's bindings and reports in this file, for the CLI to read "
        "(default: in memory; never the bot's own BOT_DB_PATH)",
    )
    sandbox.set_defaults(func=sandbox_command)


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    """--plan and --units as the other commands spell them; unset, BOT_PLAN_PATH and BOT_UNITS_PATH apply."""
    add_plan_option(parser)
    # None stands for the settings' path: the settings are read when the command runs, not here.
    # The help then names the setting (argparse has no public way to reword an option's help).
    parser.set_defaults(plan=None, units=None)
    setting_help = {
        "plan": "plan file (default: BOT_PLAN_PATH, else data/plan.json)",
        "units": "unit directory file (default: BOT_UNITS_PATH, else data/units.json)",
    }
    for action in parser._actions:
        action.help = setting_help.get(action.dest, action.help)


def _settings(args: argparse.Namespace) -> Settings:
    """The settings, with --plan and --units in place of BOT_PLAN_PATH and BOT_UNITS_PATH when given."""
    try:
        settings = load_settings()
    except ConfigError as error:
        raise CommandError(str(error)) from None
    chosen = {"plan_path": args.plan, "units_path": args.units}
    return settings.model_copy(update={name: path for name, path in chosen.items() if path is not None})


def _today(args: argparse.Namespace, settings: Settings) -> date | None:
    """The pinned day: ``--date``, else BOT_TODAY, else None (the real date)."""
    pinned: date | None = args.date or settings.bot_today
    return pinned


def run_command(args: argparse.Namespace) -> int:
    settings = _settings(args)
    pinned = _today(args, settings)
    if settings.token is None:
        if args.live:
            raise CommandError("TELEGRAM_BOT_TOKEN is not set (run --live never starts the sandbox)")
        log.info("no TELEGRAM_BOT_TOKEN: starting the sandbox")
        return _sandbox(settings, pinned, args.db)
    protect_token(settings.token)
    # What start-up builds (the plan, the store's indexes: on a large database hundreds of
    # thousands of objects, the handlers) lives as long as the bot: the cyclic collector, paused
    # meanwhile, would scan it again and again, finding nothing to free. Frozen before it is
    # turned back on, it is left out of every later collection.
    with collector_paused():
        plan, directory = load_plan_and_directory(settings.plan_path, settings.units_path)
        db_path: Path = args.db or settings.db_path
        try:
            store = Store.open(db_path)
        except (StoreError, OSError) as error:
            print(f"error: cannot open the database {db_path}: {error}", file=sys.stderr)
            return 1
        if not settings.admin_ids and not store.role_holders():
            log.warning(NO_ADMIN_WARNING)
        services = Services(
            plan,
            directory,
            store,
            SystemClock(pinned),
            admin_ids=settings.admin_ids,
            completion_review=settings.completion_review,
            monthly_progress=settings.monthly_progress,
        )
        try:
            application = build_application(settings, services)
        except BaseException:
            store.close()
            raise
        gc.freeze()
    try:
        # run_polling and run_webhook run on this loop; waiting for Telegram first on the same
        # loop keeps the connections they then reuse.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        if not loop.run_until_complete(wait_for_telegram(application)):
            loop.run_until_complete(application.shutdown())
            loop.close()
            return 0
        if settings.uses_webhook:
            log.info("serving the webhook at %s/%s", settings.webhook_url, settings.webhook_path)
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.webhook_path,
                webhook_url=f"{settings.webhook_url}/{settings.webhook_path}",
                secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            log.info("long polling Telegram%s", f" (today pinned to {pinned})" if pinned else "")
            # run_polling stops cleanly on SIGINT and SIGTERM: updates in hand are finished first.
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(
            "error: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): "
            "copy the token from @BotFather again",
            file=sys.stderr,
        )
        return EXIT_BAD_TOKEN
    except OSError as error:
        # The webhook's own server could not start: the port is taken, or the address is not ours.
        print(
            f"error: cannot listen for the webhook on {settings.webhook_listen}:{settings.webhook_port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    except TelegramError as error:
        # Telegram refused to start us (an unreachable webhook URL): PTB has logged the details;
        # the operator's last line says what failed, without the token.
        reason = str(error).replace(settings.token, "<TOKEN>")
        print(f"error: Telegram refused to start the bot: {reason}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def startup_delays() -> Iterator[float]:
    """Seconds to wait between attempts to reach Telegram: doubling from 1 s, then a minute each."""
    doubling = (STARTUP_FIRST_DELAY * 2**n for n in range(16))
    capped = (delay for delay in doubling if delay < STARTUP_MAX_DELAY)
    return chain(capped, repeat(STARTUP_MAX_DELAY))


async def wait_for_telegram(application: App) -> bool:
    """Initialize the application (PTB asks Telegram who the bot is), retrying while Telegram
    cannot be reached. True once it answered; False when SIGINT or SIGTERM came first.

    Raises InvalidToken when Telegram rejects the token: waiting cannot fix that.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    for sig in stop_signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        for attempt, delay in enumerate(startup_delays(), start=1):
            try:
                await application.initialize()
                if attempt > 1:
                    log.info("Telegram answered (attempt %d): starting", attempt)
                return True
            except InvalidToken:
                raise
            except NetworkError as error:
                # One line: the cause is all an operator can act on (a proxy, the network).
                log.warning(
                    "cannot reach Telegram (attempt %d: %s); trying again in %.0f s",
                    attempt,
                    _reason(error),
                    delay,
                )
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return False
            except TimeoutError:
                continue
        return False  # pragma: no cover (the delays never end)
    finally:
        for sig in stop_signals:
            loop.remove_signal_handler(sig)


def _reason(error: NetworkError) -> str:
    """httpx's own error (ConnectError: [Errno 111] Connection refused) rather than PTB's wrapper."""
    cause = error.__cause__
    if cause is not None:
        return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return str(error)


def sandbox_command(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return _sandbox(settings, _today(args, settings), args.db)


def _sandbox_db(settings: Settings, db: Path | None) -> Path | None:
    """The sandbox's database file, checked: never the bot's, never in a missing folder."""
    if db is None:
        return None
    if db.resolve() in {settings.db_path.resolve(), paths.DB.resolve()}:
        raise CommandError(
            f"--db {db} is the bot's own database; the sandbox would add its made-up chats to it. "
            "Rehearse on another file, e.g. --db /tmp/rehearsal.db"
        )
    if not db.parent.is_dir():
        raise CommandError(f"folder {db.parent} does not exist (--db {db})")
    return db


def _sandbox(settings: Settings, day: date | None, db: Path | None = None) -> int:
    from bot.sandbox.terminal import run_sandbox, sandbox_start
    from schedules.calendar import WorkCalendar

    db = _sandbox_db(settings, db)
    plan, directory = load_plan_and_directory(settings.plan_path, settings.units_path)
    # The transcript is the output; library chatter would bury it (use -v to see it anyway).
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger().setLevel(logging.WARNING)
    today = day or SystemClock().now().date()
    start = today if day is not None else sandbox_start(plan, WorkCalendar(), today)
    try:
        return asyncio.run(run_sandbox(settings, plan, directory, start, db=db, real_today=today))
    except StoreError as error:
        # Opened before anything runs: a locked (the bot or another sandbox has it) or damaged file.
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        return 0
