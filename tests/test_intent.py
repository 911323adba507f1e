"""The pure rules behind meeting people where they are: status words, numbers in words, official
unit names, and whether a message is chatter, an acknowledgement or a report."""

from __future__ import annotations

import pytest

from bot import numerals, texts
from bot.directory import official_forms
from bot.intent import Acknowledgement, Chatter, is_acknowledgement, read_message
from bot.models import Status
from bot.progress import ParseProblem, ProgressParseError, ProgressReport, parse_progress
from tests.bot_harness import shipped_plan


@pytest.mark.parametrize(
    ("word", "status"),
    [(word, Status(status)) for status, words in texts.STATUS_WORDS.items() for word in words],
)
def test_every_listed_word_reads_as_its_status(word: str, status: Status) -> None:
    assert parse_progress(f"2-63-1 {word} 情况说明") == ProgressReport("2-63-1", status, note="情况说明")
    assert parse_progress(word, default_measure="2-63-1") == ProgressReport("2-63-1", status)


def test_a_word_glued_to_the_note_is_asked_about_repeating_what_was_understood() -> None:
    result = parse_progress("2-63-1 完成情况良好")
    assert isinstance(result, ProgressParseError) and result.problem is ParseProblem.GLUED_STATUS
    assert result.understood == "2-63-1 已完成 情况良好"
    result = parse_progress("进行中 60", default_measure="3-6-4")
    assert isinstance(result, ProgressParseError) and result.understood == "3-6-4 进行中 60%"


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("进行中 百分之五十", 50),
        ("进行中百分之五十", 50),
        ("进行中 五成", 50),
        ("进行中 8成", 80),
        ("进行中 ８０％", 80),
        ("进行中 进度百分之三十五", 35),
        ("已完成 百分之百", 100),
        ("已完成 百分之一百", 100),
    ],
)
def test_a_percent_in_words_is_read(text: str, percent: int) -> None:
    result = parse_progress(f"3-6-4 {text} 说明")
    assert isinstance(result, ProgressReport) and (result.percent, result.note) == (percent, "说明")


def test_a_percent_in_words_above_a_hundred_is_refused() -> None:
    assert parse_progress("3-6-4 进行中 百分之一百二") == ProgressParseError(
        ParseProblem.BAD_PERCENT, "百分之一百二"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二", 2),
        ("两", 2),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("三十五", 35),
        ("一百", 100),
        ("一百零五", 105),
    ],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert numerals.chinese_number(text) == value
    assert numerals.number(text) == value


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("30", 30),
        ("３０", 30),
        ("30天", 30),
        ("三十天", 30),
        ("两周", 14),
        ("2周", 14),
        ("一个月", 30),
        ("十日", 10),
    ],
)
def test_days_as_people_write_them(text: str, days: int) -> None:
    assert numerals.days(text) == days


@pytest.mark.parametrize("text", ["", "下个月", "两年", "30 days", "二三十天"])
def test_what_is_no_number_of_days(text: str) -> None:
    assert numerals.days(text) is None


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("通州区水务局", "区水务局"),
        ("北京市通州区水务局", "区水务局"),
        ("北京市通州区发改委", "区发展改革委"),
        ("通州区宋庄镇", "宋庄镇"),
        ("北京市通州区宋庄镇人民政府", "宋庄镇"),
        ("中仓街道办事处", "中仓街道"),
        ("通 州 区 中 仓 街 道 办 事 处", "中仓街道"),
        ("于家务回族乡人民政府", "于家务乡"),
    ],
)
def test_official_names_resolve(typed: str, unit: str) -> None:
    _, directory = shipped_plan()
    assert directory.resolve(typed) == unit
    assert directory.expand(typed) == [unit]


@pytest.mark.parametrize("typed", ["通州区", "北京市", "北京市水务局", "通州区人民政府"])
def test_a_place_or_another_government_is_no_unit(typed: str) -> None:
    _, directory = shipped_plan()
    assert directory.resolve(typed) is None


def test_official_forms_try_the_district_prefix_and_office_suffix() -> None:
    assert official_forms("北京市通州区宋庄镇人民政府")[-2:] == ["宋庄镇", "区宋庄镇"]


@pytest.mark.parametrize(
    "text", ["收到", "收到！", "好的，马上落实", "好的收到", "已阅", "明白了👌", "OK", "收到，谢谢"]
)
def test_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize("text", ["收到了吗？", "好的方案已报", "进行中 60%", "", "已阅，资金还没到位"])
def test_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


DIGEST = ("2-63-1", "3-6-4")


@pytest.mark.parametrize(
    ("text", "private", "replying_to", "expected"),
    [
        # an acknowledgement answers a digest; the same word elsewhere is chatter (or a question in private)
        ("收到", False, DIGEST, Acknowledgement(DIGEST)),
        ("收到", False, None, Chatter()),
        ("收到", False, (), Chatter()),
        # in a group, only an ID first and a status make a report
        ("3-6-4 受阻 资金没到位", False, None, ProgressReport("3-6-4", Status.BLOCKED, note="资金没到位")),
        ("大家看下 3-6-4 受阻了", False, None, Chatter()),
        ("3-6-4 谁在跟", False, None, Chatter()),
        ("3-6-4 完成情况如何", False, None, Chatter()),
        ("3-6-4 已完成 60%", False, None, ProgressParseError(ParseProblem.CONTRADICTION, "已完成 60%")),
        # replying to the bot, or in private, anything is read as a report, or asked about
        ("进行中 60%", False, ("3-6-4",), ProgressReport("3-6-4", Status.IN_PROGRESS, 60)),
        ("3-6-4 谁在跟", True, None, ProgressParseError(ParseProblem.NO_STATUS)),
        ("3-6-4 完成情况如何", True, None, ProgressParseError(ParseProblem.GLUED_STATUS, "完成情况如何")),
    ],
)
def test_chatter_acknowledgement_or_report(
    text: str,
    private: bool,
    replying_to: tuple[str, ...] | None,
    expected: object,
) -> None:
    assert read_message(text, private=private, replying_to=replying_to) == expected
