"""The bot under test: the real Application, over HTTP, against the local Bot API stand-in.

``running_bot`` builds the bot exactly as ``python -m bot run`` does (bot.app.build_application),
with the real plan and directory, a real database file and a fake clock, and polls the fake
server. The helpers make tests read like a conversation: someone says something, the bot answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest

from bot import paths
from bot.app import CALENDAR_KEY, SENDER_KEY, App, build_application, polling
from bot.clock import FakeClock
from bot.config import Settings
from bot.directory import Directory
from bot.models import Plan
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser, JSONDict
from bot.services import Services
from bot.store import Store
from handlers.reminders import DigestSender
from schedules.dispatch import DispatchReport, run_reminders

ADMIN_ID = 9001

_PLAN: Plan | None = None
_DIRECTORY: Directory | None = None


def shipped_plan() -> tuple[Plan, Directory]:
    """The real plan and directory, read once per test session (they are immutable)."""
    global _PLAN, _DIRECTORY
    if _PLAN is None or _DIRECTORY is None:
        _PLAN, _DIRECTORY = Plan.load(paths.PLAN), Directory.load(paths.UNITS)
    return _PLAN, _DIRECTORY


def bot_settings(token: str, **overrides: Any) -> Settings:
    """Settings as a .env would give them, without reading the developer's own .env."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token=SecretStr(token), admin_ids=frozenset({ADMIN_ID}), **overrides
    )


@dataclass
class Bot:
    api: BotApiServer
    app: App
    services: Services
    clock: FakeClock
    admin: FakeUser

    @property
    def sender(self) -> DigestSender:
        found: DigestSender = self.app.bot_data[SENDER_KEY]
        return found

    async def says(
        self,
        chat: FakeChat,
        user: FakeUser,
        text: str | None = None,
        *,
        reply_to: int | None = None,
        **media: Any,
    ) -> list[JSONDict]:
        """``user`` posts in ``chat``; returns the bot's messages that followed, once it is idle."""
        before = len(self.api.bot_messages(chat))
        await self.api.user_sends(chat, user, text, reply_to=reply_to, **media)
        await self.api.idle(quiet=0.05)
        return self.api.bot_messages(chat)[before:]

    async def presses(
        self, chat: FakeChat, user: FakeUser, message_id: int, data: str
    ) -> tuple[JSONDict | None, list[JSONDict]]:
        """``user`` presses a button; returns the callback answer and the bot's new messages."""
        before = len(self.api.bot_messages(chat))
        query_id = await self.api.user_presses(chat, user, message_id, data)
        await self.api.idle(quiet=0.05)
        return self.api.callback_answer(query_id), self.api.bot_messages(chat)[before:]

    async def marked(self, chat: FakeChat, message_id: int, edits_before: int) -> JSONDict:
        """Wait until the bot has edited message ``message_id`` (a press marks its digest entry)
        once more than ``edits_before`` times; the message as it now stands."""
        await self.api.wait_until(lambda: self.edits(chat, message_id) > edits_before)
        await self.api.idle(quiet=0.05)
        return self.api.message(chat, message_id)

    def edits(self, chat: FakeChat, message_id: int) -> int:
        """How often the bot has edited the message so far."""
        return sum(
            1
            for event in self.api.events
            if event.kind == "edited"
            and event.chat.id == chat.id
            and event.message["message_id"] == message_id
        )

    async def tick(self) -> DispatchReport:
        """Today's reminders, now, with the same sender the daily job uses."""
        report = await run_reminders(self.services, self.app.bot_data[CALENDAR_KEY], self.sender)
        await self.api.idle(quiet=0.05)
        return report

    def bind(self, chat: FakeChat, *units: str, leader: str | None = None) -> None:
        """Set up a binding directly in the store (tests of other features start bound)."""
        if units:
            self.services.store.bind_units(chat.id, units, title=chat.title or "")
        if leader:
            self.services.store.bind_leader(chat.id, leader, title=chat.title or "")


@asynccontextmanager
async def running_bot(
    api: BotApiServer,
    db: Path,
    day: date,
    at: time = time(8, 0),
    *,
    reminders: bool = False,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    **settings: Any,
) -> AsyncIterator[Bot]:
    """The bot, polling ``api``; ``reminders`` adds the daily job (and its start-up catch-up).
    ``settings`` are Settings fields for this bot, e.g. ``backup_dir=…``."""
    plan, directory = shipped_plan()
    clock = FakeClock.at(day, at)
    store = Store.open(db)
    configured = bot_settings(api.token, **settings)
    services = Services(
        plan,
        directory,
        store,
        clock,
        admin_ids=frozenset({ADMIN_ID}),
        completion_review=configured.completion_review,
        monthly_progress=configured.monthly_progress,
    )
    app = build_application(
        configured,
        services,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=request,
        reminders=reminders,
        rate_limiter=rate_limiter,
    )
    app.bot_data[SENDER_KEY].retry_delays = (0.01, 0.02, 0.05)
    admin = api.user(ADMIN_ID, "管理员", "admin")
    try:
        async with polling(app):
            yield Bot(api, app, services, clock, admin)
    finally:
        store.close()
