"""Digest text, pure: what an item says, and how a long digest is laid out on messages.

Runs on the shipped plan and directory with progress entries built in the test; the same text
going out over Telegram is checked in test_bot_reminders.py.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time

import pytest

from bot import paths
from bot.assignments import unit_roles
from bot.clock import TZ
from bot.digest import MAX_ITEMS_PER_MESSAGE, DigestRenderer, item_key
from bot.directory import Directory
from bot.models import Plan, ProgressEntry, Status
from bot.render import TELEGRAM_LIMIT, telegram_length
from schedules.calendar import WorkCalendar
from schedules.policy import Digest, DigestItem, Recipient, digests_for_day

PLAN = Plan.load(paths.PLAN)
DIRECTORY = Directory.load(paths.UNITS)
CALENDAR = WorkCalendar()
ECOLOGY = "区生态环境局"
WATER = "区水务局"
ITEM_LINE = re.compile(r"^[🟢🟡🔴] <b>(?P<measure>[\d-]+)</b>", re.MULTILINE)


def entry(measure: str, unit: str, status: Status, day: date, seq: int = 1) -> ProgressEntry:
    return ProgressEntry(
        seq=seq,
        measure=measure,
        unit=unit,
        status=status,
        at=datetime.combine(day, time(10), tzinfo=TZ),
        source="cli",
    )


def digest_of(day: date, key: str, latest: dict[tuple[str, str], ProgressEntry] | None = None) -> Digest:
    found = digests_for_day(PLAN, DIRECTORY, latest or {}, CALENDAR, day)
    return next(d for d in found if d.recipient.key == key)


def only_text(digest: Digest, latest: dict[tuple[str, str], ProgressEntry] | None = None) -> str:
    [part] = DigestRenderer(PLAN, DIRECTORY, latest or {}).parts(digest)
    return part.text


def test_the_due_day_says_today_and_a_due_date_on_a_day_off_names_the_date() -> None:
    on_the_day = only_text(digest_of(date(2023, 6, 30), f"unit:{ECOLOGY}"))
    assert "🟡 <b>2-63-1</b> 加强噪声污染治理\n   今天到期（6月30日）" in on_the_day
    # 9月底前 is Saturday 30 September, in the National Day break: reminded on Thursday the 28th.
    ahead = only_text(digest_of(date(2023, 9, 28), f"unit:{WATER}"))
    assert "<b>3-3-1</b> 加强饮用水保护\n   9月30日到期（休息日）· 今天是到期前最后一个工作日" in ahead
    assert "今天到期" not in ahead


def test_dates_show_the_year_only_outside_the_digests_year() -> None:
    items = [DigestItem(measure="2-63-1", reason="overdue", due=date(2023, 6, 30), role="lead")]
    text = only_text(Digest(date(2024, 1, 2), Recipient("unit", ECOLOGY), items))
    assert text.startswith("📋 <b>区生态环境局</b> · 1月2日 工作提醒（1 项）")
    assert "   2023年6月30日到期 · 已逾期 186 天" in text
    same_year = only_text(Digest(date(2023, 7, 3), Recipient("unit", ECOLOGY), items))
    assert "   6月30日到期 · 已逾期 3 天" in same_year


def test_a_leaders_item_names_the_lead_units_still_owing_their_part() -> None:
    # 3-6-4's 6月底 milestone has four lead units; 区水务局 has done its part, one is blocked.
    latest = {
        ("3-6-4", WATER): entry("3-6-4", WATER, Status.DONE, date(2023, 6, 29)),
        ("3-6-4", ECOLOGY): entry("3-6-4", ECOLOGY, Status.BLOCKED, date(2023, 6, 29), seq=2),
    }
    text = only_text(digest_of(date(2023, 7, 3), "leader:倪德才", latest), latest)
    block = next(b for b in text.split("\n\n") if "<b>3-6-4</b>" in b)
    assert block.startswith("🔴 <b>3-6-4</b>")
    assert block.endswith(
        "   牵头：区发展改革委、市规划自然资源委通州分局、区生态环境局（已完成：区水务局）"
        "\n   ⛔ 受阻：区生态环境局"
    )


@pytest.mark.parametrize(
    ("status", "light"),
    # Silent since the plan came out on 20 March, but first reminded today: not stalled, so green.
    [(None, "🟢"), (Status.IN_PROGRESS, "🟢"), (Status.BLOCKED, "🟡"), (Status.NOT_STARTED, "🟢")],
)
def test_a_units_light_follows_its_own_latest_report(status: Status | None, light: str) -> None:
    # 2-63-1 (6月底) on its 30-day rung: far enough ahead to be on track if reported today.
    day = date(2023, 5, 31)
    latest = {} if status is None else {("2-63-1", ECOLOGY): entry("2-63-1", ECOLOGY, status, day)}
    text = only_text(digest_of(day, f"unit:{ECOLOGY}", latest), latest)
    assert f"{light} <b>2-63-1</b>" in text


def test_user_visible_names_are_escaped() -> None:
    items = [DigestItem(measure="2-63-1", reason="checkin", due=None, role="co")]
    text = only_text(Digest(date(2023, 7, 3), Recipient("unit", "A&B<街道>"), items))
    assert "<b>A&amp;B&lt;街道&gt;</b>" in text and "〔协办〕" in text


def all_overdue(unit: str, day: date) -> Digest:
    items = [
        DigestItem(measure=m.id, reason="overdue", due=d.due, role=unit_roles(m, DIRECTORY)[unit])
        for m in PLAN.measures
        if unit in unit_roles(m, DIRECTORY)
        for d in m.dated_items()
    ]
    return Digest(day, Recipient("unit", unit), items)


def test_a_long_digest_splits_within_telegrams_limits_and_lists_every_item_once() -> None:
    digest = all_overdue(ECOLOGY, date(2024, 1, 2))
    parts = DigestRenderer(PLAN, DIRECTORY, {}).parts(digest)
    assert len(parts) >= 3
    for number, part in enumerate(parts, start=1):
        assert telegram_length(part.text) <= TELEGRAM_LIMIT
        assert len(part.items) <= MAX_ITEMS_PER_MESSAGE
        assert part.text.startswith(
            f"📋 <b>区生态环境局</b> · 1月2日 工作提醒（{len(digest.items)} 项）（{number}/{len(parts)}）"
        )
        assert [m["measure"] for m in ITEM_LINE.finditer(part.text)] == [i.measure for i in part.items]
        assert ("点下方按钮" in part.text) == (number == len(parts))
    assert [item for part in parts for item in part.items] == digest.items


def test_a_leaders_digest_is_split_by_length_alone() -> None:
    # Leaders get no buttons, so only the 4096 limit splits their messages.
    items = [
        DigestItem(measure=m.id, reason="overdue", due=d.due, role="leader")
        for m in PLAN.measures
        for d in m.dated_items()
    ]
    parts = DigestRenderer(PLAN, DIRECTORY, {}).parts(
        Digest(date(2024, 1, 2), Recipient("leader", "倪德才"), items)
    )
    assert len(parts) > 1 and max(len(p.items) for p in parts) > MAX_ITEMS_PER_MESSAGE
    assert all(telegram_length(p.text) <= TELEGRAM_LIMIT for p in parts)
    assert Counter(i for p in parts for i in p.items) == Counter(items)


def test_a_resumed_digest_numbers_on_and_leaves_out_what_was_delivered() -> None:
    digest = all_overdue(ECOLOGY, date(2024, 1, 2))
    renderer = DigestRenderer(PLAN, DIRECTORY, {})
    first, *_ = renderer.parts(digest)
    delivered = {item_key(item) for item in first.items}
    rest = renderer.parts(digest, delivered=delivered, parts_before=1)
    assert [i for p in rest for i in p.items] == [i for i in digest.items if item_key(i) not in delivered]
    total = 1 + len(rest)
    assert [p.text.splitlines()[0][-len(f"（{n}/{total}）") :] for n, p in enumerate(rest, start=2)] == [
        f"（{n}/{total}）" for n in range(2, total + 1)
    ]
    assert renderer.parts(digest, delivered={item_key(i) for i in digest.items}) == []


def test_a_one_measure_message_suggests_a_reply_without_the_id() -> None:
    items = [DigestItem(measure="2-63-1", reason="checkin", due=None, role="lead")]
    text = only_text(Digest(date(2023, 7, 3), Recipient("unit", ECOLOGY), items))
    assert text.endswith("如：<code>进行中 60%</code>")
    two = [*items, DigestItem(measure="3-6-4", reason="checkin", due=None, role="lead")]
    assert only_text(Digest(date(2023, 7, 3), Recipient("unit", ECOLOGY), two)).endswith(
        "如：<code>2-63-1 已完成 情况说明</code>"
    )


def test_a_measure_due_twice_in_a_day_is_one_entry_and_counted_once() -> None:
    # 1 June: 2-21-1's window opens and its summer check-in is due; one entry says both.
    digest = digest_of(date(2023, 6, 1), f"unit:{ECOLOGY}")
    parts = DigestRenderer(PLAN, DIRECTORY, {}).parts(digest)
    text = "\n\n".join(part.text for part in parts)
    assert (
        "<b>2-21-1</b> 促进油品储运环节减排\n"
        "   本时段开始，9月30日前完成 · 还有 121 天\n"
        "   请报送本期进展 · 夏季（6-9月）"
    ) in text
    listed = [m["measure"] for m in ITEM_LINE.finditer(text)]
    grouped = [item.measure for part in parts for item in part.grouped]
    assert listed.count("2-21-1") == 1 and "2-21-1" not in grouped
    assert len(listed) + len(grouped) == len(set(listed + grouped))
    # The title counts entries, each with its own button row or in a compact group.
    assert f"工作提醒（{len(listed) + len(grouped)} 项）" in parts[0].text
    assert sum(len(part.measures) for part in parts) == len(listed)


def test_an_overdue_milestone_entry_also_asks_for_the_check_in() -> None:
    text = "\n\n".join(
        p.text
        for p in DigestRenderer(PLAN, DIRECTORY, {}).parts(digest_of(date(2023, 10, 7), f"unit:{WATER}"))
    )
    block = next(b for b in text.split("\n\n") if "<b>3-3-1</b>" in b)
    assert block.splitlines()[1:] == [
        "   9月30日到期 · 已逾期 7 天",
        "   节点：9月底前制定出台本区重要饮用水水源地名录",
        "   请报送本期进展 · 长期实施",
    ]


def test_an_overdue_span_over_a_holiday_also_counts_its_workdays() -> None:
    # Due Saturday 30 September; 10-01..10-06 is the National Day break, 10-07 a make-up workday.
    digest = digest_of(date(2023, 10, 7), f"unit:{WATER}")
    text = "\n\n".join(p.text for p in DigestRenderer(PLAN, DIRECTORY, {}, CALENDAR).parts(digest))
    block = next(b for b in text.split("\n\n") if "<b>3-3-1</b>" in b)
    assert block.splitlines()[1] == "   9月30日到期 · 已逾期 7 天（其中工作日 1 天）"
    # A weekend inside the span counts too: Friday's item is 3 days late on Monday, 1 of them a workday.
    later = digest_of(date(2023, 7, 3), f"unit:{ECOLOGY}")
    plain = "\n\n".join(p.text for p in DigestRenderer(PLAN, DIRECTORY, {}, CALENDAR).parts(later))
    assert "6月30日到期 · 已逾期 3 天（其中工作日 1 天）" in plain


def test_a_check_in_from_a_recurrence_shows_its_words_not_the_deadline() -> None:
    text = "\n\n".join(
        p.text
        for p in DigestRenderer(PLAN, DIRECTORY, {}).parts(digest_of(date(2023, 7, 3), f"unit:{WATER}"))
    )
    block = next(b for b in text.split("\n\n") if "<b>2-14-1</b>" in b)
    assert block.splitlines()[1] == "   请报送本期进展 · 按季度"
    assert "年底前" not in block


# A date runs into the Chinese after it: 9月30日到期, 9月30日前完成.
SPACE_AFTER_DATE = re.compile(r"\d日 (?!·)")


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2023, 5, 31), f"unit:{ECOLOGY}"),  # upcoming
        (date(2023, 6, 1), f"unit:{ECOLOGY}"),  # window start, check-ins
        (date(2023, 6, 30), f"unit:{ECOLOGY}"),  # due
        (date(2023, 9, 28), f"unit:{WATER}"),  # due on a day off
        (date(2023, 10, 7), f"unit:{WATER}"),  # overdue
        (date(2023, 10, 7), "leader:秦涛"),  # escalation
    ],
)
def test_no_space_between_a_date_and_the_words_after_it(day: date, key: str) -> None:
    parts = DigestRenderer(PLAN, DIRECTORY, {}).parts(digest_of(day, key))
    for part in parts:
        body = part.text.split("\n", 1)[1]  # the title's date is followed by 工作提醒 by design
        assert not SPACE_AFTER_DATE.search(body), SPACE_AFTER_DATE.findall(body)


def test_a_window_ends_with_a_notice_asking_for_its_summary() -> None:
    # 2-21-1 (6月-9月): its last workday before the National Day break is Thursday 28 September.
    text = only_text(digest_of(date(2023, 9, 28), "unit:区商务局"))
    assert "<b>2-21-1</b>" in text and "本时段9月30日结束，请报送本时段工作总结" in text
    assert "逾期" not in text


def test_a_co_units_entry_says_its_role_in_the_annexs_words() -> None:
    # 3-3-1 is in annex 3, whose table says 责任单位 for what annex 2 calls 协办单位.
    text = only_text(digest_of(date(2023, 9, 28), "unit:台湖镇"))
    assert "<b>3-3-1</b> 加强饮用水保护〔责任〕" in text and "〔协办〕" not in text


def item_entry(measure: str, unit: str, status: Status, day: date, item: str, seq: int) -> ProgressEntry:
    return entry(measure, unit, status, day, seq).model_copy(update={"item": item})


def test_a_leaders_line_names_the_lead_units_done_with_the_escalated_item() -> None:
    # Three of 3-6-4's four lead units closed its 6月底 milestone; on Monday 3 July the leaders hear
    # that it waits on 区生态环境局.
    latest = {
        (unit, "2023-06-30"): item_entry("3-6-4", unit, Status.DONE, date(2023, 6, 29), "2023-06-30", n)
        for n, unit in enumerate(("区发展改革委", "市规划自然资源委通州分局", WATER), start=1)
    }
    digest = digests_for_day(PLAN, DIRECTORY, latest, CALENDAR, date(2023, 7, 3))
    leader = next(d for d in digest if d.recipient.key == "leader:秦涛")
    text = "\n\n".join(part.text for part in DigestRenderer(PLAN, DIRECTORY, latest).parts(leader))
    block = text[text.index("<b>3-6-4</b>") :].split("\n\n")[0]
    assert "区生态环境局" in block.split("（已完成")[0] and "区水务局" in block.split("（已完成")[1]


def test_a_unit_that_finished_a_milestone_still_owes_its_check_in_and_is_not_green() -> None:
    latest = {("3-3-1", WATER): item_entry("3-3-1", WATER, Status.DONE, date(2023, 9, 27), "2023-09-30", 1)}
    text = "\n\n".join(
        part.text
        for part in DigestRenderer(PLAN, DIRECTORY, latest).parts(
            digest_of(date(2023, 11, 1), f"unit:{WATER}", latest)
        )
    )
    # Its lone check-in is in the compact group of check-ins, marked as its light says.
    assert "🟡3-3-1 " in text or "🟡 <b>3-3-1</b>" in text


@pytest.mark.parametrize("day", [date(2023, 7, 3), date(2023, 12, 1)])
@pytest.mark.parametrize("unit", [WATER, ECOLOGY])
def test_a_first_workday_digest_with_the_monthly_section_fits_two_messages(day: date, unit: str) -> None:
    # Issue 10: 1 December brings the 30-day reminder of every 年底前 measure at once (120 entries
    # for 区生态环境局), 3 July every standing duty's check-in and the 月调度. Compact groups keep
    # each within two messages, and nothing due or overdue loses its own lines and buttons.
    digests = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day, include_overdue=True, monthly=True)
    [digest] = [d for d in digests if d.recipient == Recipient("unit", unit)]
    parts = DigestRenderer(PLAN, DIRECTORY, {}, CALENDAR).parts(digest)
    assert 1 <= len(parts) <= 2
    for part in parts:
        assert telegram_length(part.text) <= TELEGRAM_LIMIT
        rows = len(part.entries) + len(part.groups) + (1 if part.monthly else 0)
        assert rows * 3 <= 100
    delivered = [item for part in parts for item in (*part.items, *part.grouped)]
    assert Counter(map(item_key, delivered)) == Counter(map(item_key, digest.items))
    assert sum(len(part.monthly) for part in parts) == len(digest.monthly)
    own = {item.measure for part in parts for item in part.items}
    pressing = {item.measure for item in digest.items if item.reason in ("overdue", "due")}
    assert pressing and pressing <= own
    text = "\n\n".join(part.text for part in parts)
    assert all(f"<b>{measure}</b>" in text for measure in pressing)
    assert all(re.search(rf"(?<![\d-]){re.escape(item.measure)}(?![\d-])", text) for item in digest.items)


def test_a_few_alike_entries_keep_their_own_lines() -> None:
    # Fewer than five check-ins of one kind are not worth a group: 2-14-1's 按季度 keeps its entry.
    parts = DigestRenderer(PLAN, DIRECTORY, {}).parts(digest_of(date(2023, 7, 3), f"unit:{WATER}"))
    text = "\n\n".join(part.text for part in parts)
    assert "<b>2-14-1</b>" in text and "📝 请报送本期进展 · 长期实施（" in text


def test_a_unit_asked_only_for_its_monthly_progress_gets_a_digest_titled_so() -> None:
    # Tuesday 1 August: 区发展改革委 has nothing due, but 32 items it has not reported on.
    digests = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, date(2023, 8, 1), monthly=True)
    [digest] = [d for d in digests if d.recipient == Recipient("unit", "区发展改革委")]
    assert not digest.items and digest.monthly
    [part] = DigestRenderer(PLAN, DIRECTORY, {}, CALENDAR).parts(digest)
    assert part.text.startswith("📋 <b>区发展改革委</b> · 8月1日 月调度\n")
    assert "（0 项）" not in part.text and part.monthly == digest.monthly
