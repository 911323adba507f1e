"""Leader views as data (bot/queries.py) and as text pages (bot/render.py), on a small hand-built plan.

Progress goes through a real Store (in memory and on disk); days are named, never "now".
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import queries, render, texts
from bot.assignments import is_complete
from bot.clock import TZ
from bot.directory import Directory
from bot.models import Deadline, Plan, ProgressEntry, Recurrence, Status
from bot.progress import evidence_ref
from bot.queries import Refusal, Scope, ScopeError, Snapshot
from bot.store import Binding, Store
from tests.bot_harness import shipped_plan
from tests.leader_views_data import items_on_page, report, small_directory, small_plan

EVERYTHING = "全部"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return small_plan()


@pytest.fixture(scope="module")
def directory() -> Directory:
    return small_directory()


def snap(plan: Plan, directory: Directory, store: Store, day: date) -> Snapshot:
    return Snapshot.take(plan, directory, store, day)


def everything() -> Scope:
    return queries.scope_everything(EVERYTHING)


def listed(result: queries.UnitReport) -> set[tuple[str, str, str, str]]:
    """(unit, measure, due, role) for every line of a per-unit list."""
    return {
        (g.unit, i.measure.id, i.item.due.isoformat() if i.item else "", i.role)
        for g in result.groups
        for i in g.items
    }


# --- overdue -------------------------------------------------------------------------------------------


def test_a_past_milestone_is_overdue_though_the_deadline_is_later(
    plan: Plan, directory: Directory, store: Store
) -> None:
    on_due_day = queries.overdue(snap(plan, directory, store, date(2023, 6, 30)), everything())
    assert not any(m == "1-1-1" for _, m, _, _ in listed(on_due_day))

    day_after = queries.overdue(snap(plan, directory, store, date(2023, 7, 1)), everything())
    assert ("区生态环境局", "1-1-1", "2023-06-30", "lead") in listed(day_after)
    item = next(i for g in day_after.groups for i in g.items if i.measure.id == "1-1-1")
    assert item.item is not None and item.item.kind == "milestone"
    assert item.days_overdue == 1
    assert item.light == "🔴"


def test_overdue_until_the_day_the_completion_report_is_dated(
    plan: Plan, directory: Directory, store: Store
) -> None:
    report(store, "2-1-1", "区水务局", Status.DONE, date(2023, 7, 10))
    before = queries.overdue(snap(plan, directory, store, date(2023, 7, 9)), everything())
    # the report exists in the store, but a view of an earlier day keeps the report's own date
    assert ("区水务局", "2-1-1", "2023-06-30", "lead") in listed(before)
    assert next(i for g in before.groups for i in g.items if i.measure.id == "2-1-1").days_overdue == 9

    on_the_day = queries.overdue(snap(plan, directory, store, date(2023, 7, 10)), everything())
    assert not any(m == "2-1-1" for _, m, _, _ in listed(on_the_day))


def test_co_units_appear_under_their_own_name_with_role_co(
    plan: Plan, directory: Directory, store: Store
) -> None:
    result = queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), everything())
    rows = listed(result)
    assert ("区发展改革委", "1-1-1", "2023-06-30", "co") in rows
    # a group label is expanded into its members, each under its own name
    assert ("宋庄镇", "2-1-1", "2023-06-30", "co") in rows
    assert ("张家湾镇", "2-1-1", "2023-06-30", "co") in rows
    assert "各乡镇政府" not in {g.unit for g in result.groups}


def test_lead_units_come_first_and_each_unit_shows_its_own_latest_status(
    plan: Plan, directory: Directory, store: Store
) -> None:
    report(store, "2-1-1", "区水务局", Status.IN_PROGRESS, date(2023, 6, 1), percent=40)
    report(store, "2-1-1", "宋庄镇", Status.BLOCKED, date(2023, 6, 15), note="资金未到位")
    result = queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), everything())
    roles = [g.lead_items > 0 for g in result.groups]
    assert roles == sorted(roles, reverse=True), "every unit that leads something comes first"
    by_unit = {g.unit: g for g in result.groups}
    water = by_unit["区水务局"].items[0].entry
    town = by_unit["宋庄镇"].items[0].entry
    assert water is not None and (water.status, water.percent) == (Status.IN_PROGRESS, 40)
    assert town is not None and town.status is Status.BLOCKED
    assert by_unit["张家湾镇"].items[0].entry is None


def test_a_unit_that_reported_done_drops_out_while_the_measure_stays_overdue_for_the_others(
    plan: Plan, directory: Directory, store: Store
) -> None:
    report(store, "1-1-1", "区发展改革委", Status.DONE, date(2023, 6, 20))
    rows = listed(queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), everything()))
    assert ("区生态环境局", "1-1-1", "2023-06-30", "lead") in rows
    assert not any(unit == "区发展改革委" for unit, *_ in rows)


def test_an_open_group_nobody_was_assigned_to_still_shows_its_items(
    plan: Plan, directory: Directory, store: Store
) -> None:
    result = queries.overdue(snap(plan, directory, store, date(2023, 6, 1)), everything())
    group = next(g for g in result.groups if g.unit == "相关街道乡镇")
    assert not group.assigned
    assert [i.measure.id for i in group.items] == ["2-3-1"]
    # but a unit's own view has no such lines
    water = queries.overdue(
        snap(plan, directory, store, date(2023, 6, 1)), Scope(units=frozenset({"区水务局"}))
    )
    assert {g.unit for g in water.groups} <= {"区水务局"}


def test_an_open_group_is_listed_under_its_label_even_where_the_plan_wrote_an_alias(
    plan: Plan, directory: Directory, store: Store
) -> None:
    assert plan.measures[3].lead_units == ["相关乡镇街道"]  # the alias of 相关街道乡镇
    result = queries.overdue(snap(plan, directory, store, date(2023, 6, 1)), everything())
    assert [g.unit for g in result.groups if not g.assigned] == ["相关街道乡镇"]
    text = render.unit_report_pages(result)[0]
    assert "【相关街道乡镇】主责 1 项 · 协办 0 项（尚未指定具体单位）" in text
    assert "相关乡镇街道" not in text


@pytest.mark.parametrize("typed", ["相关街道乡镇", "相关乡镇街道", "相关 街道乡镇"])
def test_an_open_group_label_or_alias_scopes_the_views_to_its_rows(
    plan: Plan, directory: Directory, store: Store, typed: str
) -> None:
    scope = queries.parse_scope(plan, directory, typed, EVERYTHING)
    assert (scope.units, scope.label) == ({"相关街道乡镇"}, "相关街道乡镇")
    snapshot = snap(plan, directory, store, date(2023, 6, 1))
    assert listed(queries.overdue(snapshot, scope)) == {("相关街道乡镇", "2-3-1", "2023-05-31", "lead")}
    assert listed(queries.my_tasks(snapshot, scope)) == {("相关街道乡镇", "2-3-1", "2023-05-31", "lead")}
    (row,) = queries.summary(snapshot, scope).units
    assert (row.label, row.assigned, row.total, row.not_started, row.overdue) == (
        "相关街道乡镇",
        False,
        1,
        1,
        1,
    )
    # a leader's view narrowed to the group keeps only the group's rows of that leader's measures
    ni = queries.leader_scope(directory, "倪德才").narrow(scope)
    assert ni is not None and listed(queries.overdue(snapshot, ni)) == listed(
        queries.overdue(snapshot, scope)
    )


def test_a_group_with_members_scopes_the_views_to_its_members(
    plan: Plan, directory: Directory, store: Store
) -> None:
    scope = queries.unit_scope(directory, "各乡镇政府")
    result = queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), scope)
    assert {g.unit for g in result.groups} == {"宋庄镇", "张家湾镇"}


def test_a_leaders_view_is_the_union_over_the_leaders_measures(
    plan: Plan, directory: Directory, store: Store
) -> None:
    snapshot = snap(plan, directory, store, date(2024, 1, 2))
    ni = queries.overdue(snapshot, queries.leader_scope(directory, "倪 德才"))
    assert {m for _, m, _, _ in listed(ni)} == {"1-1-1", "2-3-1"}  # 2-2-1 is ongoing: never overdue
    zheng = queries.overdue(snapshot, queries.leader_scope(directory, "郑皓"))
    assert {m for _, m, _, _ in listed(zheng)} == {"2-1-1"}
    whole = queries.overdue(snapshot, everything())
    assert listed(ni) | listed(zheng) == listed(whole)


def test_overdue_json_has_the_documented_shape(plan: Plan, directory: Directory, store: Store) -> None:
    report(store, "1-1-1", "区生态环境局", Status.IN_PROGRESS, date(2023, 6, 5), percent=60)
    data = queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), everything()).to_json()
    first = data[0]
    assert set(first) >= {"unit", "items"}
    eco = next(group for group in data if group["unit"] == "区生态环境局")
    item = eco["items"][0]
    assert {
        k: item[k] for k in ("measure", "due", "days_overdue", "status", "percent", "updated", "role")
    } == {
        "measure": "1-1-1",
        "due": "2023-06-30",
        "days_overdue": 3,
        "status": "进行中",
        "percent": 60,
        "updated": "2023-06-05",
        "role": "lead",
    }


def test_the_overdue_header_has_a_red_light_only_when_something_is_overdue(
    plan: Plan, directory: Directory, store: Store
) -> None:
    (clear,) = render.unit_report_pages(
        queries.overdue(snap(plan, directory, store, date(2023, 5, 1)), everything())
    )
    assert clear == f"逾期事项 · 全部 · 2023-05-01\n{texts.LV_OVERDUE_NONE}"
    assert "🔴" not in clear
    late = render.unit_report_pages(
        queries.overdue(snap(plan, directory, store, date(2023, 6, 1)), everything())
    )
    assert late[0].startswith("🔴 逾期事项 · 全部 · 2023-06-01\n")


def test_overdue_counts_in_the_header(plan: Plan, directory: Directory, store: Store) -> None:
    result = queries.overdue(snap(plan, directory, store, date(2023, 7, 3)), everything())
    # 1-1-1 milestone, 2-1-1 deadline, 2-3-1 deadline: three items, however many units owe them
    assert (result.item_count, result.measure_count) == (3, 3)
    assert result.unit_count == len({unit for unit, *_ in listed(result)})
    text = render.unit_report_pages(result)[0]
    assert "共 3 项逾期，涉及 3 条措施" in text


def test_an_item_is_a_dated_item_in_the_header_and_on_each_units_line(
    plan: Plan, directory: Directory, store: Store
) -> None:
    """On 2024-01-02 1-1-1's milestone (06-30) and deadline (12-31) are both overdue: two 项, one
    measure, in the header and on the unit's line alike."""
    eco = queries.unit_scope(directory, "区生态环境局")
    result = queries.overdue(snap(plan, directory, store, date(2024, 1, 2)), eco)
    (group,) = result.groups
    assert (result.item_count, result.measure_count) == (2, 1)
    assert (group.lead_items, group.co_items) == (2, 0)
    text = render.unit_report_pages(result)[0]
    assert "共 2 项逾期，涉及 1 条措施、1 个单位" in text
    assert "【区生态环境局】主责 2 项 · 协办 0 项" in text
    assert len(items_on_page(text)) == 2  # and two lines to read them off


def test_one_units_line_adds_up_to_the_header_on_the_real_plan(
    real: tuple[Plan, Directory], store: Store
) -> None:
    plan, directory = real
    for day in (date(2023, 7, 3), date(2023, 10, 8), date(2024, 1, 2)):
        snapshot = snap(plan, directory, store, day)
        for unit in ("区水务局", "区生态环境局", "宋庄镇"):
            result = queries.overdue(snapshot, queries.unit_scope(directory, unit))
            (group,) = result.groups
            assert group.lead_items + group.co_items == result.item_count == len(group.items), (day, unit)


# --- upcoming and my tasks -----------------------------------------------------------------------------


def test_upcoming_lists_items_due_within_the_window(plan: Plan, directory: Directory, store: Store) -> None:
    snapshot = snap(plan, directory, store, date(2023, 6, 20))
    ten = queries.upcoming(snapshot, everything(), days=10)
    assert {(m, due) for _, m, due, _ in listed(ten)} == {("1-1-1", "2023-06-30"), ("2-1-1", "2023-06-30")}
    nine = queries.upcoming(snapshot, everything(), days=9)
    assert listed(nine) == set()
    lights = {(g.unit, i.measure.id): (i.days_left, i.light) for g in ten.groups for i in g.items}
    # Reminded from 30 days before its due day, it has been silent for 20: due in 10, not stalled yet.
    assert lights[("区发展改革委", "1-1-1")] == (10, "🟢")

    report(store, "1-1-1", "区生态环境局", Status.IN_PROGRESS, date(2023, 6, 15))
    after = queries.upcoming(snap(plan, directory, store, date(2023, 6, 20)), everything(), days=10)
    lights = {(g.unit, i.measure.id): (i.days_left, i.light) for g in after.groups for i in g.items}
    assert lights[("区生态环境局", "1-1-1")] == (10, "🟢")
    soon = queries.upcoming(snap(plan, directory, store, date(2023, 6, 23)), everything(), days=10)
    lights = {(g.unit, i.measure.id): (i.days_left, i.light) for g in soon.groups for i in g.items}
    assert lights[("区生态环境局", "1-1-1")] == (7, "🟡")
    with pytest.raises(ValueError):
        queries.upcoming(snapshot, everything(), days=-1)


def test_my_tasks_shows_each_open_measure_once_at_its_most_pressing_item(
    plan: Plan, directory: Directory, store: Store
) -> None:
    scope = queries.unit_scope(directory, "生态环境局")
    result = queries.my_tasks(snap(plan, directory, store, date(2023, 7, 3)), scope)
    assert [g.unit for g in result.groups] == ["区生态环境局"]
    items = {i.measure.id: i for i in result.groups[0].items}
    assert set(items) == {"1-1-1", "2-2-1"}
    assert items["1-1-1"].item is not None and items["1-1-1"].item.due == date(2023, 6, 30)
    assert items["2-2-1"].item is None  # ongoing work has no due date
    assert items["2-2-1"].light == "🟡"  # and nobody has reported for over 30 days

    # A standing duty is never done within the plan year: 已完成 is this period's report.
    report(store, "2-2-1", "区生态环境局", Status.DONE, date(2023, 7, 1))
    later = queries.my_tasks(snap(plan, directory, store, date(2023, 7, 3)), scope)
    assert {i.measure.id for i in later.groups[0].items} == {"1-1-1", "2-2-1"}
    report(store, "1-1-1", "区生态环境局", Status.DONE, date(2023, 7, 1), item="2023-06-30")
    closed = queries.my_tasks(snap(plan, directory, store, date(2023, 7, 3)), scope)
    # Its milestone done, 1-1-1 is listed at its year-end deadline.
    [milestone_done] = [i for i in closed.groups[0].items if i.measure.id == "1-1-1"]
    assert milestone_done.item is not None and milestone_done.item.due == date(2023, 12, 31)


def test_my_tasks_run_most_urgent_first_whatever_the_role(real: tuple[Plan, Directory], store: Store) -> None:
    """宋庄镇 on 2023-06-27: 2-63-1 (协办, due in 3 days) comes before the lead items due at year end;
    on 07-03 区水务局's overdue item is first."""
    plan, directory = real
    town = queries.unit_scope(directory, "宋庄镇")
    result = queries.my_tasks(snap(plan, directory, store, date(2023, 6, 27)), town)
    (group,) = result.groups
    first = group.items[0]
    assert (first.measure.id, first.role, first.days_left) == ("2-63-1", "co", 3)
    assert any(item.role == "lead" for item in group.items[1:])
    lines = render.unit_report_pages(result, limit=None)[0].split("\n")
    assert lines[next(at for at, line in enumerate(lines) if line.startswith("【宋庄镇】")) + 1] == (
        "🟡 2-63-1 加强噪声污染治理〔协办〕"
    )

    for day in (date(2023, 6, 27), date(2023, 7, 3), date(2023, 10, 8)):
        snapshot = snap(plan, directory, store, day)
        for unit in ("宋庄镇", "区水务局", "区生态环境局", "中仓街道"):
            (group,) = queries.my_tasks(snapshot, queries.unit_scope(directory, unit)).groups
            dues = [item.item.due if item.item else date.max for item in group.items]
            assert dues == sorted(dues), (day, unit)
    (water,) = queries.my_tasks(
        snap(plan, directory, store, date(2023, 7, 3)), queries.unit_scope(directory, "区水务局")
    ).groups
    assert water.items[0].days_overdue > 0 and water.items[0].measure.id == "3-6-4"


def test_within_a_day_the_lead_item_comes_before_the_co_item(
    plan: Plan, directory: Directory, store: Store
) -> None:
    """区水务局 leads 2-1-1 (06-30); give it a co item due the same day: the role breaks the tie."""
    also_co = plan.model_copy(
        update={
            "measures": [
                m.model_copy(update={"co_units": ["区水务局"]}) if m.id == "1-1-1" else m
                for m in plan.measures
            ]
        }
    )
    water = queries.unit_scope(directory, "区水务局")
    (group,) = queries.overdue(snap(also_co, directory, store, date(2023, 7, 3)), water).groups
    assert [(i.measure.id, i.role) for i in group.items] == [("2-1-1", "lead"), ("1-1-1", "co")]


# --- summary -------------------------------------------------------------------------------------------


def test_summary_counts_add_up_per_annex_and_per_unit(plan: Plan, directory: Directory, store: Store) -> None:
    report(store, "2-1-1", "区水务局", Status.DONE, date(2023, 6, 28))
    report(store, "2-2-1", "区水务局", Status.BLOCKED, date(2023, 6, 28))
    report(store, "1-1-1", "区生态环境局", Status.IN_PROGRESS, date(2023, 6, 28), percent=50)
    snapshot = snap(plan, directory, store, date(2023, 7, 3))
    result = queries.summary(snapshot, everything())
    annex1, annex2 = result.annexes
    assert (annex1.total, annex1.in_progress, annex1.overdue, annex1.light) == (1, 1, 1, "🔴")
    # 2-2-1 is a standing duty: its own column, 本期未报送 (June's report is not July's).
    assert (annex2.total, annex2.complete, annex2.period_missing, annex2.not_started, annex2.overdue) == (
        3,
        1,
        1,
        1,
        1,
    )
    for row in [result.total, *result.annexes, *result.units]:
        states = row.complete + row.partly_done + row.in_progress + row.not_started + row.blocked
        assert states + row.period_reported + row.period_missing == row.total
    # a unit's overdue count is the number of measures in its overdue list
    overdue = queries.overdue(snapshot, everything())
    for row in result.units:
        group = next((g for g in overdue.groups if g.unit == row.label), None)
        assert row.overdue == (len({i.measure.id for i in group.items}) if group else 0)
    water = next(row for row in result.units if row.label == "区水务局")
    assert (water.total, water.complete, water.period_missing, water.overdue) == (2, 1, 1, 0)


def test_summary_counts_standing_duties_by_this_periods_reports(
    plan: Plan, directory: Directory, store: Store
) -> None:
    report(store, "2-2-1", "区水务局", Status.IN_PROGRESS, date(2023, 7, 4))
    result = queries.summary(snap(plan, directory, store, date(2023, 7, 10)), queries.annex_scope(plan, 2))
    units = {row.label: row for row in result.units}
    assert (units["区水务局"].period_reported, units["区生态环境局"].period_missing) == (1, 1)
    # The measure counts as reported when every lead unit has reported in the period.
    assert (result.total.period_reported, result.total.period_missing) == (0, 1)
    report(store, "2-2-1", "区生态环境局", Status.DONE, date(2023, 7, 5))
    result = queries.summary(snap(plan, directory, store, date(2023, 7, 10)), queries.annex_scope(plan, 2))
    assert (result.total.period_reported, result.total.period_missing) == (1, 0)
    text = render.summary_pages(result, limit=None)[0]
    assert texts.LV_SUMMARY_PERIOD.format(reported=1, missing=0) in text
    # August is a new period.
    august = queries.summary(snap(plan, directory, store, date(2023, 8, 1)), queries.annex_scope(plan, 2))
    assert august.total.period_missing == 1


def test_summary_tells_a_partly_done_measure_from_the_units_own_rows(
    plan: Plan, directory: Directory, store: Store
) -> None:
    """2-2-1, made a dated measure here, has two lead units: 区水务局 reports 已完成, 区生态环境局 nothing."""
    plan = plan.model_copy(
        update={
            "measures": [
                m.model_copy(update={"deadline": Deadline(raw="年底前", kind="date", due=date(2023, 12, 31))})
                if m.id == "2-2-1"
                else m
                for m in plan.measures
            ]
        }
    )
    report(store, "2-2-1", "区水务局", Status.DONE, date(2023, 6, 28))
    result = queries.summary(snap(plan, directory, store, date(2023, 7, 3)), queries.annex_scope(plan, 2))
    (annex2,) = result.annexes
    # the measure as a whole: nobody reported 进行中, so it is partly done, not "in progress"
    assert (annex2.complete, annex2.partly_done, annex2.in_progress) == (0, 1, 0)
    assert result.total.partly_done == 1
    units = {row.label: row for row in result.units}
    # each unit's own row: done for the unit that finished, not started for the other
    assert (units["区水务局"].complete, units["区水务局"].in_progress) == (1, 0)
    assert (units["区生态环境局"].not_started, units["区生态环境局"].complete) == (1, 0)
    assert all(row.partly_done == 0 for row in result.units)

    (text,) = render.summary_pages(result, limit=None)
    by_annex, by_unit = text.split(texts.LV_SUMMARY_BY_ANNEX)[1].split(texts.LV_SUMMARY_BY_UNIT)
    assert (
        texts.LV_SUMMARY_BY_ANNEX == "各附件（措施数）："
        and texts.LV_SUMMARY_BY_UNIT == "各单位（本单位的措施数）："
    )
    assert "部分完成 1 · 进行中 0" in by_annex
    assert "部分完成" not in by_unit
    assert "区水务局\n   共 2 · 完成 1 · 进行中 0 · 未开始 1 · ⛔受阻 0" in by_unit  # 2-1-1 not started
    assert "相关街道乡镇（尚未指定具体单位）" in by_unit  # an open group's own row, marked

    # once the other lead unit reports 进行中, the measure is in progress
    report(store, "2-2-1", "区生态环境局", Status.IN_PROGRESS, date(2023, 7, 1))
    later = queries.summary(snap(plan, directory, store, date(2023, 7, 3)), queries.annex_scope(plan, 2))
    assert (later.annexes[0].partly_done, later.annexes[0].in_progress) == (0, 1)


def test_a_complete_measure_counts_as_done_for_its_co_units_in_summary_and_status_alike(
    plan: Plan, directory: Directory, store: Store
) -> None:
    """2-1-1: its lead unit 区水务局 reports 已完成; 宋庄镇 (协办) had reported 受阻, 张家湾镇 nothing."""
    report(store, "2-1-1", "宋庄镇", Status.BLOCKED, date(2023, 6, 15))
    report(store, "2-1-1", "区水务局", Status.DONE, date(2023, 6, 28))
    snapshot = snap(plan, directory, store, date(2023, 7, 3))
    summary = queries.summary(snapshot, everything())
    status = queries.measure_status(snapshot, "2-1-1", store.history)
    assert status.complete
    rows = {row.label: row for row in summary.units}
    assert all(unit.done for unit in status.units)
    # the towns have 2-1-1 as their only measure; 区水务局 also leads 2-2-1, still open
    assert [(rows[name].complete, rows[name].total) for name in ("区水务局", "宋庄镇", "张家湾镇")] == [
        (1, 2),
        (1, 1),
        (1, 1),
    ]
    by_unit = {unit.unit: unit for unit in status.units}
    assert [by_unit[name].covered for name in ("区水务局", "宋庄镇", "张家湾镇")] == [False, True, True]

    text = render.status_pages(status, limit=None)[0]
    assert "🟢 【协办】张家湾镇：未报送（措施已完成）" in text
    assert "🟢 【协办】宋庄镇：⛔受阻 · 2023-06-15（措施已完成）" in text
    assert "🟢 【主责】区水务局：已完成 · 2023-06-28\n" in text
    # and the legend says so
    (table,) = render.summary_pages(summary, limit=None)
    assert "协办单位也计为完成" in table.split(texts.LV_SUMMARY_BY_ANNEX)[0]


def test_summary_unit_rows_agree_with_status_on_the_real_plan(
    real: tuple[Plan, Directory], store: Store
) -> None:
    """The QA case: 2-63-1 is complete once 区生态环境局 reports 已完成; 中仓街道 never reported."""
    plan, directory = real
    report(store, "2-63-1", "宋庄镇", Status.DONE, date(2023, 6, 27))
    report(store, "2-63-1", "区生态环境局", Status.DONE, date(2023, 6, 29))
    snapshot = snap(plan, directory, store, date(2023, 7, 3))
    scope = queries.leader_scope(directory, "倪德才")
    rows = {row.label: row for row in queries.summary(snapshot, scope).units}
    done: Counter[str] = Counter()
    for measure in queries.index_for(plan, directory).measures_in(scope):
        for unit in queries.measure_status(snapshot, measure.id, store.history).units:
            done[unit.unit] += unit.done
    assert {label: row.complete for label, row in rows.items()} == {label: done[label] for label in rows}
    assert rows["中仓街道"].complete == 1
    text = render.status_pages(queries.measure_status(snapshot, "2-63-1", store.history), limit=None)[0]
    assert "【协办】中仓街道：未报送（措施已完成）" in text
    assert "【协办】宋庄镇：已完成 · 2023-06-27\n" in text


def test_the_summary_legend_reads_naturally() -> None:
    legend = texts.LV_SUMMARY_LEGEND
    assert legend.startswith("合计与各附件：按措施统计") and "\n各单位：按本单位的报送统计" in legend
    assert "按附件按" not in legend and "按单位按" not in legend


@pytest.mark.parametrize(
    ("statuses", "complete", "state"),
    [
        (set(), False, "not_started"),
        ({Status.NOT_STARTED}, False, "not_started"),
        ({Status.DONE}, False, "partly_done"),
        ({Status.DONE, Status.NOT_STARTED}, False, "partly_done"),
        ({Status.DONE, Status.IN_PROGRESS}, False, "in_progress"),
        ({Status.DONE, Status.BLOCKED}, False, "blocked"),
        ({Status.DONE}, True, "complete"),
    ],
)
def test_measure_state(statuses: set[Status], complete: bool, state: str) -> None:
    assert queries.measure_state(statuses, complete) == state


# --- one measure ---------------------------------------------------------------------------------------


def test_status_shows_every_unit_with_recent_history_and_evidence(
    plan: Plan, directory: Directory, store: Store
) -> None:
    for day, status, pct in [
        (1, Status.NOT_STARTED, None),
        (5, Status.IN_PROGRESS, 20),
        (9, Status.IN_PROGRESS, 50),
    ]:
        report(store, "2-1-1", "区水务局", status, date(2023, 6, day), percent=pct)
    photo = evidence_ref("photo", "AgADph0t0")
    report(
        store,
        "2-1-1",
        "区水务局",
        Status.IN_PROGRESS,
        date(2023, 6, 12),
        percent=70,
        evidence=[photo],
        source="evidence",
        user_name="联络员",
    )
    report(store, "2-1-1", "区水务局", Status.DONE, date(2023, 8, 1))  # after the day looked at
    result = queries.measure_status(snap(plan, directory, store, date(2023, 7, 3)), "2－1－1", store.history)
    assert result.measure.id == "2-1-1"
    assert [u.unit for u in result.units] == ["区水务局", "宋庄镇", "张家湾镇"]
    water = result.units[0]
    assert water.latest is not None and water.latest.percent == 70
    assert [e.percent for e in water.recent] == [70, 50, 20]
    assert (water.evidence, water.evidence_last) == ([photo], date(2023, 6, 12))
    assert not result.complete and [i.due for i in result.overdue_items] == [date(2023, 6, 30)]
    text = "\n".join(render.status_pages(result))
    assert "措施2-1-1的全文" in text and "郑皓" in text
    assert "   · 2023-06-12 进行中 70%（📎 照片 1 份 · 联络员）\n" in text
    assert "   📎 佐证材料共 1 份（照片 1 份），最近一次 2023-06-12" in text


def test_status_history_marks_the_files_and_the_way_each_report_came(
    plan: Plan, directory: Directory, store: Store
) -> None:
    """Reports that carried files are marked 📎 with what and how many, so the unit's total of
    佐证材料 can be matched line by line; the others say how they came."""
    sent = [
        (1, "button", [], "甲"),
        (2, "reply", [], "乙"),
        (3, "evidence", [evidence_ref("photo", "p1"), evidence_ref("photo", "p2")], "甲"),
        (4, "evidence", [evidence_ref("document", "d1", "验收报告.pdf")], "乙"),
        (5, "cli", [], ""),
    ]
    for day, source, files, who in sent:
        report(
            store,
            "2-1-1",
            "区水务局",
            Status.IN_PROGRESS,
            date(2023, 6, day),
            evidence=files,
            source=source,
            user_name=who,
        )
    report(store, "2-1-1", "宋庄镇", Status.BLOCKED, date(2023, 6, 6), note="资金未到位", user_name="丙")
    snapshot = snap(plan, directory, store, date(2023, 6, 20))
    status = queries.measure_status(snapshot, "2-1-1", store.history)
    assert [e.source for e in status.units[0].recent] == ["cli", "evidence", "evidence"]
    lines = render.status_pages(status, limit=None)[0].split("\n")
    water = lines.index("🟢 【主责】区水务局：进行中 · 2023-06-05")
    assert lines[water + 1 : water + 5] == [
        "   · 2023-06-05 进行中（命令行）",
        "   · 2023-06-04 进行中（📎 文件 1 份 · 乙）",
        "   · 2023-06-03 进行中（📎 照片 2 份 · 甲）",
        "   📎 佐证材料共 3 份（照片 2 份、文件 1 份），最近一次 2023-06-04",
    ]
    assert "   · 2023-06-06 ⛔受阻 资金未到位（命令 · 丙）" in lines
    # the earlier reports, beyond the three shown, by button and by reply
    older = queries.measure_status(snap(plan, directory, store, date(2023, 6, 2)), "2-1-1", store.history)
    text = render.status_pages(older, limit=None)[0]
    assert "   · 2023-06-02 进行中（回复 · 乙）\n   · 2023-06-01 进行中（按钮 · 甲）" in text
    assert "📎" not in text


@pytest.mark.parametrize(
    ("typed", "same_task"),
    [("2-1-2", ["2-1-1"]), ("２－１－９", ["2-1-1"]), ("9-9-9", []), ("2-9-1", []), ("第一条", [])],
)
def test_an_unknown_measure_lists_its_tasks_measures_if_any(
    plan: Plan, directory: Directory, store: Store, typed: str, same_task: list[str]
) -> None:
    with pytest.raises(queries.UnknownMeasure) as caught:
        queries.measure_status(snap(plan, directory, store, date(2023, 7, 3)), typed, store.history)
    assert caught.value.same_task == same_task
    text = render.unknown_measure_text(caught.value)
    assert "附件-序号-条目" in text and "2-63-1" in text  # the ID format, with an example
    assert ("2-1-1" in text) == bool(same_task)


def test_full_width_ids_are_read_like_reports_read_them(plan: Plan) -> None:
    for typed in ("２－２－１", "2 - 2 - 1", "2—2—1", "2－2－1"):
        assert queries.find_measure(plan, typed).id == "2-2-1"


# --- scope and who may see what ----------------------------------------------------------------------


def test_parse_scope_understands_annexes_leaders_units_and_everything(
    plan: Plan, directory: Directory
) -> None:
    assert queries.parse_scope(plan, directory, "附件2", EVERYTHING).annex == 2
    assert queries.parse_scope(plan, directory, "全部", EVERYTHING).is_everything
    assert queries.parse_scope(plan, directory, "郑 皓", EVERYTHING).leader == "郑皓"
    assert queries.parse_scope(plan, directory, "水务局", EVERYTHING).units == {"区水务局"}
    assert queries.parse_scope(plan, directory, "各乡镇政府", EVERYTHING).units == {"宋庄镇", "张家湾镇"}
    with pytest.raises(ScopeError) as caught:
        queries.parse_scope(plan, directory, "附件9", EVERYTHING)
    assert "附件1" in caught.value.suggestions
    with pytest.raises(ScopeError):
        queries.parse_scope(plan, directory, "区水利局局", EVERYTHING)
    with pytest.raises(ScopeError) as caught:
        queries.parse_scope(plan, directory, "郑浩", EVERYTHING)
    assert caught.value.suggestions == ["郑皓"]


def test_a_near_miss_leader_gets_a_suggestion(directory: Directory) -> None:
    with pytest.raises(ScopeError) as caught:
        queries.leader_scope(directory, "郑 浩")
    assert caught.value.suggestions == ["郑皓"]
    with pytest.raises(ScopeError) as caught:
        queries.leader_scope(directory, "张三")
    assert caught.value.suggestions == []


def test_chat_scope_defaults_and_refusals() -> None:
    leader_chat = Binding(chat_id=1, leader="倪德才")
    unit_chat = Binding(chat_id=2, units=["区水务局"])
    water = Scope(units=frozenset({"区水务局"}), label="区水务局")
    eco = Scope(units=frozenset({"区生态环境局"}), label="区生态环境局")

    assert queries.chat_scope(leader_chat, False, None, EVERYTHING) == Scope(leader="倪德才", label="倪德才")
    assert queries.chat_scope(unit_chat, False, None, EVERYTHING) == Scope(
        units=frozenset({"区水务局"}), label="区水务局"
    )
    assert queries.chat_scope(None, True, None, EVERYTHING) == Scope(label=EVERYTHING)
    assert queries.chat_scope(None, False, None, EVERYTHING) == Refusal("unbound")
    # an argument narrows a chat's default; looking beyond it is for admins only
    narrowed = queries.chat_scope(leader_chat, False, water, EVERYTHING)
    assert isinstance(narrowed, Scope) and (narrowed.leader, narrowed.units) == ("倪德才", {"区水务局"})
    assert queries.chat_scope(unit_chat, False, eco, EVERYTHING) == Refusal("outside", "区水务局")
    other_leader = Scope(leader="郑皓", label="郑皓")
    assert queries.chat_scope(leader_chat, False, other_leader, EVERYTHING) == Refusal("outside", "倪德才")
    assert queries.chat_scope(unit_chat, False, Scope(label=EVERYTHING), EVERYTHING) == Refusal(
        "outside", "区水务局"
    )
    assert queries.chat_scope(unit_chat, True, eco, EVERYTHING) == eco


# --- wording ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "every", "months", "shown"),
    [
        ("按季度", "quarter", list(range(1, 13)), "周期要求：按季度"),
        ("夏季（6-9月）", "month", [6, 7, 8, 9], "周期要求：夏季（6-9月）"),
        ("第二、三季度每月", "month", [4, 5, 6, 7, 8, 9], "周期要求：第二、三季度每月（4–9月）"),
        ("春秋两季", "month", [3, 4, 9, 10], "周期要求：春秋两季（3、4、9、10月）"),
    ],
)
def test_a_recurrence_shows_its_months_only_when_they_add_something(
    raw: str, every: str, months: list[int], shown: str
) -> None:
    recurrence = Recurrence.model_validate({"raw": raw, "every": every, "months": months})
    assert render.recurrence_text(recurrence) == shown


def test_format_day_names_the_year_only_when_it_is_not_todays() -> None:
    assert render.format_day(date(2023, 6, 30), date(2023, 7, 3)) == "6月30日"
    assert render.format_day(date(2024, 1, 2), date(2023, 12, 28)) == "2024年1月2日"
    assert render.format_day(date(2023, 12, 31), date(2024, 1, 2)) == "2023年12月31日"
    assert render.table_day(date(2023, 6, 30)) == "2023-06-30"


# --- pages ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="区局镇水🔴", min_size=1, max_size=12),
            st.lists(st.text(alphabet="措施进展🔴\n ab", min_size=1, max_size=900), max_size=12),
        ),
        max_size=8,
    ),
    st.integers(min_value=400, max_value=4096),
)
def test_pages_stay_within_the_limit_and_keep_every_block_once(
    sections: list[tuple[str, list[str]]], limit: int
) -> None:
    laid = [render.Section(f"【{name}】", blocks) for name, blocks in sections]
    pages = render.paginate("标题\n共 N 项", laid, limit)
    assert all(render.telegram_length(page) <= limit for page in pages)
    assert all(page.startswith("标题\n共 N 项") for page in pages)
    text = "\n".join(pages)
    for section in laid:
        for block in section.blocks:
            if render.telegram_length(block) < limit // 2:  # blocks that fit are never cut
                assert block in text


def test_a_long_overdue_list_is_paged_with_every_item_exactly_once(
    plan: Plan, directory: Directory, store: Store
) -> None:
    many = plan.model_copy(
        update={
            "measures": [
                m.model_copy(update={"id": f"{m.annex}-{m.task_no}-{k}"})
                for m in plan.measures
                for k in range(1, 41)
            ]
        }
    )
    result = queries.overdue(snap(many, directory, store, date(2024, 1, 2)), everything())
    pages = render.unit_report_pages(result)
    assert len(pages) > 2
    assert all(render.telegram_length(page) <= render.TELEGRAM_LIMIT for page in pages)
    assert all(f"（第 {n}/{len(pages)} 页）" in page for n, page in enumerate(pages, start=1))
    shown = Counter(line for page in pages for line in items_on_page(page))
    expected = Counter((unit, measure, due) for unit, measure, due, _ in listed(result))
    assert shown == expected


def test_the_cli_text_is_one_page_without_markers(plan: Plan, directory: Directory, store: Store) -> None:
    result = queries.overdue(snap(plan, directory, store, date(2024, 1, 2)), everything())
    (text,) = render.unit_report_pages(result, limit=None)
    assert "页）" not in text
    assert text.count("1-1-1 任务1-1-1") == len(
        [g for g in result.groups if any(i.measure.id == "1-1-1" for i in g.items)]
    )


# --- the real plan, on named days ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> tuple[Plan, Directory]:
    return shipped_plan()


def test_real_plan_noise_zoning_is_overdue_from_the_first_of_july(
    real: tuple[Plan, Directory], store: Store
) -> None:
    plan, directory = real
    ni = queries.leader_scope(directory, "倪德才")
    on_due_day = queries.overdue(snap(plan, directory, store, date(2023, 6, 30)), ni)
    assert not any(m == "2-63-1" for _, m, _, _ in listed(on_due_day))
    next_day = listed(queries.overdue(snap(plan, directory, store, date(2023, 7, 1)), ni))
    assert ("区生态环境局", "2-63-1", "2023-06-30", "lead") in next_day
    assert ("中仓街道", "2-63-1", "2023-06-30", "co") in next_day  # 各街道乡镇, expanded


def test_real_plan_water_source_milestone_of_an_ongoing_measure(
    real: tuple[Plan, Directory], store: Store
) -> None:
    plan, directory = real
    water = queries.unit_scope(directory, "区水务局")
    before = queries.overdue(snap(plan, directory, store, date(2023, 9, 30)), water)
    assert not any(m == "3-3-1" for _, m, _, _ in listed(before))
    after = queries.overdue(snap(plan, directory, store, date(2023, 10, 1)), water)
    (item,) = [i for g in after.groups for i in g.items if i.measure.id == "3-3-1"]
    assert item.item is not None and item.item.kind == "milestone" and item.days_overdue == 1


def test_real_plan_summary_covers_every_measure_once(real: tuple[Plan, Directory], store: Store) -> None:
    plan, directory = real
    result = queries.summary(snap(plan, directory, store, date(2023, 7, 3)), everything())
    assert result.total.total == len(plan.measures)
    assert [row.total for row in result.annexes] == [
        sum(1 for m in plan.measures if m.annex == annex.no) for annex in plan.annexes
    ]
    # Nobody has reported yet: the dated measures are not started, the standing duties unreported.
    standing = sum(1 for m in plan.measures if m.deadline.kind == "ongoing")
    assert (result.total.not_started, result.total.period_missing) == (
        len(plan.measures) - standing,
        standing,
    )


def test_real_plan_a_leaders_overdue_on_2024_01_02_spans_several_pages(
    real: tuple[Plan, Directory], store: Store
) -> None:
    plan, directory = real
    result = queries.overdue(
        snap(plan, directory, store, date(2024, 1, 2)), queries.leader_scope(directory, "倪德才")
    )
    pages = render.unit_report_pages(result)
    assert len(pages) >= 3
    assert all(render.telegram_length(page) <= render.TELEGRAM_LIMIT for page in pages)
    shown = Counter(line for page in pages for line in items_on_page(page))
    assert shown == Counter((unit, measure, due) for unit, measure, due, _ in listed(result))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_completeness_agrees_with_the_shared_rule_on_the_real_plan(data: st.DataObject) -> None:
    plan, directory = shipped_plan()
    index = queries.index_for(plan, directory)
    pairs = sorted({(m.id, unit) for m in plan.measures for unit in index.leads[m.id]})
    chosen = data.draw(st.lists(st.sampled_from(pairs), max_size=300, unique=True))
    today = data.draw(st.dates(date(2023, 3, 20), date(2024, 3, 1)))
    latest: dict[tuple[str, str, str | None], ProgressEntry] = {
        (measure, unit, None): ProgressEntry(
            seq=n,
            measure=measure,
            unit=unit,
            status=data.draw(st.sampled_from(list(Status))),
            at=datetime.combine(data.draw(st.dates(date(2023, 3, 20), date(2024, 3, 1))), time(9), tzinfo=TZ),
        )
        for n, (measure, unit) in enumerate(chosen, start=1)
    }
    snapshot = Snapshot(index, latest, today)
    for measure in plan.measures:
        assert snapshot.complete(measure) == is_complete(measure, directory, latest, today), measure.id
