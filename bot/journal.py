"""The database file: an append-only journal of checksummed JSON lines, fsynced before every return.

File layout (UTF-8 text, one record per line)::

    <crc32 of the JSON, 8 hex digits> <JSON>\\n

The first record is the header ``{"format": "plan-tracker-bot/store", "version": 1}``. Every
later record is one committed change: a JSON list of operations (see ``bot.storage``). Appends
are the only writes in normal operation, so a crash can damage at most the record being
appended, which was never acknowledged. Once the whole database has been read and accepted,
such a torn tail (a last line without its newline) is cut off (and its bytes kept in
``PATH.torn-<offset>`` for inspection); damage anywhere else, a complete last line that fails its
checksum included, raises ``StoreCorrupt`` and the file is left exactly as it was. Compaction and
backups write a complete new file next to the target and rename it into place, so the file is
never half-written.

A writer holds an exclusive ``flock`` on the database file itself (the opened inode, whatever
name reached it: a symlink, a hard link, a relative path): a second writer (another process or
another object in this one) gets ``StoreLocked``. Compaction locks its new file before renaming it
into place, and an opener that locked a file which has since been replaced tries again on the
file now at the path. ``PATH.lock`` beside the real file only names the holder's pid for the
message. A symlink is followed to the file it names (compaction replaces that file, never the
link); a dangling symlink, a FIFO, a device or anything else but a regular file is refused.

An open that is refused (damage, a record this version cannot read, an I/O error) leaves the
directory as it was: the lock file, directories or empty database it created are removed again,
an older lock file keeps its contents, and a lock file another process holds is never touched.

A read-only open takes no lock and changes nothing, so it works while the bot (the writer) runs:
it reads the file once and replays the complete, checksummed records. A last record without its
newline is one the writer has not finished (or never will): the reader leaves it out and leaves
it where it is, for the writer to finish or to cut when it next opens. Each record is one committed change,
so what a reader sees is the database as of some commit; it does not follow later writes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = "plan-tracker-bot/store"
VERSION = 1
HEADER: dict[str, Any] = {"format": FORMAT, "version": VERSION}


class StoreError(Exception):
    """Base of the store's errors; the message is readable by an operator."""


class StoreCorrupt(StoreError):
    """The database file cannot be read. The file is left untouched."""


class StoreLocked(StoreError):
    """Another process (or another Store object) has the database open for writing.

    ``holder`` is the pid written in the lock file ('' if unknown).
    """

    def __init__(self, message: str, *, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder


def encode(payload: str) -> bytes:
    """One journal line for a JSON payload."""
    data = payload.encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(data), data)


PAYLOAD_START = 9
"""Bytes before a line's JSON: the checksum and a space."""

RecordReader = Callable[[int, bytes], Any]
"""Reads one record's JSON payload, given where the payload starts in the file; ValueError if it
cannot (``read_json`` reads it whole; ``bot.storage`` leaves history documents where they are)."""


def read_json(offset: int, payload: bytes) -> Any:
    return json.loads(payload.decode("utf-8"))


def decode(line: bytes) -> Any:
    """The JSON value of one journal line (without its newline); ValueError if damaged."""
    return read_json(PAYLOAD_START, checked_payload(line))


def checked_payload(line: bytes) -> bytes:
    """The JSON bytes of one journal line (without its newline), checksum verified; ValueError if damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        raise ValueError("not a journal record")
    data = line[9:]
    try:
        expected = int(line[:8], 16)
    except ValueError:
        raise ValueError("bad checksum field") from None
    if zlib.crc32(data) != expected:
        raise ValueError("checksum mismatch")
    return data


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """The one JSON spelling used in the journal: compact, Chinese kept as UTF-8."""
    # One encoder for every call: json.dumps with options builds a new one each time.
    return _ENCODER.encode(value)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | bytearray, offset: int | None = None) -> None:
    """Write all of ``data`` at the file position, or at ``offset`` (the journal's end)."""
    view = memoryview(data)
    while view:
        if offset is None:
            written = os.write(fd, view)
        else:
            written = os.pwrite(fd, view, offset)
            offset += written
        view = view[written:]


def real_file(path: Path, *, must_exist: bool = False) -> Path:
    """The regular file ``path`` names, symlinks followed; StoreError for anything else.

    Nothing here replaces a symlink, FIFO or device: a symlink is written through to its target,
    a dangling one is refused (its target's folder is not ours to guess), and a FIFO or device
    would block a reader or never hold a journal.
    """
    real = Path(os.path.realpath(path))
    if path.is_symlink() and not real.exists():
        raise StoreError(f"{path} is a symlink to {real}, which does not exist; point --db at the real file")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        if must_exist:
            raise StoreError(f"no database at {path}") from None
        return real
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise StoreError(f"database path {path} is a directory; give a file path")
    if not stat.S_ISREG(mode):
        raise StoreError(f"{path} is not a regular file (a FIFO, device or socket); it was left alone")
    return real


def _flock_holder(fd: int) -> str:
    """The pid holding a flock on ``fd``'s file, from /proc/locks ('' where it cannot be told)."""
    held = os.fstat(fd)
    inode = f"{os.major(held.st_dev):02x}:{os.minor(held.st_dev):02x}:{held.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for line in locks:
                fields = line.split()
                # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" ("->" marks a waiter)
                if "->" not in fields and len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
                    return fields[4]
    except OSError:
        pass
    return ""


def _locked(path: Path, message_path: Path, fd: int) -> None:
    """Take the writer's exclusive flock on ``fd`` (the database file itself), or raise StoreLocked."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            holder = _flock_holder(fd)
            who = f"process {holder}" if holder else "another process"
            raise StoreLocked(
                f"database {message_path} is already open ({who} holds {path}, perhaps under another "
                "name); stop the other bot or command first",
                holder=holder,
            ) from None
        raise StoreError(f"cannot lock {message_path}: {exc.strerror}") from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)


def lock_file_at(path: Path, message_path: Path) -> int:
    """An O_RDWR descriptor of the regular file at ``path``, exclusively flocked; StoreLocked if held.

    A file replaced between our open and our flock (a compaction renamed a new one into place) is
    not the database any more: lock the one now at the path instead.
    """
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
        except OSError as exc:
            raise StoreError(f"cannot open database {message_path} for writing: {exc.strerror}") from None
        try:
            _locked(path, message_path, fd)
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)


class _Lock:
    """An exclusive ``flock`` on ``PATH.lock``, which names the holder's pid for the message.

    The exclusion that matters is the flock on the database file itself (``lock_file_at``); this
    one keeps the pid note of the holder beside the file.

    ``abandon()`` gives the lock up after a refused open and leaves the directory as it was: a
    lock file this open created is removed (while still held, so nobody else can hold it), and an
    older one gets its old contents back.
    """

    def __init__(self, db_path: Path, message_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        while True:
            self._fd, self._created = self._open_file()
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(self._fd, 64, 0).decode("ascii", "replace").strip()
                os.close(self._fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    who = f"process {holder}" if holder else "another process"
                    raise StoreLocked(
                        f"database {message_path} is already open ({who} holds {self.path}); "
                        "stop the other bot or command first",
                        holder=holder,
                    ) from None
                raise StoreError(f"cannot lock {self.path}: {exc.strerror}") from None
            if self._still_at_path():
                break
            # A refused open removed the file between our open and our flock: a lock on an
            # unlinked file excludes nobody, so take the lock on the file now at the path.
            os.close(self._fd)
        self._previous = b"" if self._created else os.pread(self._fd, 4096, 0)
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as exc:
            self.abandon()
            raise StoreError(f"cannot write the lock file {self.path}: {exc.strerror}") from None

    def _open_file(self) -> tuple[int, bool]:
        """The lock file's descriptor, and whether this call created it."""
        while True:
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
            except FileExistsError:
                pass
            try:
                return os.open(self.path, os.O_RDWR), False
            except FileNotFoundError:
                continue  # removed in between: create it again

    def _still_at_path(self) -> bool:
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(self._fd)
        return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1

    def abandon(self) -> None:
        """Release after a refused open, leaving the lock file as it was before (or absent)."""
        if self._fd < 0:
            return
        try:
            if self._created:
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(self._fd, 0)
                os.pwrite(self._fd, self._previous, 0)
        except OSError as exc:
            log.warning("could not restore %s after a refused open: %s", self.path, exc.strerror)
        self.release()


@contextmanager
def writer_lock(db_path: Path) -> Iterator[Path]:
    """Hold the writer's locks without reading the database, as an opening writer takes them
    (``PATH.lock``, then the file itself): for replacing the file (``db restore``).

    Yields the real file (symlinks followed); raises StoreLocked while the bot or another
    command has the database open.
    """
    real = real_file(db_path)
    lock = _Lock(real, db_path)
    fd = -1
    try:
        if real.exists():
            fd = lock_file_at(real, db_path)
        yield real
    finally:
        if fd >= 0:
            os.close(fd)
        lock.release()


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    _fsync_dir(directory)


def write_new_file(path: Path, payloads: Iterable[str], *, keep_locked: bool = False) -> int:
    """Write a complete journal (header + payloads) to ``path`` atomically: temp file, fsync, rename.

    ``path`` is a real file path (``real_file``): the rename replaces whatever is there. With
    ``keep_locked`` the new file is flocked before it appears at ``path``, so no other writer can
    take it first, and its open descriptor is returned (otherwise -1).
    """
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # never write through a leftover symlink or FIFO of that name
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        if keep_locked:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        buffer = bytearray(encode(dumps(HEADER)))
        for payload in payloads:
            buffer += encode(payload)
            if len(buffer) >= 1 << 20:
                _write_all(fd, buffer)
                buffer.clear()
        _write_all(fd, buffer)
        os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    if keep_locked:
        return fd
    os.close(fd)
    return -1


def replace_unlocked_file(path: Path, payloads: Iterable[str]) -> None:
    """Write a complete journal to ``path`` (a backup's DEST), never under a writer's feet.

    A symlink is written through to its target; an existing target must be a regular file that no
    writer holds, under any name (StoreLocked otherwise): replacing a running bot's database would
    send its later writes to an unlinked file.
    """
    real = real_file(path)
    if not real.exists():
        write_new_file(real, payloads)
        return
    fd = lock_file_at(real, path)
    try:
        os.close(write_new_file(real, payloads, keep_locked=True))
    finally:
        os.close(fd)


# A reader that sees damage mid-file reads again before calling it damage: a writer that cuts a
# torn tail and appends while the reader reads can show it a spliced line that is not on disk.
_READ_ATTEMPTS = 3


class Journal:
    """An open database file: ``records`` were read at open; ``append`` adds one durably.

    Opening for writing changes nothing yet that a refusal could not undo. The caller, once it
    has read ``records`` and keeps the database, calls ``accept()`` (which cuts a torn tail; the
    first write does it too); a caller that refuses the database calls ``abandon()``, which
    leaves the directory as it was before the open.

    A read-only journal (``lock`` None) refuses ``append`` and ``rewrite``; it keeps the file it
    read open for ``read_at`` (a compaction that replaces the file meanwhile does not change it).
    """

    def __init__(
        self,
        path: Path,
        lock: _Lock | None,
        records: list[Any],
        size: int,
        *,
        fd: int = -1,
        file: Path | None = None,
        torn: bytes = b"",
        created: Iterable[Path] = (),
        first_line: int = 2,
        crc: int | None = None,
    ) -> None:
        self.path = path
        # The real file (symlinks followed): what compaction replaces and torn tails sit beside.
        self.file = file if file is not None else path
        self.records = records
        self._lock = lock
        self._size = size
        # The database file, flocked: the writer's exclusion, whatever name reaches the file.
        self._fd = fd
        self._broken: str | None = None
        # After ``size``: a half-written last record, cut by ``accept()``.
        self._torn = torn
        # Directories and the database file this open created, outermost first.
        self._created = list(created)
        # The line number of ``records[0]``; 0 when reading began after a known first part (``open``).
        self.first_line = first_line
        self.resumed = first_line == 0
        # CRC-32 of the file's first ``size`` bytes, kept as records are appended (None: not known).
        self._crc = crc

    @property
    def read_only(self) -> bool:
        return self._lock is None

    def refuse_if_read_only(self) -> None:
        if self._lock is None:
            raise StoreError(f"database {self.path} is open read-only; the change was not saved")

    @classmethod
    def open(
        cls, path: Path, read_record: RecordReader = read_json, known: tuple[int, int] | None = None
    ) -> Journal:
        """Lock, create if absent and read the journal at ``path``; a refusal leaves no trace.

        ``records`` holds what ``read_record`` made of each record; with ``known`` (size, crc32)
        only of those after a first part read before, if the file still begins with it
        (``resumed``)."""
        real = real_file(path)
        created = [folder for folder in reversed(real.parents) if not folder.exists()]
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _remove_created(created)
            raise StoreError(f"cannot create the directory for {path}: {exc.strerror}") from None
        try:
            lock = _Lock(real, path)
        except BaseException:
            _remove_created(created)
            raise
        fd = -1
        try:
            if not real.exists():
                fd = write_new_file(real, [], keep_locked=True)
                created.append(real)
            else:
                fd = lock_file_at(real, path)
            data = _read_fd(fd, path)
            records, valid_end, first_line = _parse(path, data, read_record, known)
            return cls(
                path,
                lock,
                records,
                valid_end,
                fd=fd,
                file=real,
                torn=data[valid_end:],
                created=created,
                first_line=first_line,
                crc=_crc_to(data, valid_end, known if first_line == 0 else None),
            )
        except BaseException as exc:
            if fd >= 0:
                os.close(fd)
            lock.abandon()
            _remove_created(created)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot open database {path} for writing: {exc.strerror}") from None
            raise

    @classmethod
    def open_read_only(
        cls, path: Path, read_record: RecordReader = read_json, known: tuple[int, int] | None = None
    ) -> Journal:
        """Read the journal at ``path`` without locking, creating, repairing or writing anything."""
        real_file(path, must_exist=True)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise StoreError(f"no database at {path}") from None
        except OSError as exc:
            raise StoreError(f"cannot read database {path}: {exc.strerror}") from None
        try:
            data = _read_fd(fd, path)
            attempt = 1
            while True:
                try:
                    records, valid_end, first_line = _parse(path, data, read_record, known)
                except StoreCorrupt:
                    again = _read_fd(fd, path)
                    if again == data or attempt == _READ_ATTEMPTS:
                        raise
                    data, attempt = again, attempt + 1
                else:
                    return cls(path, None, records, valid_end, fd=fd, first_line=first_line)
        except BaseException:
            os.close(fd)
            raise

    def accept(self) -> None:
        """Keep the database as opened: cut a torn last record (its bytes kept beside the file)."""
        if self._torn:
            try:
                _cut_torn_tail(self.file, self._fd, self._torn, self._size)
            except OSError as exc:
                raise StoreError(
                    f"cannot cut the half-written last record of {self.path}: {exc.strerror}"
                ) from None
            self._torn = b""
        self._created = []

    def abandon(self) -> None:
        """Close after the caller refused the database, leaving the directory as it was before."""
        created, self._created = self._created, []
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock is not None:
            self._lock.abandon()
        _remove_created(created)

    def append(self, payload: str) -> None:
        """Append one record and fsync; on failure the file is cut back to where it was."""
        self.refuse_if_read_only()
        if self._broken is not None:
            raise StoreError(self._broken)
        self.accept()
        line = encode(payload)
        try:
            _write_all(self._fd, line, self._size)
            os.fsync(self._fd)
        except OSError as exc:
            self._undo_partial_append()
            raise StoreError(
                f"could not save to {self.path}: {exc.strerror}; the change was not saved"
            ) from None
        self._size += len(line)
        if self._crc is not None:
            self._crc = zlib.crc32(line, self._crc)

    def _undo_partial_append(self) -> None:
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        except OSError as exc:
            # The tail may now hold part of a record; appending after it would bury it mid-file.
            self._broken = (
                f"{self.path} could not be repaired after a failed write ({exc.strerror}); "
                "restart to recover it"
            )

    def rewrite(self, payloads: Iterable[str]) -> None:
        """Replace the whole file with header + ``payloads`` atomically (compaction)."""
        self.refuse_if_read_only()
        if self._broken is not None:
            raise StoreError(self._broken)
        self.accept()
        try:
            # The new file is locked before it takes the name: no opener can get between.
            new_fd = write_new_file(self.file, payloads, keep_locked=True)
        except OSError as exc:
            raise StoreError(
                f"could not rewrite {self.path}: {exc.strerror}; the old file is intact"
            ) from None
        os.close(self._fd)  # an opener waiting on the old file finds it replaced and tries the new
        self._fd = new_fd
        self._size = os.fstat(self._fd).st_size
        self._crc = None

    @property
    def size(self) -> int:
        return self._size

    def checksum(self) -> tuple[int, int]:
        """(size, CRC-32) of the file as this writer has it: what a start-up index was made from."""
        if self._crc is None:
            self._crc = crc32(self.read_at(0, self._size), self._size)
        return self._size, self._crc

    def read_at(self, offset: int, length: int) -> bytes:
        """``length`` bytes of the file from ``offset``: a part of a record read at open or since
        appended (its checksum was verified then)."""
        if self._fd < 0:
            raise StoreError(f"database {self.path} is closed")
        try:
            data = os.pread(self._fd, length, offset)
        except OSError as exc:
            raise StoreError(f"cannot read database {self.path}: {exc.strerror}") from None
        if len(data) != length:
            raise StoreError(f"database {self.path} is shorter than it was when read; reopen it")
        return data

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock is not None:
            self._lock.release()


def _lines(data: bytes, start: int = 0) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, line without newline, has newline) for each line of ``data`` from ``start``."""
    end = len(data)
    while start < end:
        newline = data.find(b"\n", start)
        if newline < 0:
            yield start, data[start:], False
            return
        yield start, data[start:newline], True
        start = newline + 1


def _read_fd(fd: int, path: Path) -> bytes:
    """The whole file behind ``fd``: the locked file itself, not whatever the name now points to."""
    chunks: list[bytes] = []
    offset = 0
    try:
        # One read of the size the file has, then on to its end should it have grown meanwhile.
        expected = os.fstat(fd).st_size + 1
        while chunk := os.pread(fd, max(expected - offset, 1 << 20), offset):
            chunks.append(chunk)
            offset += len(chunk)
    except OSError as exc:
        raise StoreError(f"cannot read database {path}: {exc.strerror}") from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _remove_created(created: list[Path]) -> None:
    """Undo what a refused open created: the database file, then its new directories, innermost first."""
    for created_path in reversed(created):
        try:
            if created_path.is_dir():
                created_path.rmdir()  # only if still empty: never take anything else with it
            else:
                created_path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s after a refused open: %s", created_path, exc.strerror)


def _parse(
    path: Path, data: bytes, read_record: RecordReader, known: tuple[int, int] | None = None
) -> tuple[list[Any], int, int]:
    """The records after the header, where the valid part ends (before an invalid last record),
    and the line number of the first record read: 2, or 0 when reading began after ``known``
    (lines are counted only to name a damaged one).

    ``known`` (size, crc32) is a part of the file read before (``bot.storage``'s start-up index):
    if the file still begins with exactly those bytes, only the records after them are read.
    Damage before the last record raises StoreCorrupt; nothing here touches the file.
    """
    if not data:
        raise StoreCorrupt(
            f"database {path} is empty, not a store file; it was left untouched. "
            "If you meant to start afresh, move it aside (keep it) and start again."
        )
    _, header_line, header_complete = next(_lines(data))
    try:
        header = decode(header_line)
    except ValueError:
        header = None
    if isinstance(header, dict) and header.get("format") == FORMAT and header.get("version") != VERSION:
        raise StoreCorrupt(
            f"database {path} is store format version {header.get('version')!r}; this program reads "
            f"version {VERSION}. It was left untouched: run the version of the bot that wrote it."
        )
    if header != HEADER or not header_complete:
        raise StoreCorrupt(
            f"database {path} is not a plan-tracker-bot store (its first line is not the "
            f"{FORMAT} v{VERSION} header); it was left untouched"
        )
    start, first = len(header_line) + 1, 1
    if known is not None:
        size, crc = known
        if start <= size <= len(data) and data[size - 1 : size] == b"\n" and crc32(data, size) == crc:
            start, first = size, 0  # counted only to name a damaged line
    lines = list(_lines(data, start))
    records: list[Any] = []
    valid_end = start
    last = first + len(lines) - 1
    for index, (offset, line, has_newline) in enumerate(lines, start=first):
        try:
            record = read_record(offset + PAYLOAD_START, checked_payload(line))
            if not isinstance(record, list) or not has_newline:
                raise ValueError("not a change record" if has_newline else "no end of line")
        except ValueError as exc:
            # Only a last line without its newline is a write that never finished: the newline is
            # the last byte an append writes. A complete line that fails its checksum is damage,
            # wherever it is, and cutting it would delete a record that was confirmed.
            if index == last and not has_newline:
                return records, offset, first + 1 if first else 0
            if not first:
                index += data.count(b"\n", 0, start)
            raise StoreCorrupt(
                f"database {path} is damaged at line {index + 1} (byte {offset}): {exc}. "
                f"It was left untouched. The {index} lines before it are intact; restore a backup, "
                "or copy the file and cut it at that byte to keep the records before it."
            ) from None
        records.append(record)
        valid_end = offset + len(line) + 1
    return records, valid_end, first + 1 if first else 0


def _crc_to(data: bytes, end: int, known: tuple[int, int] | None) -> int:
    """The CRC-32 of ``data[:end]``, continued from the ``known`` (size, crc32) first part if given."""
    if known is None:
        return crc32(data, end)
    size, crc = known
    with memoryview(data) as view:
        return zlib.crc32(view[size:end], crc)


def crc32(data: bytes, size: int, value: int = 0) -> int:
    """The CRC-32 of ``data``'s first ``size`` bytes (continuing ``value``), without copying them."""
    with memoryview(data) as view:
        return zlib.crc32(view[:size], value)


def _cut_torn_tail(path: Path, fd: int, tail: bytes, offset: int) -> None:
    """Cut an unacknowledged, half-written last record (``tail`` at ``offset``), keeping it aside."""
    torn = path.with_name(f"{path.name}.torn-{offset}")
    torn.write_bytes(tail)
    os.ftruncate(fd, offset)
    os.fsync(fd)
    _fsync_dir(path.parent)
    log.warning(
        "%s: cut a half-written last record (%d bytes at byte %d, kept in %s): a write that was "
        "interrupted before it was confirmed",
        path,
        len(tail),
        offset,
        torn.name,
    )
