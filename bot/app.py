"""The one wiring place: settings + services in, a ready python-telegram-bot Application out.

Everything the bot does is registered here or in ``handlers.register``; tests and the sandbox
build the same Application, pointed at the local Bot API stand-in through ``base_url``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from telegram import LinkPreviewOptions
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, BaseUpdateProcessor, Defaults
from telegram.request import BaseRequest

import handlers
from bot.backups import back_up_after_reminders
from bot.clock import TZ
from bot.config import Settings
from bot.services import Services
from handlers.chat import SERVICES_KEY
from handlers.concurrency import ChatOrderedUpdates, PacedRateLimiter
from handlers.help import set_commands
from handlers.progress import DIGEST_MARKS_KEY, DigestMarks
from handlers.reminders import DigestSender
from handlers.reports import BulletinSender
from schedules.calendar import WorkCalendar
from schedules.jobs import schedule_bulletin, schedule_reminders

SENDER_KEY = "digest_sender"
"""bot_data key of the DigestSender, so the sandbox's :tick and tests deliver exactly as the job does."""
CALENDAR_KEY = "work_calendar"

LOCAL_POLL_SECONDS = 1
"""getUpdates timeout of ``polling``, against the local Bot API stand-in."""

App = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    settings: Settings,
    services: Services,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    request: BaseRequest | None = None,
    reminders: bool = True,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    update_processor: BaseUpdateProcessor | None = None,
) -> App:
    """Build the bot. ``reminders=False`` leaves out the daily job (the sandbox ticks by hand);
    ``rate_limiter`` and ``update_processor`` replace the paced limiter and the per-chat ordered
    updates (tests shorten Telegram's minute per group; a benchmark compares PTB's own)."""
    token = settings.token
    if token is None:
        raise ValueError("build_application needs TELEGRAM_BOT_TOKEN (the sandbox passes its own)")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url or settings.api_base_url)
        .base_file_url(base_file_url or settings.api_base_file_url)
        # Telegram allows 30 messages a second overall and 20 a minute per group; the limiter
        # paces sends under both in every rolling second and waits out a 429 in its chat alone.
        .rate_limiter(rate_limiter or PacedRateLimiter())
        # One busy chat must not hold up the others: updates run concurrently across chats and
        # in order within each (handlers.concurrency says why that is safe for the store).
        .concurrent_updates(update_processor or ChatOrderedUpdates())
        .defaults(
            Defaults(
                tzinfo=TZ,
                allow_sending_without_reply=True,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
    )
    if request is not None:
        builder = builder.request(request)
    elif settings.proxy_url is not None:
        # Without it httpx still honours HTTPS_PROXY / ALL_PROXY from the environment.
        builder = builder.proxy(settings.proxy_url).get_updates_proxy(settings.proxy_url)
    application: App = builder.build()
    calendar = WorkCalendar()
    sender = DigestSender(application.bot, services, calendar=calendar)
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[SENDER_KEY] = sender
    application.bot_data[DIGEST_MARKS_KEY] = DigestMarks()
    application.bot_data[CALENDAR_KEY] = calendar
    handlers.register(application)
    if reminders:
        backup = (
            partial(back_up_after_reminders, services.store, settings.backup_dir, settings.backup_keep)
            if settings.backup_dir is not None
            else None
        )
        schedule_reminders(application, services, calendar, settings.remind_at, sender, after_run=backup)
        schedule_bulletin(
            application, services, calendar, settings.remind_at, BulletinSender(application.bot)
        )
    return application


async def _post_init(application: App) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    await set_commands(application, services.admin_ids)


@asynccontextmanager
async def polling(application: App) -> AsyncIterator[App]:
    """The application started and long-polling as ``run_polling`` would, inside a running event
    loop (the sandbox, tests); stopped and shut down cleanly on exit.

    The long poll is short (LOCAL_POLL_SECONDS), so stopping never waits long for an open poll.
    """
    try:
        await application.initialize()
        if application.post_init is not None:  # run_polling calls it; starting by hand, so do we
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=LOCAL_POLL_SECONDS)
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
