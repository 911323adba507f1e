"""The supervision loop's core (issue 10): records in the store, and what they change in the
reminder policy. Over the frozen fixture plan of ``tests/test_policy.py``."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.clock import TZ
from bot.models import ProgressEntry, Status
from bot.store import Store
from bot.supervision import EXTENSIONS, Extension, Supervision
from bot.workflow import (
    Problem,
    WorkflowError,
    assign,
    chase,
    decide_extension,
    decide_review,
    extend_for_all,
    open_review,
    request_extension,
    supervision,
)
from schedules.policy import digests_for_day
from tests.test_policy import CALENDAR, DIRECTORY, PLAN, items_by_recipient

MON_07_03 = date(2023, 7, 3)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=TZ)


def reminders_on(store: Store, day: date) -> dict[str, set[tuple[str, str, date | None, str]]]:
    latest = store.latest_items()
    return items_by_recipient(
        digests_for_day(PLAN, DIRECTORY, latest, CALENDAR, day, supervision=supervision(store))
    )


def test_an_extension_moves_one_units_item_and_the_leaders_escalation_follows_the_lead_unit() -> None:
    with Store.open(None) as store:
        made = request_extension(
            store,
            PLAN,
            DIRECTORY,
            "1-1-1",
            "生态环境局",
            date(2023, 7, 31),
            "等待评审",
            at(date(2023, 6, 27)),
        )
        assert (made.unit, made.item, made.original, made.state) == (
            "区生态环境局",
            "2023-06-30",
            date(2023, 6, 30),
            "pending",
        )
        before = reminders_on(store, MON_07_03)
        assert ("1-1-1", "overdue", date(2023, 6, 30), "lead") in before["unit:区生态环境局"]
        decide_extension(store, made.id, True, at(date(2023, 6, 27)), by="倪德才")
        after = reminders_on(store, MON_07_03)
        assert not any(m == "1-1-1" for m, *_ in after.get("unit:区生态环境局", set()))
        # The streets asked for nothing: still overdue; the leader hears of it for them.
        assert ("1-1-1", "overdue", date(2023, 6, 30), "co") in after["unit:永顺镇"]
        assert "leader:倪德才" not in after or not any(m == "1-1-1" for m, *_ in after["leader:倪德才"])
        assert ("1-1-1", "upcoming", date(2023, 7, 31), "lead") in reminders_on(store, date(2023, 7, 28))[
            "unit:区生态环境局"
        ]
        assert ("1-1-1", "overdue", date(2023, 7, 31), "leader") in reminders_on(store, date(2023, 8, 7))[
            "leader:倪德才"
        ]


def test_an_extension_for_all_units_moves_everyone() -> None:
    with Store.open(None) as store:
        extend_for_all(
            store, PLAN, "1-1-1", None, date(2023, 7, 31), "全区统一延期", at(date(2023, 6, 27)), by="管理员"
        )
        assert not any(m == "1-1-1" for d in reminders_on(store, MON_07_03).values() for m, *_ in d)


@pytest.mark.parametrize(
    ("unit", "to", "problem"),
    [
        ("区水务局", date(2023, 7, 31), Problem.UNIT_REFUSED),
        ("区生态环境局", date(2023, 6, 30), Problem.NOT_LATER),
        ("区生态环境局", date(2023, 7, 31), Problem.NO_REASON),
    ],
)
def test_a_request_that_cannot_be_granted_writes_nothing(unit: str, to: date, problem: Problem) -> None:
    with Store.open(None) as store:
        reason = "" if problem is Problem.NO_REASON else "理由"
        with pytest.raises(WorkflowError) as refused:
            request_extension(store, PLAN, DIRECTORY, "1-1-1", unit, to, reason, at(date(2023, 6, 27)))
        assert refused.value.problem is problem
        assert store.records(EXTENSIONS, Extension) == []


def claim(store: Store, day: date) -> ProgressEntry:
    entry = store.record_progress("1-1-1", "区生态环境局", Status.DONE, at(day))
    open_review(store, entry)
    return entry


def test_a_claim_in_time_waits_for_review_then_a_return_reopens_it_from_the_original_date() -> None:
    with Store.open(None) as store:
        first = claim(store, date(2023, 6, 29))
        # Complete for now: the lead unit claimed in time; nobody is chased while it waits.
        assert not any(m == "1-1-1" for d in reminders_on(store, MON_07_03).values() for m, *_ in d)
        decide_review(store, first.seq, False, at(date(2023, 7, 5)), by="倪德才", reason="缺少材料")
        assert ("1-1-1", "overdue", date(2023, 6, 30), "lead") in reminders_on(store, date(2023, 7, 10))[
            "unit:区生态环境局"
        ]
        with pytest.raises(WorkflowError, match="no_reason"):
            decide_review(store, claim(store, date(2023, 7, 11)).seq, False, at(date(2023, 7, 12)))
        # A late claim stays overdue until it is accepted.
        assert ("1-1-1", "overdue", date(2023, 6, 30), "leader") in reminders_on(store, date(2023, 7, 17))[
            "leader:倪德才"
        ]
        late = supervision(store).pending_reviews()[-1]
        decide_review(store, late.id, True, at(date(2023, 7, 12)), by="倪德才")
        assert not any(m == "1-1-1" for d in reminders_on(store, date(2023, 7, 17)).values() for m, *_ in d)


def test_records_survive_a_restart_and_an_old_database_opens_without_them(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Store.open(path) as store:
        assert supervision(store) == Supervision()
        made = request_extension(
            store, PLAN, DIRECTORY, "1-1-1", "区生态环境局", date(2023, 7, 31), "评审", at(date(2023, 6, 27))
        )
        decide_extension(store, made.id, True, at(date(2023, 6, 28)), by="倪德才")
        claim(store, date(2023, 6, 29))
        assert (
            chase(store, MON_07_03, "1-1-1", "永顺镇", "2023-06-30", at(MON_07_03), by="倪德才") is not None
        )
        assert chase(store, MON_07_03, "1-1-1", "永顺镇", "2023-06-30", at(MON_07_03), by="倪德才") is None
    with Store.open(path) as store:
        state = supervision(store)
        assert [e.state for e in state.extensions] == ["approved"]
        assert [r.state for r in state.reviews] == ["pending"]
        assert len(state.chases) == 1
        assert store.verify().file_size > 0
        with pytest.raises(WorkflowError) as refused:
            decide_extension(store, made.id, False, at(date(2023, 6, 29)))
        assert refused.value.problem is Problem.ALREADY_DECIDED


def test_assign_fills_an_open_group_for_one_measure() -> None:
    with Store.open(None) as store:
        assert "unit:区水务局" not in reminders_on(store, date(2023, 8, 31)) or not any(
            m == "1-6-1" for m, *_ in reminders_on(store, date(2023, 8, 31))["unit:区水务局"]
        )
        assign(store, PLAN, DIRECTORY, "1-6-1", ["水务局"], at(date(2023, 6, 27)), by="管理员")
        assert ("1-6-1", "due", date(2023, 8, 31), "lead") in reminders_on(store, date(2023, 8, 31))[
            "unit:区水务局"
        ]
        with pytest.raises(WorkflowError) as refused:
            assign(store, PLAN, DIRECTORY, "1-1-1", ["区水务局"], at(date(2023, 6, 27)))
        assert refused.value.problem is Problem.NO_OPEN_GROUP
