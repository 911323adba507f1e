"""How updates run and how the bot's requests are paced: python-telegram-bot glue, wired in bot.app.

**Updates**: concurrent across chats, strictly in order within one chat. A busy group (a unit
contact pressing through 40 buttons) must not make every other chat of the district wait, yet
one chat's "/bind" must be done before its next "/report" is read. Handlers never await between
reading the store and writing what they read (the store is the single, synchronous writer in the
event loop), so two chats' updates cannot interleave a read-modify-write.

**Requests**: every request to a chat waits for that chat's turn only. All chats together keep
under Telegram's 30 messages a second in *every* rolling second, spread out rather than in
bursts; each group gets at most 20 a minute; a 429 for one chat pauses that chat alone, for its
``retry_after``, while the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

from bot.pacing import (
    GROUP_LIMIT,
    GROUP_PERIOD,
    OVERALL_LIMIT,
    OVERALL_MIN_GAP,
    OVERALL_PERIOD,
    SlidingWindow,
)

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
MAX_CONCURRENT_UPDATES = 1024
"""Updates in progress at once (most of them waiting for their chat's turn): a bound on memory."""
RATE_LIMIT_RETRIES = 3
"""How often one request waits out a 429 (its retry_after) before the send fails."""


@dataclass
class _Turns:
    """One key's lock and how many updates hold or wait for it, so idle locks can be dropped."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ChatOrderedUpdates(BaseUpdateProcessor):
    """Process updates concurrently, but one at a time (in arrival order) per chat.

    asyncio.Lock wakes its waiters first come, first served, and PTB starts one task per update
    in arrival order, so a chat's updates are handled in the order Telegram sent them.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, _Turns] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        turns = self._turns.setdefault(key, _Turns())
        turns.users += 1
        try:
            async with turns.lock:
                await coroutine
        finally:
            turns.users -= 1
            if turns.users == 0:
                del self._turns[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: the locks go with their last update."""


def _chat_key(update: object) -> int | None:
    """The chat whose order the update belongs to (the user's, for updates without a chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class PacedRateLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter seam: sliding windows overall and per group, 429s paused per chat.

    Requests to one chat go one at a time, in order, so a 429's retry is never overtaken by the
    chat's next message. Requests naming no chat (getUpdates, answerCallbackQuery, getMe) are not
    held: they are not messages and Telegram does not count them against the limits.
    ``rate_limit_args`` may give a request its own retry count, as with AIORateLimiter.
    """

    def __init__(
        self,
        *,
        overall_limit: int = OVERALL_LIMIT,
        overall_period: float = OVERALL_PERIOD,
        min_gap: float = OVERALL_MIN_GAP,
        group_limit: int = GROUP_LIMIT,
        group_period: float = GROUP_PERIOD,
        max_retries: int = RATE_LIMIT_RETRIES,
    ) -> None:
        self._overall = SlidingWindow(overall_limit, overall_period, min_gap)
        self._overall_turn = asyncio.Lock()
        self._group_limit = group_limit
        self._group_period = group_period
        self._groups: dict[int | str, SlidingWindow] = {}
        self._chats: dict[int | str, _Turns] = {}
        self._paused_until: dict[int | str, float] = {}
        self._max_retries = max_retries
        self._answered = asyncio.Event()
        """Set whenever a message's answer is back: a full window may have room again."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        with contextlib.suppress(ValueError, TypeError):
            chat = int(chat)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        turns = self._chats.setdefault(chat, _Turns())
        turns.users += 1
        try:
            async with turns.lock:
                for attempt in range(retries + 1):
                    try:
                        return await self._send(chat, callback, args, kwargs)
                    except RetryAfter as exc:
                        if attempt == retries:
                            log.warning("%s to chat %s: still 429 after %d retries", endpoint, chat, retries)
                            raise
                        # PTB's own AIORateLimiter reads the private timedelta too: the public
                        # property warns about a future change of its type.
                        pause = exc._retry_after.total_seconds() + 0.1
                        log.info("%s to chat %s: 429, pausing this chat %.1f s", endpoint, chat, pause)
                        self._paused_until[chat] = _now() + pause
        finally:
            turns.users -= 1
            if turns.users == 0:
                del self._chats[chat]
                self._forget_idle(chat)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(
        self,
        chat: int | str,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for this chat's turn (its 429 pause, its group's minute), then for the next overall
        slot, first come first served among the chats that are ready; send, and count the message
        in both windows until its answer is back."""
        if (pause := self._paused_until.get(chat, 0.0) - _now()) > 0:
            await asyncio.sleep(pause)
        group = self._group_window(chat)
        if group is not None:
            await self._wait_for(group)
        async with self._overall_turn:
            slot = await self._wait_for(self._overall)
            self._overall.start(slot)
            if group is not None:
                group.start(slot)
        try:
            result = await callback(*args, **kwargs)
        except RetryAfter:
            self._overall.refuse(slot)
            if group is not None:
                group.refuse(slot)
            raise
        except BaseException:
            self._finish(group)
            raise
        self._finish(group)
        return result

    def _finish(self, group: SlidingWindow | None) -> None:
        """A message's answer is back (or it failed on the way): it counts from now on."""
        answered = _now()
        self._overall.finish(answered)
        if group is not None:
            group.finish(answered)
        self._answered.set()

    async def _wait_for(self, window: SlidingWindow) -> float:
        """Sleep until ``window`` has room; the slot it gave."""
        while True:
            slot = window.earliest(_now())
            if slot is None:
                self._answered.clear()
                await self._answered.wait()
            elif (wait := slot - _now()) > 0:
                await asyncio.sleep(wait)
            else:
                return slot

    def _group_window(self, chat: int | str) -> SlidingWindow | None:
        """The window of a group or channel (a negative id, or an @name); private chats have none."""
        if isinstance(chat, int) and chat > 0:
            return None
        window = self._groups.get(chat)
        if window is None:
            window = self._groups[chat] = SlidingWindow(self._group_limit, self._group_period)
        return window

    def _forget_idle(self, chat: int | str) -> None:
        """Drop a chat's bookkeeping once nothing of it counts any more (memory stays bounded)."""
        now = _now()
        if self._paused_until.get(chat, 0.0) <= now:
            self._paused_until.pop(chat, None)
        window = self._groups.get(chat)
        if window is not None and window.idle(now):
            del self._groups[chat]


def _now() -> float:
    return asyncio.get_running_loop().time()
