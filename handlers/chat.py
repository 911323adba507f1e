"""Small helpers every chat handler uses: replying in HTML, naming people and chats, command text."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.render import TELEGRAM_LIMIT, telegram_length

Context = ContextTypes.DEFAULT_TYPE


def esc(value: Any) -> str:
    """HTML-escape anything shown back to users (their text, names from the plan)."""
    return html.escape(str(value), quote=False)


def joined(names: Iterable[str], limit: int | None = None) -> str:
    """Names as a Chinese list, escaped; 无 when there are none; past ``limit``, "… 等 N 个"."""
    items = [esc(name) for name in names]
    if not items:
        return texts.BOT_NOTHING
    if limit is not None and len(items) > limit:
        return texts.BOT_LIST_SEPARATOR.join(items[:limit]) + texts.BOT_AND_MORE.format(count=len(items))
    return texts.BOT_LIST_SEPARATOR.join(items)


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Answer the update's message in its chat (HTML), quoting it when it is still there."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text, parse_mode=ParseMode.HTML, do_quote=message.chat.type != Chat.PRIVATE, **kwargs
    )


def user_label(user: User | None) -> str:
    """Who did something, for confirmations and the progress log."""
    if user is None:
        return ""
    return user.full_name or (f"@{user.username}" if user.username else str(user.id))


def chat_title(chat: Chat) -> str:
    """A chat's name for the bindings list: the group title, or the person of a private chat."""
    if chat.type == Chat.PRIVATE:
        return chat.full_name or (f"@{chat.username}" if chat.username else str(chat.id))
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


def pages(title: str, blocks: Iterable[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A title and blocks (one per line group) laid out on messages within Telegram's limit.

    Every page starts with the title; a block is never split across pages.
    """
    result: list[str] = []
    current = title
    for block in blocks:
        candidate = f"{current}\n{block}"
        if telegram_length(candidate) > limit and current != title:
            result.append(current)
            candidate = f"{title}\n{block}"
        current = candidate
    result.append(current)
    return result
