"""The store: the only way the product touches TinyDB.

API CONTRACT (fixed; the store's internals are free). Other modules code against exactly
these names and signatures.

How it works (details in ``bot.storage`` and ``bot.journal``): TinyDB tables live in memory and
every change is appended to one journal file, checksummed and fsynced before the method returns.
The bot calls these methods inside its event loop, so each fsync blocks it briefly; that is on
purpose: a report is durable before the chat is told it was recorded, and the volume is small.
Tables are kept small where reads are hot: progress history is partitioned per measure
(``progress:<measure>``) and stays in the file (memory holds where each report is, with its time,
unit and item; a report is read from the file when a history asks for it); the latest status has
its own table (``latest``: one report per measure, unit and item, where a report on the measure as
a whole has no item, as every report of a database written before items had); and the reminder
ledger is partitioned per day (``ledger:<YYYY-MM-DD>``). Small in-memory indexes over ``latest``
and the ledger make the lookups the reminder engine and ``/overdue`` need independent of history.

One process writes (the bot, or a command while the bot is stopped); ``Store.open(path,
read_only=True)`` reads alongside it without a lock: the database as of its last commit when
opened, every write refused.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tinydb import where
from tinydb.table import Document

from bot.clock import TZ
from bot.journal import StoreCorrupt, StoreError, StoreLocked
from bot.models import ProgressEntry, ProgressSource, Status
from bot.storage import JournalStorage, JournalTable, StoreDB, collector_paused
from bot.supervision import RECORD_MODELS

__all__ = [
    "INVITE_ALPHABET",
    "INVITE_LENGTH",
    "Acknowledgement",
    "Binding",
    "Invite",
    "InviteError",
    "ItemKey",
    "LatestAsOf",
    "LedgerEntry",
    "Role",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreStats",
    "normalize_invite_code",
]

Role = Literal["admin"]
ROLES: tuple[Role, ...] = ("admin",)

# No 0/O, 1/I/L: a code read aloud or copied by hand still works. 31**8 ≈ 8.5e11 codes.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_LENGTH = 8

BINDINGS = "bindings"
ROLES_TABLE = "roles"
INVITES = "invites"
META = "meta"
LATEST = "latest"
PROGRESS_PREFIX = "progress:"
LEDGER_PREFIX = "ledger:"
ACKNOWLEDGEMENTS = "acknowledgements"


InviteProblem = Literal["unknown", "used", "expired", "withdrawn"]


class InviteError(StoreError):
    """An invite code cannot be used (or withdrawn); ``reason`` says why (``InviteProblem``)."""

    def __init__(self, reason: InviteProblem, code: str) -> None:
        super().__init__(f"invite {code!r} is {reason}")
        self.reason = reason
        self.code = code


class Binding(BaseModel):
    """What one chat is bound to: units (a unit group chat) and/or a leader (a leader's chat)."""

    model_config = ConfigDict(frozen=True)
    chat_id: int
    units: list[str] = Field(default_factory=list)
    leader: str | None = None
    title: str = ""


class Invite(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    unit: str
    created_at: datetime
    expires_at: datetime
    created_by: int | None = None
    used_by_chat: int | None = None
    used_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def open_at(self, moment: datetime) -> bool:
        """Whether the code can still bind a chat at ``moment``."""
        return self.used_at is None and self.withdrawn_at is None and moment < self.expires_at


class LedgerEntry(BaseModel):
    """One delivered digest: on ``day``, to ``chat_id``, for ``recipient`` (e.g. 'unit:区水务局')."""

    model_config = ConfigDict(frozen=True)
    day: date
    chat_id: int
    recipient: str
    sent_at: datetime
    message_ids: list[int] = Field(default_factory=list)


LedgerKey = tuple[date, int, str]
ItemKey = tuple[str, str, str | None]
"""(measure, unit, item): an item's id, or None for a report on the measure as a whole."""


def _item_key(entry: ProgressEntry) -> ItemKey:
    """The key a report's status is kept under: its measure, unit and item."""
    return (entry.measure, entry.unit, entry.item)


ReportBrief = tuple[tuple[float, int], tuple[str, str | None]]
"""What memory keeps of a stored report besides its place in the file: ((time as a timestamp,
number), (unit, item)), in the shapes the past-day lookups sort and group by."""


class _Briefs:
    """Makes each report's ``ReportBrief``, one (unit, item) tuple shared by all of a key's reports."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str | None], tuple[str, str | None]] = {}

    def __call__(self, table: str, doc: Any) -> ReportBrief | None:
        """None for a document that is no report (``verify`` names it)."""
        try:
            moment, seq, key = (
                datetime.fromisoformat(doc["at"]).timestamp(),
                doc["seq"],
                (doc["unit"], doc.get("item")),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(seq, int) or not isinstance(key[0], str):
            return None
        return (moment, seq), self._keys.setdefault(key, key)

    def of(self, table: str, value: Any) -> ReportBrief | None:
        """The brief of a stored report: kept beside its place in the file, or made from the document."""
        return cast(ReportBrief | None, value[2]) if type(value) is tuple else self(table, value)


class LatestAsOf(Mapping[ItemKey, ProgressEntry]):
    """The latest report per (measure, unit, item) as of a past day, read-only, without a copy:
    the store's live latest map, with the few keys that have a later report replaced by the report
    that was latest then (or left out, if there was none yet)."""

    def __init__(self, latest: Mapping[ItemKey, ProgressEntry], then: dict[ItemKey, ProgressEntry | None]):
        self._latest = latest
        self._then = then
        self._missing = sum(1 for entry in then.values() if entry is None)

    def __getitem__(self, key: ItemKey) -> ProgressEntry:
        if key in self._then:
            entry = self._then[key]
            if entry is None:
                raise KeyError(key)
            return entry
        return self._latest[key]

    def __iter__(self) -> Iterator[ItemKey]:
        return (key for key in self._latest if key not in self._then or self._then[key] is not None)

    def __len__(self) -> int:
        return len(self._latest) - self._missing


class _AsOfIndex:
    """What "latest as of a day" needs, kept current with every report: the latest report per key
    in time order (the keys a past day must look further back for are the tail after that day),
    and, built the first time a past day asks about a measure, each key's reports in time order,
    so looking back is one bisection per key. Times are timestamps: comparing aware datetimes
    calls into the time zone on every comparison."""

    # Reports looked back to, by number: paging a past day's view asks for the same ones again.
    LOADED_KEPT = 5000

    def __init__(self, briefs: _Briefs) -> None:
        self.latest: dict[ItemKey, ProgressEntry] = {}
        self._briefs = briefs
        self._order: list[tuple[float, int, ItemKey]] = []
        # Per measure, per (unit, item): (time, number) of each report, in time order.
        self._reports: dict[str, dict[tuple[str, str | None], list[tuple[float, int]]]] = {}
        self._loaded: dict[int, ProgressEntry] = {}

    def reset(self, latest: dict[ItemKey, ProgressEntry]) -> None:
        self.latest = latest
        self._order = sorted((entry.at.timestamp(), entry.seq, key) for key, entry in latest.items())
        self._reports = {}
        self._loaded = {}

    def add(self, entry: ProgressEntry) -> None:
        key = _item_key(entry)
        replaced = self.latest.get(key)
        if _later(entry, replaced):
            self.latest[key] = entry
            if replaced is not None:
                self._order.remove((replaced.at.timestamp(), replaced.seq, key))
            insort(self._order, (entry.at.timestamp(), entry.seq, key))
        by_key = self._reports.get(entry.measure)
        if by_key is not None:
            insort(by_key.setdefault((entry.unit, entry.item), []), (entry.at.timestamp(), entry.seq))

    def as_of(self, day: date, storage: JournalStorage) -> Mapping[ItemKey, ProgressEntry]:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=TZ).timestamp()
        later = self._order[bisect_left(self._order, (end,)) :]
        latest = MappingProxyType(self.latest)
        if not later:
            return latest
        # A past day's first look builds a list per stored report's item and loads a report per
        # item, all acyclic (see ``collector_paused``): at 100k reports the collector's passes
        # over them meanwhile added about 15 ms to the bot's start-up catch-up.
        with collector_paused():
            found = {key: self._before(key, end, storage) for _, _, key in later}
            self._load_missing(found, storage)
        return LatestAsOf(latest, {key: self._loaded[seq] if seq else None for key, seq in found.items()})

    def _before(self, key: ItemKey, end: float, storage: JournalStorage) -> int:
        """The number of the key's latest report (by time, then number) before ``end``; 0 if none."""
        measure = key[0]
        by_key = self._reports.get(measure)
        if by_key is None:
            by_key = self._reports[measure] = self._dated_reports(PROGRESS_PREFIX + measure, storage)
        reports = by_key.get(key[1:], [])
        before = bisect_left(reports, (end,))
        return reports[before - 1][1] if before else 0

    def _dated_reports(
        self, table: str, storage: JournalStorage
    ) -> dict[tuple[str, str | None], list[tuple[float, int]]]:
        """Per (unit, item), the (time, number) of each report of a measure, in time order: from
        the briefs memory keeps, not from the file."""
        by_key: dict[tuple[str, str | None], list[tuple[float, int]]] = {}
        for raw_id, value in storage.read().get(table, {}).items():
            # Inlined ``_Briefs.of``: a past day's first view runs this for every stored report.
            brief = value[2] if type(value) is tuple else self._briefs(table, value)
            if brief is None:
                raise StoreCorrupt(f"report {raw_id} of table {table!r} cannot be read; run db check")
            reports = by_key.get(brief[1])
            if reports is None:
                by_key[brief[1]] = [brief[0]]
            else:
                reports.append(brief[0])
        for reports in by_key.values():
            reports.sort()
        return by_key

    def _load_missing(self, found: dict[ItemKey, int], storage: JournalStorage) -> None:
        """Read the reports of ``found`` not read before, a measure's at a time."""
        missing: dict[str, list[str]] = {}
        for key, seq in found.items():
            if seq and seq not in self._loaded:
                missing.setdefault(PROGRESS_PREFIX + key[0], []).append(str(seq))
        if not missing:
            return
        if len(self._loaded) + sum(map(len, missing.values())) > self.LOADED_KEPT:
            wanted = set(found.values())
            self._loaded = {seq: entry for seq, entry in self._loaded.items() if seq in wanted}
        for table, doc_ids in missing.items():
            for raw_id, doc in storage.documents(table, doc_ids).items():
                self._loaded[int(raw_id)] = _load(ProgressEntry, doc)


def _later(entry: ProgressEntry, than: ProgressEntry | None) -> bool:
    """Whether ``entry`` replaces ``than`` as the latest: a later ``at``, or the same and recorded later."""
    return than is None or (entry.at, entry.seq) >= (than.at, than.seq)


class Acknowledgement(BaseModel):
    """签收: someone answered a digest or 督办提醒 about ``measure`` with 收到 / 已阅.

    ``recipient`` is whom that message was for: a unit, or a leader (``领导 倪德才``).
    """

    model_config = ConfigDict(frozen=True)
    measure: str
    recipient: str
    at: datetime
    chat_id: int
    user_id: int | None = None
    user_name: str = ""


class StoreStats(BaseModel):
    """What ``Store.verify`` read and counted."""

    model_config = ConfigDict(frozen=True)
    progress_records: int
    measures_reported: int
    latest_pairs: int
    bindings: int
    admins: int
    invites: int
    ledger_days: int
    ledger_entries: int
    meta_keys: int
    file_size: int


class _RoleHolder(BaseModel):
    user_id: int
    roles: list[Role]


class _Meta(BaseModel):
    key: str
    value: str


# What each table's documents are; partitioned tables by their prefix.
_TABLE_MODELS: dict[str, type[BaseModel]] = {
    BINDINGS: Binding,
    ROLES_TABLE: _RoleHolder,
    INVITES: Invite,
    META: _Meta,
    LATEST: ProgressEntry,
    PROGRESS_PREFIX: ProgressEntry,
    LEDGER_PREFIX: LedgerEntry,
    **RECORD_MODELS,
    ACKNOWLEDGEMENTS: Acknowledgement,
}


def _refuse_closed(invite: Invite, moment: datetime, code: str) -> None:
    if invite.used_at is not None:
        raise InviteError("used", code)
    if invite.withdrawn_at is not None:
        raise InviteError("withdrawn", code)
    if moment >= invite.expires_at:
        raise InviteError("expired", code)


def normalize_invite_code(text: str) -> str:
    """What a typed code means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch not in " -\t\n")


def _aware(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (Asia/Shanghai), got {moment.isoformat()}")
    return moment.astimezone(TZ)


def _day(day: date) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a date, not {type(day).__name__}")
    return day


def _name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty name, got {value!r}")
    return value.strip()


ModelT = TypeVar("ModelT", bound=BaseModel)


def _first_problem(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "document"
        more = f" and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
        return f"{where}: {error['msg']}{more}"
    return str(exc)


@functools.cache
def _time_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The model's datetime fields (reloaded in TZ by ``_load``)."""
    return tuple(
        name for name, field in model.model_fields.items() if field.annotation in (datetime, datetime | None)
    )


def _load(model: type[ModelT], doc: Any) -> ModelT:
    """A stored document as ``model``, its times in Asia/Shanghai like the ones that were stored."""
    # Reloaded times carry a fixed +08:00 offset; callers compare and format them in TZ. Moving
    # them before validating is several times cheaper than copying the model after; a past
    # day's view loads a report for every (measure, unit).
    fields = _time_fields(model)
    if fields and isinstance(doc, dict):
        doc = dict(doc)
        for name in fields:
            if isinstance(text := doc.get(name), str):
                with contextlib.suppress(ValueError):
                    if (moment := datetime.fromisoformat(text)).tzinfo is not None:
                        doc[name] = moment.astimezone(TZ)
    loaded = model.model_validate(doc)
    moved = {
        name: value
        for name in fields
        if isinstance(value := getattr(loaded, name), datetime) and value.tzinfo is not TZ
    }
    return (
        loaded.model_copy(update={name: value.astimezone(TZ) for name, value in moved.items()})
        if moved
        else loaded
    )


class Store:
    """The product's database. Writes are durable when they return; see the module docstring."""

    def __init__(self, db: StoreDB, path: Path | None, briefs: _Briefs) -> None:
        """Use ``Store.open``."""
        self._db = db
        self.path = path
        self._briefs = briefs
        self._latest: dict[ItemKey, tuple[int, ProgressEntry]] = {}
        self._latest_pair: dict[tuple[str, str], ProgressEntry] = {}
        self._as_of = _AsOfIndex(briefs)
        self._sent: dict[LedgerKey, LedgerEntry] = {}
        self._next_seq = 1
        self._count = 0
        self._index()
        db.journal_storage.on_rollback.append(self._index)

    @classmethod
    def open(cls, path: Path | None, *, read_only: bool = False) -> Store:
        """Open (creating if absent) the database at ``path``; ``None`` is an in-memory store.

        Raises StoreCorrupt for an unreadable file (left untouched) and StoreLocked if it is
        already open elsewhere.

        ``read_only=True`` opens an existing file alongside a running writer: no lock, nothing
        created or repaired (a half-written last record is left out and left alone), every write
        method raises StoreError; a missing file raises StoreError.
        """
        path = Path(path) if path is not None else None
        if read_only and path is None:
            raise ValueError("a read-only store reads a database file; give its path")
        try:
            briefs = _Briefs()
            db = StoreDB(path, read_only=read_only, cold_prefix=PROGRESS_PREFIX, brief=briefs)
        except OSError as exc:
            raise StoreError(f"cannot open database {path}: {exc.strerror or exc}") from None
        try:
            # Indexing builds no cycles either (see ``collector_paused``).
            with collector_paused():
                store = cls(db, path, briefs)
            db.journal_storage.accept()
        except BaseException as exc:
            # Refused: no lock file, new directory or cut tail is left behind.
            db.journal_storage.abandon()
            if isinstance(exc, (ValueError, KeyError, TypeError)):
                raise StoreCorrupt(
                    f"database {path} holds a record this version cannot read ({exc}); it was left untouched"
                ) from None
            raise
        return store

    def _index(self) -> None:
        """(Re)build the in-memory indexes from the tables."""
        data = self._db.storage.read() or {}
        latest: dict[ItemKey, tuple[int, ProgressEntry]] = {}
        pairs: dict[tuple[str, str], ProgressEntry] = {}
        for raw_id, doc in data.get(LATEST, {}).items():
            entry = _load(ProgressEntry, doc)
            latest[(entry.measure, entry.unit, entry.item)] = (int(raw_id), entry)
            if _later(entry, pairs.get((entry.measure, entry.unit))):
                pairs[(entry.measure, entry.unit)] = entry
        sent: dict[LedgerKey, LedgerEntry] = {}
        max_seq = 0
        count = 0
        for name, table in data.items():
            if name.startswith(LEDGER_PREFIX):
                for doc in table.values():
                    ledger = _load(LedgerEntry, doc)
                    sent[(ledger.day, ledger.chat_id, ledger.recipient)] = ledger
            elif name.startswith(PROGRESS_PREFIX) and table:
                count += len(table)
                max_seq = max(max_seq, *map(int, table))
        self._latest, self._latest_pair = latest, pairs
        self._as_of.reset({key: entry for key, (_, entry) in latest.items()})
        self._sent, self._next_seq, self._count = sent, max_seq + 1, count

    @property
    def read_only(self) -> bool:
        return self._db.journal_storage.read_only

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make several writes one: saved together with one fsync, or (on an exception) not at all.

        E.g. ``with store.transaction(): store.redeem_invite(...); store.bind_units(...)``.
        """
        with self._db.transaction():
            yield

    def _table(self, name: str) -> JournalTable:
        return self._db.table(name)

    # bindings
    def bind_units(self, chat_id: int, units: Iterable[str], title: str = "") -> Binding:
        """Add units to the chat's binding (keeping what it had); the title replaces the old one if given."""
        names: list[str] = []
        for unit in [units] if isinstance(units, str) else units:
            name = _name(unit, "unit")
            if name not in names:
                names.append(name)
        if not names:
            raise ValueError("bind_units needs at least one unit")
        current = self.binding(chat_id)
        if current is None:
            binding = Binding(chat_id=chat_id, units=names, title=title)
        else:
            merged = current.units + [name for name in names if name not in current.units]
            binding = current.model_copy(update={"units": merged, "title": title or current.title})
        return self._put_binding(binding)

    def bind_leader(self, chat_id: int, leader: str, title: str = "") -> Binding:
        """Make the chat a leader's chat (replacing any other leader); units stay bound."""
        name = _name(leader, "leader")
        current = self.binding(chat_id)
        if current is None:
            binding = Binding(chat_id=chat_id, leader=name, title=title)
        else:
            binding = current.model_copy(update={"leader": name, "title": title or current.title})
        return self._put_binding(binding)

    def _put_binding(self, binding: Binding) -> Binding:
        self._table(BINDINGS).replace(binding.chat_id, binding.model_dump(mode="json"))
        return binding

    def unbind(self, chat_id: int, unit: str | None = None) -> Binding | None:
        """Remove one unit (or, with None, everything) from the chat; returns what remains."""
        current = self.binding(chat_id)
        if current is None:
            return None
        if unit is not None:
            remaining = [name for name in current.units if name != unit.strip()]
            if remaining == current.units:
                return current
            if remaining or current.leader is not None:
                return self._put_binding(current.model_copy(update={"units": remaining}))
        self._table(BINDINGS).remove(doc_ids=[chat_id])
        return None

    def unbind_units(self, chat_id: int, units: Iterable[str]) -> Binding | None:
        """Remove several units from the chat in one transaction (all or, on a failure, none);
        returns what remains, None when nothing does."""
        remaining = self.binding(chat_id)
        with self.transaction():
            for unit in units:
                remaining = self.unbind(chat_id, unit)
        return remaining

    def move_binding(self, old_chat_id: int, new_chat_id: int) -> Binding | None:
        """Move the chat's whole binding to another chat id (a group upgraded to a supergroup), in
        one transaction: never on both chats, never on neither. Returns the moved binding, or None
        when the old chat had none. Units and leader merge with what the new chat already has."""
        old = self.binding(old_chat_id)
        if old is None:
            return None
        moved = None
        with self.transaction():
            if old.units:
                moved = self.bind_units(new_chat_id, old.units, title=old.title)
            if old.leader:
                moved = self.bind_leader(new_chat_id, old.leader, title=old.title)
            self.unbind(old_chat_id)
        return moved

    def binding(self, chat_id: int) -> Binding | None:
        doc = self._table(BINDINGS).get(doc_id=chat_id)
        return _load(Binding, doc) if doc is not None else None

    def bindings(self) -> list[Binding]:
        found = [_load(Binding, doc) for doc in self._table(BINDINGS)]
        return sorted(found, key=lambda binding: binding.chat_id)

    def chats_for_unit(self, unit: str) -> list[int]:
        return [binding.chat_id for binding in self.bindings() if unit in binding.units]

    def chats_for_leader(self, leader: str) -> list[int]:
        return [binding.chat_id for binding in self.bindings() if binding.leader == leader]

    # roles
    def _check_role(self, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")

    def grant(self, user_id: int, role: Role = "admin") -> None:
        """Give ``user_id`` a role kept in the database (BOT_ADMIN_IDS admins need none); idempotent."""
        self._check_role(role)
        table = self._table(ROLES_TABLE)
        doc = table.get(doc_id=user_id)
        roles: list[str] = list(doc["roles"]) if doc is not None else []
        if role not in roles:
            table.replace(user_id, {"user_id": user_id, "roles": [*roles, role]})

    def revoke(self, user_id: int, role: Role = "admin") -> None:
        self._check_role(role)
        table = self._table(ROLES_TABLE)
        doc = table.get(doc_id=user_id)
        if doc is None or role not in doc["roles"]:
            return
        remaining = [held for held in doc["roles"] if held != role]
        if remaining:
            table.update({"roles": remaining}, doc_ids=[user_id])
        else:
            table.remove(doc_ids=[user_id])

    def has_role(self, user_id: int, role: Role = "admin") -> bool:
        doc = self._table(ROLES_TABLE).get(doc_id=user_id)
        return doc is not None and role in doc["roles"]

    def role_holders(self, role: Role = "admin") -> list[int]:
        """User ids holding ``role``, ascending."""
        return sorted(doc["user_id"] for doc in self._table(ROLES_TABLE) if role in doc["roles"])

    # invites
    def create_invite(
        self, unit: str, now: datetime, ttl: timedelta = timedelta(days=7), created_by: int | None = None
    ) -> Invite:
        """A new one-time code for ``unit``, valid from ``now`` for ``ttl``."""
        name = _name(unit, "unit")
        created_at = _aware(now, "now")
        if ttl <= timedelta(0):
            raise ValueError(f"an invite must live for a positive time, got {ttl}")
        table = self._table(INVITES)
        while True:
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
            if table.get(where("code") == code) is None:
                break
        invite = Invite(
            code=code, unit=name, created_at=created_at, expires_at=created_at + ttl, created_by=created_by
        )
        table.insert(invite.model_dump(mode="json"))
        return invite

    def invite(self, code: str) -> Invite | None:
        """The invite for a typed code (case, spaces and dashes ignored), whatever its state."""
        doc = self._table(INVITES).get(where("code") == normalize_invite_code(code))
        return _load(Invite, doc) if doc is not None else None

    def invites(self) -> list[Invite]:
        """Every invite ever created, oldest first."""
        found = [_load(Invite, doc) for doc in self._table(INVITES)]
        return sorted(found, key=lambda invite: invite.created_at)

    def redeem_invite(self, code: str, chat_id: int, now: datetime) -> Invite:
        """Mark the code used by ``chat_id``; raises InviteError. Does not bind: the caller does."""
        moment = _aware(now, "now")
        return self._close_invite(code, moment, {"used_by_chat": chat_id, "used_at": moment})

    def withdraw_invite(self, code: str, now: datetime) -> Invite:
        """Close an open code so it binds nothing; raises InviteError if it is not open."""
        moment = _aware(now, "now")
        return self._close_invite(code, moment, {"withdrawn_at": moment})

    def _close_invite(self, code: str, moment: datetime, update: dict[str, Any]) -> Invite:
        """Apply ``update`` to the code's invite if it is still open at ``moment``; raises InviteError."""
        table = self._table(INVITES)
        doc = table.get(where("code") == normalize_invite_code(code))
        if doc is None:
            raise InviteError("unknown", code)
        invite = _load(Invite, doc)
        _refuse_closed(invite, moment, code)
        closed = invite.model_copy(update=update)
        table.update(closed.model_dump(mode="json"), doc_ids=[doc.doc_id])
        return closed

    # progress
    def record_progress(
        self,
        measure: str,
        unit: str,
        status: Status,
        at: datetime,
        *,
        percent: int | None = None,
        note: str = "",
        evidence: Iterable[str] = (),
        user_id: int | None = None,
        user_name: str = "",
        chat_id: int | None = None,
        source: ProgressSource = "command",
        item: str | None = None,
    ) -> ProgressEntry:
        """Durably append one report (fsync before returning) and update the latest status.

        ``item`` is the item reported on (``bot.models.Item.id``), None for the measure as a
        whole. The latest status of (measure, unit, item) is the report with the latest ``at``; a
        back-dated report goes into the history without replacing a newer status.
        """
        if percent is not None and (isinstance(percent, bool) or not 0 <= percent <= 100):
            raise ValueError(f"percent must be between 0 and 100, got {percent!r}")
        if isinstance(evidence, str):
            raise TypeError("evidence must be a list of file ids, not one string")
        entry = ProgressEntry(
            seq=self._next_seq,
            measure=_name(measure, "measure"),
            unit=_name(unit, "unit"),
            item=_name(item, "item") if item is not None else None,
            status=Status(status),
            percent=percent,
            note=note,
            evidence=list(evidence),
            at=_aware(at, "at"),
            user_id=user_id,
            user_name=user_name,
            chat_id=chat_id,
            source=source,
        )
        doc = entry.model_dump(mode="json")
        key = (entry.measure, entry.unit, entry.item)
        previous = self._latest.get(key)
        latest = self._table(LATEST)
        with self._db.transaction():
            self._table(PROGRESS_PREFIX + entry.measure).insert(Document(doc, doc_id=entry.seq))
            if previous is None:
                latest_id = latest.insert(doc)
            elif entry.at >= previous[1].at:
                latest_id = previous[0]
                latest.replace(latest_id, doc)
        if previous is None or entry.at >= previous[1].at:
            self._latest[key] = (latest_id, entry)
        if _later(entry, self._latest_pair.get((entry.measure, entry.unit))):
            self._latest_pair[(entry.measure, entry.unit)] = entry
        self._as_of.add(entry)
        self._next_seq += 1
        self._count += 1
        return entry

    def latest(self, measure: str, unit: str) -> ProgressEntry | None:
        """The unit's latest report on the measure, whatever item it was about."""
        return self._latest_pair.get((measure, unit))

    def latest_for_measure(self, measure: str) -> dict[str, ProgressEntry]:
        return {unit: entry for (m, unit), entry in self._latest_pair.items() if m == measure}

    def latest_all(self) -> dict[tuple[str, str], ProgressEntry]:
        """Latest entry per (measure, unit), whatever item it was about (a copy)."""
        return dict(self._latest_pair)

    def latest_items_as_of(self, day: date) -> Mapping[ItemKey, ProgressEntry]:
        """The latest report per (measure, unit, item) dated on or before ``day``, read-only and
        not a copy (read it before the store changes). For today that is the live latest map; for
        a past day, the items reported on since are looked up by bisection, O(log n) each."""
        return self._as_of.as_of(day, self._db.journal_storage)

    def latest_items(self) -> Mapping[ItemKey, ProgressEntry]:
        """Latest entry per (measure, unit, item), item None for the measure as a whole: what the
        reminder engine and the views read to close items (``bot.assignments``). Read-only and
        not a copy: read it before the store changes."""
        return MappingProxyType(self._as_of.latest)

    def finished(self) -> set[tuple[str, str]]:
        """(measure, unit) pairs whose latest status is 已完成; any other assigned pair may be overdue."""
        return {key for key, entry in self._latest_pair.items() if entry.status is Status.DONE}

    def history(self, measure: str, unit: str | None = None) -> list[ProgressEntry]:
        """Every report for the measure (optionally one unit), oldest first, whatever the item;
        read from the file (only the unit's, by the briefs memory keeps)."""
        table = PROGRESS_PREFIX + measure
        storage = self._db.journal_storage
        stored = storage.read().get(table, {})
        wanted = [
            raw_id
            for raw_id, value in stored.items()
            if unit is None or (brief := self._briefs.of(table, value)) is None or brief[1][0] == unit
        ]
        docs = storage.documents(table, wanted)
        entries = [_load(ProgressEntry, doc) for doc in docs.values() if unit is None or doc["unit"] == unit]
        return sorted(entries, key=lambda entry: entry.seq)

    def history_documents(self, measure: str) -> list[Mapping[str, Any]]:
        """Every report for the measure as stored, oldest first: plain JSON documents, not validated.

        For reads over every stored report that need a few fields (the 督办台账's evidence counts
        and ranking): validating 100,000 reports into ``ProgressEntry`` takes seconds. The fields
        are ``ProgressEntry``'s, ``at`` an ISO datetime string with its offset.
        """
        docs = self._db.journal_storage.documents(PROGRESS_PREFIX + measure)
        return sorted(docs.values(), key=lambda doc: doc["seq"])

    def progress_count(self) -> int:
        return self._count

    # reminder ledger
    def was_sent(self, day: date, chat_id: int, recipient: str) -> bool:
        return (_day(day), chat_id, recipient.strip()) in self._sent

    def mark_sent(
        self, day: date, chat_id: int, recipient: str, sent_at: datetime, message_ids: Iterable[int] = ()
    ) -> LedgerEntry:
        """Record a delivery durably; marking the same (day, chat, recipient) again returns the first."""
        key = (_day(day), chat_id, _name(recipient, "recipient"))
        existing = self._sent.get(key)
        if existing is not None:
            return existing
        entry = LedgerEntry(
            day=day,
            chat_id=chat_id,
            recipient=key[2],
            sent_at=_aware(sent_at, "sent_at"),
            message_ids=list(message_ids),
        )
        self._table(LEDGER_PREFIX + day.isoformat()).insert(entry.model_dump(mode="json"))
        self._sent[key] = entry
        return entry

    def sent_on(self, day: date) -> list[LedgerEntry]:
        docs = (self._db.storage.read() or {}).get(LEDGER_PREFIX + _day(day).isoformat(), {})
        return [_load(LedgerEntry, doc) for doc in docs.values()]

    # 签收
    def acknowledge(self, acknowledgement: Acknowledgement) -> Acknowledgement:
        """Record a 签收; the same person acknowledging the same measure again keeps the first."""
        _aware(acknowledgement.at, "at")
        table = self._table(ACKNOWLEDGEMENTS)
        same = (
            (where("measure") == acknowledgement.measure)
            & (where("recipient") == acknowledgement.recipient)
            & (where("user_id") == acknowledgement.user_id)
        )
        found = table.get(same)
        if found is not None:
            return _load(Acknowledgement, found)
        table.insert(acknowledgement.model_dump(mode="json"))
        return acknowledgement

    def acknowledgements(self, measure: str) -> list[Acknowledgement]:
        """Who acknowledged a measure's reminders, earliest first."""
        docs = self._table(ACKNOWLEDGEMENTS).search(where("measure") == measure)
        return sorted((_load(Acknowledgement, doc) for doc in docs), key=lambda ack: ack.at)

    def get_meta(self, key: str) -> str | None:
        """Small durable key/value state (e.g. the reminder engine's last run day)."""
        doc = self._table(META).get(where("key") == key)
        return doc["value"] if doc is not None else None

    def set_meta(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"meta values are strings, got {type(value).__name__}")
        self._table(META).upsert({"key": _name(key, "key"), "value": value}, where("key") == key)

    # supervision records (issue 10): extensions, dates, assignments, reviews, 催办
    def add_record(self, table: str, make: Callable[[int], ModelT]) -> ModelT:
        """Store a new record of a supervision table (``bot.supervision.RECORD_MODELS``), numbered
        after the table's last: ``make(number)`` builds it. Durable when it returns."""
        self._check_record_table(table)
        docs = self._table(table)
        with self._db.transaction():
            number = max((doc.doc_id for doc in docs), default=0) + 1
            record = make(number)
            docs.insert(Document(record.model_dump(mode="json"), doc_id=number))
        return record

    def replace_record(self, table: str, number: int, record: BaseModel) -> None:
        """Store ``record`` as record ``number`` of a supervision table (a decision on a request)."""
        self._check_record_table(table)
        self._table(table).replace(number, record.model_dump(mode="json"))

    def records(self, table: str, model: type[ModelT]) -> list[ModelT]:
        """Every record of a supervision table, by number."""
        self._check_record_table(table)
        docs: dict[str, Any] = (self._db.storage.read() or {}).get(table, {})
        return [_load(model, docs[key]) for key in sorted(docs, key=int)]

    def _check_record_table(self, table: str) -> None:
        if table not in RECORD_MODELS:
            raise ValueError(f"unknown record table {table!r}; known: {', '.join(RECORD_MODELS)}")

    # maintenance
    def compact(self) -> None:
        """Rewrite the file as a snapshot of the current state (atomic); history is kept in full."""
        self._db.journal_storage.compact()

    def backup(self, dest: Path) -> None:
        """Write a consistent copy of the database to ``dest`` (atomic, fsynced); it opens as a store."""
        self._db.journal_storage.backup(dest)

    @property
    def file_size(self) -> int:
        """Bytes in the database file (0 in memory); read-only: the bytes of complete records read."""
        return self._db.journal_storage.journal_size

    def verify(self) -> StoreStats:
        """Read every stored document as what it should be and count them.

        Raises StoreCorrupt naming the first document this version cannot read. Opening already
        checks every record's checksum; this also reads what opening leaves for later (history,
        bindings, invites, roles, meta).
        """
        storage = self._db.journal_storage
        data = storage.read()
        counts = {"progress": 0, "measures": 0, "ledger_days": 0, "ledger": 0}
        for name in data:
            for doc_id, doc in storage.documents(name).items():
                self._verify_document(name, doc_id, doc)
            table = data[name]
            if name.startswith(PROGRESS_PREFIX):
                counts["progress"] += len(table)
                counts["measures"] += 1 if table else 0
            elif name.startswith(LEDGER_PREFIX):
                counts["ledger_days"] += 1 if table else 0
                counts["ledger"] += len(table)
        return StoreStats(
            progress_records=counts["progress"],
            measures_reported=counts["measures"],
            latest_pairs=len(data.get(LATEST, {})),
            bindings=len(data.get(BINDINGS, {})),
            admins=len(self.role_holders("admin")),
            invites=len(data.get(INVITES, {})),
            ledger_days=counts["ledger_days"],
            ledger_entries=counts["ledger"],
            meta_keys=len(data.get(META, {})),
            file_size=self.file_size,
        )

    def _verify_document(self, table: str, doc_id: str, doc: Any) -> None:
        kind, colon, _ = table.partition(":")
        model = _TABLE_MODELS.get(kind + colon)
        try:
            if model is None:
                raise ValueError("a table this version does not know")
            loaded = model.model_validate(doc)
            if (
                kind + colon == PROGRESS_PREFIX
                and isinstance(loaded, ProgressEntry)
                and (str(loaded.seq) != doc_id or PROGRESS_PREFIX + loaded.measure != table)
            ):
                raise ValueError("its number or measure does not match where it is stored")
        except (ValidationError, ValueError) as exc:
            raise StoreCorrupt(
                f"database {self.path}: document {doc_id} of table {table!r} cannot be read "
                f"({_first_problem(exc)}); the file was left untouched"
            ) from None
