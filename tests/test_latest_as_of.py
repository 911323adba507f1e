"""A view of a past day sees each (measure, unit, item) as it stood then: the store answers by bisection
over an index it keeps current, and gives a read-only view instead of a copy of its latest map.

Checked against the definition (the latest report dated on or before the day, read from the whole
history), on an in-memory and a file store, across reopening and later writes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import pytest

from bot.clock import TZ
from bot.models import ProgressEntry, Status
from bot.store import Store

MEASURES = ("1-1-1", "2-63-1", "3-6-4")
UNITS = ("区水务局", "区生态环境局", "永顺镇")
FIRST = date(2023, 4, 1)


ITEMS = (None, None, "1", "2")  # most reports are on the measure as a whole

Key = tuple[str, str, str | None]


def by_definition(store: Store, day: date) -> dict[Key, ProgressEntry]:
    found: dict[Key, ProgressEntry] = {}
    for measure in MEASURES:
        for entry in store.history(measure):
            key = (entry.measure, entry.unit, entry.item)
            if entry.at.date() <= day and (
                key not in found or (entry.at, entry.seq) >= (found[key].at, found[key].seq)
            ):
                found[key] = entry
    return found


def record_some(store: Store, rng: random.Random, count: int) -> None:
    for _ in range(count):
        moment = datetime.combine(
            FIRST + timedelta(days=rng.randrange(240)), time(rng.randrange(24)), tzinfo=TZ
        )
        store.record_progress(
            rng.choice(MEASURES),
            rng.choice(UNITS),
            rng.choice(list(Status)),
            moment,
            source="cli",
            item=rng.choice(ITEMS),
        )


def assert_same(view: Mapping[Key, ProgressEntry], expected: dict[Key, ProgressEntry]) -> None:
    assert dict(view) == expected
    assert len(view) == len(expected) and set(view) == set(expected)
    for key, entry in expected.items():
        assert key in view and view[key] == entry


def test_every_past_day_matches_the_definition_after_writes_and_a_reopen(store: Store) -> None:
    rng = random.Random(15)
    record_some(store, rng, 150)
    days = [FIRST - timedelta(days=1), *(FIRST + timedelta(days=d) for d in range(0, 250, 9))]
    for day in days:
        assert_same(store.latest_items_as_of(day), by_definition(store, day))
    # Later writes, back-dated ones among them, reach an index a past view has already built.
    record_some(store, rng, 60)
    for day in days:
        assert_same(store.latest_items_as_of(day), by_definition(store, day))
    if store.path is not None:
        store.close()
        store = Store.open(store.path)
        for day in days:
            assert_same(store.latest_items_as_of(day), by_definition(store, day))
        store.close()


def test_today_is_the_live_latest_map_read_only(store: Store) -> None:
    record_some(store, random.Random(9), 20)
    today = FIRST + timedelta(days=300)
    view = store.latest_items_as_of(today)
    assert dict(view) == store.latest_items()
    with pytest.raises(TypeError):
        view[("1-1-1", "区水务局", None)] = next(iter(view.values()))  # type: ignore[index]


def test_a_day_before_any_report_shows_nothing(store: Store) -> None:
    record_some(store, random.Random(3), 10)
    view = store.latest_items_as_of(FIRST - timedelta(days=1))
    assert len(view) == 0 and list(view) == [] and ("1-1-1", "区水务局", None) not in view
