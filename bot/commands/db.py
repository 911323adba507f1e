"""``python -m bot db check|backup|compact|restore``: look after the database file.

Examples::

    python -m bot db check
    python -m bot db backup backups/                # a dated copy in backups/
    python -m bot db backup /mnt/usb/bot-0703.db --db data/state/bot.db
    python -m bot db compact                        # with the bot stopped
    python -m bot db restore backups/bot-20230703.db   # with the bot stopped

``check`` and ``backup`` open the database read-only (no lock, nothing written to it), so they
work while the bot runs and see every change it has confirmed. ``compact`` rewrites the file, so
it needs the writer's lock: stop the bot first. So does ``restore``, which checks the backup, keeps
the current file aside and puts the backup in its place (``bot.backups``).

Exit status: 0 done; 1 the database is damaged (the message says where; the file is left
untouched) or a backup does not match its source; 2 the command cannot run as asked (no such
database, DEST already exists, the database is in use for ``compact``, a file that cannot be
read or written), printed as ``error: …`` by ``bot.cli``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.backups import BackupMismatch, check_copy, restore
from bot.clock import SystemClock
from bot.commands.common import EXIT_PROBLEM_FOUND, CommandError, add_db_option, add_json_option
from bot.store import Store, StoreCorrupt, StoreError, StoreLocked, StoreStats

EPILOG = (
    "exit status: 0 done; 1 the database is damaged (left untouched) or a backup does not match; "
    "2 cannot run as asked (no such database, DEST exists, in use for compact, unreadable)"
)

STAT_LABELS = {
    "progress_records": "progress records",
    "measures_reported": "measures with reports",
    "latest_pairs": "latest statuses (measure, unit)",
    "bindings": "bound chats",
    "admins": "admins",
    "invites": "invites",
    "ledger_days": "reminder ledger days",
    "ledger_entries": "reminders delivered",
    "meta_keys": "meta keys",
    "file_size": "file size (bytes)",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="check, back up or compact the database",
        description="Look after the database file. check and backup work while the bot runs; "
        "compact and restore need the bot stopped.",
        epilog="examples: python -m bot db check; python -m bot db backup backups/; "
        f"python -m bot db compact; python -m bot db restore backups/bot-20230703.db\n{EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)

    check = actions.add_parser(
        "check",
        help="read every record and document, print counts (safe while the bot runs)",
        description="Open the database read-only, read every record and document, and print what "
        "it holds. Exits 1, saying where, if anything is damaged.",
        epilog=EPILOG,
    )
    add_db_option(check)
    add_json_option(check)
    check.set_defaults(func=_check)

    backup = actions.add_parser(
        "backup",
        help="write a compact, consistent copy (safe while the bot runs)",
        description="Write a copy of the database as of now (every confirmed change) to DEST, "
        "then open the copy to make sure it matches. Safe while the bot runs.",
        epilog=EPILOG,
    )
    backup.add_argument(
        "dest", help="the copy's file, or a folder (existing, or ending in /) for a dated copy in it"
    )
    backup.add_argument("--overwrite", action="store_true", help="replace DEST if it is an existing file")
    add_db_option(backup)
    backup.set_defaults(func=_backup)

    compact = actions.add_parser(
        "compact",
        help="rewrite the file as one snapshot (stop the bot first)",
        description="Rewrite the journal as one snapshot of the current data, keeping all history. "
        "Needs the database to itself: stop the bot first.",
        epilog=EPILOG,
    )
    add_db_option(compact)
    compact.set_defaults(func=_compact)

    restore_parser = actions.add_parser(
        "restore",
        help="put a backup in place of the database, keeping the current file aside (stop the bot first)",
        description="Check BACKUP (every record and document must read), keep the current database "
        "beside it as NAME.before-restore-YYYYMMDD-HHMMSS, put the backup in its place and check "
        "the result. Needs the database to itself: stop the bot first.",
        epilog=EPILOG,
    )
    restore_parser.add_argument("backup", type=Path, help="the backup file, e.g. backups/bot-20230703.db")
    add_db_option(restore_parser)
    restore_parser.set_defaults(func=_restore)


def in_use_by(path: Path, exc: StoreLocked) -> str:
    """Who holds the writer's lock on ``path``, for an operator's message."""
    who = f"process {exc.holder}" if exc.holder else "another process"
    return f"the database {path} is in use by {who}, normally the running bot (python -m bot run)"


def _damaged(exc: StoreCorrupt) -> int:
    """Damage is what these commands look for: report it, as a finding rather than bad input."""
    print(f"error: {exc}", file=sys.stderr)
    return EXIT_PROBLEM_FOUND


def _check(args: argparse.Namespace) -> int:
    _require_file(args.db)
    try:
        with Store.open(args.db, read_only=True) as store:
            stats = store.verify()
    except StoreCorrupt as exc:
        return _damaged(exc)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    # A writer may be appending right now; bytes past the last complete record are not data yet.
    unfinished = max(_size_on_disk(args.db) - stats.file_size, 0)
    if args.json:
        print(json.dumps({"database": str(args.db), **stats.model_dump(), "unfinished_bytes": unfinished}))
        return 0
    print(f"{args.db}: OK, every record and document reads")
    print(_stats_table(stats))
    if unfinished:
        print(
            f"note: {unfinished} bytes after the last complete record: a change being written right "
            "now, or one a crash cut short (the bot sets it aside when it next opens the database)"
        )
    return 0


def _backup(args: argparse.Namespace) -> int:
    source: Path = args.db
    dest = Path(args.dest)
    # Path() drops a trailing slash, which is how an operator says "a folder" before it exists.
    if dest.is_dir() or args.dest.endswith(("/", os.sep)):
        dest = dest / f"{source.stem}-{SystemClock().now():%Y%m%d-%H%M%S}{source.suffix}"
    if dest.exists() and not args.overwrite:
        raise CommandError(f"{dest} already exists; choose another name or add --overwrite")
    _require_file(source)
    try:
        with Store.open(source, read_only=True) as store:
            store.backup(dest)
            records, latest = store.progress_count(), len(store.latest_all())
            size = check_copy(store, dest)
    except BackupMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM_FOUND
    except StoreCorrupt as exc:
        return _damaged(exc)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"backed up {source} to {dest} ({size} bytes; progress records: {records}, "
        f"latest statuses: {latest}); the copy opens and matches"
    )
    return 0


def _compact(args: argparse.Namespace) -> int:
    _require_file(args.db)
    try:
        store = Store.open(args.db)
    except StoreLocked as exc:
        raise CommandError(
            f"{in_use_by(args.db, exc)}. Compaction rewrites the whole file, so stop the bot, "
            "compact, then start it again (python -m bot db backup works while it runs).\n"
            "数据库正被使用（通常是正在运行的机器人）：请先停止机器人，再压缩数据库。"
        ) from None
    except StoreCorrupt as exc:
        return _damaged(exc)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    with store:
        before = store.file_size
        try:
            store.compact()
        except StoreError as exc:
            raise CommandError(str(exc)) from None
        after, records = store.file_size, store.progress_count()
    print(f"compacted {args.db}: {before} -> {after} bytes; all {records} progress records kept")
    return 0


def _restore(args: argparse.Namespace) -> int:
    _require_file(args.backup)
    if not args.db.parent.is_dir():
        raise CommandError(f"folder {args.db.parent} does not exist (--db {args.db})")
    try:
        restored = restore(args.backup, args.db, SystemClock().now())
    except StoreLocked as exc:
        raise CommandError(
            f"{in_use_by(args.db, exc)}. Stop the bot, restore, then start it again.\n"
            "数据库正被使用（通常是正在运行的机器人）：请先停止机器人，再恢复备份。"
        ) from None
    except BackupMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM_FOUND
    except StoreCorrupt as exc:
        print(f"error: the backup cannot be used, nothing was changed: {exc}", file=sys.stderr)
        return EXIT_PROBLEM_FOUND
    except (StoreError, OSError) as exc:
        raise CommandError(str(exc)) from None
    kept = f"; the previous file is kept as {restored.aside}" if restored.aside else ""
    print(
        f"restored {restored.backup} to {restored.db} (progress records: {restored.stats.progress_records}, "
        f"bound chats: {restored.stats.bindings}){kept}"
    )
    return 0


def _require_file(path: Path) -> None:
    """Maintenance never creates a database: a wrong --db should say so, not make an empty one."""
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise CommandError(f"{path} {what} (give the database with --db; the bot creates it on first run)")


def _size_on_disk(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _stats_table(stats: StoreStats) -> str:
    counts = stats.model_dump()
    width = max(len(label) for label in STAT_LABELS.values())
    return "\n".join(f"  {label:<{width}}  {counts[name]}" for name, label in STAT_LABELS.items())
