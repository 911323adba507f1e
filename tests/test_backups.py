"""Backups: the bot's daily one after its reminders (checked, rotated), and ``db restore``.

The restore tests end the way an operator's would: the bot started on the restored file serves
what the backup held.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.backups import daily_backup, rotate
from bot.clock import TZ
from bot.models import Status
from bot.sandbox.botapi import BotApiServer
from bot.store import Store
from tests.bot_harness import running_bot
from tests.cli_runner import run_main

DAY = date(2023, 6, 27)
AT = datetime.combine(DAY, time(10), tzinfo=TZ)


class Logged(logging.Handler):
    """Sets ``event`` when a record of ``logger`` is logged: the bot says when it made a backup."""

    def __init__(self, logger: str) -> None:
        super().__init__()
        self.event = asyncio.Event()
        self.messages: list[str] = []
        self.logger = logging.getLogger(logger)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.event.set()

    def __enter__(self) -> Logged:
        self.logger.addHandler(self)
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(logging.NOTSET)


def reported_store(path: Path, reports: int) -> Store:
    store = Store.open(path)
    for n in range(reports):
        store.record_progress("2-63-1", "区生态环境局", Status.IN_PROGRESS, AT, percent=n % 100)
    return store


def test_daily_backups_are_checked_named_by_day_and_rotated(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup", encoding="utf-8")
    with reported_store(tmp_path / "bot.db", 3) as store:
        for day in (date(2023, 6, 26), date(2023, 6, 27), date(2023, 6, 28), date(2023, 6, 29)):
            store.record_progress("3-6-4", "区水务局", Status.IN_PROGRESS, AT)
            done = daily_backup(store, folder, day, keep=2)
            assert done.path.name == f"bot-{day:%Y%m%d}.db"
        # The same day again replaces that day's backup.
        again = daily_backup(store, folder, date(2023, 6, 29), keep=2)
        assert again.removed == []
    assert sorted(path.name for path in folder.iterdir()) == [
        "bot-20230628.db",
        "bot-20230629.db",
        "notes.txt",
    ]
    with Store.open(folder / "bot-20230629.db", read_only=True) as newest:
        assert newest.progress_count() == 3 + 4
    with Store.open(folder / "bot-20230628.db", read_only=True) as older:
        assert older.progress_count() == 3 + 3
    with pytest.raises(ValueError, match="at least one"):
        rotate(folder, 0)


async def test_the_bot_backs_up_after_the_days_reminders(fake_api: BotApiServer, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    backup = folder / f"bot-{DAY:%Y%m%d}.db"
    group = fake_api.group(-300, "区水务局工作群")
    with Store.open(tmp_path / "bot.db") as store:
        store.bind_units(group.id, ["区水务局"], title="区水务局工作群")
    # 10:00, after BOT_REMIND_AT: the start-up catch-up sends the day's reminders, then backs up.
    with Logged("bot.backups") as logged:
        async with running_bot(
            fake_api, tmp_path / "bot.db", DAY, time(10), reminders=True, backup_dir=folder, backup_keep=3
        ):
            await asyncio.wait_for(logged.event.wait(), timeout=30)
            assert fake_api.bot_messages(group), "the reminders went out first"
    assert logged.messages[0].startswith(f"daily backup {backup} ")
    with Store.open(backup, read_only=True) as copy:
        assert copy.binding(group.id) is not None
        assert copy.verify().ledger_entries > 0, "the backup holds the day's deliveries"


async def test_a_restored_backup_is_what_the_bot_serves(
    fake_api: BotApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "state" / "bot.db"
    db.parent.mkdir()
    backup = tmp_path / "backups" / "bot-20230627.db"
    async with running_bot(fake_api, db, DAY) as bot:
        group = fake_api.group(-301, "区水务局工作群")
        await bot.says(group, bot.admin, "/bind 区水务局")
        # While the bot runs: a backup works, a restore is refused and changes nothing.
        assert run_main(capsys, "db", "backup", str(backup), "--db", str(db))[0] == 0
        code, _, err = run_main(capsys, "db", "restore", str(backup), "--db", str(db))
        assert code == 2 and "stop the bot" in err.lower()
        assert sorted(path.name for path in db.parent.iterdir()) == ["bot.db", "bot.db.lock"]
        [question] = await bot.says(group, bot.admin, "/unbind")  # everything: confirmed with a button
        confirm, _ = question["reply_markup"]["inline_keyboard"][0]
        await bot.presses(group, bot.admin, question["message_id"], confirm["callback_data"])
        assert bot.services.store.binding(group.id) is None

    code, out, _ = run_main(capsys, "db", "restore", str(backup), "--db", str(db))
    assert code == 0, out
    [aside] = [path for path in db.parent.iterdir() if ".before-restore-" in path.name]
    assert f"the previous file is kept as {aside}" in out
    with Store.open(aside, read_only=True) as previous:
        assert previous.binding(group.id) is None, "the file set aside is the one before the restore"

    async with running_bot(fake_api, db, DAY) as bot:
        answer = "\n".join(m["text"] for m in await bot.says(group, bot.admin, "/help"))
        assert "本聊天绑定的单位：区水务局" in answer


def test_a_damaged_backup_is_refused_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    reported_store(db, 2).close()
    before = db.read_bytes()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(before[: len(before) // 2] + b"garbage\n" + before[len(before) // 2 :])
    code, _, err = run_main(capsys, "db", "restore", str(damaged), "--db", str(db))
    assert code == 1 and "the backup cannot be used, nothing was changed" in err
    assert db.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bot.db", "bot.db.lock", "damaged.db"]
