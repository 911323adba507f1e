"""Reading what admins and contacts type when binding chats: unit lists, leader names, invite codes.

Pure: the directory does the matching (aliases, spaces); this module splits the input, sorts the
names into found / group labels / unknown-with-suggestions, and tells an invite code from a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from bot.directory import Directory, normalize
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


# --- confirming a binding that changes what a chat is --------------------------------------------
# A leader's chat that also gets a unit becomes a unit chat (its digests, its reports), and the other
# way round; /unbind without a unit removes everything. These ask first, with two buttons that carry
# what to do (directory indices, so the data stays within Telegram's 64 bytes), nothing in memory.

CONFIRM_PREFIX = "bc|"
CALLBACK_DATA_LIMIT = 64
ConfirmAction = Literal["units", "leader", "unbind", "cancel"]
_ACTION_CODES: dict[ConfirmAction, str] = {"units": "u", "leader": "l", "unbind": "x", "cancel": "n"}
_CODE_ACTIONS = {code: action for action, code in _ACTION_CODES.items()}


@dataclass(frozen=True)
class Confirmation:
    """What an admin is asked to confirm: bind ``units``, bind ``leader``, unbind all, or cancel."""

    action: ConfirmAction
    units: tuple[str, ...] = ()
    leader: str | None = None


def mixes_bindings(current: Binding | None, *, units: Iterable[str] = (), leader: str | None = None) -> bool:
    """Whether binding ``units`` (or ``leader``) would make a leader's chat a unit chat too, or a unit
    chat a leader's chat: then the admin is asked to confirm. A chat that is both already is not."""
    if current is None:
        return False
    if leader is not None:
        return bool(current.units) and current.leader is None
    return current.leader is not None and not current.units and bool(list(units))


def confirmation_data(directory: Directory, confirmation: Confirmation) -> str | None:
    """The callback data of a button confirming ``confirmation``; None if it cannot fit in 64 bytes."""
    code = _ACTION_CODES[confirmation.action]
    names = [unit.name for unit in directory.units]
    if confirmation.action == "units":
        argument = ",".join(str(names.index(unit)) for unit in confirmation.units)
    elif confirmation.action == "leader" and confirmation.leader is not None:
        argument = str([normalize(name) for name in directory.leaders].index(confirmation.leader))
    else:
        argument = ""
    data = f"{CONFIRM_PREFIX}{code}|{argument}"
    return data if len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT else None


def parse_confirmation(directory: Directory, data: str) -> Confirmation | None:
    """What a confirmation button asks for; None for anything malformed, forged or stale."""
    found = re.fullmatch(rf"{re.escape(CONFIRM_PREFIX)}([a-z])\|([0-9,]*)", data)
    if found is None or found.group(1) not in _CODE_ACTIONS:
        return None
    action = _CODE_ACTIONS[found.group(1)]
    numbers = [int(number) for number in found.group(2).split(",") if number]
    if action == "units":
        units = [unit.name for unit in directory.units]
        if not numbers or any(number >= len(units) for number in numbers):
            return None
        return Confirmation(action, units=tuple(units[number] for number in numbers))
    if action == "leader":
        leaders = [normalize(name) for name in directory.leaders]
        if len(numbers) != 1 or numbers[0] >= len(leaders):
            return None
        return Confirmation(action, leader=leaders[numbers[0]])
    return Confirmation(action)
