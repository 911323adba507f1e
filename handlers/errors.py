"""The error handler: log the exception in full first, then tell the user briefly, in Chinese.

The user never sees a traceback, an exception text or the token; the operator's log has it all
(with the token redacted by the run command's log filter).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import texts
from handlers.chat import Context

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    where = f"update {update.update_id}" if isinstance(update, Update) else "a job or the network loop"
    log.error("error while handling %s", where, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.BOT_ERROR, show_alert=True)
        else:
            await context.bot.send_message(
                update.effective_chat.id, texts.BOT_ERROR, parse_mode=ParseMode.HTML
            )
    except TelegramError:
        log.exception("could not tell chat %d about the error", update.effective_chat.id)
