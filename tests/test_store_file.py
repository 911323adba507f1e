"""The database file: damage is refused without touching the file, torn tails are recovered,
a second opener is locked out, and a failed write loses nothing that was confirmed.

These are properties of the file itself, so every test here uses a real file in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from tinydb import TinyDB

from bot.clock import TZ
from bot.models import Status
from bot.store import Store, StoreCorrupt, StoreError, StoreLocked

ROOT = Path(__file__).resolve().parent.parent
MAY_4 = datetime.combine(date(2023, 5, 4), time(9, 30), tzinfo=TZ)


def write_reports(path: Path, count: int) -> list[int]:
    with Store.open(path) as store:
        return [
            store.record_progress(
                "2-1-1", f"单位{i}", Status.IN_PROGRESS, MAY_4 + timedelta(minutes=i), note="进展" * i
            ).seq
            for i in range(count)
        ]


def test_a_new_database_gets_its_directories(tmp_path: Path) -> None:
    path = tmp_path / "data" / "state" / "bot.db"
    write_reports(path, 1)
    with Store.open(path) as store:
        assert store.progress_count() == 1


def test_a_second_store_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store.open(path) as first:
        first.record_progress("1-1", "区水务局", Status.DONE, MAY_4)
        with pytest.raises(StoreLocked, match="already open"):
            Store.open(path)
        first.set_meta("still", "writable")
    with Store.open(path) as again:
        assert again.get_meta("still") == "writable"


def test_another_process_holding_the_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bot.store import Store\n"
            "store = Store.open(Path(sys.argv[1])); print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLocked, match=f"process {holder.pid}"):
            Store.open(path)
        assert (tmp_path / "bot.db.lock").read_text() == f"{holder.pid}\n"  # still the holder's
    finally:
        holder.communicate("", timeout=30)
    with Store.open(path) as store:
        assert store.progress_count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, world\n", "not a plan-tracker-bot store"),
        ("名单\n".encode(), "not a plan-tracker-bot store"),
        (bytes(range(256)), "not a plan-tracker-bot store"),
    ],
)
def test_a_file_that_is_not_a_store_is_refused_untouched(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt, match=message):
        Store.open(path)
    assert path.read_bytes() == content
    with pytest.raises(StoreCorrupt):  # refused again, not locked out by the first attempt
        Store.open(path)


def test_a_tinydb_json_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with TinyDB(path) as plain:
        plain.insert({"measure": "1-1"})
    content = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="not a plan-tracker-bot store"):
        Store.open(path)
    assert path.read_bytes() == content


def test_a_database_from_another_format_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    header = json.dumps({"format": "plan-tracker-bot/store", "version": 2}).encode()
    content = b"%08x %s\n" % (zlib.crc32(header), header)
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt, match="version 2"):
        Store.open(path)
    assert path.read_bytes() == content


def damage_line(path: Path, line_number: int) -> bytes:
    lines = path.read_bytes().split(b"\n")
    line = bytearray(lines[line_number - 1])
    line[20] = ord("#") if line[20] != ord("#") else ord("%")
    lines[line_number - 1] = bytes(line)
    damaged = b"\n".join(lines)
    path.write_bytes(damaged)
    return damaged


def test_damage_inside_the_file_is_refused_and_the_file_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 5)
    damaged = damage_line(path, 3)
    with pytest.raises(StoreCorrupt) as raised:
        Store.open(path)
    assert "line 3" in str(raised.value) and "left untouched" in str(raised.value)
    assert path.read_bytes() == damaged
    assert not list(tmp_path.glob("bot.db.torn-*"))


def test_a_damaged_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 2)
    damaged = damage_line(path, 1)
    with pytest.raises(StoreCorrupt, match="header"):
        Store.open(path)
    assert path.read_bytes() == damaged


def test_a_checksummed_record_of_an_unknown_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 1)
    payload = json.dumps([["explode", "progress:1"]]).encode()
    with path.open("ab") as handle:
        handle.write(b"%08x %s\n" % (zlib.crc32(payload), payload))
    write_again = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="unreadable change at line 3"):
        Store.open(path)
    assert path.read_bytes() == write_again


def checksummed(record: object) -> bytes:
    payload = json.dumps(record, ensure_ascii=False).encode()
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def files_in(directory: Path) -> dict[str, bytes]:
    """Every file and folder under ``directory``, by relative path; folders as b"<dir>"."""
    return {
        str(path.relative_to(directory)): b"<dir>" if path.is_dir() else path.read_bytes()
        for path in sorted(directory.rglob("*"))
    }


# Ways a database is refused, each at a different layer: the file's header, a damaged record,
# a change the storage cannot apply, and a document the store cannot read. The last two end with
# a half-written record, which must not be cut when the open is refused after all.
DAMAGE: dict[str, Callable[[Path], object]] = {
    "not a store": lambda path: path.write_bytes(b"junk\n"),
    "damaged record": lambda path: damage_line(path, 2),
    "unknown change": lambda path: path.write_bytes(
        path.read_bytes() + checksummed([["explode", "progress:1"]]) + b'0badf00d [["put"'
    ),
    "unreadable document": lambda path: path.write_bytes(
        path.read_bytes() + checksummed([["put", "latest", {"9": {"measure": "2-1-1"}}]]) + b'[["pu'
    ),
}


@pytest.mark.parametrize("stale_lock", [False, True], ids=["no lock file", "lock file of an earlier run"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_refused_open_leaves_the_directory_as_it_was(tmp_path: Path, damage: str, stale_lock: bool) -> None:
    folder = tmp_path / "state"
    path = folder / "bot.db"
    write_reports(path, 3)
    (folder / "bot.db.lock").unlink()
    if stale_lock:
        (folder / "bot.db.lock").write_bytes(b"4242\n")
    DAMAGE[damage](path)
    before = files_in(tmp_path)
    for _ in range(2):  # refused again the same way: the first attempt left nothing in the way
        with pytest.raises(StoreCorrupt, match="left untouched"):
            Store.open(path)
        assert files_in(tmp_path) == before


def test_refused_writers_on_the_command_line_leave_no_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"junk\n")
    commands = [
        ["report", "2-1-1", "--unit", "区生态环境局", "--status", "进行中", "--db", str(path)],
        ["db", "compact", "--db", str(path)],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *command], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0 and "not a plan-tracker-bot store" in done.stderr, done.stderr
        assert files_in(tmp_path) == {"bad.db": b"junk\n"}, command


def test_an_open_that_fails_half_way_removes_what_it_created(tmp_path: Path) -> None:
    """A file-size limit lets the lock file be written but not the new database, as a full disk would."""
    path = tmp_path / "new" / "state" / "bot.db"
    script = """
import resource, signal, sys
from pathlib import Path
from bot.store import Store, StoreError

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (16, resource.RLIM_INFINITY))
try:
    Store.open(Path(sys.argv[1]))
except StoreError as exc:
    print("refused:", exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"refused: cannot open database {path} for writing" in done.stdout
    assert list(tmp_path.iterdir()) == []
    with Store.open(path) as store:  # nothing in the way once the disk has room
        assert store.progress_count() == 0


def test_every_cut_through_the_last_record_recovers_the_ones_before(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    seqs = write_reports(path, 4)
    whole = path.read_bytes()
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start + 1, len(whole)):
        path.write_bytes(whole[:cut])
        with Store.open(path) as store:
            assert [entry.seq for entry in store.history("2-1-1")] == seqs[:-1]
            assert store.latest("2-1-1", "单位3") is None
            kept = (tmp_path / f"bot.db.torn-{last_start}").read_bytes()
            assert kept == whole[last_start:cut]
            again = store.record_progress("2-1-1", "单位3", Status.DONE, MAY_4)
        with Store.open(path) as store:
            assert store.latest("2-1-1", "单位3") == again


def test_a_flipped_bit_in_the_complete_last_record_is_damage_not_a_torn_write(tmp_path: Path) -> None:
    """The record was confirmed (its newline is on disk): cutting it would delete it silently."""
    path = tmp_path / "bot.db"
    write_reports(path, 3)
    lines = path.read_bytes().count(b"\n")
    damage_line(path, lines)
    before = files_in(tmp_path)
    for read_only in (False, True):
        with pytest.raises(StoreCorrupt, match=f"damaged at line {lines}"):
            Store.open(path, read_only=read_only)
        assert files_in(tmp_path) == before


# --- one writer per file, whatever its name ---------------------------------------------------------


def other_names(tmp_path: Path, path: Path) -> dict[str, Path]:
    """The database reached through a symlink, a hard link and a relative path with ``..``."""
    symlink = tmp_path / "elsewhere" / "link.db"
    symlink.parent.mkdir()
    symlink.symlink_to(path)
    hard = tmp_path / "elsewhere" / "hard.db"
    hard.hardlink_to(path)
    return {"symlink": symlink, "hard link": hard, "dotted": tmp_path / "elsewhere" / ".." / path.name}


def test_a_second_writer_is_refused_under_any_name(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 1)
    names = other_names(tmp_path, path)
    with Store.open(path) as first:
        for name in names.values():
            with pytest.raises(StoreLocked, match="already open"):
                Store.open(name)
        # The refused openers changed nothing: the writer goes on numbering its records alone.
        assert first.record_progress("2-1-1", "单位1", Status.DONE, MAY_4).seq == 2
    with Store.open(names["hard link"]) as again:
        assert [entry.seq for entry in again.history("2-1-1")] == [1, 2]


def test_compacting_through_a_symlink_keeps_the_link_and_the_writer_out(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 2)
    link = other_names(tmp_path, path)["symlink"]
    with Store.open(link) as store:
        store.compact()
        store.record_progress("2-1-1", "单位9", Status.DONE, MAY_4)
        with pytest.raises(StoreLocked):
            Store.open(path)  # the compacted file is locked too, from before it took the name
    assert link.is_symlink()
    with Store.open(path) as store:
        assert store.progress_count() == 3


def test_a_writer_that_waited_on_a_compacted_file_locks_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    write_reports(path, 1)
    with Store.open(path) as store:
        store.compact()
        store.compact()
        with pytest.raises(StoreLocked):
            Store.open(path)


@pytest.mark.parametrize("kind", ["dangling symlink", "fifo", "device"])
def test_a_path_that_is_not_a_regular_file_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bot.db"
    if kind == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere" / "real.db")
        expected = "which does not exist"
    elif kind == "fifo":
        os.mkfifo(path)
        expected = "not a regular file"
    else:
        path.symlink_to("/dev/null")
        expected = "not a regular file"
    before = sorted(os.listdir(tmp_path))
    for read_only in (False, True):
        with pytest.raises(StoreError, match=expected):
            Store.open(path, read_only=read_only)
    assert sorted(os.listdir(tmp_path)) == before
    assert path.is_symlink() or stat.S_ISFIFO(os.lstat(path).st_mode)


def test_a_failed_write_loses_nothing_and_is_not_half_saved(tmp_path: Path) -> None:
    """A file-size limit makes the write fail half way, as a full disk would."""
    path = tmp_path / "bot.db"
    write_reports(path, 2)
    script = """
import resource, signal, sys
from datetime import datetime
from pathlib import Path
from bot.clock import TZ
from bot.store import Store, StoreError

path = Path(sys.argv[1])
store = Store.open(path)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 100, resource.RLIM_INFINITY))
at = datetime(2023, 5, 5, 9, 0, tzinfo=TZ)
try:
    store.record_progress("2-1-1", "单位9", "已完成", at, note="很长的说明" * 200)
except StoreError as exc:
    print("refused:", exc)
print("latest:", store.latest("2-1-1", "单位9"), "count:", store.progress_count())
store.set_meta("small", "fits")
print("meta:", store.get_meta("small"))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "refused: could not save" in done.stdout
    assert "the change was not saved" in done.stdout
    assert "latest: None count: 2" in done.stdout
    assert "meta: fits" in done.stdout
    with Store.open(path) as store:
        assert store.progress_count() == 2
        assert store.latest("2-1-1", "单位9") is None
        assert store.get_meta("small") == "fits"
    assert not list(tmp_path.glob("bot.db.torn-*"))


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)


def test_writes_after_close_are_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "bot.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.set_meta("late", "x")
    with Store.open(tmp_path / "bot.db") as again:
        assert again.get_meta("late") is None
