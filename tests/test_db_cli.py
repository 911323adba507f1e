"""``python -m bot db check|backup|compact``, and the read-only commands while the bot holds the database.

Real files in ``tmp_path`` and the real CLI: ``bot.cli.main`` in this process, or ``python -m bot``
in a subprocess while this process holds the writer's lock, as the running bot would.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.commands.db import STAT_LABELS
from bot.models import Status
from bot.store import Store, StoreStats
from tests.cli_runner import data_options, run_main, run_python_m_bot
from tests.leader_views_data import report

DAY = "2023-07-03"


def check_json(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, Any]:
    code, out, err = run_main(capsys, "db", "check", "--db", str(db), "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


# --- read-only commands while the bot holds the database -------------------------------------------


def test_overdue_works_while_another_process_holds_the_writer_lock(small_files: dict[str, Path]) -> None:
    with Store.open(small_files["db"]) as bot:
        report(bot, "2-1-1", "区水务局", Status.IN_PROGRESS, date(2023, 7, 1), percent=80, note="收尾")
        done = run_python_m_bot("overdue", "--date", DAY, "--json", *data_options(small_files))
        assert done.returncode == 0, done.stderr
        water = {group["unit"]: group for group in json.loads(done.stdout)}["区水务局"]["items"]
        assert [(i["measure"], i["percent"], i["updated"]) for i in water] == [("2-1-1", 80, "2023-07-01")]
        # The bot goes on writing after the command has read.
        report(bot, "2-1-1", "区水务局", Status.DONE, date(2023, 7, 3))
    with Store.open(small_files["db"]) as store:
        assert store.latest("2-1-1", "区水务局").status is Status.DONE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "argv",
    [
        ("status", "2-1-1", "--date", DAY, "--json"),
        ("summary", "--date", DAY, "--json"),
        ("upcoming", "--date", "2023-06-20", "--json"),
        ("mytasks", "--unit", "区水务局", "--date", DAY, "--json"),
        ("remind", "--date", "2023-06-30", "--dry-run", "--json"),
    ],
    ids=lambda argv: argv[0],
)
def test_read_only_commands_work_while_the_bot_runs(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    with Store.open(small_files["db"]) as bot:
        bot.set_meta("bot", "running")
        code, out, err = run_main(capsys, *argv, *data_options(small_files))
        assert code == 0, err
        assert json.loads(out)
        assert "already open" not in err
        bot.set_meta("bot", "still writing")


def test_report_while_the_bot_runs_says_to_use_the_bot(small_files: dict[str, Path]) -> None:
    with Store.open(small_files["db"]) as bot:
        done = run_python_m_bot(
            "report", "2-1-1", "--unit", "区水务局", "--status", "已完成", *data_options(small_files)
        )
        assert done.returncode == 2
        assert "in use by process" in done.stderr and "running bot" in done.stderr
        assert "/report" in done.stderr and "stop the bot" in done.stderr
        assert "nothing recorded" in done.stderr
        assert bot.progress_count() == 3
    done = run_python_m_bot(
        "report", "2-1-1", "--unit", "区水务局", "--status", "已完成", *data_options(small_files)
    )
    assert done.returncode == 0, done.stderr
    with Store.open(small_files["db"]) as store:
        assert store.latest("2-1-1", "区水务局").status is Status.DONE  # type: ignore[union-attr]


# --- db check ------------------------------------------------------------------------------------------


def test_check_counts_what_the_database_holds(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = check_json(capsys, small_files["db"])
    assert data["database"] == str(small_files["db"])
    assert (data["progress_records"], data["latest_pairs"], data["bindings"]) == (3, 3, 1)
    assert (data["ledger_days"], data["ledger_entries"], data["unfinished_bytes"]) == (0, 0, 0)
    assert data["file_size"] == small_files["db"].stat().st_size
    code, out, _ = run_main(capsys, "db", "check", "--db", str(small_files["db"]))
    assert code == 0 and "OK" in out
    assert re.search(r"progress records\s+3\n", out)
    assert re.search(r"bound chats\s+1\n", out)


def test_every_count_has_a_label() -> None:
    assert set(STAT_LABELS) == set(StoreStats.model_fields)


def test_check_while_the_bot_runs_sees_what_it_confirmed(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(small_files["db"]) as bot:
        bot.mark_sent(date(2023, 7, 3), -100, "unit:区水务局", bot.latest_all()[("2-1-1", "宋庄镇")].at)
        report(bot, "2-1-1", "宋庄镇", Status.IN_PROGRESS, date(2023, 7, 3))
        data = check_json(capsys, small_files["db"])
    assert (data["progress_records"], data["ledger_days"], data["ledger_entries"]) == (4, 1, 1)


def test_check_reports_a_half_written_last_record_and_leaves_it(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    tail = b'0badc0de [["put","meta"'
    with small_files["db"].open("ab") as handle:
        handle.write(tail)
    before = small_files["db"].read_bytes()
    code, out, err = run_main(capsys, "db", "check", "--db", str(small_files["db"]))
    assert code == 0, err
    assert "OK" in out and f"{len(tail)} bytes after the last complete record" in out
    assert small_files["db"].read_bytes() == before
    assert not list(small_files["db"].parent.glob("*.torn-*"))


def test_check_of_a_damaged_database_fails_and_says_where(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = small_files["db"].read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"2-1-1", b"2-1-9")  # the checksum no longer matches
    damaged = b"\n".join(lines)
    small_files["db"].write_bytes(damaged)
    code, out, err = run_main(capsys, "db", "check", "--db", str(small_files["db"]))
    assert code == 1 and out == ""
    assert "damaged at line 3" in err and "left untouched" in err
    assert small_files["db"].read_bytes() == damaged


def test_check_of_a_missing_database_fails_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "db", "check", "--db", str(tmp_path / "state" / "bot.db"))
    assert code == 2 and err.startswith("error: ") and "does not exist" in err  # bad input, not damage
    assert list(tmp_path.iterdir()) == []


def test_backup_of_a_damaged_database_is_a_finding_not_a_copy(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = small_files["db"].read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"2-1-1", b"2-1-9")  # the checksum no longer matches
    small_files["db"].write_bytes(b"\n".join(lines))
    dest = tmp_path / "copy.db"
    code, out, err = run_main(capsys, "db", "backup", str(dest), "--db", str(small_files["db"]))
    assert (code, out) == (1, "") and err.startswith("error: ") and "damaged" in err
    assert not dest.exists()


@pytest.mark.parametrize("action", ["check", "backup", "compact"])
def test_every_action_documents_its_exit_status(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["db", action, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0 done; 1 the database is damaged" in out and "2 cannot run as asked" in out


def test_db_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["db"])
    assert raised.value.code == 2
    assert "ACTION" in capsys.readouterr().err


# --- db backup -----------------------------------------------------------------------------------------


def test_backup_while_the_bot_runs_is_a_working_copy(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dest = tmp_path / "backups" / "copy.db"
    with Store.open(small_files["db"]) as bot:
        code, out, err = run_main(capsys, "db", "backup", str(dest), "--db", str(small_files["db"]))
        assert code == 0, err
        assert "progress records: 3" in out and "matches" in out
        report(bot, "2-1-1", "区水务局", Status.DONE, date(2023, 7, 3))
    with Store.open(dest) as copy:
        assert copy.progress_count() == 3
        assert [e.note for e in copy.history("2-1-1")] == ["施工中", "资金未到位"]
        assert copy.binding(-100) is not None and copy.binding(-100).title == "水务局群"  # type: ignore[union-attr]
        copy.record_progress("1-1-1", "区生态环境局", Status.DONE, copy.history("2-1-1")[0].at)
    with Store.open(small_files["db"], read_only=True) as original:
        assert original.progress_count() == 4


def test_backup_into_a_folder_writes_a_dated_copy(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    # An existing folder as it is; a folder not yet made, by its trailing slash.
    for folder, spelled in ((existing, str(existing)), (tmp_path / "new", f"{tmp_path / 'new'}/")):
        code, _, err = run_main(capsys, "db", "backup", spelled, "--db", str(small_files["db"]))
        assert code == 0, err
        [copy] = folder.iterdir()
        assert re.fullmatch(r"bot-\d{8}-\d{6}\.db", copy.name)
        with Store.open(copy, read_only=True) as store:
            assert store.progress_count() == 3


def test_backup_never_replaces_a_file_unasked(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dest = tmp_path / "precious.txt"
    dest.write_text("不要覆盖", encoding="utf-8")
    code, _, err = run_main(capsys, "db", "backup", str(dest), "--db", str(small_files["db"]))
    assert code == 2 and "already exists" in err and "--overwrite" in err
    assert dest.read_text(encoding="utf-8") == "不要覆盖"
    code, _, err = run_main(capsys, "db", "backup", str(dest), "--overwrite", "--db", str(small_files["db"]))
    assert code == 0, err
    with Store.open(dest, read_only=True) as store:
        assert store.progress_count() == 3


@pytest.mark.parametrize("own", ["bot.db", "bot.db.lock", "bot.db.tmp"])
def test_backup_onto_the_database_or_its_own_files_is_refused(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], own: str
) -> None:
    before = {path.name: path.read_bytes() for path in small_files["db"].parent.iterdir()}
    dest = small_files["db"].parent / own
    code, _, err = run_main(capsys, "db", "backup", str(dest), "--overwrite", "--db", str(small_files["db"]))
    assert code == 2 and "is the database itself or one of its own files" in err
    assert {path.name: path.read_bytes() for path in small_files["db"].parent.iterdir()} == before


# --- db compact ----------------------------------------------------------------------------------------


def test_compact_shrinks_the_file_and_keeps_everything(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(small_files["db"]) as store:
        for i in range(50):
            store.set_meta("reminders_ran", f"2023-07-{i % 28 + 1:02d}")
        store.set_meta("reminders_ran", "2023-07-03")
    before = check_json(capsys, small_files["db"])
    code, out, err = run_main(capsys, "db", "compact", "--db", str(small_files["db"]))
    assert code == 0, err
    assert "all 3 progress records kept" in out
    after = check_json(capsys, small_files["db"])
    assert after["file_size"] < before["file_size"] / 2
    assert {k: v for k, v in after.items() if k != "file_size"} == {
        k: v for k, v in before.items() if k != "file_size"
    }
    with Store.open(small_files["db"]) as store:
        assert store.get_meta("reminders_ran") == "2023-07-03"
        assert [e.note for e in store.history("2-1-1")] == ["施工中", "资金未到位"]


def test_compact_while_the_bot_runs_is_refused_with_what_to_do(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(small_files["db"]) as bot:
        before = small_files["db"].read_bytes()
        code, out, err = run_main(capsys, "db", "compact", "--db", str(small_files["db"]))
        assert code == 2 and out == ""
        assert "in use by process" in err and "stop the bot" in err and "请先停止机器人" in err
        assert small_files["db"].read_bytes() == before
        bot.set_meta("still", "writing")


def test_compact_of_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "db", "compact", "--db", str(tmp_path / "bot.db"))
    assert code == 2 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


# --- the database under other names ------------------------------------------------------------------


def test_compact_through_another_name_while_the_bot_runs_is_refused(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    symlink, hard = tmp_path / "link.db", tmp_path / "hard.db"
    symlink.symlink_to(small_files["db"])
    hard.hardlink_to(small_files["db"])
    with Store.open(small_files["db"]) as bot:
        before = small_files["db"].read_bytes()
        for name in (symlink, hard):
            code, out, err = run_main(capsys, "db", "compact", "--db", str(name))
            assert code == 2 and out == "" and "in use by process" in err
        assert small_files["db"].read_bytes() == before
        entry = bot.record_progress("2-1-1", "区水务局", Status.DONE, bot.history("2-1-1")[0].at)
    with Store.open(small_files["db"]) as store:  # the bot's later write reached the file it opened
        assert store.history("2-1-1")[-1] == entry


def test_compact_through_a_symlink_rewrites_its_target_and_keeps_the_link(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(small_files["db"])
    code, _, err = run_main(capsys, "db", "compact", "--db", str(link))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == small_files["db"].resolve()
    assert check_json(capsys, small_files["db"])["progress_records"] == 3


def test_backup_onto_a_symlink_writes_through_and_onto_a_fifo_is_refused(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target, link = tmp_path / "target.db", tmp_path / "link.db"
    target.write_text("旧备份", encoding="utf-8")
    link.symlink_to(target)
    code, _, err = run_main(capsys, "db", "backup", str(link), "--overwrite", "--db", str(small_files["db"]))
    assert code == 0, err
    assert link.is_symlink() and check_json(capsys, target)["progress_records"] == 3
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = run_main(capsys, "db", "backup", str(fifo), "--overwrite", "--db", str(small_files["db"]))
    assert code == 2 and "not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_backup_onto_the_running_database_under_another_name_is_refused(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with Store.open(other) as running:
        running.set_meta("running", "yes")
        hard = tmp_path / "hard.db"
        hard.hardlink_to(other)
        before = other.read_bytes()
        argv = ("db", "backup", str(hard), "--overwrite", "--db", str(small_files["db"]))
        code, _, err = run_main(capsys, *argv)
        assert code == 2 and "already open" in err
        assert other.read_bytes() == before and os.path.samefile(hard, other)
        running.set_meta("still", "writing")
    hard = small_files["db"].parent / "same.db"
    hard.hardlink_to(small_files["db"])
    code, _, err = run_main(capsys, "db", "backup", str(hard), "--overwrite", "--db", str(small_files["db"]))
    assert code == 2 and "is the database itself" in err


def test_check_of_a_damaged_complete_last_record_fails_and_leaves_it(
    small_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_files["db"].read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    damaged = data[: last + 20] + bytes([data[last + 20] ^ 0x01]) + data[last + 21 :]
    small_files["db"].write_bytes(damaged)
    code, out, err = run_main(capsys, "db", "check", "--db", str(small_files["db"]))
    assert code == 1 and out == "" and "damaged at line" in err
    assert small_files["db"].read_bytes() == damaged
    assert not list(small_files["db"].parent.glob("*.torn-*"))
