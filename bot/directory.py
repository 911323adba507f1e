"""The unit directory (``data/units.json``): canonical unit names, kinds, aliases, group labels, leaders.

API CONTRACT (fixed; internals are free). Plan files keep unit names as written; every
consumer goes through ``Directory.expand``/``resolve`` so aliases and groups are handled in
one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UnitKind = Literal["district", "subdistrict", "town", "other"]


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    kind: UnitKind
    aliases: list[str] = Field(default_factory=list)


class Group(BaseModel):
    """A group label used in the plan (各街道乡镇 …). ``open`` groups are filled in by an operator."""

    model_config = ConfigDict(frozen=True)
    label: str
    members: list[str] = Field(default_factory=list)
    open: bool = False


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True)
    units: list[Unit]
    groups: list[Group]
    leaders: list[str]

    @classmethod
    def load(cls, path: Path) -> Directory:
        raise NotImplementedError

    def resolve(self, name: str) -> str | None:
        """Canonical unit name or group label for a name or alias (ignoring spaces); None if unknown."""
        raise NotImplementedError

    def expand(self, name: str) -> list[str]:
        """Canonical unit names a plan name stands for: a unit → [it]; a group → its members; unknown → []."""
        raise NotImplementedError

    def is_group(self, name: str) -> bool:
        raise NotImplementedError

    def unit(self, name: str) -> Unit | None:
        raise NotImplementedError

    def resolve_leader(self, name: str) -> str | None:
        """A leader's name without spaces if known."""
        raise NotImplementedError

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Closest unit names/aliases/labels for a near miss, best first (for "did you mean")."""
        raise NotImplementedError
