"""The importer on the real document: counts, tricky rows, determinism, and clear errors.

Error cases are built from the real text by cutting or editing it, and each edit first checks
that the line it changes is the one the test means, so the tests break loudly if the source does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pytest

from bot import paths
from bot.directory import Directory
from bot.models import Measure, Plan
from bot.plan_import import KnownNames, PlanImportError, annex_counts, parse_plan

SOURCE = paths.SOURCE_PLAN.read_text(encoding="utf-8")
LINES = SOURCE.split("\n")


def known() -> KnownNames:
    directory = Directory.load(paths.UNITS)
    return KnownNames(units=directory.known_names(), leaders=frozenset(directory.leaders))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(SOURCE, known())


def edited(changes: Mapping[int, tuple[str, str | None]]) -> str:
    """The source with line N (1-based) replaced, or removed for None, after checking what it was."""
    lines = list(LINES)
    for number in sorted(changes, reverse=True):
        expected, replacement = changes[number]
        assert lines[number - 1] == expected, f"line {number} is {lines[number - 1]!r}"
        if replacement is None:
            del lines[number - 1]
        else:
            lines[number - 1] = replacement
    return "\n".join(lines)


def failure(source: str, names: KnownNames | None = None) -> PlanImportError:
    with pytest.raises(PlanImportError) as caught:
        parse_plan(source, names if names is not None else known())
    return caught.value


# --- what the importer finds -----------------------------------------------------------------


def test_cover_page(plan: Plan) -> None:
    assert plan.title == "通州区深入打好污染防治攻坚战2023年行动计划"
    assert plan.year == 2023
    assert plan.issued == date(2023, 3, 20)
    assert [(a.no, a.title) for a in plan.annexes] == [
        (1, "通州区应对气候变化2023年行动计划"),
        (2, "通州区大气污染防治2023年行动计划"),
        (3, "通州区水污染防治2023年行动计划"),
        (4, "通州区土壤污染防治2023年行动计划"),
        (5, "通州区生态保护2023年行动计划"),
    ]


def test_role_words_come_from_each_annex_table_header(plan: Plan) -> None:
    # 附件3 and 附件4 head their columns 牵头部门 / 责任单位; the others 主责单位 / 协办单位.
    assert [(a.no, a.lead_word, a.co_word) for a in plan.annexes] == [
        (1, "主责单位", "协办单位"),
        (2, "主责单位", "协办单位"),
        (3, "牵头部门", "责任单位"),
        (4, "牵头部门", "责任单位"),
        (5, "主责单位", "协办单位"),
    ]


# Counted by reading the document (and cross-checked with grep over each annex's lines):
# - tasks: the 序号 run 1..N of each annex (附件1: 1-20, 附件2: 1-75, 附件3: 1-17, 附件4: 1-17,
#   附件5: 1-11).
# - measures: one per table row; rows with an empty 序号 cell are further measures of the task
#   above. 附件1: task 4 has 2 more, tasks 8, 10, 15, 18 one more each → 20 + 6 = 26.
#   附件2: every row has its own 序号 → 75. 附件3: tasks 4 (+3), 5 (+3), 6 (+3), 7 (+5), 9 (+2),
#   10 (+1), 11 (+5), 12 (+1), 14 (+2), 15 (+1) → 17 + 26 = 43. 附件4: tasks 3 (+5), 4 (+5), 7 (+1),
#   8 (+1), 9 (+2), 14 (+1), 16 (+2) → 17 + 17 = 34. 附件5: tasks 3 (+4), 4 (+1), 6 (+1), 7 (+4) → 21.
# - deadline kinds from the 完成时限 cells: 附件2 has 29 cells wrapped as 长期/实施, 2 长期实施 and
#   2 按时间节点完成 (33 ongoing), one 6月-9月 window, 39 dated cells plus the two empty cells of
#   序号 2 and 3 that continue 年底前 from 序号 1 (41 dates). 附件3: 17 长期实施, 26 dated. 附件4:
#   7 持续推进/长期实施, 27 年底前. 附件1 and 附件5 are all 年底前.
# - milestones (dated commitments in the text): 附件2 到2023年底 in 序号 24, 25 and 67; 附件3 9月底前
#   (3-3-1), 年底前 (3-4-2, 3-4-4, 3-7-3), 6月底前 (3-6-4); 附件4 2023年底前 (4-3-5).
# - recurrences: 附件2 每季度 (2-3), 按季度 (2-13, 2-14), 夏季（6-9月）(2-21), 按月 + 按季度 (2-50),
#   按月 (2-55); 附件3 按年度 (3-7-4), 第二、三季度每月 (3-11-2).
EXPECTED_COUNTS = {
    # annex: (tasks, measures, date, window, ongoing, milestones, recurrences)
    1: (20, 26, 26, 0, 0, 0, 0),
    2: (75, 75, 41, 1, 33, 3, 7),
    3: (17, 43, 26, 0, 17, 5, 2),
    4: (17, 34, 27, 0, 7, 1, 0),
    5: (11, 21, 21, 0, 0, 0, 0),
}


def test_per_annex_counts(plan: Plan) -> None:
    found = {
        c.annex: (
            c.tasks,
            c.measures,
            c.deadline_kinds["date"],
            c.deadline_kinds["window"],
            c.deadline_kinds["ongoing"],
            c.milestones,
            c.recurrences,
        )
        for c in annex_counts(plan)
    }
    assert found == EXPECTED_COUNTS
    assert len(plan.measures) == 199


def test_measure_ids_follow_task_and_row(plan: Plan) -> None:
    ids = [m.id for m in plan.measures]
    assert len(set(ids)) == len(ids)
    assert ids[:6] == ["1-1-1", "1-2-1", "1-3-1", "1-4-1", "1-4-2", "1-4-3"]
    assert all(m.id == f"{m.annex}-{m.task_no}-{m.id.rsplit('-', 1)[1]}" for m in plan.measures)


def measure(plan: Plan, measure_id: str) -> Measure:
    found = plan.measure(measure_id)
    assert found is not None, measure_id
    return found


def test_the_june_noise_zoning_measure(plan: Plan) -> None:
    noise = measure(plan, "2-63-1")
    assert noise.task == "加强噪声污染治理"
    assert noise.text.startswith("按照市级部门相关工作部署，完成声环境功能区划分情况评估工作")
    assert (noise.deadline.raw, noise.deadline.kind, noise.deadline.due) == (
        "6月底",
        "date",
        date(2023, 6, 30),
    )
    assert noise.section == "四、提升城市环境精细化管控水平"


def test_a_milestone_inside_an_ongoing_measure(plan: Plan) -> None:
    water = measure(plan, "3-3-1")
    assert (
        water.deadline.kind == "ongoing" and water.deadline.raw == "长期实施" and water.deadline.due is None
    )
    assert [(m.raw, m.due, m.text) for m in water.milestones] == [
        ("9月底前", date(2023, 9, 30), "9月底前制定出台本区重要饮用水水源地名录")
    ]
    assert [(m.raw, m.due) for m in measure(plan, "3-6-4").milestones] == [("6月底前", date(2023, 6, 30))]
    assert [m.raw for m in measure(plan, "2-24-1").milestones] == ["到2023年底"]
    assert [m.raw for m in measure(plan, "4-3-5").milestones] == ["2023年底前"]


def test_baselines_are_not_milestones(plan: Plan) -> None:
    assert "较2020年" in measure(plan, "1-1-1").text and measure(plan, "1-1-1").milestones == []
    assert "比2022年" in measure(plan, "3-5-4").text and measure(plan, "3-5-4").milestones == []
    assert "探索开展2022年全区核算" in measure(plan, "5-8-1").text and measure(plan, "5-8-1").milestones == []


def test_window_and_recurrences(plan: Plan) -> None:
    summer = measure(plan, "2-21-1")
    assert (summer.deadline.kind, summer.deadline.start, summer.deadline.due) == (
        "window",
        date(2023, 6, 1),
        date(2023, 9, 30),
    )
    assert [(r.every, r.months) for r in summer.recurrences] == [("month", [6, 7, 8, 9])]
    black_water = measure(plan, "3-11-2")
    assert [(r.raw, r.every, r.months) for r in black_water.recurrences] == [
        ("第二、三季度每月", "month", [4, 5, 6, 7, 8, 9])
    ]
    assert [(r.raw, r.every) for r in measure(plan, "2-50-1").recurrences] == [
        ("按月", "month"),
        ("按季度", "quarter"),
    ]


def test_merged_cells_continue_the_cell_above(plan: Plan) -> None:
    # 附件2 序号 2 and 3 have empty 重点任务 and 完成时限 cells: they continue 序号 1's.
    for measure_id in ("2-2-1", "2-3-1"):
        air = measure(plan, measure_id)
        assert air.task == "空气质量" and air.deadline.raw == "年底前"
    # 附件1 序号 4 has two more rows with empty 序号 and 重点任务.
    assert [m.task for m in plan.measures if m.annex == 1 and m.task_no == 4] == ["推进能源低碳化发展"] * 3
    assert measure(plan, "1-4-3").lead_units == [
        "区发展改革委",
        "区城市管理委",
        "区水务局",
        "市规划自然资源委通州分局",
    ]
    # a wrapped deadline cell (长期 / 实施) is one phrase
    assert measure(plan, "2-8-1").deadline.raw == "长期实施"


def test_no_co_units(plan: Plan) -> None:
    assert measure(plan, "1-10-2").co_units == []  # —
    assert measure(plan, "2-2-1").co_units == []  # ——
    assert measure(plan, "2-35-1").co_units == []  # an empty cell


def test_leaders_lose_spaces_and_are_split(plan: Plan) -> None:
    assert measure(plan, "1-2-1").leaders == ["郑皓", "倪德才"]  # 郑  皓
    assert measure(plan, "2-14-1").leaders == ["郑皓", "倪德才", "秦涛", "卢庆雷", "王翔宇"]  # 郑   皓
    assert measure(plan, "1-8-1").leaders == ["郑皓", "王翔宇"]  # 郑  皓 王翔宇 on one line
    assert measure(plan, "1-12-1").leaders == ["秦涛", "卢庆雷"]  # 秦  涛卢庆雷
    assert measure(plan, "1-15-2").leaders == ["陈江华", "倪德才"]  # 陈江华倪德才
    assert measure(plan, "1-16-1").leaders == ["郑皓", "苏国斌", "倪德才"]  # 苏国斌倪德才
    every_leader = {name for m in plan.measures for name in m.leaders}
    assert all(" " not in name and 2 <= len(name) <= 3 for name in every_leader)


def test_units_are_rejoined_and_split_in_document_order(plan: Plan) -> None:
    assert measure(plan, "4-4-4").lead_units == ["区生态环境局", "区住房城乡建设委"]  # 区住房城乡 / 建设委
    assert "区住房城乡建设委" in measure(plan, "4-16-3").lead_units
    assert measure(plan, "3-6-4").lead_units == [
        "区发展改革委",
        "市规划自然资源委通州分局",  # 市规划自然资源委通州分局区水务局 on one line
        "区水务局",
        "区生态环境局",
    ]
    # plan names stay as written; the directory maps them
    assert "区文化旅游局" in measure(plan, "5-8-1").co_units
    assert "区文化和旅游局" in measure(plan, "2-24-1").co_units
    # group labels stay labels
    assert measure(plan, "2-2-1").lead_units == ["各街道乡镇"]
    assert measure(plan, "1-3-1").co_units == ["相关街道乡镇", "相关行业主管部门"]


def test_a_blank_line_inside_a_row_and_rows_without_a_blank_between_them(plan: Plan) -> None:
    # 附件2 序号 41: a blank line between 牵头领导 and 主责单位.
    assert measure(plan, "2-41-1").lead_units == ["区市场监管局", "区交通局"]
    # 附件1 序号 3 and 附件5 序号 9 follow their row without a blank line (and with a space before the tab).
    assert measure(plan, "1-3-1").task == "积极推进碳排放权交易市场建设"
    assert measure(plan, "5-9-1").task == "开展生态文明示范创建"


def test_noise_is_gone_and_paragraphs_are_kept(plan: Plan) -> None:
    everything = plan.to_json()
    assert "bookmark" not in everything and "_Hlk" not in everything
    assert all("- 1 -" not in m.text for m in plan.measures)
    assert measure(plan, "1-18-2").text.startswith("不断提升气候投融资项目库库容")  # after the page footer
    assert measure(plan, "2-52-1").text.count("\n") == 4  # five paragraphs
    assert measure(plan, "1-2-1").task == "强化碳排放“双控”制度"
    assert measure(plan, "2-28-1").task == "非道路移动机械综合治理"  # wrapped over three lines
    assert {m.section for m in plan.measures if m.annex == 4} >= {
        "三、持续推进农用地安全利用"
    }  # full-width space


def test_annexes_3_and_4_name_their_unit_columns_differently(plan: Plan) -> None:
    soil = measure(plan, "4-3-1")
    assert soil.lead_units == ["张家湾镇", "中关村通州园管委会"]  # 牵头部门
    assert soil.co_units == ["区生态环境局", "区经济和信息化局", "各乡镇政府"]  # 责任单位


# --- determinism -----------------------------------------------------------------------------


def test_import_is_deterministic_and_matches_the_committed_plan(plan: Plan) -> None:
    again = parse_plan(SOURCE, known()).to_json()
    assert again == plan.to_json()
    assert again == paths.PLAN.read_text(encoding="utf-8")
    assert "\\u" not in again
    assert Plan.load(paths.PLAN) == plan


# --- errors, built from the real text --------------------------------------------------------


def test_a_file_truncated_inside_a_row() -> None:
    cut = "\n".join(LINES[:1500])  # ends in the text of 附件3 序号 7's fifth row
    error = failure(cut)
    assert (error.annex, error.line) == (3, 1498)
    assert error.row == "without 序号 after 序号 7"
    assert "truncated" in str(error) and "annex 3" in str(error) and "line 1498" in str(error)


def test_a_file_truncated_between_rows() -> None:
    cut = "\n".join(LINES[:1733])  # 附件3 complete, 附件4 and 附件5 gone
    error = failure(cut)
    assert error.annex == 3 and "附件4" in error.message and "truncated" in error.message


def test_a_row_with_a_missing_cell() -> None:
    source = edited({416: ("\t年底前", None)})  # 附件2 序号 4 loses its 完成时限
    error = failure(source)
    assert (error.annex, error.row, error.line) == (2, "序号 4", 413)
    assert "6 cells, expected 7" in error.message and "missing" in error.message


def test_a_missing_cell_where_rows_run_together() -> None:
    source = edited({72: ("\t区统计局", None)})  # 附件1 序号 2 loses 协办单位; 序号 3 follows with no blank
    error = failure(source)
    assert (error.annex, error.row, error.line) == (1, "序号 2", 63)
    assert "6 cells, expected 7" in error.message and "next row starts at line 72 with '3'" in error.message


def test_an_unknown_deadline_phrase() -> None:
    source = edited({1136: ("\t6月底", "\t年中前后")})
    error = failure(source)
    assert (error.annex, error.row, error.line) == (2, "序号 63", 1136)
    assert "unknown deadline phrase '年中前后'" in str(error)


def test_an_empty_deadline_with_nothing_above_to_continue() -> None:
    source = edited({390: ("\t年底前", "\t")})  # 附件2 序号 1 is the first row of its section
    error = failure(source)
    assert (error.annex, error.row, error.line) == (2, "序号 1", 390)
    assert "完成时限 is empty" in error.message


def test_a_missing_row_is_not_skipped_silently() -> None:
    source = "\n".join(LINES[:119] + LINES[135:])  # drop 附件1 序号 5 (lines 120-135)
    error = failure(source)
    assert error.annex == 1 and "序号 6 follows 序号 4" in error.message


def test_run_together_leaders_are_never_split_by_guessing() -> None:
    # 陈江华 appears only in 陈江华倪德才: without the directory's leaders nothing says where to cut.
    error = failure(SOURCE, KnownNames())
    assert (error.annex, error.row, error.line) == (1, "序号 15 (2nd measure row)", 297)
    assert "'陈江华倪德才'" in error.message and "leaders" in error.message


def test_without_a_directory_units_are_still_rejoined_and_split_from_the_document() -> None:
    names = KnownNames(leaders=frozenset({"陈江华"}))
    bare = parse_plan(SOURCE, names)
    assert bare.to_json() == paths.PLAN.read_text(encoding="utf-8")


def test_a_source_that_is_not_the_plan() -> None:
    error = failure("hello\nworld\n")
    assert "no annex" in error.message
