"""The store's API, on an in-memory and on a file-backed store (the ``store`` fixture runs both).

Tests that check what survives a restart call ``reopen``: a file store is closed and opened again
from disk; an in-memory store stays as it is, so the same assertions hold for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.clock import TZ
from bot.models import Status
from bot.store import INVITE_ALPHABET, INVITE_LENGTH, InviteError, Store

Reopen = Callable[[Store], Store]

MAY_4 = datetime.combine(date(2023, 5, 4), time(9, 30), tzinfo=TZ)
WATER = "区水务局"
ECOLOGY = "区生态环境局"


@pytest.fixture
def reopen() -> Iterator[Reopen]:
    opened: list[Store] = []

    def reopen(store: Store) -> Store:
        if store.path is None:
            return store
        store.close()
        again = Store.open(store.path)
        opened.append(again)
        return again

    yield reopen
    for store in opened:
        store.close()


# progress


def test_recorded_progress_is_the_latest_and_in_history(store: Store, reopen: Reopen) -> None:
    first = store.record_progress(
        "2-1-1", WATER, Status.IN_PROGRESS, MAY_4, percent=40, note="方案已起草", user_id=7, chat_id=-100
    )
    second = store.record_progress(
        "2-1-1", WATER, Status.DONE, MAY_4 + timedelta(days=3), percent=100, evidence=["file-1", "file-2"]
    )
    other_unit = store.record_progress("2-1-1", ECOLOGY, Status.BLOCKED, MAY_4, note="资金未到位")
    assert first.seq < second.seq < other_unit.seq

    store = reopen(store)
    assert store.latest("2-1-1", WATER) == second
    assert store.latest("2-1-1", WATER).evidence == ["file-1", "file-2"]  # type: ignore[union-attr]
    assert store.latest_for_measure("2-1-1") == {WATER: second, ECOLOGY: other_unit}
    assert store.latest_all() == {("2-1-1", WATER): second, ("2-1-1", ECOLOGY): other_unit}
    assert store.history("2-1-1") == [first, second, other_unit]
    assert store.history("2-1-1", WATER) == [first, second]
    assert store.progress_count() == 3
    assert store.latest("2-1-1", "区交通局") is None
    assert store.history("9-9-9") == []


def test_times_come_back_in_shanghai_time(store: Store, reopen: Reopen) -> None:
    late_utc = datetime(2023, 5, 3, 17, 30, tzinfo=UTC)
    store.record_progress("1-1", WATER, Status.DONE, late_utc)
    store = reopen(store)
    entry = store.latest("1-1", WATER)
    assert entry is not None
    assert entry.at == late_utc
    assert entry.at.tzinfo is TZ
    assert entry.at.date() == date(2023, 5, 4)


def test_a_back_dated_report_joins_history_without_replacing_a_newer_status(
    store: Store, reopen: Reopen
) -> None:
    newer = store.record_progress("1-1", WATER, Status.DONE, MAY_4)
    older = store.record_progress("1-1", WATER, Status.IN_PROGRESS, MAY_4 - timedelta(days=10))
    store = reopen(store)
    assert store.latest("1-1", WATER) == newer
    assert store.history("1-1") == [newer, older]


def test_sequence_numbers_keep_increasing_after_a_restart(store: Store, reopen: Reopen) -> None:
    before = [store.record_progress(f"m{i}", WATER, Status.IN_PROGRESS, MAY_4).seq for i in range(3)]
    store = reopen(store)
    after = store.record_progress("m0", WATER, Status.DONE, MAY_4 + timedelta(hours=1)).seq
    assert after > max(before)
    assert store.progress_count() == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": datetime(2023, 5, 4, 9, 30)}, "timezone-aware"),  # a naive time: the bad input itself
        ({"percent": 101}, "between 0 and 100"),
        ({"percent": -1}, "between 0 and 100"),
        ({"status": "差不多了"}, "差不多了"),
        ({"measure": "  "}, "measure"),
        ({"unit": ""}, "unit"),
    ],
)
def test_bad_progress_is_refused_and_nothing_is_stored(
    store: Store, reopen: Reopen, change: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"measure": "1-1", "unit": WATER, "status": Status.DONE, "at": MAY_4}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        store.record_progress(**arguments)  # type: ignore[arg-type]
    store = reopen(store)
    assert store.progress_count() == 0
    assert store.latest_all() == {}


def test_finished_pairs_follow_the_latest_status(store: Store, reopen: Reopen) -> None:
    store.record_progress("1-1", WATER, Status.DONE, MAY_4)
    store.record_progress("1-1", ECOLOGY, Status.DONE, MAY_4)
    store.record_progress("1-1", ECOLOGY, Status.BLOCKED, MAY_4 + timedelta(days=1), note="返工")
    store.record_progress("1-2", WATER, Status.IN_PROGRESS, MAY_4)
    store = reopen(store)
    assert store.finished() == {("1-1", WATER)}


def test_status_may_be_given_as_the_text_users_type(store: Store) -> None:
    entry = store.record_progress("1-1", WATER, "受阻", MAY_4)  # type: ignore[arg-type]
    assert entry.status is Status.BLOCKED


# bindings


def test_units_accumulate_on_a_chat_and_survive_a_restart(store: Store, reopen: Reopen) -> None:
    store.bind_units(-1001, [WATER], title="水务群")
    store.bind_units(-1001, [ECOLOGY, WATER])
    store.bind_units(-1002, [ECOLOGY])
    store = reopen(store)
    binding = store.binding(-1001)
    assert binding is not None
    assert binding.units == [WATER, ECOLOGY]
    assert binding.title == "水务群"
    assert store.chats_for_unit(ECOLOGY) == [-1002, -1001]
    assert store.chats_for_unit("区交通局") == []
    assert [b.chat_id for b in store.bindings()] == [-1002, -1001]


def test_a_leader_chat(store: Store, reopen: Reopen) -> None:
    store.bind_leader(555, "张三", title="张副区长")
    store.bind_leader(556, "李四")
    store = reopen(store)
    assert store.chats_for_leader("张三") == [555]
    binding = store.binding(555)
    assert binding is not None and binding.leader == "张三" and binding.units == []


def test_unbinding_one_unit_keeps_the_rest_and_the_last_one_removes_the_chat(
    store: Store, reopen: Reopen
) -> None:
    store.bind_units(-1001, [WATER, ECOLOGY])
    remaining = store.unbind(-1001, WATER)
    assert remaining is not None and remaining.units == [ECOLOGY]
    store = reopen(store)
    assert store.chats_for_unit(WATER) == []
    assert store.unbind(-1001, ECOLOGY) is None
    store = reopen(store)
    assert store.binding(-1001) is None
    assert store.bindings() == []


def test_unbinding_everything_and_unknown_things(store: Store, reopen: Reopen) -> None:
    store.bind_units(-1001, [WATER])
    store.bind_leader(-1001, "张三")
    assert store.unbind(-1001, "区交通局") == store.binding(-1001)
    still_leader = store.unbind(-1001, WATER)
    assert still_leader is not None and still_leader.leader == "张三" and still_leader.units == []
    assert store.unbind(-1001) is None
    assert store.unbind(-9999) is None
    store = reopen(store)
    assert store.bindings() == []


def test_unbinding_several_units_at_once(store: Store, reopen: Reopen) -> None:
    store.bind_units(-1001, [WATER, ECOLOGY, "区交通局"])
    remaining = store.unbind_units(-1001, [WATER, "区交通局"])
    assert remaining is not None and remaining.units == [ECOLOGY]
    assert store.unbind_units(-1001, [ECOLOGY]) is None
    store = reopen(store)
    assert store.bindings() == []


def test_a_binding_moves_whole_to_a_new_chat(store: Store, reopen: Reopen) -> None:
    store.bind_units(-1001, [WATER], title="水务群")
    store.bind_leader(-1001, "张三")
    store.bind_units(-2002, [ECOLOGY])
    moved = store.move_binding(-1001, -2002)
    assert moved is not None and (moved.units, moved.leader, moved.title) == (
        [ECOLOGY, WATER],
        "张三",
        "水务群",
    )
    assert store.move_binding(-1001, -3003) is None  # nothing left to move
    store = reopen(store)
    assert store.binding(-1001) is None and store.binding(-2002) == moved


def test_binding_nothing_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        store.bind_units(-1001, [])
    with pytest.raises(ValueError, match="unit"):
        store.bind_units(-1001, [" "])
    assert store.binding(-1001) is None


def test_returned_bindings_do_not_share_lists_with_the_store(store: Store) -> None:
    store.bind_units(-1001, [WATER])
    binding = store.binding(-1001)
    assert binding is not None
    binding.units.append(ECOLOGY)
    assert store.binding(-1001).units == [WATER]  # type: ignore[union-attr]


# roles


def test_roles_are_granted_and_revoked(store: Store, reopen: Reopen) -> None:
    store.grant(42)
    store.grant(42)
    store.grant(43, "admin")
    store = reopen(store)
    assert store.has_role(42) and store.has_role(43)
    assert store.role_holders() == [42, 43]
    store.revoke(42)
    store.revoke(42)
    store.revoke(99)
    store = reopen(store)
    assert not store.has_role(42)
    assert store.role_holders() == [43]


def test_an_unknown_role_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        store.grant(42, "owner")  # type: ignore[arg-type]
    assert not store.has_role(42)


# invites


def test_an_invite_is_short_typeable_and_works_once(store: Store, reopen: Reopen) -> None:
    invite = store.create_invite(WATER, MAY_4, created_by=42)
    assert len(invite.code) == INVITE_LENGTH
    assert set(invite.code) <= set(INVITE_ALPHABET)
    assert not set(invite.code) & set("01OIL")
    assert invite.expires_at == MAY_4 + timedelta(days=7)

    typed = f" {invite.code[:4].lower()}-{invite.code[4:]} "
    used = store.redeem_invite(typed, -1001, MAY_4 + timedelta(hours=1))
    assert used.unit == WATER and used.used_by_chat == -1001
    assert store.binding(-1001) is None  # redeeming does not bind; the caller does

    store = reopen(store)
    with pytest.raises(InviteError) as raised:
        store.redeem_invite(invite.code, -1002, MAY_4 + timedelta(hours=2))
    assert raised.value.reason == "used"
    assert store.invite(invite.code) == used


def test_an_invite_expires(store: Store, reopen: Reopen) -> None:
    invite = store.create_invite(WATER, MAY_4, ttl=timedelta(hours=1))
    store = reopen(store)
    with pytest.raises(InviteError) as raised:
        store.redeem_invite(invite.code, -1001, MAY_4 + timedelta(hours=1))
    assert raised.value.reason == "expired"
    # an expired code stays unused: a late attempt does not consume it
    assert store.invite(invite.code).used_at is None  # type: ignore[union-attr]


def test_an_unknown_invite(store: Store) -> None:
    store.create_invite(WATER, MAY_4)
    with pytest.raises(InviteError) as raised:
        store.redeem_invite("ABCD2345", -1001, MAY_4)
    assert raised.value.reason == "unknown"
    assert "ABCD2345" in str(raised.value)


def test_invite_codes_are_distinct(store: Store, reopen: Reopen) -> None:
    codes = {store.create_invite(WATER, MAY_4).code for _ in range(100)}
    assert len(codes) == 100
    store = reopen(store)
    assert {invite.code for invite in store.invites()} == codes


def test_a_bad_invite_lifetime_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.create_invite(WATER, MAY_4, ttl=timedelta(0))
    assert store.invites() == []


# reminder ledger


def test_a_delivery_is_remembered_across_a_restart(store: Store, reopen: Reopen) -> None:
    day = date(2023, 5, 4)
    assert not store.was_sent(day, -1001, "unit:" + WATER)
    entry = store.mark_sent(day, -1001, "unit:" + WATER, MAY_4, message_ids=[11, 12])
    store = reopen(store)
    assert store.was_sent(day, -1001, "unit:" + WATER)
    assert not store.was_sent(day, -1001, "unit:" + ECOLOGY)
    assert not store.was_sent(day + timedelta(days=1), -1001, "unit:" + WATER)
    assert store.sent_on(day) == [entry]
    assert store.sent_on(day + timedelta(days=1)) == []


def test_marking_twice_keeps_the_first_delivery(store: Store, reopen: Reopen) -> None:
    day = date(2023, 5, 4)
    first = store.mark_sent(day, -1001, "leader:张三", MAY_4, message_ids=[1])
    again = store.mark_sent(day, -1001, "leader:张三", MAY_4 + timedelta(minutes=5), message_ids=[2])
    assert again == first
    store = reopen(store)
    assert store.sent_on(day) == [first]


def test_the_ledger_wants_a_day_not_a_moment(store: Store) -> None:
    with pytest.raises(TypeError, match="date"):
        store.mark_sent(MAY_4, -1001, "unit:" + WATER, MAY_4)
    assert store.sent_on(MAY_4.date()) == []


# meta


def test_meta_values_are_kept_and_replaced(store: Store, reopen: Reopen) -> None:
    assert store.get_meta("reminders.last_run") is None
    store.set_meta("reminders.last_run", "2023-05-04")
    store.set_meta("reminders.last_run", "2023-05-05")
    store.set_meta("other", "x")
    store = reopen(store)
    assert store.get_meta("reminders.last_run") == "2023-05-05"
    assert store.get_meta("other") == "x"


# transactions, compaction, backups


def test_a_failed_transaction_leaves_no_trace(store: Store, reopen: Reopen) -> None:
    kept = store.record_progress("1-1", WATER, Status.IN_PROGRESS, MAY_4)
    invite = store.create_invite(WATER, MAY_4)
    with pytest.raises(RuntimeError), store.transaction():
        store.redeem_invite(invite.code, -1001, MAY_4)
        store.bind_units(-1001, [WATER])
        store.record_progress("1-1", WATER, Status.DONE, MAY_4 + timedelta(days=1))
        raise RuntimeError("the chat vanished")
    # The store as it is, then as reopened (history is read from the file, so before closing it).
    for reopened in (False, True):
        current = reopen(store) if reopened else store
        assert current.binding(-1001) is None
        assert current.invite(invite.code).used_at is None  # type: ignore[union-attr]
        assert current.latest("1-1", WATER) == kept
        assert current.history("1-1") == [kept]
        assert current.progress_count() == 1
    store = current
    nxt = store.record_progress("1-1", WATER, Status.DONE, MAY_4 + timedelta(days=2))
    assert nxt.seq > kept.seq


def test_a_transaction_saves_everything_together(store: Store, reopen: Reopen) -> None:
    invite = store.create_invite(WATER, MAY_4)
    with store.transaction():
        store.redeem_invite(invite.code, -1001, MAY_4)
        store.bind_units(-1001, [invite.unit])
    store = reopen(store)
    assert store.chats_for_unit(WATER) == [-1001]
    assert store.invite(invite.code).used_by_chat == -1001  # type: ignore[union-attr]


def fill(store: Store) -> None:
    for i in range(30):
        store.record_progress(f"m{i % 4}", WATER, Status.IN_PROGRESS, MAY_4 + timedelta(hours=i), percent=i)
        store.set_meta("counter", str(i))
    store.bind_units(-1001, [WATER, ECOLOGY])
    store.grant(42)
    store.mark_sent(date(2023, 5, 4), -1001, "unit:" + WATER, MAY_4)
    store.create_invite(ECOLOGY, MAY_4)


def state(store: Store) -> tuple[object, ...]:
    return (
        store.latest_all(),
        [store.history(f"m{i}") for i in range(4)],
        store.progress_count(),
        store.get_meta("counter"),
        store.bindings(),
        store.role_holders(),
        store.sent_on(date(2023, 5, 4)),
        store.invites(),
    )


def test_compaction_keeps_everything(store: Store, reopen: Reopen) -> None:
    fill(store)
    before = state(store)
    size = store.file_size
    store.compact()
    if store.path is not None:
        assert store.file_size < size  # thirty overwritten meta values collapse into one
    store = reopen(store)
    assert state(store) == before
    latest = store.record_progress("m0", ECOLOGY, Status.DONE, MAY_4)
    store = reopen(store)
    assert store.history("m0")[-1] == latest
    assert store.progress_count() == 31


def test_a_backup_opens_as_the_same_database(store: Store, tmp_path_factory: pytest.TempPathFactory) -> None:
    fill(store)
    target = tmp_path_factory.mktemp("backup") / "nested" / "copy.db"
    store.backup(target)
    with Store.open(target) as copy:
        assert state(copy) == state(store)


def test_each_item_keeps_its_own_latest_report(store: Store, reopen: Reopen) -> None:
    whole = store.record_progress("3-6-4", WATER, Status.IN_PROGRESS, MAY_4)
    milestone = store.record_progress(
        "3-6-4", WATER, Status.DONE, MAY_4 + timedelta(days=1), item="2023-06-30"
    )
    older = store.record_progress(
        "3-6-4", WATER, Status.IN_PROGRESS, MAY_4 - timedelta(days=1), item="2023-06-30"
    )

    store = reopen(store)
    assert store.latest_items() == {
        ("3-6-4", WATER, None): whole,
        ("3-6-4", WATER, "2023-06-30"): milestone,
    }
    # The unit's latest word on the measure is its latest report, whatever item it was about.
    assert store.latest("3-6-4", WATER) == milestone
    assert store.latest_all() == {("3-6-4", WATER): milestone}
    assert store.history("3-6-4", WATER) == [whole, milestone, older]
    assert [entry.item for entry in store.history("3-6-4")] == [None, "2023-06-30", "2023-06-30"]


def test_a_blank_item_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="item"):
        store.record_progress("3-6-4", WATER, Status.DONE, MAY_4, item=" ")
    assert store.progress_count() == 0
