"""Reading what admins and contacts type when binding chats: unit lists, leader names, invite codes.

Pure: the directory does the matching (aliases, spaces); this module splits the input, sorts the
names into found / group labels / unknown-with-suggestions, and tells an invite code from a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.directory import Directory
from bot.store import INVITE_ALPHABET, INVITE_LENGTH, Binding, normalize_invite_code

# Admins list several units separated by spaces or the usual Chinese list punctuation; a
# name typed with a stray inner space ("区 水务局") is still one name when it resolves whole.
_LIST_SEPARATORS = re.compile(r"[,，、;；]+")
_NAME_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class UnitLookup:
    units: list[str] = field(default_factory=list)
    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    """Group labels typed where a unit was expected, with their members."""
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)
    """Names the directory does not know, each with its closest matches."""

    @property
    def ok(self) -> bool:
        return bool(self.units) and not self.groups and not self.unknown


def split_names(text: str) -> list[str]:
    return [name for name in _NAME_SEPARATORS.split(text.strip()) if name]


def lookup_units(directory: Directory, text: str) -> UnitLookup:
    """Resolve every unit named in ``text``; a name typed with inner spaces is tried as a whole first."""
    names: list[str] = []
    for piece in _LIST_SEPARATORS.split(text):
        if directory.resolve(piece) is not None:
            names.append(piece.strip())
        else:
            names.extend(piece.split())
    result = UnitLookup()
    for name in names:
        canonical = directory.resolve(name)
        if canonical is None:
            result.unknown.append((name, directory.suggest(name)))
        elif directory.is_group(canonical):
            result.groups.append((canonical, directory.expand(canonical)))
        elif canonical not in result.units:
            result.units.append(canonical)
    return result


def lookup_leader(directory: Directory, text: str) -> tuple[str | None, list[str]]:
    """The leader's canonical name, or None and the closest leader names."""
    found = directory.resolve_leader(text)
    if found is not None:
        return found, []
    return None, directory.suggest_leader(text)


def looks_like_invite_code(text: str) -> bool:
    code = normalize_invite_code(text)
    return len(code) == INVITE_LENGTH and all(ch in INVITE_ALPHABET for ch in code)


def bindings_in_order(bindings: Iterable[Binding]) -> list[Binding]:
    """Bound chats as /bindings lists them: by title (untitled last), then chat id, so the list
    reads the same every time whatever order the chats were bound in."""
    return sorted(bindings, key=lambda binding: (not binding.title, binding.title, binding.chat_id))
