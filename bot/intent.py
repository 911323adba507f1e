"""What a plain text message to the bot is: chatter, an acknowledgement (签收), or a progress report.

Pure: no Telegram, no clock. The text handler asks ``read_message`` once and acts on the answer.
The rule, so that a unit's group can talk without the bot butting in:

- Replying to a digest or a 督办提醒 with nothing but words like 收到, 好的，马上落实, 已阅 is an
  acknowledgement, recorded as 签收; never a hint.
- In a private chat, or replying to a bot message, anything else is read as a report; what is not
  quite one gets a short question (``ProgressParseError``).
- In a group, a message that is no reply to the bot is a report only when it starts with a measure
  ID and carries a status (``3-6-4 受阻 资金没到位``). Such a message that is almost a report
  (``3-6-4 已完成 60%``) gets the question; everything else is chatter and gets no answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot import store as stored
from bot import texts
from bot.assignments import unit_roles
from bot.directory import Directory
from bot.models import Plan
from bot.progress import (
    ParseProblem,
    ProgressParseError,
    ProgressReport,
    UnitResolver,
    normalize_text,
    parse_progress,
)

_ACKNOWLEDGEMENTS = sorted({word.lower() for word in texts.ACKNOWLEDGEMENT_WORDS}, key=len, reverse=True)
_ACKNOWLEDGEMENT_AT = re.compile("|".join(map(re.escape, _ACKNOWLEDGEMENTS)))
# Between and after acknowledgement words: punctuation, spaces, tildes, 啦/了/哈 and emoji-like marks.
_FILLER = re.compile(r"[\s,，、.。!！~～…;；:：]+|[啦了哈呀哦嗯]+")
_STARTS_WITH_ID = re.compile(r"\s*\d{1,2}-\d{1,3}")
# Problems with a message that did carry a status: in a group it was meant as a report.
_MEANT_AS_REPORT = frozenset(
    {
        ParseProblem.BAD_PERCENT,
        ParseProblem.PERCENT_WITHOUT_SIGN,
        ParseProblem.CONTRADICTION,
        ParseProblem.MULTIPLE_UNITS,
    }
)


@dataclass(frozen=True)
class Chatter:
    """People talking to each other (or to no one): the bot says nothing."""


@dataclass(frozen=True)
class Acknowledgement:
    """收到 / 好的 / 已阅 replying to a bot message about ``measures``: recorded as 签收."""

    measures: tuple[str, ...]


MessageIntent = ProgressReport | ProgressParseError | Acknowledgement | Chatter


def is_acknowledgement(text: str) -> bool:
    """Whether a text says nothing but "received, will do" (收到，马上落实 / 好的👌 / 已阅)."""
    text = normalize_text(text).lower().strip()
    pos, words = 0, 0
    while pos < len(text):
        if (filler := _FILLER.match(text, pos)) is not None:
            pos = filler.end()
        elif (word := _ACKNOWLEDGEMENT_AT.match(text, pos)) is not None:
            pos, words = word.end(), words + 1
        else:
            return False
    return words > 0


def read_message(
    text: str,
    *,
    private: bool,
    replying_to: Sequence[str] | None,
    unit_named: UnitResolver | None = None,
) -> MessageIntent:
    """What ``text`` is. ``replying_to`` is the measures of the bot message it replies to (None
    when it replies to no bot message); ``unit_named`` resolves unit names in a report."""
    if replying_to is not None and is_acknowledgement(text):
        return Acknowledgement(tuple(replying_to)) if replying_to else Chatter()
    single = replying_to[0] if replying_to is not None and len(replying_to) == 1 else None
    parsed = parse_progress(text, default_measure=single, unit_named=unit_named)
    if private or replying_to is not None:
        return parsed
    if _STARTS_WITH_ID.match(normalize_text(text)) is None:
        return Chatter()
    if isinstance(parsed, ProgressReport) or parsed.problem in _MEANT_AS_REPORT:
        return parsed
    return Chatter()


def record_acknowledgement(
    store: stored.Store,
    plan: Plan,
    directory: Directory,
    binding: stored.Binding | None,
    acknowledgement: Acknowledgement,
    at: datetime,
    *,
    digest_unit: Callable[[str], str | None],
    user_id: int | None,
    user_name: str,
) -> list[stored.Acknowledgement]:
    """Record 签收 for each measure of the message acknowledged, for whom that message was.

    That is the unit the digest's buttons name (``digest_unit``), else the chat's units that answer
    for the measure, else the chat's leader (a 督办提醒). A chat bound to nothing records nothing.
    """
    if binding is None:
        return []
    recorded = []
    for measure_id in acknowledgement.measures:
        measure = plan.measure(measure_id)
        if measure is None:
            continue
        unit = digest_unit(measure_id)
        recipients = [unit] if unit else [u for u in binding.units if u in unit_roles(measure, directory)]
        if not recipients and binding.leader:
            recipients = [binding.leader]
        for recipient in recipients:
            recorded.append(
                store.acknowledge(
                    stored.Acknowledgement(
                        measure=measure.id,
                        recipient=recipient,
                        at=at,
                        chat_id=binding.chat_id,
                        user_id=user_id,
                        user_name=user_name,
                    )
                )
            )
    return recorded
