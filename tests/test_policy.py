"""The reminder policy: who hears about what on which day (pure; no store, no clock)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import TZ
from bot.directory import Directory, Group, Unit
from bot.models import Deadline, Measure, Milestone, Plan, ProgressEntry, Recurrence, Status
from schedules.calendar import WorkCalendar
from schedules.policy import (
    LADDER,
    Digest,
    DigestItem,
    Recipient,
    Reminder,
    checkin_days,
    checkins,
    digests_for_day,
    ladder_days,
)
from tests.bot_harness import shipped_plan

CALENDAR = WorkCalendar()
ISSUED = date(2023, 3, 20)
YEAR_END = date(2023, 12, 31)


def measure(
    measure_id: str,
    deadline: Deadline,
    *,
    lead: list[str],
    co: list[str] | None = None,
    leaders: list[str] | None = None,
    milestones: list[Milestone] | None = None,
    recurrences: list[Recurrence] | None = None,
) -> Measure:
    annex, task_no, _ = (int(part) for part in measure_id.split("-"))
    return Measure(
        id=measure_id,
        annex=annex,
        section="一、测试",
        task_no=task_no,
        task=f"任务{measure_id}",
        text="措施内容",
        deadline=deadline,
        milestones=milestones or [],
        recurrences=recurrences or [],
        leaders=leaders or [],
        lead_units=lead,
        co_units=co or [],
    )


def sample_plan() -> Plan:
    """Small, but with every kind of deadline, a milestone, recurrences, groups and leaders."""
    return Plan(
        title="测试计划",
        year=2023,
        issued=ISSUED,
        annexes=[],
        measures=[
            measure(
                "1-1-1",
                Deadline(raw="6月底", kind="date", due=date(2023, 6, 30)),
                lead=["区生态环境局"],
                co=["各街道乡镇"],
                leaders=["倪德才"],
            ),
            measure(
                "1-2-1",
                Deadline(raw="长期实施", kind="ongoing"),
                lead=["区水务局"],
                co=["区国资委"],
                leaders=["秦  涛"],
                milestones=[Milestone(raw="9月底前", due=date(2023, 9, 30), text="制定出台水源地名录")],
            ),
            measure(
                "1-3-1",
                Deadline(raw="6月-9月", kind="window", start=date(2023, 6, 1), due=date(2023, 9, 30)),
                lead=["城管委"],
            ),
            measure(
                "1-4-1",
                Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
                lead=["区水务局"],
                recurrences=[
                    Recurrence(raw="第二、三季度每季度", every="quarter", months=[4, 5, 6, 7, 8, 9])
                ],
            ),
            measure(
                "1-5-1",
                Deadline(raw="4月底前", kind="date", due=date(2023, 4, 28)),
                lead=["区生态环境局", "区水务局"],
                recurrences=[Recurrence(raw="按月", every="month")],
            ),
            measure(
                "1-6-1",
                Deadline(raw="8月", kind="date", due=date(2023, 8, 31)),
                lead=["各村"],
                leaders=["倪德才"],
            ),
        ],
    )


def sample_directory() -> Directory:
    return Directory(
        units=[
            Unit(name="区生态环境局", kind="district", aliases=["生态环境局"]),
            Unit(name="区水务局", kind="district", aliases=["水务局"]),
            Unit(name="区国资委", kind="district"),
            Unit(name="区城市管理委", kind="district", aliases=["城管委"]),
            Unit(name="永顺镇", kind="town"),
            Unit(name="梨园镇", kind="town"),
        ],
        groups=[
            Group(label="各街道乡镇", members=["永顺镇", "梨园镇"]),
            Group(label="各村", open=True),
        ],
        leaders=["倪德才", "秦涛"],
    )


PLAN = sample_plan()
DIRECTORY = sample_directory()


def done(measure_id: str, unit: str, day: date, seq: int = 1) -> ProgressEntry:
    return ProgressEntry(
        seq=seq,
        measure=measure_id,
        unit=unit,
        status=Status.DONE,
        at=datetime.combine(day, time(15, 0), tzinfo=TZ),
        source="cli",
    )


def items_by_recipient(digests: list[Digest]) -> dict[str, set[tuple[str, str, date | None, str]]]:
    """Every reminder each recipient gets, whether it leads its measure's entry or rides along."""
    return {
        d.recipient.key: {(i.measure, r.reason, r.due, i.role) for i in d.items for r in i.reminders()}
        for d in digests
    }


def entry(digests: list[Digest], recipient: str, measure_id: str) -> DigestItem:
    """The one entry ``recipient``'s digest has for ``measure_id``."""
    [digest] = [d for d in digests if d.recipient.key == recipient]
    [item] = [i for i in digest.items if i.measure == measure_id]
    return item


def workdays(start: date, end: date) -> list[date]:
    return [info.day for info in CALENDAR.days(start, end) if info.workday]


# --- the ladder ---


def test_ladder_for_a_friday_deadline_moves_the_holiday_rung_back() -> None:
    # 6月底 = Fri 30 June 2023; a week before is Fri 23 June, bridged to the Dragon Boat holiday.
    assert ladder_days(date(2023, 6, 30), CALENDAR) == {
        date(2023, 5, 31): "upcoming",
        date(2023, 6, 16): "upcoming",
        date(2023, 6, 21): "upcoming",
        date(2023, 6, 27): "upcoming",
        date(2023, 6, 29): "upcoming",
        date(2023, 6, 30): "due",
    }


def test_ladder_for_a_holiday_deadline_collapses_onto_the_last_workday_before_it() -> None:
    # 9月底前 = Sat 30 Sep 2023, in the National Day break: the day before (29th) is off too,
    # so "due" and "1 day before" both land on Thu 28 Sep and the item appears once, as due.
    assert ladder_days(date(2023, 9, 30), CALENDAR) == {
        date(2023, 8, 31): "upcoming",
        date(2023, 9, 15): "upcoming",
        date(2023, 9, 22): "upcoming",
        date(2023, 9, 27): "upcoming",
        date(2023, 9, 28): "due",
    }


@given(st.dates(date(2023, 1, 1), date(2026, 12, 31)))
def test_every_ladder_rung_lands_on_the_last_workday_not_after_it(due: date) -> None:
    ladder = ladder_days(due, CALENDAR)
    assert set(ladder) == {CALENDAR.on_or_before(due - timedelta(days=n)) for n in LADDER}
    assert all(CALENDAR.is_workday(day) and day <= due for day in ladder)
    assert [day for day, reason in ladder.items() if reason == "due"] == [CALENDAR.on_or_before(due)]
    assert all(day < CALENDAR.on_or_before(due) for day, reason in ladder.items() if reason == "upcoming")


# --- who gets what on a day ---


@pytest.mark.parametrize("day", [date(2023, 6, 24), date(2023, 7, 1), date(2023, 10, 1)])
def test_nothing_on_a_day_off(day: date) -> None:
    assert digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day) == []


def test_nothing_before_the_plan_was_issued() -> None:
    early = Plan.model_validate({**PLAN.model_dump(), "issued": date(2023, 6, 1)})
    # 31 May is the 30-day rung of 1-1-1, but the plan only comes out on 1 June.
    assert digests_for_day(early, DIRECTORY, {}, CALENDAR, date(2023, 5, 31)) == []
    assert digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 5, 31)) != []


def test_due_day_goes_to_lead_and_expanded_co_units_not_leaders() -> None:
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 6, 30)))
    due = date(2023, 6, 30)
    assert got["unit:区生态环境局"] == {("1-1-1", "due", due, "lead")}
    assert got["unit:永顺镇"] == {("1-1-1", "due", due, "co")}
    assert got["unit:梨园镇"] == {("1-1-1", "due", due, "co")}
    assert not any(key.startswith("leader:") for key in got)


def test_overdue_on_the_first_workday_of_the_week_escalates_to_leaders() -> None:
    monday = date(2023, 7, 3)
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, monday))
    overdue = ("1-1-1", "overdue", date(2023, 6, 30))
    assert (*overdue, "lead") in got["unit:区生态环境局"]
    assert (*overdue, "co") in got["unit:永顺镇"]
    assert (*overdue, "leader") in got["leader:倪德才"]


def test_a_measure_whose_units_are_unknown_still_escalates_to_its_leader() -> None:
    # 1-6-1's lead is an open group nobody has filled in: no unit can hear of it, its leader does.
    got = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 9, 4))
    holders = {d.recipient.key for d in got if any(i.measure == "1-6-1" for i in d.items)}
    assert holders == {"leader:倪德才"}


def test_no_overdue_later_in_the_week_unless_asked_to_catch_up() -> None:
    tuesday = date(2023, 7, 4)
    plain = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, tuesday)
    assert not any(i.reason == "overdue" for d in plain for i in d.items)
    caught_up = items_by_recipient(
        digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, tuesday, include_overdue=True)
    )
    assert ("1-1-1", "overdue", date(2023, 6, 30), "leader") in caught_up["leader:倪德才"]


def test_the_national_day_week_lists_overdue_on_saturday_7_october() -> None:
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 10, 7)))
    milestone = date(2023, 9, 30)
    assert ("1-2-1", "overdue", milestone, "lead") in got["unit:区水务局"]
    assert ("1-2-1", "overdue", milestone, "co") in got["unit:区国资委"]
    # The plan writes the leader "秦  涛"; the directory knows him as 秦涛.
    assert ("1-2-1", "overdue", milestone, "leader") in got["leader:秦涛"]
    # 7 October is also October's first workday: the standing duty's check-in rides along.
    assert ("1-2-1", "checkin", None, "lead") in got["unit:区水务局"]


def test_a_complete_measure_gets_nothing_more() -> None:
    monday = date(2023, 7, 3)
    latest = {("1-1-1", "区生态环境局"): done("1-1-1", "区生态环境局", date(2023, 7, 1))}
    got = digests_for_day(PLAN, DIRECTORY, latest, CALENDAR, monday)
    assert not any(i.measure == "1-1-1" for d in got for i in d.items)
    # A report dated after the day does not count yet.
    later = {("1-1-1", "区生态环境局"): done("1-1-1", "区生态环境局", date(2023, 7, 4))}
    again = digests_for_day(PLAN, DIRECTORY, later, CALENDAR, monday)
    assert any(i.measure == "1-1-1" for d in again for i in d.items)


def test_every_lead_unit_must_be_done() -> None:
    day = date(2023, 4, 28)  # 1-5-1 is due, with two lead units
    one_done = {("1-5-1", "区水务局"): done("1-5-1", "区水务局", date(2023, 4, 27))}
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, one_done, CALENDAR, day))
    assert ("1-5-1", "due", day, "lead") in got["unit:区生态环境局"]
    assert not any(m == "1-5-1" for m, *_ in got.get("unit:区水务局", set()))
    both = {**one_done, ("1-5-1", "区生态环境局"): done("1-5-1", "区生态环境局", day, seq=2)}
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, both, CALENDAR, day))
    assert not any(m == "1-5-1" for items in got.values() for m, *_ in items)


def test_a_unit_that_did_its_part_is_not_chased_but_the_leader_still_hears() -> None:
    # 9-1-1 has two lead units and a co-operating group; 区水务局 and 永顺镇 report it done.
    shared = measure(
        "9-1-1",
        Deadline(raw="6月底", kind="date", due=date(2023, 6, 30)),
        lead=["区水务局", "区生态环境局"],
        co=["各街道乡镇"],
        leaders=["秦  涛"],
        recurrences=[Recurrence(raw="按月", every="month")],
    )
    plan = PLAN.model_copy(update={"measures": [*PLAN.measures, shared]})
    latest = {
        ("9-1-1", "区水务局"): done("9-1-1", "区水务局", date(2023, 6, 20)),
        ("9-1-1", "永顺镇"): done("9-1-1", "永顺镇", date(2023, 6, 20), seq=2),
    }

    def holders(day: date) -> dict[str, set[str]]:
        got = items_by_recipient(digests_for_day(plan, DIRECTORY, latest, CALENDAR, day))
        return {key: {reason for m, reason, *_ in items if m == "9-1-1"} for key, items in got.items()}

    due_day = holders(date(2023, 6, 30))
    assert due_day["unit:区生态环境局"] == due_day["unit:梨园镇"] == {"due"}
    assert not due_day.get("unit:区水务局") and not due_day.get("unit:永顺镇")
    # The next Monday: overdue and July's check-in for those still owing it, and the leader.
    monday = holders(date(2023, 7, 3))
    assert monday["unit:区生态环境局"] == monday["unit:梨园镇"] == {"overdue", "checkin"}
    assert not monday.get("unit:区水务局") and not monday.get("unit:永顺镇")
    assert monday["leader:秦涛"] == {"overdue"}
    # Once the last lead unit is done, the measure is complete: nobody, leader included.
    latest[("9-1-1", "区生态环境局")] = done("9-1-1", "区生态环境局", date(2023, 7, 5), seq=3)
    assert not any(holders(date(2023, 7, 10)).values())


def test_window_start_on_the_windows_first_workday() -> None:
    got = items_by_recipient(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 6, 1)))
    assert got["unit:区城市管理委"] == {("1-3-1", "window_start", date(2023, 9, 30), "lead")}


def test_a_measure_is_one_entry_led_by_its_most_pressing_reminder() -> None:
    # 7 October: 1-2-1's milestone is overdue and October's check-in is due, for the lead and
    # the co unit alike; the entry leads with the overdue milestone and mentions the check-in.
    digests = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 10, 7))
    for recipient, role in (("unit:区水务局", "lead"), ("unit:区国资委", "co")):
        item = entry(digests, recipient, "1-2-1")
        assert (item.reason, item.due, item.role) == ("overdue", date(2023, 9, 30), role)
        assert item.also == (
            Reminder(reason="checkin", due=None, basis=("长期实施",), item="2023-10", kind="checkin"),
        )
    # The leader hears of the overdue milestone only: no check-in rides along on an escalation.
    assert entry(digests, "leader:秦涛", "1-2-1").also == ()


def test_two_overdue_items_of_a_measure_are_one_entry_the_older_first() -> None:
    both = measure(
        "1-7-1",
        Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        lead=["区水务局"],
        leaders=["秦  涛"],
        milestones=[Milestone(raw="6月底前", due=date(2023, 6, 30), text="完成管网铺设")],
    )
    plan = PLAN.model_copy(update={"measures": [*PLAN.measures, both]})
    digests = digests_for_day(plan, DIRECTORY, {}, CALENDAR, date(2024, 1, 2))
    for recipient in ("unit:区水务局", "leader:秦涛"):
        item = entry(digests, recipient, "1-7-1")
        assert (item.reason, item.due) == ("overdue", date(2023, 6, 30))
        assert item.also == (
            Reminder(reason="overdue", due=date(2023, 12, 31), item="2023-12-31", kind="deadline"),
        )


def test_a_due_milestone_leads_and_the_deadlines_rung_rides_along() -> None:
    # 30 November: the milestone is due today and the year-end deadline is 30 days off (its
    # 30-day rung, 1 December, is a workday: so on 1 December instead).
    pair = measure(
        "1-8-1",
        Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        lead=["区水务局"],
        milestones=[Milestone(raw="12月1日前", due=date(2023, 12, 1), text="完成验收")],
    )
    plan = PLAN.model_copy(update={"measures": [*PLAN.measures, pair]})
    item = entry(digests_for_day(plan, DIRECTORY, {}, CALENDAR, date(2023, 12, 1)), "unit:区水务局", "1-8-1")
    assert (item.reason, item.due) == ("due", date(2023, 12, 1))
    assert item.also == (
        Reminder(reason="upcoming", due=date(2023, 12, 31), item="2023-12-31", kind="deadline"),
    )


def unit_checkins(measure_id: str) -> list[date]:
    return [
        day
        for day in workdays(ISSUED, YEAR_END)
        for d in digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day)
        if any(i.measure == measure_id and r.reason == "checkin" for i in d.items for r in i.reminders())
        and d.recipient == Recipient("unit", "区水务局")
    ]


def test_standing_duties_check_in_on_each_months_first_workday_from_the_month_after_issue() -> None:
    expected = [CALENDAR.first_workday_of_month(2023, month) for month in range(4, 13)]
    assert unit_checkins("1-2-1") == expected
    assert date(2023, 10, 7) in expected  # October's first workday is the make-up Saturday


def test_check_ins_wait_for_the_month_after_issue_even_if_issued_on_the_first_workday() -> None:
    issued_1_march = Plan.model_validate({**PLAN.model_dump(), "issued": date(2023, 3, 1)})
    first_of_march = digests_for_day(issued_1_march, DIRECTORY, {}, CALENDAR, date(2023, 3, 1))
    assert not any(r.reason == "checkin" for d in first_of_march for i in d.items for r in i.reminders())
    first_of_april = digests_for_day(issued_1_march, DIRECTORY, {}, CALENDAR, date(2023, 4, 3))
    assert any(i.reason == "checkin" and i.measure == "1-2-1" for d in first_of_april for i in d.items)


def test_recurrences_add_check_ins_at_the_start_of_each_named_period() -> None:
    # Quarterly in the 2nd and 3rd quarters: April and July.
    assert unit_checkins("1-4-1") == [date(2023, 4, 3), date(2023, 7, 3)]
    # Monthly, but the measure is due end of April and nobody reports it done: it keeps its
    # monthly check-ins through the year, as an overdue measure should.
    assert unit_checkins("1-5-1") == [CALENDAR.first_workday_of_month(2023, m) for m in range(4, 13)]


def test_a_check_in_names_what_in_the_plan_asks_for_it() -> None:
    standing = measure(
        "1-9-2",
        Deadline(raw="长期实施", kind="ongoing"),
        lead=["区水务局"],
        recurrences=[
            Recurrence(raw="第二、三季度每月", every="month", months=[4, 5, 6, 7, 8, 9]),
            Recurrence(raw="按季度", every="quarter"),
        ],
    )
    got = checkins(standing, PLAN, CALENDAR)
    assert got[date(2023, 5, 4)] == ("第二、三季度每月",)
    assert got[date(2023, 7, 3)] == ("第二、三季度每月", "按季度")
    assert got[date(2023, 10, 7)] == ("按季度",)
    # Months no recurrence names are the standing duty's own.
    assert got[date(2023, 11, 1)] == ("长期实施",)
    assert set(got) == checkin_days(standing, PLAN, CALENDAR)
    # A dated measure's quarterly check-in says 按季度, not its deadline (年底前).
    item = entry(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 7, 3)), "unit:区水务局", "1-4-1")
    assert (item.reason, item.basis) == ("checkin", ("第二、三季度每季度",))


@pytest.mark.parametrize(
    ("every", "months", "expected"),
    [
        # 1 May is a holiday and 2–3 May were bridged to it: that week starts on Thursday the 4th.
        (
            "week",
            [5],
            [date(2023, 5, 4), date(2023, 5, 8), date(2023, 5, 15), date(2023, 5, 22), date(2023, 5, 29)],
        ),
        ("year", [6, 7, 8], [date(2023, 6, 1)]),
        ("quarter", [], [date(2023, 4, 3), date(2023, 7, 3), date(2023, 10, 7)]),
        ("month", [11, 12], [date(2023, 11, 1), date(2023, 12, 1)]),
    ],
)
def test_each_kind_of_recurrence_checks_in_at_the_start_of_its_periods(
    every: Literal["week", "year", "quarter", "month"], months: list[int], expected: list[date]
) -> None:
    recurring = measure(
        "1-9-1",
        Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        lead=["区水务局"],
        recurrences=[Recurrence(raw="", every=every, months=months)],
    )
    assert sorted(checkin_days(recurring, PLAN, CALENDAR)) == expected


def test_digests_list_units_then_leaders_and_urgent_items_first() -> None:
    digests = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 10, 7))
    kinds = [d.recipient.kind for d in digests]
    assert kinds == sorted(kinds, key=lambda k: k != "unit")
    for digest in digests:
        reasons = [i.reason for i in digest.items]
        order = ["overdue", "due", "upcoming", "window_end", "window_start", "checkin"]
        assert reasons == sorted(reasons, key=order.index)


# --- a simulated year ---


def simulate(plan: Plan, directory: Directory) -> dict[date, list[Digest]]:
    return {
        info.day: digests_for_day(plan, directory, {}, CALENDAR, info.day)
        for info in CALENDAR.days(plan.issued - timedelta(days=10), date(plan.year, 12, 31))
    }


def check_year_invariants(plan: Plan, directory: Directory, year: dict[date, list[Digest]]) -> None:
    for day, digests in year.items():
        if not CALENDAR.is_workday(day) or day < plan.issued:
            assert digests == [], day
        for digest in digests:
            assert digest.items, (day, digest.recipient)
            # One entry per measure, led by its most pressing reminder; no reminder twice.
            assert len({i.measure for i in digest.items}) == len(digest.items), (day, digest.recipient)
            for item in digest.items:
                urgencies = [r.urgency for r in item.reminders()]
                assert urgencies == sorted(urgencies) and len(set(item.reminders())) == len(urgencies)
    year_end = date(plan.year, 12, 31)
    # Ladder reminders count wherever they are: leading an entry or merged into another's.
    ladder_hits: Counter[tuple[str, str, date, date]] = Counter()
    for day, digests in year.items():
        for digest in digests:
            for item in digest.items:
                for reminder in item.reminders():
                    if reminder.reason in ("upcoming", "due") and item.role != "leader":
                        assert reminder.due is not None
                        ladder_hits[(digest.recipient.name, item.measure, reminder.due, day)] += 1
    assert all(count == 1 for count in ladder_hits.values())
    reminded: dict[tuple[str, str, date], set[date]] = {}
    for unit, measure_id, due, day in ladder_hits:
        reminded.setdefault((unit, measure_id, due), set()).add(day)
    for m in plan.measures:
        units = {u for name in m.lead_units + m.co_units for u in directory.expand(name)}
        for dated in m.dated_items():
            if m.deadline.kind == "window" and dated.due == m.deadline.due:
                continue  # a window ends, with a notice; it is no deadline and has no ladder
            rungs = {day for day in ladder_days(dated.due, CALENDAR) if plan.issued <= day <= year_end}
            for unit in units:
                assert reminded.get((unit, m.id, dated.due), set()) == rungs, (m.id, dated.due, unit)


def test_a_simulated_2023_keeps_the_invariants_on_the_sample_plan() -> None:
    check_year_invariants(PLAN, DIRECTORY, simulate(PLAN, DIRECTORY))


# --- the real plan ---


@pytest.fixture(scope="module")
def real() -> tuple[Plan, Directory]:
    return shipped_plan()


@pytest.fixture(scope="module")
def real_year(real: tuple[Plan, Directory]) -> dict[date, list[Digest]]:
    return simulate(*real)


def test_a_simulated_2023_keeps_the_invariants_on_the_real_plan(
    real: tuple[Plan, Directory], real_year: dict[date, list[Digest]]
) -> None:
    check_year_invariants(*real, real_year)


def test_noise_zoning_2_63_1_is_reminded_up_to_its_6月底_deadline(real: tuple[Plan, Directory]) -> None:
    plan, directory = real
    due = date(2023, 6, 30)
    for day, reason in [(date(2023, 5, 31), "upcoming"), (date(2023, 6, 21), "upcoming"), (due, "due")]:
        got = items_by_recipient(digests_for_day(plan, directory, {}, CALENDAR, day))
        assert ("2-63-1", reason, due, "lead") in got["unit:区生态环境局"], day
        towns = [u.name for u in directory.units if u.kind in ("town", "subdistrict")]
        assert towns and all(("2-63-1", reason, due, "co") in got[f"unit:{t}"] for t in towns), day
    on_holiday = items_by_recipient(digests_for_day(plan, directory, {}, CALENDAR, date(2023, 6, 23)))
    assert on_holiday == {}
    after = items_by_recipient(digests_for_day(plan, directory, {}, CALENDAR, date(2023, 7, 3)))
    assert ("2-63-1", "overdue", due, "leader") in after["leader:倪德才"]


def test_water_source_list_milestone_in_3_3_1_is_due_on_28_september(real: tuple[Plan, Directory]) -> None:
    plan, directory = real
    milestone = date(2023, 9, 30)
    due_day = items_by_recipient(digests_for_day(plan, directory, {}, CALENDAR, date(2023, 9, 28)))
    assert ("3-3-1", "due", milestone, "lead") in due_day["unit:区水务局"]
    overdue = items_by_recipient(digests_for_day(plan, directory, {}, CALENDAR, date(2023, 10, 7)))
    assert ("3-3-1", "overdue", milestone, "lead") in overdue["unit:区水务局"]
    assert ("3-3-1", "overdue", milestone, "leader") in overdue["leader:秦涛"]
    # A standing duty: its monthly check-in comes on October's first workday too.
    assert ("3-3-1", "checkin", None, "lead") in overdue["unit:区水务局"]


def test_real_recurrences_and_windows(real_year: dict[date, list[Digest]]) -> None:
    def reasons(measure_id: str, recipient: str) -> dict[date, set[str]]:
        found: dict[date, set[str]] = {}
        for day, digests in real_year.items():
            for d in digests:
                if d.recipient.key == recipient:
                    hits: set[str] = {
                        r.reason
                        for i in d.items
                        if i.measure == measure_id
                        for r in i.reminders()
                        if r.reason != "overdue"
                    }
                    if hits:
                        found[day] = hits
        return found

    # 2-3-1 年底前, 每季度: a check-in at the start of each quarter after issue.
    quarterly = reasons("2-3-1", "unit:永顺镇")
    assert [day for day, r in quarterly.items() if "checkin" in r] == [
        date(2023, 4, 3),
        date(2023, 7, 3),
        date(2023, 10, 7),
    ]
    # 2-21-1 6月-9月 with 夏季（6-9月） monthly: the window opens on Thu 1 June, which is also
    # June's check-in; then July to September; it ends with a notice asking for a summary.
    summer = reasons("2-21-1", "unit:区商务局")
    assert summer[date(2023, 6, 1)] == {"window_start", "checkin"}
    assert [day for day, r in summer.items() if "checkin" in r] == [
        date(2023, 6, 1),
        date(2023, 7, 3),
        date(2023, 8, 1),
        date(2023, 9, 1),
    ]
    assert summer[date(2023, 9, 28)] == {"window_end"}
    assert not any("upcoming" in r or "due" in r for r in summer.values())


def test_real_digests_list_each_measure_once(real: tuple[Plan, Directory]) -> None:
    plan, directory = real
    # QA: on 1 June 2-21-1 was listed twice for 区生态环境局 (its window opens, and June's
    # summer check-in), on 7 October 3-3-1 twice for 区水务局 (overdue milestone, check-in).
    opening = entry(
        digests_for_day(plan, directory, {}, CALENDAR, date(2023, 6, 1)), "unit:区生态环境局", "2-21-1"
    )
    assert (opening.reason, opening.due) == ("window_start", date(2023, 9, 30))
    assert opening.also == (
        Reminder(reason="checkin", due=None, basis=("夏季（6-9月）",), item="2023-06", kind="checkin"),
    )
    october = entry(
        digests_for_day(plan, directory, {}, CALENDAR, date(2023, 10, 7)), "unit:区水务局", "3-3-1"
    )
    assert (october.reason, october.due) == ("overdue", date(2023, 9, 30))
    assert october.also == (
        Reminder(reason="checkin", due=None, basis=("长期实施",), item="2023-10", kind="checkin"),
    )


def test_real_quarterly_check_ins_name_the_quarter_not_the_deadline(real: tuple[Plan, Directory]) -> None:
    plan, directory = real
    digests = digests_for_day(plan, directory, {}, CALENDAR, date(2023, 7, 3))
    # 2-14-1 and 2-13-1 are 年底前 with 按季度 in the text; 2-3-1 says 每季度.
    for measure_id, unit, basis in [
        ("2-14-1", "区水务局", "按季度"),
        ("2-13-1", "区生态环境局", "按季度"),
        ("2-3-1", "永顺镇", "每季度"),
    ]:
        item = entry(digests, f"unit:{unit}", measure_id)
        assert (item.reason, item.basis) == ("checkin", (basis,)), measure_id
