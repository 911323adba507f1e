"""TinyDB on the journal: a ``Storage`` that persists changes, not whole databases.

TinyDB's stock ``Table`` rebuilds the whole table on every write and its ``JSONStorage`` rewrites
the whole file, so a write costs time proportional to everything ever stored. Here:

- ``JournalStorage`` keeps the tables in memory (like ``MemoryStorage``) and, for each committed
  change, appends one journal record with only the documents that changed (``bot.journal``).
- ``JournalTable`` replaces ``Table._update_table`` so that TinyDB's own ``insert``/``update``/
  ``upsert``/``remove``/``truncate`` run against a change-tracking view of the table: cost is
  proportional to the documents touched, and nothing changes in memory unless the record is on disk.
- ``transaction()`` groups several table changes into one record and one fsync, all or nothing.

A journal record is a JSON list of operations::

    ["put", table, {doc_id: document, ...}]   insert or replace documents (creates the table)
    ["del", table, [doc_id, ...]]             remove documents
    ["drop", table]                           remove a table

Memory always holds what a reload would read: every change goes through the same JSON encoding
that is written to disk, so callers never share objects with the database.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from bot.journal import Journal, StoreCorrupt, StoreError, dumps, replace_unlocked_file

Tables = dict[str, dict[str, Any]]
UndoEntry = tuple[str, str | None, Any]

_MISSING = object()
_SNAPSHOT_CHUNK = 1000


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def apply_ops(data: Tables, ops: list[Any], undo: list[UndoEntry] | None) -> None:
    """Apply one record's operations to ``data``; with ``undo``, note how to reverse them."""
    for op in ops:
        kind, name = op[0], op[1]
        if not isinstance(name, str):
            raise ValueError(f"table name {name!r} is not a string")
        if kind == "put":
            docs = op[2]
            if not isinstance(docs, dict):
                raise ValueError("put without documents")
            table = data.get(name)
            if table is None:
                if undo is not None:
                    undo.append((name, None, _MISSING))
                table = data[name] = {}
            for doc_id, doc in docs.items():
                if undo is not None:
                    undo.append((name, doc_id, table.get(doc_id, _MISSING)))
                table[doc_id] = doc
        elif kind == "del":
            table = data[name]
            for doc_id in op[2]:
                old = table.pop(doc_id, _MISSING)
                if undo is not None and old is not _MISSING:
                    undo.append((name, doc_id, old))
        elif kind == "drop":
            old_table = data.pop(name, _MISSING)
            if undo is not None and old_table is not _MISSING:
                undo.append((name, None, old_table))
        else:
            raise ValueError(f"unknown operation {kind!r}")


def _revert(data: Tables, undo: list[UndoEntry]) -> None:
    for name, doc_id, old in reversed(undo):
        if doc_id is None:
            if old is _MISSING:
                data.pop(name, None)
            else:
                data[name] = old
        elif old is _MISSING:
            data[name].pop(doc_id, None)
        else:
            data[name][doc_id] = old


def snapshot(data: Tables) -> Iterator[str]:
    """Journal payloads that rebuild ``data``: what compaction and backups write."""
    for name, table in data.items():
        if not table:
            yield dumps([["put", name, {}]])
        items = list(table.items())
        for start in range(0, len(items), _SNAPSHOT_CHUNK):
            yield dumps([["put", name, dict(items[start : start + _SNAPSHOT_CHUNK])]])


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class JournalStorage(Storage):
    """All tables in memory; each committed change appended to the journal at ``path`` (None: memory only).

    With ``read_only`` the journal is only read (no lock, no repair) and every change is refused.
    """

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        self._data: Tables = {}
        self._lock = threading.RLock()
        self._depth = 0
        self._pending: list[str] = []
        self._undo: list[UndoEntry] = []
        self._closed = False
        self.on_rollback: list[Callable[[], None]] = []
        self._journal: Journal | None = None
        if path is not None:
            # Loading builds only acyclic JSON documents, and for a large history the cyclic
            # collector would otherwise rescan them over and over while they are created.
            with _collector_paused():
                self._journal = Journal.open_read_only(path) if read_only else Journal.open(path)
                self._load(self._journal)

    def _load(self, journal: Journal) -> None:
        for number, record in enumerate(journal.records, start=2):
            try:
                apply_ops(self._data, record, None)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                journal.abandon()
                raise StoreCorrupt(
                    f"database {journal.path} has an unreadable change at line {number}: {exc!r}; "
                    "it was left untouched"
                ) from None
        journal.records = []

    # TinyDB's Storage interface
    def read(self) -> Tables:
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the whole database (TinyDB's whole-database path): a compaction to ``data``."""
        self._refuse_if_read_only()
        with self._lock:
            if self._depth:
                raise StoreError("a whole-database write cannot be part of a transaction")
            if self._journal is not None:
                self._journal.rewrite(snapshot(data))
            self._data = data

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self._closed = True

    def accept(self) -> None:
        """The opener read everything and keeps the database: finish recovery (see ``Journal.accept``)."""
        if self._journal is not None and not self._journal.read_only:
            self._journal.accept()

    def abandon(self) -> None:
        """Close after the opener refused the database, leaving its directory as it was before."""
        if self._journal is not None:
            self._journal.abandon()
            self._journal = None
        self._closed = True

    # changes
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes into one journal record: all saved (fsynced) at the end, or none.

        Nested transactions join the outermost one. Changes are visible in memory as they are
        made; if an exception leaves the outermost block, or the write fails, they are undone.
        """
        with self._lock:
            if self._closed:
                raise StoreError(f"database {self.path} is closed")
            outer = self._depth == 0
            self._depth += 1
            try:
                yield
                if outer and self._pending:
                    self._commit()
            except BaseException:
                if outer:
                    _revert(self._data, self._undo)
                    for listener in self.on_rollback:
                        listener()
                raise
            finally:
                self._depth -= 1
                if outer:
                    self._pending = []
                    self._undo = []

    def _commit(self) -> None:
        payload = "[" + ",".join(self._pending) + "]"
        if self._journal is not None:
            self._journal.append(payload)

    def change(self, table: str, puts: dict[str, Any], deletes: list[str], *, create: bool = False) -> None:
        """Put and delete documents in ``table``, durably unless inside a transaction.

        A table comes into being with its first document, or empty with ``create``.
        """
        ops: list[list[Any]] = []
        if puts or (create and table not in self._data):
            ops.append(["put", table, puts])
        if deletes:
            ops.append(["del", table, deletes])
        self._submit(ops)

    def drop(self, table: str) -> None:
        if table in self._data:
            self._submit([["drop", table]])

    def _submit(self, ops: list[list[Any]]) -> None:
        if not ops:
            return
        self._refuse_if_read_only()
        with self.transaction():
            for op in ops:
                text = dumps(op)
                self._pending.append(text)
                apply_ops(self._data, [json.loads(text)], self._undo)

    @property
    def read_only(self) -> bool:
        return self._journal is not None and self._journal.read_only

    def _refuse_if_read_only(self) -> None:
        # Before anything changes in memory, so a refused write leaves nothing to undo.
        if self._journal is not None:
            self._journal.refuse_if_read_only()

    # maintenance
    def compact(self) -> None:
        """Rewrite the journal as one snapshot of the current tables (atomic rename)."""
        if self._journal is not None:
            self.write(self._data)

    def backup(self, dest: Path) -> None:
        """Write a consistent, compacted copy of the database to ``dest`` (atomic rename, fsynced)."""
        if self.path is not None:
            own = self.path.resolve()
            # Replacing the lock file would let a second writer in; .tmp is compaction's scratch file.
            # A hard link is the database under another name.
            if dest.resolve() in (
                own,
                own.with_name(own.name + ".lock"),
                own.with_name(own.name + ".tmp"),
            ) or (dest.exists() and own.exists() and os.path.samefile(dest, own)):
                raise StoreError(f"backup target {dest} is the database itself or one of its own files")
        with self._lock:
            if self._depth:
                raise StoreError("a backup cannot be taken inside a transaction")
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                replace_unlocked_file(dest, snapshot(self._data))
            except OSError as exc:
                raise StoreError(f"could not write the backup {dest}: {exc.strerror or exc}") from None

    @property
    def journal_size(self) -> int:
        """Bytes in the database file (0 for an in-memory store)."""
        return self._journal.size if self._journal is not None else 0


class _TableChanges(MutableMapping[int, Any]):
    """What TinyDB's table updaters see: the table, with changes held aside until they are saved."""

    def __init__(self, base: dict[str, Any]) -> None:
        self._base = base
        self._written: dict[int, Any] = {}
        self._deleted: set[int] = set()
        # Copies handed out, because TinyDB's update() changes documents in place.
        self._handed_out: dict[int, Any] = {}
        self.cleared = False

    def __getitem__(self, doc_id: int) -> Any:
        if doc_id in self._written:
            return self._written[doc_id]
        if doc_id in self._deleted:
            raise KeyError(doc_id)
        if doc_id not in self._handed_out:
            self._handed_out[doc_id] = _copy_json(self._base[str(doc_id)])
        return self._handed_out[doc_id]

    def __setitem__(self, doc_id: int, document: Any) -> None:
        self._deleted.discard(doc_id)
        self._handed_out.pop(doc_id, None)
        self._written[doc_id] = document

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self._written.pop(doc_id, None)
        self._handed_out.pop(doc_id, None)
        if str(doc_id) in self._base:
            self._deleted.add(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._written:
            return True
        if doc_id in self._deleted:
            return False
        return str(doc_id) in self._base

    def __iter__(self) -> Iterator[int]:
        for raw_id in self._base:
            doc_id = int(raw_id)
            if doc_id not in self._deleted and doc_id not in self._written:
                yield doc_id
        yield from self._written

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        self.cleared = True
        self._written.clear()
        self._handed_out.clear()
        self._deleted = {int(raw_id) for raw_id in self._base}

    def changes(self) -> tuple[dict[str, Any], list[str]]:
        puts = {str(doc_id): document for doc_id, document in self._written.items()}
        for doc_id, document in self._handed_out.items():
            if document != self._base[str(doc_id)]:
                puts[str(doc_id)] = document
        return puts, [str(doc_id) for doc_id in self._deleted]


class JournalTable(Table):
    """A TinyDB table whose writes cost what they touch and are saved before they are visible."""

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        storage = cast(JournalStorage, self._storage)
        view = _TableChanges(storage.read().get(self.name, {}))
        # TinyDB's updaters only use the mapping interface; the view provides all of it.
        updater(cast(dict[int, Mapping[str, Any]], view))
        puts, deletes = view.changes()
        try:
            # TinyDB creates empty tables by clearing them (persist_empty); nothing else should.
            storage.change(self.name, puts, deletes, create=view.cleared)
        finally:
            self.clear_cache()

    def replace(self, doc_id: int, document: Mapping[str, Any]) -> None:
        """Store ``document`` whole under ``doc_id``, whether or not one was there: no read, no merge."""

        def updater(table: dict[int, Mapping[str, Any]]) -> None:
            table[doc_id] = dict(document)

        self._update_table(updater)


class StoreDB(TinyDB):
    """TinyDB wired to the journal: ``StoreDB(path)``; ``StoreDB(None)`` keeps everything in memory.

    ``StoreDB(path, read_only=True)`` reads the file without locking it and refuses every change.
    """

    table_class = JournalTable

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        super().__init__(path, read_only=read_only, storage=JournalStorage)
        self.journal_storage.on_rollback.append(self._clear_caches)

    @property
    def journal_storage(self) -> JournalStorage:
        return cast(JournalStorage, self.storage)

    def table(self, name: str, **kwargs: Any) -> JournalTable:
        return cast(JournalTable, super().table(name, **kwargs))

    def transaction(self) -> AbstractContextManager[None]:
        return self.journal_storage.transaction()

    def _clear_caches(self) -> None:
        for table in self._tables.values():
            table.clear_cache()

    def drop_table(self, name: str) -> None:
        self._tables.pop(name, None)
        self.journal_storage.drop(name)

    def drop_tables(self) -> None:
        self._tables.clear()
        with self.journal_storage.transaction():
            for name in list(self.journal_storage.read()):
                self.journal_storage.drop(name)
