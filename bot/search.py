"""Finding measures by words (``/find 噪声``, ``/status 噪声``): nobody remembers measure IDs.

Pure. A measure matches when every word typed appears in its task name, its text or its section;
matches in the task name come first, then the plan's order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.models import Measure, Plan

FOUND_LIMIT = 10
"""At most this many matches are listed (each with a button); more asks for more words."""
_WORD_SEPARATORS = re.compile(r"[\s,，、;；。.]+")


@dataclass(frozen=True)
class Matches:
    """What words found: the first ``FOUND_LIMIT`` measures, and how many matched in all."""

    words: tuple[str, ...]
    measures: tuple[Measure, ...]
    total: int


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search, as typed (full-width folded), without separators or repeats."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return tuple(dict.fromkeys(word for word in _WORD_SEPARATORS.split(folded) if word))


def find_measures(plan: Plan, text: str, limit: int = FOUND_LIMIT) -> Matches:
    """The measures whose task, text or section holds every word of ``text``."""
    words = search_words(text)
    if not words:
        return Matches(words, (), 0)
    in_title: list[Measure] = []
    elsewhere: list[Measure] = []
    for measure in plan.measures:
        title = unicodedata.normalize("NFKC", measure.task).lower()
        body = unicodedata.normalize("NFKC", f"{measure.text} {measure.section}").lower()
        if not all(word in title or word in body for word in words):
            continue
        (in_title if any(word in title for word in words) else elsewhere).append(measure)
    found = in_title + elsewhere
    return Matches(words, tuple(found[:limit]), len(found))
