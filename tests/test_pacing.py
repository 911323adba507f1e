"""The sliding window that paces the bot's messages: never more than the limit in any period,
counted until each message's answer is back, spread by the minimum gap, and no burst after idling."""

from __future__ import annotations

import itertools

import pytest

from bot.pacing import SlidingWindow


def send_all(window: SlidingWindow, count: int, round_trip: float) -> list[float]:
    """Send ``count`` messages as fast as the window allows; each answered ``round_trip`` later."""
    now, slots = 0.0, []
    for _ in range(count):
        slot = window.earliest(now)
        assert slot is not None
        now = max(now, slot)
        window.start(slot)
        slots.append(now)
        window.finish(now + round_trip)
    return slots


def most_within(times: list[float], period: float) -> int:
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


def test_no_rolling_period_holds_more_than_the_limit_and_sends_are_spread() -> None:
    slots = send_all(SlidingWindow(30, 1.0, min_gap=1 / 30), 120, round_trip=0.0)
    assert most_within(slots, 1.0) == 30
    assert min(b - a for a, b in itertools.pairwise(slots)) >= 1 / 30 - 1e-9
    assert slots[-1] == pytest.approx(119 / 30, abs=0.05)  # 30 a second: the limit is used


def test_a_message_counts_until_its_answer_so_a_slow_one_delays_the_window() -> None:
    window = SlidingWindow(2, 1.0)
    window.start(0.0)
    window.start(0.0)
    assert window.earliest(0.5) is None  # both in flight: nothing may go until one is answered
    window.finish(0.8)
    assert window.earliest(0.9) == pytest.approx(1.8)
    # Whatever Telegram's receiving time in [sent, answered], the third is a period after the first.
    slots = send_all(SlidingWindow(30, 1.0), 90, round_trip=0.2)
    assert all(later - earlier >= 1.2 - 1e-9 for earlier, later in zip(slots, slots[30:], strict=False))


def test_a_short_stall_is_made_up_and_an_idle_spell_brings_no_burst() -> None:
    window = SlidingWindow(30, 1.0, min_gap=0.1, catch_up=0.25)
    window.start(0.0)
    window.finish(0.0)
    # The loop woke 0.15 s late: the slot it missed goes at once, the next one as planned.
    assert window.earliest(0.25) == pytest.approx(0.1)
    window.start(0.1)
    window.finish(0.25)
    assert window.earliest(0.25) == pytest.approx(0.2)
    # After a long quiet spell the next message goes now and the one after a gap later.
    assert window.earliest(10.0) == 10.0
    window.start(10.0)
    window.finish(10.0)
    assert window.earliest(10.0) == pytest.approx(10.1)


def test_a_refused_message_counts_nowhere_and_gives_its_slot_back() -> None:
    window = SlidingWindow(2, 1.0, min_gap=0.1)
    window.start(0.0)
    window.finish(0.0)
    assert window.earliest(0.0) == pytest.approx(0.1)
    window.start(0.1)
    window.refuse(0.1)  # answered 429: Telegram delivered nothing
    # The next message takes the refused one's slot, and the window still has room for it.
    assert window.earliest(0.1) == pytest.approx(0.1)
    window.start(0.1)
    window.finish(0.1)
    assert window.earliest(0.2) == pytest.approx(1.0)  # two delivered: full until the first leaves
    # A slot taken since the refusal stays taken.
    late = SlidingWindow(30, 1.0, min_gap=0.1)
    late.start(0.0)
    late.start(0.1)
    late.refuse(0.0)
    assert late.earliest(0.1) == pytest.approx(0.2)


def test_a_group_gets_twenty_a_minute() -> None:
    slots = send_all(SlidingWindow(20, 60.0), 45, round_trip=0.01)
    assert most_within(slots, 60.0) == 20
    assert slots[20] >= 60.0 and slots[40] >= 120.0


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        SlidingWindow(0, 1.0)
    with pytest.raises(ValueError, match="finish"):
        SlidingWindow(1, 1.0).finish(0.0)
    with pytest.raises(ValueError, match="refuse"):
        SlidingWindow(1, 1.0).refuse(0.0)
