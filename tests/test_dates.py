"""The Chinese date rule layer: 完成时限 cells, milestones, recurrences, and dates typed by users."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.dates import (
    DateRuleError,
    find_milestones,
    find_recurrences,
    month_end,
    parse_deadline,
    parse_user_date,
)

YEAR = 2023


@pytest.mark.parametrize(
    ("raw", "kind", "start", "due"),
    [
        ("年底前", "date", None, date(2023, 12, 31)),
        ("年底", "date", None, date(2023, 12, 31)),
        ("年底前 ", "date", None, date(2023, 12, 31)),
        ("2024年底前", "date", None, date(2024, 12, 31)),
        ("6月底", "date", None, date(2023, 6, 30)),
        ("9月底前", "date", None, date(2023, 9, 30)),
        ("2月底前", "date", None, date(2023, 2, 28)),
        ("6月30日", "date", None, date(2023, 6, 30)),
        ("9月30日前", "date", None, date(2023, 9, 30)),
        ("2024年3月15日前", "date", None, date(2024, 3, 15)),
        ("6月-9月", "window", date(2023, 6, 1), date(2023, 9, 30)),
        ("6-9月", "window", date(2023, 6, 1), date(2023, 9, 30)),
        ("长期实施", "ongoing", None, None),
        ("长期\n实施", "ongoing", None, None),
        ("持续推进", "ongoing", None, None),
        ("按时间节点完成", "ongoing", None, None),
    ],
)
def test_deadline_rules(raw: str, kind: str, start: date | None, due: date | None) -> None:
    deadline = parse_deadline(raw, YEAR)
    assert (deadline.kind, deadline.start, deadline.due) == (kind, start, due)
    # raw keeps the phrase (wrapping whitespace removed), so ongoing cells still say what they say.
    assert deadline.raw == "".join(raw.split())


def test_a_leap_year_month_end() -> None:
    assert parse_deadline("2月底", 2024).due == date(2024, 2, 29)
    assert month_end(2023, 12) == date(2023, 12, 31)


@pytest.mark.parametrize("raw", ["年中前后", "尽快", "13月底", "6月31日", "9月-6月", "", "下半年"])
def test_unknown_or_impossible_deadlines_are_errors_quoting_the_phrase(raw: str) -> None:
    with pytest.raises(DateRuleError) as caught:
        parse_deadline(raw, YEAR)
    assert repr("".join(raw.split())) in str(caught.value)


def test_dated_commitments_in_the_text_are_milestones_with_their_clause() -> None:
    text = (
        "结合农村供水工程和水源地布局调整，9月底前制定出台本区重要饮用水水源地名录，动态更新数据。"
        "到2023年底，区属出租车基本实现电动化；开展提标改造，年底前完成不少于6座。"
        "2023年底前制药行业完成土壤污染隐患排查。"
    )
    milestones = find_milestones(text, YEAR)
    assert [(m.raw, m.due, m.text) for m in milestones] == [
        ("9月底前", date(2023, 9, 30), "9月底前制定出台本区重要饮用水水源地名录"),
        ("到2023年底", date(2023, 12, 31), "到2023年底，区属出租车基本实现电动化"),
        ("年底前", date(2023, 12, 31), "年底前完成不少于6座"),
        ("2023年底前", date(2023, 12, 31), "2023年底前制药行业完成土壤污染隐患排查"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "碳排放强度较2020年累计下降12%左右",
        "万元GDP用水量比2022年下降1.5%左右",
        "探索开展2022年全区核算",
        "完成2022年鸟类、鱼类等生物多样性调查",
        "到2022年底已完成的整治",  # a year-end before the plan year is a past reference
        "2023年达到市级下达指标要求",  # the plan year itself: the 完成时限 cell is the commitment
        "试点三年行动方案（2023-2025年）",
        "对发现的黑臭问题，当月完成整改",
        "严控区内施工工地要在开工前三个月向扬尘指挥部报备",
    ],
)
def test_baselines_and_references_are_not_milestones(text: str) -> None:
    assert find_milestones(text, YEAR) == []


def test_recurring_duties() -> None:
    text = (
        "按月牵头汇总台账，城市管理委按季度牵头汇总，并按月开展全覆盖检查。"
        "第二、三季度每月开展黑臭水体水质监测。夏季（6-9月），督促实施错峰装卸油。"
        "每季度累计出现不超过3次，按年度形成排查报告，每周通报。"
    )
    found = [(r.raw, r.every, r.months) for r in find_recurrences(text)]
    all_year = list(range(1, 13))
    assert found == [
        ("按月", "month", all_year),  # the second 按月 is the same duty and is not repeated
        ("按季度", "quarter", all_year),
        ("第二、三季度每月", "month", [4, 5, 6, 7, 8, 9]),
        ("夏季（6-9月）", "month", [6, 7, 8, 9]),
        ("每季度", "quarter", all_year),
        ("按年度", "year", all_year),
        ("每周", "week", all_year),
    ]


@pytest.mark.parametrize(
    "text", ["定期通报排名情况", "喷淋设施每日定时开启", "坚决杜绝冬季取暖散煤复烧", "及时公开"]
)
def test_words_without_a_period_are_not_recurrences(text: str) -> None:
    assert find_recurrences(text) == []


# --- user input: relative to the ``today`` passed in ---------------------------------------

TODAY = date(2023, 5, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-30", date(2023, 6, 30)),
        ("June 30", date(2023, 6, 30)),
        ("30 June 2023", date(2023, 6, 30)),
        ("2023年6月30日", date(2023, 6, 30)),
        ("6月30日", date(2023, 6, 30)),
        ("6月底", date(2023, 6, 30)),
        ("年底前", date(2023, 12, 31)),
        ("明天", TODAY + timedelta(days=1)),
        ("tomorrow", TODAY + timedelta(days=1)),
        ("3天后", TODAY + timedelta(days=3)),
        ("三天后", TODAY + timedelta(days=3)),
        ("两周后", TODAY + timedelta(days=14)),
        ("in 3 days", TODAY + timedelta(days=3)),
        ("  明天 ", TODAY + timedelta(days=1)),
    ],
)
def test_user_dates(text: str, expected: date) -> None:
    assert parse_user_date(text, TODAY) == expected


def test_user_dates_follow_the_given_today() -> None:
    later = date(2024, 2, 28)
    assert parse_user_date("明天", later) == date(2024, 2, 29)
    assert parse_user_date("6月30日", later) == date(2024, 6, 30)


def test_by_a_date_means_that_date_not_a_day_in_the_past() -> None:
    # dateparser alone reads 前 as "ago" and answers with a day in 2022.
    assert parse_user_date("9月30日前", TODAY) == date(2023, 9, 30)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "随便",
        "blah",
        "1999-01-01",
        "2031-01-01",
        "长期实施",
        "13月底",
        "6月31日",
        "2023-13-01",
        "2023-02-30",
    ],
)
def test_unreadable_or_implausible_user_dates_are_none(text: str) -> None:
    assert parse_user_date(text, TODAY) is None


@pytest.mark.parametrize("typed", ["-5天后", "－5天后", "+3天", "-1"])
def test_a_signed_relative_date_is_none_not_the_other_direction(typed: str) -> None:
    assert parse_user_date(typed, TODAY) is None
