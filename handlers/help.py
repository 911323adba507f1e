"""/start and /help: what this chat can do, given what it is bound to and who is asking.

``COMMANDS`` is the bot's command list: the Telegram menu (set_my_commands), /help and the
documentation test all read it, so a command cannot be added without being documented.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.render import esc, joined
from bot.services import Services
from bot.store import Binding
from handlers.binding import redeem
from handlers.chat import Context, is_admin, reply, services

log = logging.getLogger(__name__)

Audience = Literal["everyone", "units", "bound", "leaders", "admin"]
"""Who a command is for: any chat, chats bound to units, any bound chat (or an admin), admins.

"bound" is what ``bot.queries.chat_scope`` lets see a view: a unit's chat its units, a leader's
chat that leader's measures, an admin anywhere; so /mytasks is there, not only for units.
"""

COMMANDS: dict[str, Audience] = {
    "start": "everyone",
    "help": "everyone",
    "report": "units",
    "extend": "units",
    "mytasks": "bound",
    "overdue": "bound",
    "chase": "leaders",
    "upcoming": "bound",
    "status": "bound",
    "find": "bound",
    "summary": "bound",
    "export": "bound",
    "chart": "bound",
    "bindings": "admin",
    "bind": "admin",
    "bindleader": "admin",
    "unbind": "admin",
    "invite": "admin",
    "invites": "admin",
    "uninvite": "admin",
    "setdue": "admin",
    "assign": "admin",
    "whoami": "everyone",
}


def commands_for(binding: Binding | None, is_admin: bool) -> list[str]:
    """The commands this chat can use, in menu order."""
    allowed: set[Audience] = {"everyone"}
    if binding is not None and binding.units:
        allowed.add("units")
    if is_admin or (binding is not None and (binding.units or binding.leader)):
        allowed.add("bound")
    if is_admin or (binding is not None and binding.leader):
        allowed.add("leaders")
    if is_admin:
        allowed.add("admin")
    return [name for name, audience in COMMANDS.items() if audience in allowed]


def _command_lines(names: list[str]) -> list[str]:
    return [
        texts.BOT_HELP_COMMAND.format(command=name, description=esc(texts.BOT_COMMANDS[name]))
        for name in names
    ]


def help_text(binding: Binding | None, is_admin: bool) -> str:
    lines = []
    if binding is not None and binding.units:
        lines.append(texts.BOT_HELP_UNITS.format(units=joined(binding.units)))
    if binding is not None and binding.leader:
        lines.append(texts.BOT_HELP_LEADER.format(leader=esc(binding.leader)))
    if not lines:
        lines.append(texts.BOT_HELP_UNBOUND)
    available = commands_for(binding, is_admin)
    lines += ["", texts.BOT_HELP_COMMANDS]
    lines += _command_lines([name for name in available if COMMANDS[name] != "admin"])
    if binding is not None and binding.units:
        lines += ["", texts.BOT_HELP_REPORTING]
        if len(binding.units) > 1:
            lines.append(texts.BOT_HELP_REPORTING_SEVERAL)
    if "overdue" in available:
        lines += ["", texts.BOT_HELP_LIGHTS]
    if is_admin:
        lines += ["", texts.BOT_HELP_ADMIN]
        lines += _command_lines([name for name in available if COMMANDS[name] == "admin"])
    return "\n".join(lines)


def chat_help(svc: Services, update: Update) -> str:
    chat = update.effective_chat
    binding = svc.store.binding(chat.id) if chat is not None else None
    return help_text(binding, is_admin(svc, update))


async def start(update: Update, context: Context) -> None:
    """/start, and /start CODE from an invite's deep link (private chat or a group via startgroup)."""
    if context.args:
        await redeem(update, context, context.args[0])
        return
    await reply(update, texts.BOT_WELCOME + "\n\n" + chat_help(services(context), update))


async def show_help(update: Update, context: Context) -> None:
    await reply(update, chat_help(services(context), update))


async def whoami(update: Update, context: Context) -> None:
    """/whoami: the ids an operator needs for BOT_ADMIN_IDS (and to recognise a chat in the logs)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    admin = is_admin(services(context), update)
    await reply(
        update,
        texts.BOT_WHOAMI.format(
            user_id=user.id,
            chat_id=chat.id,
            chat_kind=texts.BOT_WHOAMI_CHAT_KINDS.get(chat.type, chat.type),
            role=texts.BOT_WHOAMI_ADMIN if admin else texts.BOT_WHOAMI_NOT_ADMIN,
        ),
    )


def bot_commands(names: list[str]) -> list[BotCommand]:
    return [BotCommand(name, texts.BOT_COMMANDS[name]) for name in names]


async def set_commands(
    application: Application[Any, Any, Any, Any, Any, Any], admin_ids: frozenset[int]
) -> None:
    """The Telegram command menu: everyday commands for every chat, the admin commands too for admins."""
    everyday = [name for name, audience in COMMANDS.items() if audience != "admin"]
    await application.bot.set_my_commands(bot_commands(everyday))
    for admin_id in sorted(admin_ids):
        try:
            await application.bot.set_my_commands(
                bot_commands(list(COMMANDS)), scope=BotCommandScopeChat(admin_id)
            )
        except TelegramError as error:
            # An admin who never opened a private chat with the bot has no chat to scope to yet.
            log.info("admin %d gets the everyday menu only: %s", admin_id, error)


def registered_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> set[str]:
    """Every command some handler answers, read from the application itself."""
    found: set[str] = set()
    for group in application.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                found.update(handler.commands)
    return found


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", show_help))
    application.add_handler(CommandHandler("whoami", whoami))
