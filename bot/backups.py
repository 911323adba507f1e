"""Backups of the database: the daily one the bot makes after its reminders, and restoring one.

A backup is a compact copy written by the store (``Store.backup``: consistent, atomic, fsynced),
then opened and compared with its source. The daily backups are named by day,
``bot-YYYYMMDD.db``; the newest ``keep`` days are kept and older ones deleted. Only files with
that name are ever deleted, so the folder may hold other things.

Restoring needs the bot stopped: it takes the writer's lock, as the bot does. The current file is
kept beside it as ``NAME.before-restore-YYYYMMDD-HHMMSS`` (a hard link, so the swap is one atomic
rename), never deleted.

No clock here: the caller passes the day (the daily job) or the moment (``db restore``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.journal import fsync_dir, writer_lock
from bot.store import Store, StoreError, StoreStats

log = logging.getLogger(__name__)

DAILY_NAME = re.compile(r"bot-(\d{8})\.db")
"""``bot-20230627.db``: the name of a daily backup, the only files rotation removes."""


class BackupMismatch(StoreError):
    """The copy opens but does not hold what its source holds."""


@dataclass(frozen=True)
class DailyBackup:
    path: Path
    size: int
    removed: list[Path]


@dataclass(frozen=True)
class Restored:
    backup: Path
    db: Path
    aside: Path | None
    stats: StoreStats


def check_copy(source: Store, copy_path: Path) -> int:
    """Open the copy and compare it with ``source``: progress records and latest statuses.

    Returns the copy's size in bytes; raises BackupMismatch when they differ (StoreCorrupt when
    the copy does not even open).
    """
    records, latest = source.progress_count(), source.latest_all()
    with Store.open(copy_path, read_only=True) as copy:
        if (copy.progress_count(), copy.latest_all()) != (records, latest):
            raise BackupMismatch(f"the copy {copy_path} does not match its source; keep the original safe")
        return copy.file_size


def daily_backup(store: Store, folder: Path, day: date, keep: int) -> DailyBackup:
    """Back ``store`` up as ``folder/bot-DAY.db`` (replacing that day's earlier one), check it, rotate."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bot-{day:%Y%m%d}.db"
    store.backup(path)
    size = check_copy(store, path)
    return DailyBackup(path, size, rotate(folder, keep))


def back_up_after_reminders(store: Store, folder: Path, keep: int, day: date) -> None:
    """The daily job's backup: logged either way; a failure never stops the bot or its reminders."""
    try:
        done = daily_backup(store, folder, day, keep)
    except (StoreError, OSError) as exc:
        log.error("daily backup to %s failed: %s", folder, exc)
        return
    removed = f"; removed {', '.join(path.name for path in done.removed)}" if done.removed else ""
    log.info("daily backup %s (%d bytes), checked%s", done.path, done.size, removed)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` daily backups in ``folder``; returns what was deleted."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    daily = sorted(path for path in folder.iterdir() if DAILY_NAME.fullmatch(path.name) and path.is_file())
    removed = daily[:-keep]
    for path in removed:
        path.unlink()
    return removed


def restore(backup: Path, db: Path, now: datetime) -> Restored:
    """Put ``backup`` in place of ``db`` (the bot stopped), keeping the current file aside.

    Raises StoreCorrupt if the backup does not read (nothing changed), StoreLocked while the bot
    or a command has ``db`` open, BackupMismatch if the restored file differs from the backup.
    """
    with Store.open(backup, read_only=True) as source:
        stats = source.verify()
    with writer_lock(db) as real:
        incoming = real.with_name(real.name + ".restoring")
        try:
            shutil.copyfile(backup, incoming)
            with open(incoming, "rb") as written:
                os.fsync(written.fileno())
        except OSError:
            incoming.unlink(missing_ok=True)
            raise
        aside = None
        if real.exists():
            aside = real.with_name(f"{real.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            try:
                os.link(real, aside)
            except OSError:  # a file system without hard links: a copy does as well
                shutil.copy2(real, aside)
        os.replace(incoming, real)
        fsync_dir(real.parent)
    with Store.open(backup, read_only=True) as source:
        check_copy(source, db)
    return Restored(backup, db, aside, stats)
