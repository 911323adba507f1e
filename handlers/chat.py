"""Small helpers every chat handler uses: replying in HTML, naming people and chats, command text."""

from __future__ import annotations

from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import texts
from bot.render import esc

Context = ContextTypes.DEFAULT_TYPE

ECHO_CHARS = 200
"""How much of what a user typed is echoed back: a confirmation must fit Telegram's 4096
characters whatever the note was, or the record would be stored but never confirmed."""


def echo(text: str, limit: int = ECHO_CHARS) -> str:
    """User text shown back to them: cut to ``limit`` characters (then "…") and HTML-escaped.

    Cut before escaping, so an entity such as ``&amp;`` is never split.
    """
    if len(text) > limit:
        text = text[: limit - 1] + texts.BOT_ECHO_CUT
    return esc(text)


def here(chat: Chat | None) -> str:
    """How the bot calls the chat it answers in: 本群 for a group, 本聊天 for a private chat."""
    return texts.BOT_HERE_PRIVATE if chat is not None and chat.type == Chat.PRIVATE else texts.BOT_HERE_GROUP


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
