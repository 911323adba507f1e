"""``python -m bot admin grant|revoke|list``: admins kept in the database.

``BOT_ADMIN_IDS`` in the settings names the admins that always are; these commands add or remove
admins without editing .env or restarting the bot's configuration. ``grant`` and ``revoke`` write,
so they need the bot stopped; ``list`` reads and works while it runs.

Examples::

    python -m bot admin list
    python -m bot admin grant 123456789
    python -m bot admin revoke 123456789
"""

from __future__ import annotations

import argparse

from bot.commands.common import CommandError, add_db_option, open_store_for_reading
from bot.commands.db import in_use_by
from bot.config import ConfigError, load_settings
from bot.store import Store, StoreError, StoreLocked


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "admin",
        help="grant, revoke or list admins kept in the database",
        description="BOT_ADMIN_IDS in the settings names the admins that always are; these commands add "
        "or remove admins kept in the database. grant and revoke write, so they need the bot stopped; "
        "list reads and works while it runs.",
        epilog="examples: python -m bot admin list; python -m bot admin grant 123456789",
    )
    actions = parser.add_subparsers(dest="admin_action", metavar="ACTION", required=True)
    for name, help_text in (
        ("grant", "make a Telegram user an admin (stop the bot first)"),
        ("revoke", "take admin rights kept in the database away (stop the bot first)"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("user_id", type=_user_id, help="the Telegram user id (a number)")
        add_db_option(action)
        action.set_defaults(func=_change)
    listing = actions.add_parser("list", help="admins from BOT_ADMIN_IDS and from the database")
    add_db_option(listing)
    listing.set_defaults(func=_list)


def _user_id(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"a Telegram user id is a positive number, not {text!r}")
    return int(text)


def _change(args: argparse.Namespace) -> int:
    try:
        store = Store.open(args.db)
    except StoreLocked as exc:
        raise CommandError(
            f"{in_use_by(args.db, exc)}; stop the bot, change admins, then start it again.\n"
            "数据库正被使用（通常是正在运行的机器人）：请先停止机器人。"
        ) from None
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    with store:
        was_admin = store.has_role(args.user_id)
        if args.admin_action == "grant":
            store.grant(args.user_id)
            print(f"{args.user_id} {'was already' if was_admin else 'is now'} an admin")
        else:
            store.revoke(args.user_id)
            print(
                f"{args.user_id} is no longer an admin kept in the database"
                if was_admin
                else f"{args.user_id} was not an admin kept in the database; nothing changed"
            )
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        configured = sorted(load_settings().admin_ids)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    with open_store_for_reading(args.db) as store:
        granted = store.role_holders()
    print("BOT_ADMIN_IDS: " + (", ".join(map(str, configured)) or "(none)"))
    print("granted in the database: " + (", ".join(map(str, granted)) or "(none)"))
    return 0
