"""The unit directory (``data/units.json``): canonical unit names, kinds, aliases, group labels, leaders.

API CONTRACT (fixed; internals are free). Plan files keep unit names as written; every
consumer goes through ``Directory.expand``/``resolve`` so aliases and groups are handled in
one place.

The file is curated by hand (an operator fills in open groups there) and checked against the
plan by ``python -m bot plan check``. Lookups ignore whitespace and use dictionaries built once
when the directory is constructed.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

UnitKind = Literal["district", "subdistrict", "town", "other"]

_WHITESPACE = re.compile(r"\s+")


def normalize(name: str) -> str:
    """The lookup key of a name: whitespace (including full-width spaces) removed."""
    return _WHITESPACE.sub("", name)


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
    aliases: list[str] = Field(default_factory=list)
    note: str = ""


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True)
    units: list[Unit]
    groups: list[Group]
    leaders: list[str]
    note: str = ""

    _keys: dict[str, str] = PrivateAttr(default_factory=dict)
    _units: dict[str, Unit] = PrivateAttr(default_factory=dict)
    _members: dict[str, list[str]] = PrivateAttr(default_factory=dict)
    _leaders: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index(self) -> Directory:
        """Build the lookup tables once, refusing names that would resolve two ways."""
        keys: dict[str, str] = {}
        owners: dict[str, str] = {}

        def claim(name: str, owner: str, target: str) -> None:
            # ``owner`` tells a unit from a group of the same name: they may not share one either.
            key = normalize(name)
            if not key:
                raise ValueError(f"an empty name in {owner}")
            if owners.get(key, owner) != owner:
                raise ValueError(f"{name!r} (in {owner}) already stands for {owners[key]}")
            keys[key], owners[key] = target, owner

        units: dict[str, Unit] = {}
        for unit in self.units:
            if unit.name in units:
                raise ValueError(f"unit {unit.name!r} is listed twice")
            units[unit.name] = unit
            claim(unit.name, f"unit {unit.name!r}", unit.name)
        for unit in self.units:
            for alias in unit.aliases:
                claim(alias, f"unit {unit.name!r}", unit.name)
        members: dict[str, list[str]] = {}
        for group in self.groups:
            if group.label in members:
                raise ValueError(f"group {group.label!r} is listed twice")
            for name in [group.label, *group.aliases]:
                claim(name, f"group {group.label!r}", group.label)
            canonical: list[str] = []
            for member in group.members:
                unit_name = keys.get(normalize(member))
                if unit_name not in units:
                    raise ValueError(
                        f"group {group.label!r}: member {member!r} is not a unit of the directory"
                    )
                if unit_name not in canonical:
                    canonical.append(unit_name)
            members[group.label] = canonical
        leaders: dict[str, str] = {}
        for leader in self.leaders:
            key = normalize(leader)
            if key in leaders:
                raise ValueError(f"leader {leader!r} is listed twice")
            leaders[key] = key
        self._keys, self._units, self._members, self._leaders = keys, units, members, leaders
        return self

    @classmethod
    def load(cls, path: Path) -> Directory:
        """Read ``path``. Like ``Plan.load``: FileNotFoundError if it is missing, pydantic's
        ValidationError if it is not a valid, consistent directory."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    def resolve(self, name: str) -> str | None:
        """Canonical unit name or group label for a name or alias (ignoring spaces); None if unknown."""
        found = self._keys.get(name)
        return found if found is not None else self._keys.get(normalize(name))

    def expand(self, name: str) -> list[str]:
        """Canonical unit names a plan name stands for: a unit → [it]; a group → its members; unknown → []."""
        target = self.resolve(name)
        if target is None:
            return []
        if target in self._members:
            return list(self._members[target])
        return [target]

    def is_group(self, name: str) -> bool:
        return self.resolve(name) in self._members

    def group(self, name: str) -> Group | None:
        """The group a label (or its alias) names."""
        target = self.resolve(name)
        if target not in self._members:
            return None
        return next(group for group in self.groups if group.label == target)

    def unit(self, name: str) -> Unit | None:
        target = self.resolve(name)
        return self._units.get(target) if target is not None else None

    def resolve_leader(self, name: str) -> str | None:
        """A leader's name without spaces if known."""
        found = self._leaders.get(name)
        return found if found is not None else self._leaders.get(normalize(name))

    def known_names(self) -> frozenset[str]:
        """Every name the directory resolves: unit names, aliases, group labels and their aliases."""
        return frozenset(self._keys)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Closest unit names/aliases/labels for a near miss, best first (for "did you mean").

        Each suggestion is what the match resolves to (a canonical unit name or group label),
        so a user can type it back as is.
        """
        key = normalize(name)
        if not key:
            return []
        scored: list[tuple[float, str]] = []
        for candidate, target in self._keys.items():
            ratio = difflib.SequenceMatcher(None, key, candidate).ratio()
            if key in candidate or candidate in key:
                ratio += 0.5
            if ratio >= 0.5:
                scored.append((ratio, target))
        suggestions: list[str] = []
        for _, target in sorted(scored, key=lambda item: (-item[0], item[1])):
            if target not in suggestions:
                suggestions.append(target)
            if len(suggestions) == limit:
                break
        return suggestions
