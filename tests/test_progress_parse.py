"""Reading progress reports as contacts type them, and who may report for which measure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.assignments import UnitRole
from bot.directory import Directory, Group, Unit
from bot.models import Deadline, Measure, Plan, ProgressEntry, Status
from bot.progress import (
    STATUS_WORDS,
    ParseProblem,
    ProgressParseError,
    ProgressReport,
    RefusalReason,
    ReportRefusal,
    ReportTarget,
    authorize_report,
    check_report,
    evidence_status,
    find_measure_ids,
    measure_id_in,
    normalize_measure_id,
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
        ("2-63-1 进行中 45%", ProgressReport("2-63-1", Status.IN_PROGRESS, 45, "")),
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
        ("2-63-1 进行中 -5%", ParseProblem.BAD_PERCENT),
        ("2-63-1 进行中 0.5%", ParseProblem.BAD_PERCENT),
        ("2-63-1 进行中 60.5％", ParseProblem.BAD_PERCENT),
        ("2-63-1 进行中 60", ParseProblem.PERCENT_WITHOUT_SIGN),
        ("2-63-1 进行中 进度60", ParseProblem.PERCENT_WITHOUT_SIGN),
        ("2-63-1 60 进行中", ParseProblem.PERCENT_WITHOUT_SIGN),
        ("2-63-1 完成情况良好", ParseProblem.GLUED_STATUS),
        ("2-63-1 已完成已报送评估报告", ParseProblem.GLUED_STATUS),
        ("2-63-1 受阻资金未到位", ParseProblem.GLUED_STATUS),
        ("2-63-1 已完成 60%", ParseProblem.CONTRADICTION),
        ("2-63-1 未开始 20%", ParseProblem.CONTRADICTION),
        # A percent is not a status: after 受阻, "80%" may or may not mean the block is lifted.
        ("2-63-1 80%", ParseProblem.PERCENT_WITHOUT_STATUS),
        ("2-63-1 完成60%", ParseProblem.PERCENT_WITHOUT_STATUS),
        ("2-63-1 0%", ParseProblem.PERCENT_WITHOUT_STATUS),
        ("2-63-1 100% 已验收", ParseProblem.PERCENT_WITHOUT_STATUS),
    ],
)
def test_what_cannot_be_read_says_why(text: str, problem: ParseProblem) -> None:
    result = parse_progress(text)
    assert isinstance(result, ProgressParseError)
    assert result.problem is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A number that is not where a percent stands, or is part of a word, is the note.
        (
            "2-63-1 进行中 3 个点位已整改",
            ProgressReport("2-63-1", Status.IN_PROGRESS, None, "3 个点位已整改"),
        ),
        (
            "2-63-1 进行中 2023年底前完工",
            ProgressReport("2-63-1", Status.IN_PROGRESS, None, "2023年底前完工"),
        ),
        ("2-63-1 进行中60%", ProgressReport("2-63-1", Status.IN_PROGRESS, 60, "")),
        ("2-63-1 已完成100%", ProgressReport("2-63-1", Status.DONE, 100, "")),
        ("2-63-1 进行中 0%", ProgressReport("2-63-1", Status.IN_PROGRESS, 0, "")),
    ],
)
def test_numbers_in_the_note_stay_in_the_note(text: str, expected: ProgressReport) -> None:
    assert parse_progress(text) == expected


def test_what_is_refused_is_quoted_back() -> None:
    assert parse_progress("2-63-1 完成啦") == ProgressParseError(ParseProblem.GLUED_STATUS, "完成啦")
    assert parse_progress("2-63-1 进行中 -5%") == ProgressParseError(ParseProblem.BAD_PERCENT, "-5%")
    assert parse_progress("进行中 60", default_measure="3-6-4") == ProgressParseError(
        ParseProblem.PERCENT_WITHOUT_SIGN, "60"
    )
    assert parse_progress("进度８０％", default_measure="3-6-4") == ProgressParseError(
        ParseProblem.PERCENT_WITHOUT_STATUS, "80%"
    )


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


@pytest.mark.parametrize(
    ("caption", "mentioned"),
    [
        ("现场照片 3-6-4", "3-6-4"),
        ("现场照片（３－６）", "3-6"),
        ("团建合影", None),
        ("2023-06-27 拍摄", None),
        ("电话 010-8888", None),
    ],
)
def test_an_id_anywhere_in_a_caption_is_noticed(caption: str, mentioned: str | None) -> None:
    assert measure_id_in(caption) == mentioned


@pytest.mark.parametrize("typed", ["2-63-1", "２－６３－１", "2 - 63 - 1", "2—63—1", " 2–63–1 "])
def test_measure_ids_are_normalized_in_one_place(typed: str) -> None:
    assert normalize_measure_id(typed) == "2-63-1"


# --- naming the unit ---

UNITS = {"区水务局": "区水务局", "水务局": "区水务局", "区生态环境局": "区生态环境局", "宋庄": "宋庄镇"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-6-4 区水务局 已完成", ProgressReport("3-6-4", Status.DONE, None, "", "区水务局")),
        ("3-6-4水务局已完成 工程完工", ProgressReport("3-6-4", Status.DONE, None, "工程完工", "区水务局")),
        ("区生态环境局 3-6-4 进行中60%", ProgressReport("3-6-4", Status.IN_PROGRESS, 60, "", "区生态环境局")),
        ("3-6-4 宋庄，受阻 资金", ProgressReport("3-6-4", Status.BLOCKED, None, "资金", "宋庄镇")),
        # After the status the text is the note, even when it starts with a place name.
        ("3-6-4 已完成 宋庄 小区整改", ProgressReport("3-6-4", Status.DONE, None, "宋庄 小区整改")),
        # A name that runs into other words is not a unit.
        ("3-6-4 进行中 水务局已协调", ProgressReport("3-6-4", Status.IN_PROGRESS, None, "水务局已协调")),
    ],
)
def test_a_unit_may_be_named_before_the_status(text: str, expected: ProgressReport) -> None:
    assert parse_progress(text, unit_named=UNITS.get) == expected


def test_one_unit_per_report() -> None:
    assert parse_progress("3-6-4 区水务局 区生态环境局 已完成", unit_named=UNITS.get) == ProgressParseError(
        ParseProblem.MULTIPLE_UNITS, "区水务局、区生态环境局"
    )
    # Without a directory, a unit name is just text where the status should be.
    assert parse_progress("3-6-4 区水务局 已完成") == ProgressParseError(ParseProblem.NO_STATUS)


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


@given(
    percent=st.integers(0, 100),
    sign=st.sampled_from(["%", "％"]),
    lead=st.sampled_from(["", "进度", "进度：", "完成"]),
    measure=measure_ids,
    note=notes,
)
def test_a_whole_percent_0_to_100_is_read(
    percent: int, sign: str, lead: str, measure: str, note: str
) -> None:
    parsed = parse_progress(f"{measure} 进行中 {lead}{percent}{sign} {note}")
    assert isinstance(parsed, ProgressReport)
    assert (parsed.measure, parsed.status, parsed.percent, parsed.note) == (
        measure,
        Status.IN_PROGRESS,
        percent,
        note.strip(),
    )


@given(
    percent=st.integers(0, 100),
    lead=st.sampled_from(["", "进度", "进度：", "完成"]),
    measure=measure_ids,
    note=notes,
    evidence=st.booleans(),
    replying=st.booleans(),
)
def test_a_percent_never_stands_in_for_the_status(
    percent: int, lead: str, measure: str, note: str, evidence: bool, replying: bool
) -> None:
    # Not in a report, a reply to a one-item digest, nor an evidence caption: a guessed status
    # would silently overwrite the one the unit set (受阻 → 进行中).
    text = f"{lead}{percent}% {note}" if replying else f"{measure} {lead}{percent}% {note}"
    parsed = parse_progress(text, default_measure=measure if replying else None, require_status=not evidence)
    assert parsed == ProgressParseError(ParseProblem.PERCENT_WITHOUT_STATUS, f"{percent}%")


@given(
    number=st.one_of(
        st.integers(101, 100_000).map(str),
        st.integers(-100, -1).map(str),
        st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False)
        .filter(lambda d: d != d.to_integral_value())
        .map(str),
    ),
    sign=st.sampled_from(["%", "％"]),
    measure=measure_ids,
)
def test_a_percent_out_of_range_or_fractional_is_refused_never_noted(
    number: str, sign: str, measure: str
) -> None:
    parsed = parse_progress(f"{measure} 进行中 {number}{sign} 说明")
    assert parsed == ProgressParseError(ParseProblem.BAD_PERCENT, f"{number}%")


@given(number=st.integers(0, 1000), measure=measure_ids, word=st.sampled_from(["已完成", "进行中", "受阻"]))
def test_a_number_without_its_percent_sign_is_refused(number: int, measure: str, word: str) -> None:
    for text in (
        f"{measure} {word} {number}",
        f"{measure} {number} {word}",
        f"{measure} {word} 进度{number}",
    ):
        assert parse_progress(text) == ProgressParseError(ParseProblem.PERCENT_WITHOUT_SIGN, str(number)), (
            text
        )


@given(
    word=st.sampled_from(["已完成", "完成", "进行中", "未开始", "受阻"]),
    tail=st.text(alphabet="了的啦资金未到位报告情况良好abc", min_size=1, max_size=6),
    measure=measure_ids,
)
def test_a_status_word_run_into_other_words_is_refused_never_guessed(
    word: str, tail: str, measure: str
) -> None:
    assume(f"{word}{tail}" not in STATUS_WORDS)  # 完成了 is a status word of its own
    parsed = parse_progress(f"{measure} {word}{tail}")
    assert isinstance(parsed, ProgressParseError) and parsed.problem is ParseProblem.GLUED_STATUS
    assert parsed.detail.startswith(word)


@given(
    measure=measure_ids,
    name=st.sampled_from(sorted(UNITS)),
    word=st.sampled_from(["已完成", "进行中", "未开始", "受阻"]),
    note=notes,
    order=st.permutations([0, 1, 2]),
    sep=separators,
)
def test_id_unit_and_status_in_any_order(
    measure: str, name: str, word: str, note: str, order: list[int], sep: str
) -> None:
    parts = [measure, name, word]
    head = sep.join(parts[i] for i in order)
    if order[-1] == 1 and not sep:
        head += " "  # a name needs something after it to end; the note's space does
    parsed = parse_progress(f"{head} {note}" if note else head, unit_named=UNITS.get)
    if order.index(1) > order.index(2):
        # A name after the status starts the note: never read as the unit (the ID may be lost
        # with it, and the answer then asks for one).
        assert not (isinstance(parsed, ProgressReport) and parsed.unit is not None)
        return
    assert parsed == ProgressReport(measure, Status(word), None, note, UNITS[name])


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
    assert isinstance(lead, ReportTarget) and (lead.unit, lead.role) == ("区生态环境局", "lead")
    # 永顺镇 is a co unit through the group label 各街道乡镇.
    town = authorize_report(plan, directory, Binding(chat_id=-2, units=["永顺镇"]), "2-63-1")
    assert isinstance(town, ReportTarget) and (town.unit, town.role) == ("永顺镇", "co")


def test_a_chat_of_two_responsible_units_is_asked_which(plan: Plan, directory: Directory) -> None:
    binding = Binding(chat_id=-3, units=["区水务局", "区生态环境局", "宋庄镇"])
    ask = authorize_report(plan, directory, binding, "2-63-1")
    assert ask == ReportRefusal(RefusalReason.WHICH_UNIT, "2-63-1", chat_units=("区生态环境局", "宋庄镇"))
    one = authorize_report(plan, directory, binding, "2-63-1", unit="宋庄镇")
    assert isinstance(one, ReportTarget) and one.unit == "宋庄镇"
    # Only one of the chat's units answers for 2-63-2: no need to ask.
    water = authorize_report(plan, directory, binding, "2-63-2")
    assert isinstance(water, ReportTarget) and water.unit == "区水务局"


def test_refusals_say_why(plan: Plan, directory: Directory) -> None:
    water = Binding(chat_id=-4, units=["区水务局"])
    unknown = authorize_report(plan, directory, water, "2-63")
    assert unknown == ReportRefusal(RefusalReason.UNKNOWN_MEASURE, "2-63", similar=("2-63-1", "2-63-2"))

    stranger = authorize_report(plan, directory, water, "2-63-1")
    assert isinstance(stranger, ReportRefusal)
    assert stranger.reason is RefusalReason.NOT_RESPONSIBLE
    assert stranger.chat_units == ("区水务局",)
    assert ("区生态环境局", "lead") in stranger.responsible

    # A chat without units is told who reports the measure; a leader's chat is named as one.
    responsible: tuple[tuple[str, UnitRole], ...] = (
        ("区生态环境局", "lead"),
        ("区规划自然资源委", "co"),
        ("永顺镇", "co"),
        ("宋庄镇", "co"),
    )
    for unbound in (None, Binding(chat_id=-5, units=[], leader=None)):
        refusal = authorize_report(plan, directory, unbound, "2-63-1")
        assert refusal == ReportRefusal(RefusalReason.NOT_BOUND, "2-63-1", responsible=responsible)
    leaders = authorize_report(plan, directory, Binding(chat_id=-5, leader="倪德才"), "2-63-1")
    assert leaders == ReportRefusal(
        RefusalReason.LEADER_CHAT, "2-63-1", responsible=responsible, leader="倪德才"
    )


def test_a_unit_the_chat_is_not_bound_to_is_refused(plan: Plan, directory: Directory) -> None:
    refusal = authorize_report(
        plan, directory, Binding(chat_id=-6, units=["区水务局"]), "2-63-1", unit="区生态环境局"
    )
    assert refusal == ReportRefusal(
        RefusalReason.UNIT_NOT_BOUND, "2-63-1", chat_units=("区水务局",), unit="区生态环境局"
    )
    bound_but_not_responsible = authorize_report(
        plan, directory, Binding(chat_id=-6, units=["区水务局", "永顺镇"]), "2-63-2", unit="永顺镇"
    )
    assert isinstance(bound_but_not_responsible, ReportRefusal)
    assert bound_but_not_responsible.reason is RefusalReason.NOT_RESPONSIBLE


def test_an_operator_report_names_one_responsible_unit(plan: Plan, directory: Directory) -> None:
    target = check_report(plan, directory, "２－６３－１", "区规自委")
    assert isinstance(target, ReportTarget) and (target.unit, target.role) == ("区规划自然资源委", "co")
    assert check_report(plan, directory, "2-63", "区水务局") == ReportRefusal(
        RefusalReason.UNKNOWN_MEASURE, "2-63", similar=("2-63-1", "2-63-2")
    )
    unknown = check_report(plan, directory, "2-63-1", "区水物局")
    assert isinstance(unknown, ReportRefusal) and unknown.reason is RefusalReason.UNKNOWN_UNIT
    assert "区水务局" in unknown.similar
    group = check_report(plan, directory, "2-63-1", "各街道乡镇")
    assert isinstance(group, ReportRefusal) and group.members == ("永顺镇", "宋庄镇")
    stranger = check_report(plan, directory, "2-63-2", "区生态环境局")
    assert isinstance(stranger, ReportRefusal) and stranger.reason is RefusalReason.NOT_RESPONSIBLE


def test_evidence_without_a_status_keeps_the_latest_never_invents_one() -> None:
    from datetime import datetime

    from bot.clock import TZ

    assert evidence_status(None) == (Status.NOT_STARTED, None)
    latest = ProgressEntry(
        seq=1,
        measure="3-6-4",
        unit="区水务局",
        status=Status.BLOCKED,
        percent=40,
        at=datetime(2023, 6, 27, 9, tzinfo=TZ),
    )
    assert evidence_status(latest) == (Status.BLOCKED, 40)
