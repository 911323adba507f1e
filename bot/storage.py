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

History stays on disk. The documents of *cold* tables (the store's progress history, by table
name prefix) are not kept in memory once saved: only where each one is in the file (a ``Span``)
and a small summary of it (``brief``), so opening a large database costs little memory, and a
document is read from the file (``documents``) when it is asked for. A cold document's bytes are
part of a record whose checksum was verified when it was read or appended.
"""

from __future__ import annotations

import gc
import json
import logging
import marshal
import os
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from bot.journal import (
    HEADER,
    PAYLOAD_START,
    Journal,
    StoreCorrupt,
    StoreError,
    dumps,
    encode,
    read_json,
    real_file,
    replace_unlocked_file,
)

log = logging.getLogger(__name__)

Tables = dict[str, dict[str, Any]]
UndoEntry = tuple[str, str | None, Any]

_MISSING = object()
_SNAPSHOT_CHUNK = 1000
# Spans closer than this in the file are read with one pread (a compacted table's documents sit
# side by side; a report's record also holds its latest-status copy).
_READ_GAP = 4096

# The start-up index: what memory held for a journal's first bytes, so the next open reads only
# the records after them. A cache, never the only copy: written by the writer beside the database
# (PATH.index, replaced whole), used only if the file still begins with exactly the bytes it was
# made from (their size and CRC-32), and ignored if anything about it does not match. marshal
# because loading it is most of what opening a large database then costs; its format belongs to
# the Python version, which the first line names. Bump the 1 when what a brief holds changes.
_INDEX_HEADER = b"plan-tracker-bot/start-up-index 2 python%d.%d marshal%d" % (
    sys.version_info[0],
    sys.version_info[1],
    marshal.version,
)
# Journals smaller than this open quickly without an index, and get none.
_INDEX_WORTH = 1 << 20

Brief = Callable[[str, Any], Any]
"""What is kept in memory of a cold document besides its place: ``brief(table, document)``."""


Span = tuple[int, int, Any]
"""Where a saved cold document is in the database file, and its ``brief``: (start, length, brief).
A plain tuple (a document is a dict), so that the start-up index (``marshal``) holds it as it is."""


def _no_brief(table: str, document: Any) -> None:
    return None


# The decoder's scanner reads one JSON value at a position and says where it ends.
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = " \t\n\r"


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def _expect(text: str, index: int, char: str) -> int:
    index = _skip(text, index)
    if not text.startswith(char, index):
        raise ValueError(f"expected {char!r} at character {index}")
    return index + 1


def _value(text: str, index: int) -> tuple[Any, int]:
    index = _skip(text, index)
    try:
        return cast(tuple[Any, int], _scan(text, index))
    except StopIteration:
        raise ValueError(f"no JSON value at character {index}") from None


class _ByteOffsets:
    """Byte offsets of increasing character positions in ``text`` (its UTF-8 encoding)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._ascii = text.isascii()
        self._char = 0
        self._byte = 0

    def __call__(self, index: int) -> int:
        if self._ascii:
            return index
        self._byte += len(self._text[self._char : index].encode("utf-8"))
        self._char = index
        return self._byte


def _cold_put_text(name: str, docs: Iterable[tuple[str, str]]) -> tuple[str, list[tuple[str, int, int]]]:
    """``dumps(["put", name, {doc_id: document}])`` from each document's JSON text, and where each
    document's text is in it: (doc_id, byte offset, byte length)."""
    parts = ['["put",', dumps(name), ",{"]
    position = len("".join(parts).encode("utf-8"))
    places = []
    for number, (doc_id, text) in enumerate(docs):
        key = ("," if number else "") + dumps(doc_id) + ":"
        size = len(text.encode("utf-8"))
        position += len(key.encode("utf-8"))
        places.append((doc_id, position, size))
        position += size
        parts += [key, text]
    parts.append("}]")
    return "".join(parts), places


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


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off meanwhile: for loading many acyclic objects at once."""
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
    Tables named ``cold_prefix``… keep their saved documents in the file (``Span``s, with what
    ``brief`` makes of each document): read them with ``documents``.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        cold_prefix: str | None = None,
        brief: Brief = _no_brief,
    ) -> None:
        self.path = path
        self._cold_prefix = cold_prefix
        self._cold_marker = dumps(cold_prefix).encode("utf-8")[:-1] if cold_prefix else b""
        self._brief = brief
        self._data: Tables = {}
        # Cold documents of the open transaction, held in memory until their record is saved:
        # (table, doc_id, the document, index of its operation in _pending, place in that operation).
        self._pending_cold: list[tuple[str, str, Any, int, int, int]] = []
        # Bytes of the journal the start-up index this open used covered (0: none).
        self._indexed = 0
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
            with collector_paused():
                reader = self._read_record if cold_prefix else read_json
                index = self._read_index(path) if cold_prefix else None
                known = index[:2] if index is not None else None
                self._journal = (
                    Journal.open_read_only(path, reader, known)
                    if read_only
                    else Journal.open(path, reader, known)
                )
                if self._journal.resumed and index is not None:
                    self._data, self._indexed = index[2], index[0]
                elif index is not None:
                    log.info("%s: its start-up index does not fit the file; the whole file was read", path)
                self._load(self._journal)

    def _load(self, journal: Journal) -> None:
        for number, record in enumerate(journal.records, start=journal.first_line):
            try:
                apply_ops(self._data, record, None)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                journal.abandon()
                where = (
                    f"line {number}"
                    if journal.first_line
                    else f"its change number {number + 1} after byte {self._indexed}"
                )
                raise StoreCorrupt(
                    f"database {journal.path} has an unreadable change at {where}: {exc!r}; "
                    "it was left untouched"
                ) from None
        journal.records = []

    def _read_record(self, offset: int, payload: bytes) -> Any:
        """One record's operations, with each cold document replaced by its ``Span``."""
        if self._cold_marker not in payload:
            return json.loads(payload.decode("utf-8"))
        return self._walk(offset, payload.decode("utf-8"))

    def _walk(self, offset: int, text: str) -> list[Any]:
        """``json.loads(text)``, except that a cold table's put keeps a ``Span`` per document."""
        byte_at = _ByteOffsets(text)
        ops: list[Any] = []
        index = _skip(text, _expect(text, 0, "["))
        if text.startswith("]", index):
            index += 1
        else:
            while True:
                start = _skip(text, index)
                op, index = _value(text, start)
                if (
                    isinstance(op, list)
                    and len(op) == 3
                    and op[0] == "put"
                    and isinstance(op[1], str)
                    and self.is_cold(op[1])
                    and isinstance(op[2], dict)
                ):
                    first, end = byte_at(start), byte_at(index)
                    spans = self._spans(op[1], op[2], offset + first, offset + end)
                    if spans is None:  # not written as this module writes: find each document
                        spans = self._spans_by_scanning(text[start:index], offset + first)
                    op[2] = spans
                ops.append(op)
                index = _skip(text, index)
                if not text.startswith(",", index):
                    index = _expect(text, index, "]")
                    break
                index += 1
        if _skip(text, index) != len(text):
            raise ValueError("extra data after the record")
        return ops

    def _spans(self, name: str, docs: dict[str, Any], start: int, end: int) -> dict[str, Span] | None:
        """Each document's ``Span`` in ``["put", name, docs]`` saved from ``start`` to ``end`` in the
        file, worked out from the lengths of their encodings, as written by ``_cold_put_text``;
        None if the operation was written otherwise."""
        spans: dict[str, Span] = {}
        position = start + len(f'["put",{dumps(name)},{{'.encode())
        for number, (doc_id, doc) in enumerate(docs.items()):
            key_size = len(doc_id) + 2 if doc_id.isdigit() else len(dumps(doc_id).encode("utf-8"))
            position += key_size + (2 if number else 1)
            size = len(dumps(doc).encode("utf-8"))
            spans[doc_id] = (position, size, self._brief(name, doc))
            position += size
        return spans if position + 2 == end else None

    def _spans_by_scanning(self, text: str, offset: int) -> dict[str, Span]:
        """``_spans`` for an operation written otherwise (spaces, another key order): each
        document found by scanning ``text``, the operation's JSON, which starts at ``offset``."""
        byte_at = _ByteOffsets(text)
        index = _expect(text, 0, "[")
        index = _expect(text, _value(text, index)[1], ",")
        name, index = _value(text, index)
        spans: dict[str, Span] = {}
        index = _skip(text, _expect(text, _expect(text, index, ","), "{"))
        while not text.startswith("}", index):
            if spans:
                index = _expect(text, index, ",")
            doc_id, index = _value(text, index)
            begin = _skip(text, _expect(text, index, ":"))
            document, index = _value(text, begin)
            first, end = byte_at(begin), byte_at(index)
            spans[doc_id] = (offset + first, end - first, self._brief(name, document))
            index = _skip(text, index)
        return spans

    def is_cold(self, table: str) -> bool:
        return self._cold_prefix is not None and table.startswith(self._cold_prefix)

    def documents(self, table: str, doc_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """The table's documents (or those of ``doc_ids`` it has), cold ones read from the file."""
        stored = self._data.get(table, {})
        wanted = stored if doc_ids is None else {i: stored[i] for i in doc_ids if i in stored}
        if not self.is_cold(table):
            return dict(wanted)
        spans = [(value[0], value[1], doc_id) for doc_id, value in wanted.items() if isinstance(value, tuple)]
        texts = self._read_spans(spans)
        # One parse for them all: a whole history is thousands of small documents.
        parsed = json.loads(b"[" + b",".join(texts) + b"]")
        read = dict(zip((doc_id for _, _, doc_id in spans), parsed, strict=True))
        return {
            doc_id: read[doc_id] if isinstance(value, tuple) else value for doc_id, value in wanted.items()
        }

    def _read_spans(self, spans: list[tuple[int, int, str]]) -> list[bytes]:
        """The bytes of each (start, length, doc_id), in the order ``spans`` is sorted into;
        neighbours in the file are read with one pread."""
        if not spans:
            return []
        if self._journal is None:
            raise StoreError(f"database {self.path} is closed")
        read_at = self._journal.read_at
        spans.sort()
        texts: list[bytes] = []
        first, count = 0, len(spans)
        while first < count:
            start, length, _ = spans[first]
            end, last = start + length, first + 1
            while last < count and spans[last][0] - end <= _READ_GAP:
                end = max(end, spans[last][0] + spans[last][1])
                last += 1
            if last == first + 1:
                texts.append(read_at(start, length))
            else:
                data = read_at(start, end - start)
                texts += [data[at - start : at - start + size] for at, size, _ in spans[first:last]]
            first = last
        return texts

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
                moved: dict[str, dict[str, Span]] = {}
                self._journal.rewrite(self._snapshot(data, moved))
                for name, spans in moved.items():
                    data[name].update(spans)
                self._indexed = 0  # the index describes the file before
            self._data = data

    def close(self) -> None:
        if self._journal is not None:
            # Unless it is the one this open read and nothing was added since.
            if not self._journal.read_only and _INDEX_WORTH <= self._journal.size != self._indexed:
                self._save_index()
            self._journal.close()
            self._journal = None
        self._closed = True

    def accept(self) -> None:
        """The opener read everything and keeps the database: finish recovery (see ``Journal.accept``)."""
        if self._journal is not None and not self._journal.read_only:
            self._journal.accept()
            # Much read without an index (a first start, or after a crash): the next start need not.
            if self._journal.size - self._indexed >= _INDEX_WORTH:
                self._save_index()

    # the start-up index
    def _index_file(self, database: Path) -> Path:
        return database.with_name(database.name + ".index")

    def _read_index(self, path: Path) -> tuple[int, int, Tables] | None:
        """(size, crc32, tables) of the start-up index beside ``path``; None if there is none that
        this program wrote for this kind of store."""
        header = _INDEX_HEADER + b" " + dumps(self._cold_prefix).encode("utf-8") + b"\n"
        try:
            raw = self._index_file(real_file(path)).read_bytes()
        except (OSError, StoreError):
            return None
        checksum, body = raw[len(header) : len(header) + 9], raw[len(header) + 9 :]
        try:
            if raw.startswith(header) and int(checksum, 16) == zlib.crc32(body):
                size, crc, data = marshal.loads(body)
                if isinstance(size, int) and isinstance(crc, int) and isinstance(data, dict):
                    return size, crc, data
        except (ValueError, EOFError, TypeError):
            pass
        log.info("%s: its start-up index is damaged or from another version; the whole file was read", path)
        return None

    def _save_index(self) -> None:
        """Write the start-up index for the journal as it is now (best effort: it is a cache)."""
        journal = self._journal
        if journal is None or journal.read_only or self._depth or self._cold_prefix is None:
            return
        header = _INDEX_HEADER + b" " + dumps(self._cold_prefix).encode("utf-8") + b"\n"
        target = self._index_file(journal.file)
        scratch = target.with_name(target.name + ".tmp")
        try:
            size, crc = journal.checksum()
            body = marshal.dumps((size, crc, self._data))
            scratch.write_bytes(header + b"%08x\n" % zlib.crc32(body) + body)
            os.replace(scratch, target)
            self._indexed = size
        except (OSError, ValueError, StoreError) as exc:
            log.warning(
                "could not write the start-up index %s (the next start reads the whole file): %s", target, exc
            )

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
                    self._pending_cold = []

    def _commit(self) -> None:
        payload = "[" + ",".join(self._pending) + "]"
        if self._journal is None:
            return
        start = self._journal.size + PAYLOAD_START
        self._journal.append(payload)
        if not self._pending_cold:
            return
        # Where each operation starts in the saved record: after "[" and the ones before it and a comma each.
        op_starts = [start + 1]
        for text in self._pending[:-1]:
            op_starts.append(op_starts[-1] + len(text.encode("utf-8")) + 1)
        for name, doc_id, document, op, place, size in self._pending_cold:
            table = self._data.get(name)
            # Only if nothing later in the transaction replaced or removed it.
            if table is not None and table.get(doc_id) is document:
                table[doc_id] = (op_starts[op] + place, size, self._brief(name, document))

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
                if op[0] == "put" and self.is_cold(op[1]) and op[2]:
                    self._submit_cold_put(op[1], op[2])
                    continue
                text = dumps(op)
                self._pending.append(text)
                apply_ops(self._data, [json.loads(text)], self._undo)

    def _submit_cold_put(self, name: str, docs: dict[str, Any]) -> None:
        """A put into a cold table, noting where each document will be in the saved record."""
        encoded = {str(doc_id): dumps(doc) for doc_id, doc in docs.items()}
        text, places = _cold_put_text(name, encoded.items())
        op = json.loads(text)
        self._pending.append(text)
        apply_ops(self._data, [op], self._undo)
        for doc_id, place, size in places:
            self._pending_cold.append((name, doc_id, op[2][doc_id], len(self._pending) - 1, place, size))

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
                replace_unlocked_file(dest, self._snapshot(self._data, {}))
            except OSError as exc:
                raise StoreError(f"could not write the backup {dest}: {exc.strerror or exc}") from None

    def _snapshot(self, data: Tables, moved: dict[str, dict[str, Span]]) -> Iterator[str]:
        """Journal payloads that rebuild ``data``: what compaction and backups write. Cold
        documents are copied as they are in the file; ``moved`` gets their places in the new one."""
        position = len(encode(dumps(HEADER)))  # where the next line starts in the new file
        for name, table in data.items():
            if not table:
                payload = dumps([["put", name, {}]])
                position += PAYLOAD_START + len(payload.encode("utf-8")) + 1
                yield payload
            items = list(table.items())
            for start in range(0, len(items), _SNAPSHOT_CHUNK):
                chunk = items[start : start + _SNAPSHOT_CHUNK]
                if self.is_cold(name):
                    texts = self._texts(chunk)
                    op, places = _cold_put_text(name, ((doc_id, texts[doc_id]) for doc_id, _ in chunk))
                    payload = "[" + op + "]"
                    spans = moved.setdefault(name, {})
                    for (doc_id, value), (_, place, size) in zip(chunk, places, strict=True):
                        brief = value[2] if isinstance(value, tuple) else self._brief(name, value)
                        spans[doc_id] = (position + PAYLOAD_START + 1 + place, size, brief)
                else:
                    payload = dumps([["put", name, dict(chunk)]])
                position += PAYLOAD_START + len(payload.encode("utf-8")) + 1
                yield payload

    def _texts(self, chunk: list[tuple[str, Any]]) -> dict[str, str]:
        """Each cold document's JSON text: as it is in the file, or encoded if still in memory."""
        texts = {doc_id: dumps(value) for doc_id, value in chunk if not isinstance(value, tuple)}
        spans = [(value[0], value[1], doc_id) for doc_id, value in chunk if isinstance(value, tuple)]
        for (_, _, doc_id), data in zip(spans, self._read_spans(spans), strict=True):
            texts[doc_id] = data.decode("utf-8")
        return texts

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

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        cold_prefix: str | None = None,
        brief: Brief = _no_brief,
    ) -> None:
        super().__init__(
            path, read_only=read_only, cold_prefix=cold_prefix, brief=brief, storage=JournalStorage
        )
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
