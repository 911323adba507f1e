"""Chat handlers, one module per audience or flow; ``register`` adds them all in a deliberate order."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot import texts
from handlers import binding, errors, help, leader, progress, reports, supervision
from handlers.chat import Context, reply


async def stale_button(update: Update, context: Context) -> None:
    """A button no handler recognises (forged, or from an older version): say so, never spin."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.BOT_BUTTON_STALE, show_alert=True)


async def unknown_command(update: Update, context: Context) -> None:
    await reply(update, texts.BOT_UNKNOWN_COMMAND)


async def ignore_edit(update: Update, context: Context) -> None:
    """An edited message does nothing: what it said was answered (and recorded) when it was sent.

    Recording it again would add a duplicate, and an edit of an old report would silently undo
    newer ones. To correct a report, send a new one; the history keeps both.
    """
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before every other handler: PTB's command and text handlers would otherwise take edits too.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, ignore_edit), group=-1)
    # Order matters: PTB runs the first matching handler of a group. Commands come first, so
    # "/report …" is never read as a progress reply; the catch-alls come last.
    help.register(application)
    binding.register(application)
    leader.register(application)
    reports.register(application)  # /export, /chart
    supervision.register(application)  # /extend, /setdue, /assign, decision and 催办 buttons
    progress.register(application)  # /report, digest buttons, text replies, evidence
    application.add_handler(CallbackQueryHandler(stale_button))
    # In groups other bots' commands are none of our business; in a private chat, answer.
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    application.add_error_handler(errors.on_error)
