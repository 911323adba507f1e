"""Read-only stores: they open beside a running writer, see what it confirmed, and change nothing.

Every test uses a real database file in ``tmp_path``; the concurrent test runs the writer in
another process, as the bot would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.clock import TZ
from bot.journal import encode
from bot.models import Status
from bot.store import Store, StoreCorrupt, StoreError

ROOT = Path(__file__).resolve().parent.parent
MAY_4 = datetime.combine(date(2023, 5, 4), time(9, 30), tzinfo=TZ)


def files_in(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def fill(path: Path, reports: int) -> str:
    """A database with ``reports`` reports, a binding, an admin, a delivery and an invite; its code."""
    with Store.open(path) as store:
        for i in range(reports):
            store.record_progress("2-1-1", f"单位{i}", Status.IN_PROGRESS, MAY_4 + timedelta(minutes=i))
        store.bind_units(-100, ["区水务局"], title="水务局群")
        store.grant(7)
        store.mark_sent(MAY_4.date(), -100, "unit:区水务局", MAY_4)
        return store.create_invite("区水务局", MAY_4).code


def alone(path: Path, tmp_path: Path) -> Path:
    """The database file copied into a directory of its own (no lock file beside it)."""
    lonely = tmp_path / "alone"
    lonely.mkdir()
    copy = lonely / path.name
    copy.write_bytes(path.read_bytes())
    return copy


def test_a_reader_opens_while_the_writer_holds_the_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store.open(path) as writer:
        first = writer.record_progress("2-1-1", "区水务局", Status.IN_PROGRESS, MAY_4, percent=30)
        writer.bind_leader(-5, "倪德才")
        lock = (tmp_path / "bot.db.lock").read_bytes()
        with Store.open(path, read_only=True) as reader:
            assert reader.read_only and not writer.read_only
            assert reader.latest("2-1-1", "区水务局") == first
            assert reader.chats_for_leader("倪德才") == [-5]
            # The writer goes on writing while the reader is open; the reader keeps its snapshot.
            second = writer.record_progress("2-1-1", "区水务局", Status.DONE, MAY_4 + timedelta(hours=1))
            assert reader.latest("2-1-1", "区水务局") == first
        with Store.open(path, read_only=True) as later:
            assert later.latest("2-1-1", "区水务局") == second
            assert [entry.seq for entry in later.history("2-1-1")] == [first.seq, second.seq]
        assert (tmp_path / "bot.db.lock").read_bytes() == lock
    with Store.open(path) as again:
        assert again.progress_count() == 2


WRITER = """
import sys
from datetime import datetime, timedelta
from pathlib import Path
from bot.clock import TZ
from bot.store import Store

store = Store.open(Path(sys.argv[1]))
start = datetime(2023, 5, 4, 9, 0, tzinfo=TZ)
for i in range(int(sys.argv[2])):
    # Long notes make each record span several pages, so readers often meet one half-written.
    store.record_progress("2-1-1", f"单位{i % 7}", "进行中", start + timedelta(minutes=i), note="进展" * 3000)
    print(i + 1, flush=True)
sys.stdin.read()
"""


def test_a_reader_sees_every_record_the_writer_confirmed_before_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    Store.open(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "120"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: list[tuple[int, int]] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            confirmed = int(line)
            with Store.open(path, read_only=True) as reader:
                count = reader.progress_count()
                seqs = [entry.seq for entry in reader.history("2-1-1")]
            assert count >= confirmed
            assert seqs == list(range(1, count + 1))
            seen.append((confirmed, count))
            if confirmed == 120:
                break
    finally:
        writer.communicate("", timeout=60)
    assert writer.returncode == 0
    assert len(seen) == 120
    assert not [name for name in os.listdir(tmp_path) if ".torn-" in name]


# A half-written last record: cut inside it, cut before its newline, or garbled and unfinished.
# (Garbled but complete, newline and all, is damage: see test_store_file.)
TORN_TAILS: dict[str, Callable[[bytes], bytes]] = {
    "cut short": lambda record: record[: len(record) // 2],
    "no newline": lambda record: record[:-1],
    "garbled, no newline": lambda record: record[:12] + b"X" + record[13:-1],
}


@pytest.mark.parametrize("tear", TORN_TAILS.values(), ids=TORN_TAILS.keys())
def test_a_torn_last_record_is_left_out_and_left_alone(
    tmp_path: Path, tear: Callable[[bytes], bytes]
) -> None:
    built = tmp_path / "built.db"
    fill(built, 3)
    record = encode(json.dumps([["put", "meta", {"9": {"key": "half", "value": "written"}}]]))
    path = alone(built, tmp_path)
    with path.open("ab") as handle:
        handle.write(tear(record))
    before = files_in(path.parent)
    with Store.open(path, read_only=True) as reader:
        assert reader.progress_count() == 3
        assert reader.get_meta("half") is None
        assert reader.file_size == len(built.read_bytes())
    assert files_in(path.parent) == before  # byte-identical, no lock file, no .torn- file
    with Store.open(path) as writer:  # the writer, when it opens, is the one that sets it aside
        assert writer.progress_count() == 3
    assert [name for name in os.listdir(path.parent) if ".torn-" in name]


def test_opening_read_only_creates_and_writes_nothing(tmp_path: Path) -> None:
    fill(tmp_path / "built.db", 2)
    path = alone(tmp_path / "built.db", tmp_path)
    stat = path.stat()
    before = files_in(path.parent)
    with Store.open(path, read_only=True) as reader:
        assert reader.progress_count() == 2
        assert len(reader.bindings()) == 1
        assert reader.sent_on(MAY_4.date())
    assert files_in(path.parent) == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


# Every write method, called so that it would change something if it were allowed to.
WRITES: dict[str, Callable[[Store, str], object]] = {
    "record_progress": lambda store, code: store.record_progress("2-1-1", "区水务局", Status.DONE, MAY_4),
    "bind_units": lambda store, code: store.bind_units(-200, ["宋庄镇"]),
    "bind_leader": lambda store, code: store.bind_leader(-100, "倪德才"),
    "unbind": lambda store, code: store.unbind(-100),
    "grant": lambda store, code: store.grant(8),
    "revoke": lambda store, code: store.revoke(7),
    "create_invite": lambda store, code: store.create_invite("宋庄镇", MAY_4),
    "redeem_invite": lambda store, code: store.redeem_invite(code, -300, MAY_4),
    "mark_sent": lambda store, code: store.mark_sent(MAY_4.date(), -200, "unit:宋庄镇", MAY_4),
    "set_meta": lambda store, code: store.set_meta("last_run", "2023-05-04"),
    "compact": lambda store, code: store.compact(),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_is_refused_and_changes_nothing(
    tmp_path: Path, write: Callable[[Store, str], object]
) -> None:
    code = fill(tmp_path / "built.db", 2)
    path = alone(tmp_path / "built.db", tmp_path)
    before = files_in(path.parent)
    with Store.open(path, read_only=True) as reader:
        seen = (reader.bindings(), reader.latest_all(), reader.role_holders(), reader.invites())
        with pytest.raises(StoreError, match="read-only"):
            write(reader, code)
        with pytest.raises(StoreError, match="read-only"), reader.transaction():
            write(reader, code)
        assert (reader.bindings(), reader.latest_all(), reader.role_holders(), reader.invites()) == seen
        assert reader.progress_count() == 2
    assert files_in(path.parent) == before


def test_a_read_only_store_can_be_backed_up(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    fill(path, 4)
    with Store.open(path) as writer, Store.open(path, read_only=True) as reader:
        reader.backup(tmp_path / "copies" / "copy.db")
        writer.set_meta("after", "the backup")
    with Store.open(tmp_path / "copies" / "copy.db") as copy:
        assert copy.progress_count() == 4
        assert copy.get_meta("after") is None


def test_a_missing_file_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "bot.db"
    with pytest.raises(StoreError, match=f"no database at {path}"):
        Store.open(path, read_only=True)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path, read_only=True)
    with pytest.raises(ValueError, match="file"):
        Store.open(None, read_only=True)


def test_damage_inside_the_file_is_refused_untouched(tmp_path: Path) -> None:
    fill(tmp_path / "built.db", 4)
    path = alone(tmp_path / "built.db", tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"2-1-1", b"2-1-9")  # the checksum no longer matches
    path.write_bytes(b"\n".join(lines))
    before = files_in(path.parent)
    with pytest.raises(StoreCorrupt, match="damaged at line 3") as raised:
        Store.open(path, read_only=True)
    assert "left untouched" in str(raised.value)
    assert files_in(path.parent) == before


@pytest.mark.parametrize("content", [b"", b"hello, world\n", "名单\n".encode()])
def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt):
        Store.open(path, read_only=True)
    assert files_in(tmp_path) == {"bot.db": content}


def test_verify_names_a_document_this_version_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    fill(path, 2)
    payload = json.dumps([["put", "bindings", {"-9": {"chat_id": "not a number"}}]]).encode()
    with path.open("ab") as handle:
        handle.write(b"%08x %s\n" % (zlib.crc32(payload), payload))
    with Store.open(path, read_only=True) as reader:
        assert reader.progress_count() == 2  # opening reads checksums, not every document
        with pytest.raises(StoreCorrupt, match=r"document -9 of table 'bindings'.*chat_id"):
            reader.verify()


def test_verify_counts_what_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    fill(path, 3)
    with Store.open(path, read_only=True) as reader:
        stats = reader.verify()
    assert stats.model_dump() == {
        "progress_records": 3,
        "measures_reported": 1,
        "latest_pairs": 3,
        "bindings": 1,
        "admins": 1,
        "invites": 1,
        "ledger_days": 1,
        "ledger_entries": 1,
        "meta_keys": 0,
        "file_size": path.stat().st_size,
    }
