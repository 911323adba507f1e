"""Marking a pressed entry in its digest message (pure text): the mark ends the entry's block,
a later mark replaces it, and a message without the entry or without room is left alone."""

from __future__ import annotations

from bot.digest import mark_recorded

DIGEST = (
    "📋 区水务局 · 6月27日 工作提醒（2 项）\n\n"
    "🟡 <b>3-6-4</b> 强化生活污染治理\n   6月30日到期\n\n"
    "🔴 <b>2-63-1</b> 噪声\n   已逾期 3 天\n\n"
    "点下方按钮更新状态"
)


def test_the_mark_ends_its_entry_and_replaces_an_earlier_one() -> None:
    marked = mark_recorded(DIGEST, "3-6-4", "✅ 已记录 进行中 · 周 · 09:00")
    assert marked is not None
    assert "6月30日到期\n✅ 已记录 进行中 · 周 · 09:00\n\n🔴 <b>2-63-1</b>" in marked
    again = mark_recorded(marked, "3-6-4", "✅ 已记录 已完成 · 周 · 09:05")
    assert again is not None and again.count("✅ 已记录") == 1 and "已完成 · 周 · 09:05" in again
    both = mark_recorded(again, "2-63-1", "✅ 已记录 受阻 · 钱 · 09:06")
    assert both is not None and both.endswith("✅ 已记录 受阻 · 钱 · 09:06\n\n点下方按钮更新状态")


def test_no_entry_or_no_room_leaves_the_message_alone() -> None:
    assert mark_recorded(DIGEST, "1-1-1", "✅ 已记录 已完成 · 周 · 09:00") is None
    assert mark_recorded(DIGEST + "啊" * 4090, "3-6-4", "✅ 已记录 已完成 · 周 · 09:00") is None
