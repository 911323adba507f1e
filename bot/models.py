"""The plan model (``data/plan.json`` is its serialization) and the progress vocabulary.

This is the contract that the importer writes and the reminder engine, queries, bot and
CLI read. It is pure: no Telegram, no clock.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DeadlineKind = Literal["date", "window", "ongoing"]
Every = Literal["month", "quarter", "year", "week"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Deadline(_Model):
    """The 完成时限 cell. ``due`` is the last day (a window's end); ``start`` only for windows."""

    raw: str
    kind: DeadlineKind
    due: date | None = None
    start: date | None = None


class Milestone(_Model):
    """A dated commitment inside the measure text, e.g. 9月底前制定出台…"""

    raw: str
    due: date
    text: str


class Recurrence(_Model):
    """A recurring obligation in the text (按月, 每季度, 第二、三季度每月 …) and the months it covers."""

    raw: str
    every: Every
    months: list[int] = Field(default_factory=list)


class Annex(_Model):
    no: int
    title: str


class Measure(_Model):
    id: str
    annex: int
    section: str
    task_no: int
    task: str
    text: str
    deadline: Deadline
    milestones: list[Milestone] = Field(default_factory=list)
    recurrences: list[Recurrence] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    co_units: list[str] = Field(default_factory=list)

    def dated_items(self) -> list[DatedItem]:
        """Everything in this measure with a due date: the deadline (a window's end) and milestones.

        Sorted by due date; two commitments on the same day are one item.
        """
        items: dict[date, DatedItem] = {}
        if self.deadline.due is not None:
            items[self.deadline.due] = DatedItem(
                measure=self.id, due=self.deadline.due, kind="deadline", text=self.deadline.raw
            )
        for milestone in self.milestones:
            items.setdefault(
                milestone.due,
                DatedItem(measure=self.id, due=milestone.due, kind="milestone", text=milestone.text),
            )
        return [items[due] for due in sorted(items)]

    @property
    def title(self) -> str:
        """A short title for lists: the task name, which is what people call the measure."""
        return self.task


class DatedItem(_Model):
    """One thing due on one day: a measure's deadline or one of its milestones."""

    measure: str
    due: date
    kind: Literal["deadline", "milestone"]
    text: str


class Plan(_Model):
    title: str
    year: int
    issued: date
    annexes: list[Annex]
    measures: list[Measure]

    @model_validator(mode="after")
    def _ids_unique(self) -> Plan:
        # Everything downstream indexes measures by id: a duplicate would silently hide one.
        counts = Counter(m.id for m in self.measures)
        duplicates = sorted(measure_id for measure_id, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(duplicates)}")
        return self

    def measure(self, measure_id: str) -> Measure | None:
        return self._by_id.get(measure_id)

    @cached_property
    def _by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    def to_json(self) -> str:
        """Deterministic serialization: UTF-8 text, no ASCII escapes, field order as declared."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


class Status(StrEnum):
    """What a unit reports about a measure. The values are what users type and see."""

    DONE = "已完成"
    IN_PROGRESS = "进行中"
    NOT_STARTED = "未开始"
    BLOCKED = "受阻"


ProgressSource = Literal["button", "reply", "command", "text", "evidence", "cli"]
"""How a report came: a digest button, a reply to the bot, /report, plain text in a private chat,
a photo or file, or the operator's CLI."""


class ProgressEntry(_Model):
    """One progress report, as stored. ``seq`` is assigned by the store and increases."""

    seq: int
    measure: str
    unit: str
    status: Status
    percent: int | None = None
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    at: datetime
    user_id: int | None = None
    user_name: str = ""
    chat_id: int | None = None
    source: ProgressSource = "command"
