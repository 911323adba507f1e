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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

UnitKind = Literal["district", "subdistrict", "town", "other"]

_WHITESPACE = re.compile(r"\s+")


def normalize(name: str) -> str:
    """The lookup key of a name: whitespace (including full-width spaces) removed."""
    return _WHITESPACE.sub("", name)


# Official names, as letterheads and seals write them: 北京市通州区水务局 is 区水务局, 通州区宋庄镇人民
# 政府 is 宋庄镇, 中仓街道办事处 is 中仓街道, 于家务回族乡 is 于家务乡.
_DISTRICT_PREFIXES = ("北京市通州区", "通州区")
_OFFICE_SUFFIXES = ("人民政府", "政府", "办事处")
_ETHNIC_TOWNSHIP = re.compile(r"(回族|满族|蒙古族)乡$")


def official_forms(key: str) -> list[str]:
    """The names an official name may be listed under, most specific first (``key`` normalized)."""
    forms: list[str] = []
    for prefix in ("", *_DISTRICT_PREFIXES):
        if prefix and not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        office = next((suffix for suffix in _OFFICE_SUFFIXES if rest.endswith(suffix)), "")
        for suffix in dict.fromkeys(("", office)):
            base = _ETHNIC_TOWNSHIP.sub("乡", rest[: len(rest) - len(suffix)])
            # 通州区水务局 → 区水务局: the district's own bureaus are listed with 区.
            for form in (base, "区" + base if prefix in ("北京市通州区", "通州区") else ""):
                if form and form != key and form not in forms:
                    forms.append(form)
    return forms


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


@dataclass(frozen=True)
class _Tables:
    """The lookup tables, keyed by normalized name (names, aliases and labels alike)."""

    targets: dict[str, str]
    """key → canonical unit name or group label"""
    expansions: dict[str, tuple[str, ...]]
    """key → the canonical units it stands for"""
    units: dict[str, Unit]
    groups: dict[str, Group]
    leaders: dict[str, str]


def _build_tables(units: list[Unit], groups: list[Group], leaders: list[str]) -> _Tables:
    """The tables, refusing names that would resolve two ways (raises ValueError)."""
    targets: dict[str, str] = {}
    owners: dict[str, str] = {}

    def claim(name: str, owner: str, target: str) -> None:
        # ``owner`` tells a unit from a group of the same name: they may not share one either.
        key = normalize(name)
        if not key:
            raise ValueError(f"an empty name in {owner}")
        if owners.get(key, owner) != owner:
            raise ValueError(f"{name!r} (in {owner}) already stands for {owners[key]}")
        targets[key], owners[key] = target, owner

    by_name: dict[str, Unit] = {}
    for unit in units:
        if unit.name in by_name:
            raise ValueError(f"unit {unit.name!r} is listed twice")
        by_name[unit.name] = unit
        claim(unit.name, f"unit {unit.name!r}", unit.name)
    for unit in units:
        for alias in unit.aliases:
            claim(alias, f"unit {unit.name!r}", unit.name)
    members: dict[str, tuple[str, ...]] = {name: (name,) for name in by_name}
    by_label: dict[str, Group] = {}
    for group in groups:
        if group.label in by_label:
            raise ValueError(f"group {group.label!r} is listed twice")
        by_label[group.label] = group
        for name in [group.label, *group.aliases]:
            claim(name, f"group {group.label!r}", group.label)
        canonical: list[str] = []
        for member in group.members:
            unit_name = targets.get(normalize(member))
            if unit_name not in by_name:
                raise ValueError(f"group {group.label!r}: member {member!r} is not a unit of the directory")
            if unit_name not in canonical:
                canonical.append(unit_name)
        members[group.label] = tuple(canonical)
    by_key: dict[str, str] = {}
    for leader in leaders:
        key = normalize(leader)
        if key in by_key:
            raise ValueError(f"leader {leader!r} is listed twice")
        by_key[key] = key
    expansions = {key: members[target] for key, target in targets.items()}
    return _Tables(targets, expansions, by_name, by_label, by_key)


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True)
    units: list[Unit]
    groups: list[Group]
    leaders: list[str]
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Directory:
        self._tables  # noqa: B018 - building the tables is the consistency check
        return self

    @cached_property
    def _tables(self) -> _Tables:
        # A plain object behind a cached property: pydantic's private attributes cost a
        # microsecond or two per access, and expand() runs for every name of every measure.
        return _build_tables(self.units, self.groups, self.leaders)

    @classmethod
    def load(cls, path: Path) -> Directory:
        """Read ``path``. Like ``Plan.load``: FileNotFoundError if it is missing, pydantic's
        ValidationError if it is not a valid, consistent directory."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    def resolve(self, name: str) -> str | None:
        """Canonical unit name or group label for a name or alias (ignoring spaces); None if unknown."""
        targets = self._tables.targets
        found = targets.get(name)
        if found is not None:
            return found
        key = normalize(name)
        found = targets.get(key)
        if found is not None:
            return found
        return next((targets[form] for form in official_forms(key) if form in targets), None)

    def expand(self, name: str) -> list[str]:
        """Canonical unit names a plan name stands for: a unit → [it]; a group → its members; unknown → []."""
        expansions = self._tables.expansions
        found = expansions.get(name)
        if found is None:
            found = expansions.get(normalize(name))
        if found is None:
            target = self.resolve(name)
            found = expansions.get(target, ()) if target is not None else ()
        return list(found)

    def is_group(self, name: str) -> bool:
        return self.resolve(name) in self._tables.groups

    def group(self, name: str) -> Group | None:
        """The group a label (or its alias) names."""
        target = self.resolve(name)
        return self._tables.groups.get(target) if target is not None else None

    def unit(self, name: str) -> Unit | None:
        target = self.resolve(name)
        return self._tables.units.get(target) if target is not None else None

    def resolve_leader(self, name: str) -> str | None:
        """A leader's name without spaces if known."""
        leaders = self._tables.leaders
        found = leaders.get(name)
        return found if found is not None else leaders.get(normalize(name))

    def suggest_leader(self, name: str, limit: int = 3) -> list[str]:
        """Closest leader names for a near miss (秦韬 → 秦涛), best first.

        Leaders' names are two or three characters, so one character in common out of two is
        already a plausible typo; unrelated names share none.
        """
        key = normalize(name)
        if not key:
            return []
        return difflib.get_close_matches(key, list(self._tables.leaders), n=limit, cutoff=0.5)

    def known_names(self) -> frozenset[str]:
        """Every name the directory resolves: unit names, aliases, group labels and their aliases."""
        return frozenset(self._tables.targets)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Closest unit names/aliases/labels for a near miss, best first (for "did you mean").

        Each suggestion is what the match resolves to (a canonical unit name or group label),
        so a user can type it back as is.
        """
        key = normalize(name)
        if not key:
            return []
        scored: list[tuple[float, str]] = []
        for candidate, target in self._tables.targets.items():
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
