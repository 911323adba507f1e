"""A measure's items: what each commits its units to, with ids people can type (issue 9)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.models import Annex, Deadline, Measure, Milestone, Recurrence

ISSUED = date(2023, 3, 20)


def measure(text: str = "……", deadline: Deadline | None = None, **fields: Any) -> Measure:
    return Measure(
        id=fields.pop("id", "9-1-1"),
        annex=2,
        section="一、",
        task_no=1,
        task="任务",
        text=text,
        deadline=deadline or Deadline(raw="长期实施", kind="ongoing"),
        lead_units=fields.pop("lead_units", ["区水务局"]),
        **fields,
    )


def ids(m: Measure) -> list[tuple[str, str]]:
    return [(item.id, item.kind) for item in m.items(2023, ISSUED)]


def test_a_standing_duty_with_a_milestone_has_the_milestone_and_a_period_per_month() -> None:
    duty = measure(milestones=[Milestone(raw="9月底前", due=date(2023, 9, 30), text="9月底前制定名录")])
    items = duty.items(2023, ISSUED)
    assert [(i.id, i.kind) for i in items][:3] == [
        ("2023-09-30", "milestone"),
        ("2023-04", "checkin"),
        ("2023-05", "checkin"),
    ]
    assert [i.id for i in items if i.kind == "checkin"] == [f"2023-{m:02d}" for m in range(4, 13)]
    october = next(i for i in items if i.id == "2023-10")
    assert (october.start, october.due, october.basis) == (
        date(2023, 10, 1),
        date(2023, 10, 31),
        ("长期实施",),
    )


def test_a_dated_measure_has_its_deadline_and_milestones_by_due_date() -> None:
    dated = measure(
        deadline=Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        milestones=[Milestone(raw="6月底前", due=date(2023, 6, 30), text="6月底前完成")],
    )
    assert ids(dated) == [("2023-06-30", "milestone"), ("2023-12-31", "deadline")]


def test_a_window_is_one_item_from_its_start_to_its_end_with_the_check_ins_its_text_asks_for() -> None:
    window = measure(
        text="夏季（6-9月），商务局督促加油站错峰装卸油。",
        deadline=Deadline(raw="6月-9月", kind="window", due=date(2023, 9, 30), start=date(2023, 6, 1)),
        recurrences=[Recurrence(raw="夏季（6-9月）", every="month", months=[6, 7, 8, 9])],
    )
    items = window.items(2023, ISSUED)
    assert (items[0].id, items[0].kind, items[0].start, items[0].due) == (
        "2023-09-30",
        "window",
        date(2023, 6, 1),
        date(2023, 9, 30),
    )
    assert [i.id for i in items[1:]] == ["2023-06", "2023-07", "2023-08", "2023-09"]


def test_a_recurrence_belongs_to_the_units_its_clause_names_before_it() -> None:
    duty = measure(
        text="住房城乡建设委按月牵头汇总台账，城市管理委按季度牵头汇总台账，分别与生态环境部门共享。",
        recurrences=[
            Recurrence(raw="按月", every="month", months=list(range(1, 13))),
            Recurrence(raw="按季度", every="quarter", months=list(range(1, 13))),
        ],
        lead_units=["区住房城乡建设委"],
        co_units=["区城市管理委", "区生态环境局"],
    )
    items = {i.id: i for i in duty.items(2023, ISSUED)}
    assert items["2023-Q3"].units == ("区城市管理委",)
    assert items["2023-Q3"].basis == ("按季度",)
    # The standing duty's own monthly period is everyone's, whoever the 按月 clause names.
    assert items["2023-07"].units == ()
    assert "2023-Q1" not in items  # over before the plan's first check-in month


def test_a_unit_named_after_the_recurrence_only_receives_the_work() -> None:
    shared = measure(
        text="区内自主抽检结果定期公示，并按季度与生态环境局共享。",
        deadline=Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        recurrences=[Recurrence(raw="按季度", every="quarter", months=list(range(1, 13)))],
        lead_units=["区市场监管局"],
        co_units=["区生态环境局"],
    )
    assert all(item.units == () for item in shared.items(2023, ISSUED))


def test_a_yearly_recurrence_is_one_check_in_period_starting_with_the_check_ins() -> None:
    yearly = measure(
        text="按年度形成排查报告。",
        deadline=Deadline(raw="年底前", kind="date", due=date(2023, 12, 31)),
        recurrences=[Recurrence(raw="按年度", every="year", months=list(range(1, 13)))],
    )
    checkins = [i for i in yearly.items(2023, ISSUED) if i.kind == "checkin"]
    assert [(i.id, i.start, i.due) for i in checkins] == [("2023", date(2023, 4, 1), date(2023, 12, 31))]


def test_role_words_default_to_the_ones_most_annexes_use() -> None:
    assert Annex(no=1, title="t").role_word("lead", short=True) == "主责"
    water = Annex(no=3, title="t", lead_word="牵头部门", co_word="责任单位")
    assert (water.role_word("lead", short=True), water.role_word("co", short=True)) == ("牵头", "责任")
    assert water.role_word("co") == "责任单位"
