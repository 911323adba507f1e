"""Reading progress reports as contacts type them, and who may report for which measure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.directory import Directory, Group, Unit
from bot.models import Deadline, Measure, Plan, Status
from bot.progress import (
    ParseProblem,
    ProgressParseError,
    ProgressReport,
    RefusalReason,
    ReportRefusal,
    ReportTarget,
    authorize_report,
    find_measure_ids,
    parse_progress,
)
from bot.store import Binding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2-63-1 已完成 已报送评估报告", ProgressReport("2-63-1", Status.DONE, None, "已报送评估报告")),
        ("2-63-1 受阻 资金未到位", ProgressReport("2-63-1", Status.BLOCKED, None, "资金未到位")),
        ("2-63-1受阻，资金未到位", ProgressReport("2-63-1", Status.BLOCKED, None, "资金未到位")),
        ("２－６３－１ 已完成", ProgressReport("2-63-1", Status.DONE, None, "")),
        ("2—63—1：进行中，进度60％", ProgressReport("2-63-1", Status.IN_PROGRESS, 60, "")),
        (
            "进行中 2-63-1 30% 已完成方案编制",
            ProgressReport("2-63-1", Status.IN_PROGRESS, 30, "已完成方案编制"),
        ),
        ("2-63-1 完成", ProgressReport("2-63-1", Status.DONE, None, "")),
        ("2-63-1 已完成 100%", ProgressReport("2-63-1", Status.DONE, 100, "")),
        ("2-63-1 未开始", ProgressReport("2-63-1", Status.NOT_STARTED, None, "")),
        ("2-63-1 45%", ProgressReport("2-63-1", Status.IN_PROGRESS, 45, "")),
        (
            "2-63-1 进行中 已完成60%的工作",
            ProgressReport("2-63-1", Status.IN_PROGRESS, None, "已完成60%的工作"),
        ),
    ],
)
def test_reports_as_typed(text: str, expected: ProgressReport) -> None:
    assert parse_progress(text) == expected


def test_reply_to_one_item_digest_needs_no_id() -> None:
    assert parse_progress("进行中 60%", default_measure="3-3-1") == ProgressReport(
        "3-3-1", Status.IN_PROGRESS, 60, ""
    )
    # An ID in the text wins over the digest's.
    assert parse_progress("2-63-1 受阻", default_measure="3-3-1") == ProgressReport(
        "2-63-1", Status.BLOCKED, None, ""
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ParseProblem.EMPTY),
        ("   ", ParseProblem.EMPTY),
        ("进行中 60%", ParseProblem.NO_MEASURE),
        ("2-63-1 资金未到位", ParseProblem.NO_STATUS),
        ("好的收到", ParseProblem.NO_MEASURE),
        ("2-63-1 2-63-2 已完成", ParseProblem.MULTIPLE_MEASURES),
        ("2-63-1 进行中 150%", ParseProblem.BAD_PERCENT),
        ("2-63-1 已完成 60%", ParseProblem.CONTRADICTION),
        ("2-63-1 未开始 20%", ParseProblem.CONTRADICTION),
    ],
)
def test_what_cannot_be_read_says_why(text: str, problem: ParseProblem) -> None:
    result = parse_progress(text)
    assert isinstance(result, ProgressParseError)
    assert result.problem is problem


def test_a_truncated_id_is_read_as_an_id_so_the_answer_can_suggest() -> None:
    assert parse_progress("2-63 已完成") == ProgressReport("2-63", Status.DONE, None, "")


def test_evidence_without_caption_replying_to_a_one_item_digest() -> None:
    assert parse_progress("", default_measure="3-6-4", require_status=False) == ProgressReport(
        "3-6-4", None, None, ""
    )
    assert parse_progress("", default_measure="3-6-4") == ProgressParseError(ParseProblem.EMPTY)


def test_evidence_caption_may_omit_the_status() -> None:
    assert parse_progress("2-63-1 验收报告", require_status=False) == ProgressReport(
        "2-63-1", None, None, "验收报告"
    )
    assert parse_progress("验收报告", require_status=False) == ProgressParseError(ParseProblem.NO_MEASURE)


def test_measure_ids_in_a_digest_text() -> None:
    digest = "🔴 2-63-1 噪声功能区划 6月30日\n🟡 3-3-1 水源地 2-63-1 重复\n编号 12-345-678"
    assert find_measure_ids(digest) == ["2-63-1", "3-3-1", "12-345-678"]


measure_ids = st.builds(
    lambda a, t, m: f"{a}-{t}-{m}",
    st.integers(1, 5),
    st.integers(1, 120),
    st.integers(1, 9),
)
# A note that does not itself start like a header part (digits, a status word, punctuation).
notes = st.text(alphabet="资金未到位已报送评估报告整改方案abc", max_size=12).filter(
    lambda n: not n.startswith(("已完成", "完成", "进行中", "未开始", "受阻"))
)
separators = st.sampled_from([" ", "  ", "，", "、", "：", ""])


@given(
    measure=measure_ids,
    word=st.sampled_from(["已完成", "进行中", "未开始", "受阻"]),
    note=notes,
    sep=separators,
    id_first=st.booleans(),
)
def test_any_id_status_and_note_round_trip(
    measure: str, word: str, note: str, sep: str, id_first: bool
) -> None:
    head = f"{measure}{sep}{word}" if id_first else f"{word}{sep}{measure}"
    text = f"{head} {note}" if note else head
    assert parse_progress(text) == ProgressReport(measure, Status(word), None, note)


@given(percent=st.integers(1, 99), measure=measure_ids)
def test_any_percent_below_100_is_in_progress(percent: int, measure: str) -> None:
    assert parse_progress(f"{measure} 进行中 {percent}%") == ProgressReport(
        measure, Status.IN_PROGRESS, percent, ""
    )
    assert parse_progress(f"{measure} 已完成 {percent}%") == ProgressParseError(
        ParseProblem.CONTRADICTION, f"已完成 {percent}%"
    )


# --- who may report ---


@pytest.fixture
def plan() -> Plan:
    def measure(mid: str, lead: list[str], co: list[str]) -> Measure:
        return Measure(
            id=mid,
            annex=int(mid.split("-")[0]),
            section="一",
            task_no=int(mid.split("-")[1]),
            task="任务" + mid,
            text="措施",
            deadline=Deadline(raw="6月底前", kind="date", due=date(2023, 6, 30)),
            lead_units=lead,
            co_units=co,
        )

    return Plan(
        title="计划",
        year=2023,
        issued=date(2023, 3, 20),
        annexes=[],
        measures=[
            measure("2-63-1", ["区生态环境局"], ["区规划自然资源委", "各街道乡镇"]),
            measure("2-63-2", ["区水务局"], []),
        ],
    )


@pytest.fixture
def directory() -> Directory:
    return Directory(
        units=[
            Unit(name="区生态环境局", kind="district"),
            Unit(name="区规划自然资源委", kind="district", aliases=["区规自委"]),
            Unit(name="区水务局", kind="district"),
            Unit(name="永顺镇", kind="town"),
            Unit(name="宋庄镇", kind="town"),
        ],
        groups=[Group(label="各街道乡镇", members=["永顺镇", "宋庄镇"])],
        leaders=["倪德才"],
    )


def test_lead_and_co_units_may_report(plan: Plan, directory: Directory) -> None:
    lead = authorize_report(plan, directory, Binding(chat_id=-1, units=["区生态环境局"]), "2-63-1")
    assert isinstance(lead, ReportTarget) and lead.units == ("区生态环境局",)
    # 永顺镇 is a co unit through the group label 各街道乡镇.
    town = authorize_report(plan, directory, Binding(chat_id=-2, units=["永顺镇"]), "2-63-1")
    assert isinstance(town, ReportTarget) and town.units == ("永顺镇",)


def test_a_chat_of_two_responsible_units_reports_for_both_unless_narrowed(
    plan: Plan, directory: Directory
) -> None:
    binding = Binding(chat_id=-3, units=["区水务局", "区生态环境局", "宋庄镇"])
    both = authorize_report(plan, directory, binding, "2-63-1")
    assert isinstance(both, ReportTarget) and both.units == ("区生态环境局", "宋庄镇")
    one = authorize_report(plan, directory, binding, "2-63-1", unit="宋庄镇")
    assert isinstance(one, ReportTarget) and one.units == ("宋庄镇",)


def test_refusals_say_why(plan: Plan, directory: Directory) -> None:
    water = Binding(chat_id=-4, units=["区水务局"])
    unknown = authorize_report(plan, directory, water, "2-63")
    assert unknown == ReportRefusal(RefusalReason.UNKNOWN_MEASURE, "2-63", similar=("2-63-1", "2-63-2"))

    stranger = authorize_report(plan, directory, water, "2-63-1")
    assert isinstance(stranger, ReportRefusal)
    assert stranger.reason is RefusalReason.NOT_RESPONSIBLE
    assert stranger.chat_units == ("区水务局",)
    assert ("区生态环境局", "lead") in stranger.responsible

    for unbound in (None, Binding(chat_id=-5, leader="倪德才")):
        refusal = authorize_report(plan, directory, unbound, "2-63-1")
        assert isinstance(refusal, ReportRefusal) and refusal.reason is RefusalReason.NOT_BOUND


def test_a_button_for_a_unit_the_chat_is_not_bound_to_is_refused(plan: Plan, directory: Directory) -> None:
    refusal = authorize_report(
        plan, directory, Binding(chat_id=-6, units=["区水务局"]), "2-63-1", unit="区生态环境局"
    )
    assert isinstance(refusal, ReportRefusal) and refusal.reason is RefusalReason.NOT_RESPONSIBLE
