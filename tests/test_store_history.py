"""History stays in the file: reports are read back from where they were saved, after reopening,
compaction and backups, by a reader beside the writer, and a large database reopens from its
start-up index without trusting it further than the file's own bytes.

Real files in ``tmp_path`` throughout: these are properties of the file.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.models import Status
from bot.store import Store, StoreCorrupt

MAY_4 = datetime.combine(date(2023, 5, 4), time(9, 30), tzinfo=TZ)
UNITS = ["区水务局", "区生态环境局", "区住房城乡建设委"]
# Notes as people type them: quotes, backslashes, line breaks, emoji and Chinese.
NOTES = ['已完成"一期"', "路径 C:\\新建\\", "第一行\n第二行", "👍 进展顺利", "", "进展" * 40]


def fill(store: Store, count: int, *, start: int = 0, long: bool = False) -> None:
    """``count`` reports over three measures and units, half in one transaction, dated out of order."""
    with store.transaction():
        for number in range(start, start + count // 2):
            report(store, number, long)
    for number in range(start + count // 2, start + count):
        report(store, number, long)


def report(store: Store, number: int, long: bool = False) -> None:
    store.record_progress(
        f"2-{number % 3 + 1}-1",
        UNITS[number % len(UNITS)],
        [Status.IN_PROGRESS, Status.BLOCKED, Status.DONE][number % 3],
        MAY_4 + timedelta(hours=number * 7 % 500),  # not in the order recorded
        percent=number % 100,
        note=NOTES[number % len(NOTES)] + ("详细说明" * 100 if long else ""),
        evidence=[f"file-{number}"] if number % 4 == 0 else [],
        item="2023-09-30" if number % 5 == 0 else None,
    )


def state(store: Store) -> dict[str, Any]:
    """Everything a user can read back about progress."""
    measures = ["2-1-1", "2-2-1", "2-3-1"]
    return {
        "history": {m: store.history(m) for m in measures},
        "one_unit": {m: store.history(m, UNITS[1]) for m in measures},
        "documents": {m: store.history_documents(m) for m in measures},
        "latest": dict(store.latest_items()),
        "past": {
            day: dict(store.latest_items_as_of(day))
            for day in (date(2023, 5, 1), date(2023, 5, 10), date(2023, 5, 20), date(2023, 6, 30))
        },
        "count": store.progress_count(),
    }


def test_every_report_reads_back_after_reopening_compacting_and_from_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store.open(path) as store:
        fill(store, 60)
        before = state(store)
        assert sum(len(h) for h in before["history"].values()) == 60
    with Store.open(path) as store:
        assert state(store) == before
        store.compact()
        assert state(store) == before
        fill(store, 9, start=60)
        after = state(store)
        store.backup(tmp_path / "copy.db")
    with Store.open(path, read_only=True) as store:
        assert state(store) == after
    with Store.open(tmp_path / "copy.db") as copy:
        assert state(copy) == after
        assert copy.verify().progress_records == 69


def test_a_reader_beside_the_writer_keeps_reading_history_while_the_writer_compacts(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store.open(path) as writer:
        fill(writer, 30)
        with Store.open(path, read_only=True) as reader:
            seen = state(reader)
            writer.compact()
            fill(writer, 6, start=30)
            assert state(reader) == seen  # the database as of its opening, read from that file
        assert state(writer)["count"] == 36


def large(path: Path) -> Store:
    """A store of more than a megabyte of reports, which gets a start-up index when closed."""
    store = Store.open(path)
    fill(store, 800, long=True)
    return store


def index_of(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def test_a_large_database_reopens_from_its_index_and_reads_the_reports_saved_after_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    large(path).close()
    assert index_of(path).exists()
    caplog.set_level(logging.INFO, logger="bot.storage")
    with Store.open(path) as writer:
        fill(writer, 12, start=800)  # after the index
        expected = state(writer)
        with Store.open(path, read_only=True) as reader:
            assert state(reader) == expected
    with Store.open(path) as store:
        assert state(store) == expected
        assert store.verify().progress_records == 812
    assert "start-up index" not in caplog.text  # each open used it


def test_damage_in_the_part_the_index_covers_is_still_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    large(path).close()
    data = bytearray(path.read_bytes())
    second_line = data.index(b"\n") + 1
    data[second_line + 40] ^= 0x01  # one flipped bit in the first record
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match="damaged at line 2"):
        Store.open(path)
    assert path.read_bytes() == bytes(data)


@pytest.mark.parametrize("index", ["garbage", "another database's", "cut short"])
def test_an_index_that_does_not_fit_the_file_is_ignored(
    tmp_path: Path, index: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    store = large(path)
    expected = state(store)
    store.close()
    if index == "garbage":
        index_of(path).write_bytes(b"not an index\n" * 100)
    elif index == "another database's":
        other = tmp_path / "other.db"
        with Store.open(other) as small:
            fill(small, 800, start=5, long=True)
        index_of(path).write_bytes(index_of(other).read_bytes())
    else:
        index_of(path).write_bytes(index_of(path).read_bytes()[:-1000])
    caplog.set_level(logging.INFO, logger="bot.storage")
    with Store.open(path) as store:
        assert state(store) == expected
    assert "start-up index" in caplog.text and "the whole file was read" in caplog.text
