"""The store: the only way the product touches TinyDB.

API CONTRACT (fixed; the store's internals are free). Other modules code against exactly
these names and signatures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.models import ProgressEntry, ProgressSource, Status

Role = Literal["admin"]


class StoreError(Exception):
    """Base of the store's errors; the message is readable by an operator."""


class StoreCorrupt(StoreError):
    """The database file cannot be read. The file is left untouched."""


class StoreLocked(StoreError):
    """Another process (or another Store object) has the database open."""


class InviteError(StoreError):
    """An invite code is unknown, used or expired; ``reason`` is 'unknown' | 'used' | 'expired'."""

    def __init__(self, reason: Literal["unknown", "used", "expired"], code: str) -> None:
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


class LedgerEntry(BaseModel):
    """One delivered digest: on ``day``, to ``chat_id``, for ``recipient`` (e.g. 'unit:区水务局')."""

    model_config = ConfigDict(frozen=True)
    day: date
    chat_id: int
    recipient: str
    sent_at: datetime
    message_ids: list[int] = Field(default_factory=list)


class Store:
    @classmethod
    def open(cls, path: Path | None) -> Store:
        """Open (creating if absent) the database at ``path``; ``None`` is an in-memory store.

        Raises StoreCorrupt for an unreadable file (left untouched) and StoreLocked if it is
        already open elsewhere.
        """
        raise NotImplementedError

    def close(self) -> None: ...

    # bindings
    def bind_units(self, chat_id: int, units: Iterable[str], title: str = "") -> Binding: ...
    def bind_leader(self, chat_id: int, leader: str, title: str = "") -> Binding: ...
    def unbind(self, chat_id: int, unit: str | None = None) -> Binding | None:
        """Remove one unit (or, with None, everything) from the chat; returns what remains."""
        ...

    def binding(self, chat_id: int) -> Binding | None: ...
    def bindings(self) -> list[Binding]: ...
    def chats_for_unit(self, unit: str) -> list[int]: ...
    def chats_for_leader(self, leader: str) -> list[int]: ...

    # roles
    def grant(self, user_id: int, role: Role = "admin") -> None: ...
    def revoke(self, user_id: int, role: Role = "admin") -> None: ...
    def has_role(self, user_id: int, role: Role = "admin") -> bool: ...

    # invites
    def create_invite(
        self, unit: str, now: datetime, ttl: timedelta = timedelta(days=7), created_by: int | None = None
    ) -> Invite: ...
    def redeem_invite(self, code: str, chat_id: int, now: datetime) -> Invite:
        """Mark the code used by ``chat_id``; raises InviteError. Does not bind: the caller does."""
        ...

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
    ) -> ProgressEntry:
        """Durably append one report (fsync before returning) and update the latest status."""
        ...

    def latest(self, measure: str, unit: str) -> ProgressEntry | None: ...
    def latest_for_measure(self, measure: str) -> dict[str, ProgressEntry]: ...
    def latest_all(self) -> dict[tuple[str, str], ProgressEntry]:
        """Latest entry per (measure, unit): what status, overdue and summary read."""
        ...

    def history(self, measure: str, unit: str | None = None) -> list[ProgressEntry]:
        """Every report for the measure (optionally one unit), oldest first."""
        ...

    def progress_count(self) -> int: ...

    # reminder ledger
    def was_sent(self, day: date, chat_id: int, recipient: str) -> bool: ...
    def mark_sent(
        self, day: date, chat_id: int, recipient: str, sent_at: datetime, message_ids: Iterable[int] = ()
    ) -> LedgerEntry: ...
    def sent_on(self, day: date) -> list[LedgerEntry]: ...
    def get_meta(self, key: str) -> str | None:
        """Small durable key/value state (e.g. the reminder engine's last run day)."""
        ...

    def set_meta(self, key: str, value: str) -> None: ...
