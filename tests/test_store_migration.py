"""A database written before items (issue 9) opens, and its reports keep their meaning.

The file is written the way the earlier version's store wrote it: progress documents without an
``item`` field, one ``latest`` document per (measure, unit), a ledger and a binding.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from tinydb.table import Document

from bot.clock import TZ
from bot.models import Status
from bot.storage import StoreDB
from bot.store import Store

WATER = "区水务局"
SEPT_27 = datetime.combine(date(2023, 9, 27), time(10, 0), tzinfo=TZ)


def old_report(seq: int, measure: str, status: str, day: date) -> dict[str, object]:
    """A progress document exactly as the store wrote it before reports had items."""
    return {
        "seq": seq,
        "measure": measure,
        "unit": WATER,
        "status": status,
        "percent": None,
        "note": "旧版记录",
        "evidence": [],
        "at": datetime.combine(day, time(9, 0), tzinfo=TZ).isoformat(),
        "user_id": 7,
        "user_name": "张三",
        "chat_id": -100,
        "source": "reply",
    }


def write_old_database(path: Path) -> None:
    db = StoreDB(path)
    try:
        db.journal_storage.accept()
        first = old_report(1, "3-6-4", "进行中", date(2023, 6, 1))
        second = old_report(2, "3-6-4", "已完成", date(2023, 6, 29))
        duty = old_report(3, "3-3-1", "已完成", date(2023, 9, 27))
        with db.transaction():
            db.table("progress:3-6-4").insert(Document(first, doc_id=1))
            db.table("progress:3-6-4").insert(Document(second, doc_id=2))
            db.table("progress:3-3-1").insert(Document(duty, doc_id=3))
            db.table("latest").insert(second)
            db.table("latest").insert(duty)
            db.table("bindings").insert(
                Document({"chat_id": -100, "units": [WATER], "leader": None, "title": "水务"}, doc_id=-100)
            )
            db.table("ledger:2023-07-03").insert(
                {
                    "day": "2023-07-03",
                    "chat_id": -100,
                    "recipient": f"unit:{WATER}",
                    "sent_at": SEPT_27.isoformat(),
                    "message_ids": [5],
                }
            )
    finally:
        db.close()


def test_a_database_written_before_items_opens_with_its_history(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    write_old_database(path)
    with Store.open(path) as store:
        history = store.history("3-6-4", WATER)
        assert [(entry.status, entry.item) for entry in history] == [
            (Status.IN_PROGRESS, None),
            (Status.DONE, None),
        ]
        assert store.latest("3-6-4", WATER) == history[-1]
        # Old reports were about the measure as a whole: that is the item-less key.
        assert set(store.latest_items()) == {("3-6-4", WATER, None), ("3-3-1", WATER, None)}
        assert store.binding(-100) is not None
        assert store.was_sent(date(2023, 7, 3), -100, f"unit:{WATER}")
        store.verify()
        # New reports join the old ones.
        store.record_progress("3-3-1", WATER, Status.DONE, SEPT_27, item="2023-09-30")
    with Store.open(path) as store:
        assert [entry.item for entry in store.history("3-3-1")] == [None, "2023-09-30"]
        assert store.progress_count() == 4
