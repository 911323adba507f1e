"""Sliding-window pacing: at most ``limit`` messages in any ``period`` seconds, spread out.

Pure bookkeeping: the caller passes the time in and does the waiting (``handlers.concurrency``
sleeps on the event loop's clock).

Telegram allows about 30 messages a second overall and 20 a minute per group. A token bucket of
30 lets a full second's worth out at once, and two such bursts close together put 59 messages
into one rolling second. This window counts the messages themselves, and counts each one until
``period`` after its *answer* came back: Telegram received it somewhere between sending and
answering, so a message sent only when the one ``limit`` places before it was answered a whole
``period`` ago can never share a rolling ``period`` with it at Telegram's end, however a busy
event loop or the network delays a request on its way.
"""

from __future__ import annotations

OVERALL_LIMIT = 30
"""Messages in any rolling second, all chats together (Telegram's limit)."""
OVERALL_PERIOD = 1.0
OVERALL_MIN_GAP = 1 / 30
"""Seconds between two sends' slots: a second's messages go out spread, not in one burst."""
CATCH_UP = 0.1
"""How far the slots may lag behind the clock: after a short stall of the event loop, a few
messages follow each other closely to make up the lost slots; a longer lag (or an idle spell)
starts afresh from now, so no burst follows it."""
GROUP_LIMIT = 20
"""Messages to one group in any rolling minute (Telegram's limit)."""
GROUP_PERIOD = 60.0


class SlidingWindow:
    """At most ``limit`` messages in any ``period`` seconds, their slots ``min_gap`` apart.

    ``start(slot)`` when a message goes out at the slot ``earliest`` gave, ``finish(at)`` when
    its answer is back: until then it counts as inside the window. Times are any monotonic
    clock's seconds; the caller takes one slot at a time.
    """

    def __init__(self, limit: int, period: float, min_gap: float = 0.0, catch_up: float = CATCH_UP) -> None:
        if limit < 1 or period <= 0 or min_gap < 0 or catch_up < 0:
            raise ValueError("a window needs limit >= 1, period > 0 and min_gap, catch_up >= 0")
        self.limit = limit
        self.period = period
        self.min_gap = min_gap
        self.catch_up = catch_up
        self._answered: list[float] = []
        self._in_flight = 0
        self._last_slot: float | None = None
        self._slot_before: float | None = None

    def earliest(self, now: float) -> float | None:
        """The first moment one more message may go: ``now`` or later, or a little earlier when
        catching up (go at once, then). None while messages still in flight fill the window:
        ask again when one is answered."""
        self._answered = [at for at in self._answered if at > now - self.period]
        ready = now
        if self._last_slot is not None:
            ready = self._last_slot + self.min_gap
            if ready < now - self.catch_up:
                ready = now  # idle, or stalled too long to make up: start afresh
        counted = len(self._answered) + self._in_flight
        if counted >= self.limit:
            # This many must drop out of the window first; only answered ones ever do.
            leaving = counted - self.limit + 1
            if leaving > len(self._answered):
                return None
            ready = max(ready, sorted(self._answered)[leaving - 1] + self.period)
        return ready

    def start(self, slot: float) -> None:
        """A message goes out at ``slot`` (what ``earliest`` returned)."""
        self._in_flight += 1
        self._slot_before, self._last_slot = self._last_slot, slot

    def finish(self, at: float) -> None:
        """Its answer came back at ``at`` (or it failed): it counts until ``at + period``."""
        if self._in_flight < 1:
            raise ValueError("finish without start")
        self._in_flight -= 1
        self._answered.append(at)

    def refuse(self, slot: float) -> None:
        """Telegram refused the message that went at ``slot`` (a 429): it was never delivered, so
        it counts nowhere, and when no message has gone since, the next may take its slot. Paced
        as one more message, each refusal would cost a delivered one its place in the second."""
        if self._in_flight < 1:
            raise ValueError("refuse without start")
        self._in_flight -= 1
        if self._last_slot == slot:
            self._last_slot = self._slot_before

    def idle(self, now: float) -> bool:
        """Whether nothing counts at ``now`` any more (the window can be forgotten)."""
        return self._in_flight == 0 and all(at <= now - self.period for at in self._answered)
