"""Binding chats to units and leaders: /bind, /bindleader, /unbind, /bindings, /invite, /start CODE.

Admins bind by name and create invite codes; a unit contact binds their own chat with a code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from functools import wraps
from typing import Any

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.bindings import (
    CONFIRM_PREFIX,
    Confirmation,
    UnitLookup,
    bindings_in_order,
    confirmation_data,
    looks_like_invite_code,
    lookup_leader,
    lookup_units,
    mixes_bindings,
    parse_confirmation,
    split_names,
)
from bot.clock import TZ
from bot.render import ARGUMENT_CHARS, Section, esc, joined, paginate
from bot.services import Services
from bot.store import Binding, InviteError
from handlers.chat import (
    Context,
    chat_title,
    command_argument,
    echo,
    echo_names,
    here,
    is_admin,
    reply,
    services,
)

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
LISTED_PROBLEMS = 5
"""At most this many unknown names are answered one by one; a pasted paragraph gets the first few."""
INVITE_MESSAGES = {
    "unknown": texts.BOT_INVITE_UNKNOWN,
    "used": texts.BOT_INVITE_USED,
    "expired": texts.BOT_INVITE_EXPIRED,
    "withdrawn": texts.BOT_INVITE_WITHDRAWN,
}


def admin_only(command: str) -> Callable[[Handler], Handler]:
    """The one gate for admin commands: anyone else gets the same answer for each of them, that
    the command is for admins, and what this chat is bound to (if anything)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def gated(update: Update, context: Context) -> None:
            svc = services(context)
            chat = update.effective_chat
            if not is_admin(svc, update):
                text = texts.BOT_ADMIN_ONLY.format(command=command)
                own = svc.store.binding(chat.id) if chat is not None else None
                if own is not None:
                    text += "\n" + texts.BOT_THIS_CHAT_BINDING.format(what=describe_binding(own))
                await reply(update, text)
                return
            await handler(update, context)

        return gated

    return decorate


def describe_binding(binding: Binding) -> str:
    parts = []
    if binding.units:
        parts.append(texts.BOT_BINDING_UNITS.format(units=joined(binding.units)))
    if binding.leader:
        parts.append(texts.BOT_BINDING_LEADER.format(leader=esc(binding.leader)))
    return texts.CLAUSE_SEPARATOR.join(parts) or texts.NOTHING


def lookup_problems(found: UnitLookup) -> str:
    """Why a list of unit names cannot be bound, with "did you mean" for each near miss."""
    lines = []
    for name, suggestions in found.unknown[:LISTED_PROBLEMS]:
        line = texts.BOT_UNKNOWN_UNIT.format(name=echo(name, limit=ARGUMENT_CHARS))
        if suggestions:
            line += texts.DID_YOU_MEAN.format(names=joined(suggestions))
        lines.append(line)
    for label, members in found.groups:
        if members:
            lines.append(texts.BOT_UNIT_IS_GROUP.format(name=esc(label), members=joined(members)))
        else:
            # An open group ("相关乡镇") has no members until an operator names them in units.json.
            lines.append(texts.BOT_UNIT_GROUP_EMPTY.format(name=esc(label)))
    return "\n".join(lines)


async def redeem(update: Update, context: Context, code: str) -> None:
    """Use an invite code for this chat: the code's unit is added to the chat's binding."""
    svc = services(context)
    chat = update.effective_chat
    if chat is None:
        return
    named = None if looks_like_invite_code(code) else svc.directory.resolve(code)
    if named is not None:
        # A unit's name where the code belongs ("/start 区水务局"): binding by name is for admins.
        text = texts.BOT_START_UNIT_NAME.format(unit=esc(named))
        if is_admin(svc, update):
            text += "\n" + texts.BOT_START_UNIT_NAME_ADMIN.format(unit=esc(named))
        await reply(update, text)
        return
    issued = svc.store.invite(code)
    if issued is not None and issued.created_by is not None and not svc.is_admin(issued.created_by):
        # An admin's rights end with their codes: a revoked admin's invite binds nothing.
        await reply(update, texts.BOT_INVITE_WITHDRAWN.format(code=echo(code, limit=ARGUMENT_CHARS)))
        return
    try:
        # Used and bound together, or neither: a code is never spent on a chat left unbound.
        with svc.store.transaction():
            invite = svc.store.redeem_invite(code, chat.id, svc.clock.now())
            binding = svc.store.bind_units(chat.id, [invite.unit], title=chat_title(chat))
    except InviteError as error:
        await reply(update, INVITE_MESSAGES[error.reason].format(code=echo(code, limit=ARGUMENT_CHARS)))
        return
    log.info("chat %d bound to %s with invite %s", chat.id, invite.unit, invite.code)
    await reply(update, texts.BOT_BIND_DONE.format(here=here(chat), units=joined(binding.units)))


async def bind(update: Update, context: Context) -> None:
    svc = services(context)
    chat, user = update.effective_chat, update.effective_user
    argument = command_argument(update.effective_message)
    if chat is None or not argument:
        await reply(update, texts.BOT_BIND_USAGE)
        return
    names = split_names(argument)
    admin = is_admin(svc, update)
    unknown_single = len(names) == 1 and svc.directory.resolve(names[0]) is None
    if unknown_single and (not admin or looks_like_invite_code(names[0])):
        await redeem(update, context, names[0])
        return
    if not admin:
        await reply(update, texts.BOT_BIND_NEEDS_CODE.format(unit=echo_names(names)))
        return
    found = lookup_units(svc.directory, argument)
    if not found.ok:
        leaders = [leader for name, _ in found.unknown if (leader := svc.directory.resolve_leader(name))]
        if leaders:
            await reply(update, texts.BOT_BIND_IS_LEADER.format(name=esc(leaders[0])))
            return
        await reply(update, lookup_problems(found) or texts.BOT_BIND_USAGE)
        return
    current = svc.store.binding(chat.id)
    if current is not None and current.leader and mixes_bindings(current, units=found.units):
        question = texts.BOT_BIND_CONFIRM_UNITS.format(
            here=here(chat), leader=esc(current.leader), units=joined(found.units)
        )
        await ask_to_confirm(update, svc, question, Confirmation("units", units=tuple(found.units)))
        return
    await reply(update, bind_units(svc, chat, found.units, user.id if user else None))


def bind_units(svc: Services, chat: Chat, units: Sequence[str], admin_id: int | None) -> str:
    binding = svc.store.bind_units(chat.id, units, title=chat_title(chat))
    log.info("admin %s bound chat %d to %s", admin_id or "?", chat.id, binding.units)
    return texts.BOT_BIND_DONE.format(here=here(chat), units=joined(binding.units))


async def ask_to_confirm(update: Update, svc: Services, question: str, confirmation: Confirmation) -> None:
    """Ask with two buttons: do it, or cancel (what to do travels in the button)."""
    data = confirmation_data(svc.directory, confirmation)
    if data is None:
        await reply(update, texts.BOT_CONFIRM_TOO_MANY)
        return
    yes = texts.BOT_CONFIRM_UNBIND if confirmation.action == "unbind" else texts.BOT_CONFIRM_BIND
    cancel = confirmation_data(svc.directory, Confirmation("cancel"))
    buttons = [
        [
            InlineKeyboardButton(yes, callback_data=data),
            InlineKeyboardButton(texts.BOT_CONFIRM_CANCEL, callback_data=cancel),
        ]
    ]
    await reply(update, question, reply_markup=InlineKeyboardMarkup(buttons))


async def confirmed(update: Update, context: Context) -> None:
    """A press on a confirmation: an admin's does what it says (or cancels), in place of the question."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    svc = services(context)
    if not is_admin(svc, update):
        await query.answer(texts.BOT_CONFIRM_ADMIN_ONLY, show_alert=True)
        return
    confirmation = parse_confirmation(svc.directory, query.data or "")
    if confirmation is None:
        await query.answer(texts.BOT_BUTTON_STALE, show_alert=True)
        return
    user = update.effective_user
    if confirmation.action == "units":
        text = bind_units(svc, chat, confirmation.units, user.id if user else None)
    elif confirmation.action == "leader" and confirmation.leader is not None:
        text = bind_leader_now(svc, chat, confirmation.leader)
    elif confirmation.action == "unbind":
        svc.store.unbind(chat.id)
        log.info("admin %s unbound chat %d", user.id if user else "?", chat.id)
        text = texts.BOT_UNBIND_ALL.format(here=here(chat))
    else:
        text = texts.BOT_CONFIRM_CANCELLED.format(here=here(chat))
    await query.answer()
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)


@admin_only("bindleader")
async def bind_leader(update: Update, context: Context) -> None:
    svc = services(context)
    chat = update.effective_chat
    argument = command_argument(update.effective_message)
    if chat is None or not argument:
        await reply(update, texts.BOT_BINDLEADER_USAGE)
        return
    leader, suggestions = lookup_leader(svc.directory, argument)
    if leader is None:
        unit = svc.directory.resolve(argument)
        if unit is not None:
            await reply(update, texts.BOT_BINDLEADER_IS_UNIT.format(name=esc(unit)))
            return
        text = texts.BOT_UNKNOWN_LEADER.format(name=echo(argument, limit=ARGUMENT_CHARS))
        if suggestions:
            text += texts.DID_YOU_MEAN.format(names=joined(suggestions))
        await reply(update, text)
        return
    current = svc.store.binding(chat.id)
    if current is not None and current.leader == leader:
        await reply(update, texts.BOT_BINDLEADER_SAME.format(here=here(chat), leader=esc(leader)))
        return
    if mixes_bindings(current, leader=leader) and current is not None:
        question = texts.BOT_BIND_CONFIRM_LEADER.format(
            here=here(chat), units=joined(current.units), leader=esc(leader)
        )
        await ask_to_confirm(update, svc, question, Confirmation("leader", leader=leader))
        return
    await reply(update, bind_leader_now(svc, chat, leader))


def bind_leader_now(svc: Services, chat: Chat, leader: str) -> str:
    current = svc.store.binding(chat.id)
    old = current.leader if current is not None else None
    if old == leader:
        return texts.BOT_BINDLEADER_SAME.format(here=here(chat), leader=esc(leader))
    svc.store.bind_leader(chat.id, leader, title=chat_title(chat))
    log.info("chat %d: leader %s → %s", chat.id, old, leader)
    if old is not None:
        return texts.BOT_BINDLEADER_REPLACED.format(here=here(chat), old=esc(old), leader=esc(leader))
    return texts.BOT_BINDLEADER_DONE.format(here=here(chat), leader=esc(leader))


@admin_only("unbind")
async def unbind(update: Update, context: Context) -> None:
    svc = services(context)
    chat = update.effective_chat
    if chat is None:
        return
    current = svc.store.binding(chat.id)
    if current is None:
        await reply(update, texts.BOT_UNBIND_NOTHING.format(here=here(chat)))
        return
    argument = command_argument(update.effective_message)
    if not argument:
        question = texts.BOT_UNBIND_CONFIRM.format(here=here(chat), what=describe_binding(current))
        await ask_to_confirm(update, svc, question, Confirmation("unbind"))
        return
    found = lookup_units(svc.directory, argument)
    if found.unknown or found.groups:
        await reply(update, lookup_problems(found))
        return
    missing = [unit for unit in found.units if unit not in current.units]
    if missing:
        await reply(update, texts.BOT_UNBIND_NOT_BOUND.format(here=here(chat), what=echo_names(missing)))
        return
    remaining = svc.store.unbind_units(chat.id, found.units)  # all of them, or (on a failure) none
    if remaining is None:
        await reply(update, texts.BOT_UNBIND_ALL.format(here=here(chat)))
        return
    await reply(
        update,
        texts.BOT_UNBIND_UNIT.format(
            here=here(chat), unit=joined(found.units), remaining=describe_binding(remaining)
        ),
    )


@admin_only("bindings")
async def list_bindings(update: Update, context: Context) -> None:
    """Every bound chat, by title."""
    svc = services(context)
    everything = bindings_in_order(svc.store.bindings())
    if not everything:
        await reply(update, texts.BOT_BINDINGS_NONE)
        return
    rows = [
        texts.BOT_BINDING_ROW.format(
            title=esc(binding.title or texts.BOT_BINDING_UNTITLED),
            chat_id=binding.chat_id,
            what=describe_binding(binding),
        )
        for binding in everything
    ]
    for page in paginate(texts.BOT_BINDINGS_TITLE.format(count=len(everything)), [Section("", rows)]):
        await reply(update, page)


@admin_only("invite")
async def invite(update: Update, context: Context) -> None:
    svc = services(context)
    user = update.effective_user
    argument = command_argument(update.effective_message)
    if not argument:
        await reply(update, texts.BOT_INVITE_USAGE)
        return
    found = lookup_units(svc.directory, argument)
    if not found.ok or len(found.units) != 1:
        await reply(update, lookup_problems(found) or texts.BOT_INVITE_USAGE)
        return
    created = svc.store.create_invite(found.units[0], svc.clock.now(), created_by=user.id if user else None)
    username = context.bot.username
    await reply(
        update,
        texts.BOT_INVITE_DONE.format(
            unit=esc(created.unit),
            code=esc(created.code),
            expires=created.expires_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
            private_link=esc(f"https://t.me/{username}?start={created.code}"),
            group_link=esc(f"https://t.me/{username}?startgroup={created.code}"),
        ),
    )


@admin_only("invites")
async def list_invites(update: Update, context: Context) -> None:
    """The codes that can still bind a chat (not used, withdrawn or expired), oldest first."""
    svc = services(context)
    now = svc.clock.now()
    open_invites = [found for found in svc.store.invites() if found.open_at(now)]
    if not open_invites:
        await reply(update, texts.BOT_INVITES_NONE)
        return
    rows = [
        texts.BOT_INVITES_ROW.format(
            code=esc(found.code),
            unit=esc(found.unit),
            expires=found.expires_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
            creator=found.created_by if found.created_by is not None else "?",
        )
        for found in open_invites
    ]
    title = texts.BOT_INVITES_TITLE.format(count=len(open_invites))
    for page in paginate(title, [Section("", [*rows, texts.BOT_INVITES_FOOTER])]):
        await reply(update, page)


@admin_only("uninvite")
async def withdraw_invite(update: Update, context: Context) -> None:
    svc = services(context)
    code = command_argument(update.effective_message)
    if not code:
        await reply(update, texts.BOT_UNINVITE_USAGE)
        return
    try:
        withdrawn = svc.store.withdraw_invite(code, svc.clock.now())
    except InviteError as error:
        await reply(update, INVITE_MESSAGES[error.reason].format(code=echo(code, limit=ARGUMENT_CHARS)))
        return
    log.info("invite %s for %s withdrawn", withdrawn.code, withdrawn.unit)
    await reply(update, texts.BOT_UNINVITE_DONE.format(code=esc(withdrawn.code), unit=esc(withdrawn.unit)))


async def follow_migration(update: Update, context: Context) -> None:
    """A group upgraded to a supergroup gets a new chat id; its binding moves with it."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    new_id = message.migrate_to_chat_id
    if services(context).store.move_binding(message.chat.id, new_id) is None:
        return
    log.info("chat %d became supergroup %d; binding moved", message.chat.id, new_id)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, follow_migration))
    application.add_handler(CommandHandler("bind", bind))
    application.add_handler(CommandHandler("bindleader", bind_leader))
    application.add_handler(CommandHandler("unbind", unbind))
    application.add_handler(CommandHandler("bindings", list_bindings))
    application.add_handler(CommandHandler("invite", invite))
    application.add_handler(CommandHandler("invites", list_invites))
    application.add_handler(CommandHandler("uninvite", withdraw_invite))
    application.add_handler(CallbackQueryHandler(confirmed, pattern=f"^{re.escape(CONFIRM_PREFIX)}"))
