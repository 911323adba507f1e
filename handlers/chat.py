"""Small helpers every chat handler uses: replying in HTML, naming people and chats, command text,
and who is asking (an admin?) and where (a private chat?)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ParseMode
from telegram.ext import CallbackContext, ContextTypes

from bot import texts
from bot.render import (
    ARGUMENT_CHARS,
    ARGUMENTS_LISTED,
    ECHO_CHARS,
    TELEGRAM_LIMIT,
    cut,
    esc,
    fit_message,
    joined,
)
from bot.services import Services

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)

SERVICES_KEY = "services"
"""Where the one wiring place (bot.app) puts the Services in ``bot_data``."""


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found: Services = context.application.bot_data[SERVICES_KEY]
    return found


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """User text shown back to them: cut to ``limit`` characters (then "…") and HTML-escaped.

    Cut before escaping, so an entity such as ``&amp;`` is never split.
    """
    return esc(cut(text, limit))


def echo_names(names: Iterable[str]) -> str:
    """Names a user typed, each cut to ARGUMENT_CHARS, at most ARGUMENTS_LISTED of them, escaped."""
    return joined([cut(name, ARGUMENT_CHARS) for name in names], limit=ARGUMENTS_LISTED)


def is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == Chat.PRIVATE


def is_admin(svc: Services, update: Update) -> bool:
    """Whether the person behind the update is one of the bot's admins (the one admin check)."""
    user = update.effective_user
    return svc.is_admin(user.id if user else None)


def here(chat: Chat | None) -> str:
    """How the bot calls the chat it answers in: 本群 for a group, 本聊天 for a private chat."""
    return texts.BOT_HERE_PRIVATE if is_private(chat) else texts.BOT_HERE_GROUP


async def reply(
    update: Update, text: str, *, parse_mode: str | None = ParseMode.HTML, **kwargs: Any
) -> Message | None:
    """Answer the update's message in its chat (HTML unless told otherwise), quoting it in a group."""
    message = update.effective_message
    if message is None:
        return None
    if len(text) > TELEGRAM_LIMIT:
        # Every answer's parts are bounded; this is the last guard, so a long one is cut, not lost.
        log.warning("an answer of %d characters was cut to Telegram's %d", len(text), TELEGRAM_LIMIT)
        text = fit_message(text)
    return await message.reply_text(
        text, parse_mode=parse_mode, do_quote=not is_private(message.chat), **kwargs
    )


def _person(person: User | Chat) -> str:
    """A person's name: full name, else @username, else the id."""
    return person.full_name or (f"@{person.username}" if person.username else str(person.id))


def user_label(user: User | None) -> str:
    """Who did something, for confirmations and the progress log."""
    return _person(user) if user is not None else ""


def chat_title(chat: Chat) -> str:
    """A chat's name for the bindings list: the group title, or the person of a private chat."""
    if is_private(chat):
        return _person(chat)
    return chat.title or str(chat.id)


def command_argument(message: Message | None) -> str:
    """Everything after ``/command`` (or ``/command@bot``), spacing kept; captions count too."""
    if message is None:
        return ""
    content = message.text or message.caption or ""
    parts = content.split(maxsplit=1)
    if not parts or not parts[0].startswith("/"):
        return content.strip()
    return parts[1].strip() if len(parts) > 1 else ""
