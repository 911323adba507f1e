"""Binding chats, as conversations with the real bot over HTTP: admins by name, contacts by invite code."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from telegram import Chat, Message, Update

from bot import texts
from bot.sandbox.botapi import BotApiServer, FakeChat, FakeUser
from bot.store import Store
from handlers.help import COMMANDS
from tests.bot_harness import Bot, running_bot

DAY = date(2023, 6, 27)


@pytest.fixture
async def bot(fake_api: BotApiServer, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_api, tmp_path / "bot.db", DAY) as running:
        yield running


def text_of(messages: list[dict[str, object]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


def crash_before_last_write(db: Path) -> None:
    """The database as if the process had died while appending its last write (the journal's
    last line): each write is all or nothing, so what remains is the state before it."""
    lines = db.read_bytes().splitlines(keepends=True)
    db.write_bytes(b"".join(lines[:-1]))


async def test_admin_binds_a_group_by_name_and_alias(bot: Bot) -> None:
    group = bot.api.group(-201, "水务局工作群")
    answer = text_of(await bot.says(group, bot.admin, "/bind 区水务局"))
    assert "已绑定：区水务局" in answer
    # Several units at once, the Chinese way, with an alias and a stray space among them.
    answer = text_of(await bot.says(group, bot.admin, "/bind 生态环境局、区 交通局"))
    assert "区水务局、区生态环境局、区交通局" in answer
    binding = bot.services.store.binding(group.id)
    assert binding is not None and binding.units == ["区水务局", "区生态环境局", "区交通局"]
    assert binding.title == "水务局工作群"


async def test_near_miss_gets_did_you_mean_and_binds_nothing(bot: Bot) -> None:
    group = bot.api.group(-202, "某群")
    answer = text_of(await bot.says(group, bot.admin, "/bind 区水物局"))
    assert "未找到单位“区水物局”" in answer and "您是不是要找" in answer and "区水务局" in answer
    answer = text_of(await bot.says(group, bot.admin, "/bind 各街道乡镇"))
    assert "单位组" in answer and "宋庄镇" in answer
    assert bot.services.store.binding(group.id) is None


async def test_a_leader_given_to_bind_or_a_unit_to_bindleader_is_told_the_right_command(bot: Bot) -> None:
    group = bot.api.group(-203, "新群")
    said = await bot.says(group, bot.admin, "/bind 倪德才")
    assert text_of(said) == "“倪德才”是领导：领导群请发送 /bindleader 倪德才。"
    said = await bot.says(group, bot.admin, "/bindleader 通州区水务局")
    assert text_of(said) == "“区水务局”是单位：单位工作群请发送 /bind 区水务局。"
    assert bot.services.store.binding(group.id) is None


async def test_only_admins_bind_by_name(bot: Bot) -> None:
    group = bot.api.group(-203, "水务局工作群")
    contact = bot.api.user(301, "张三")
    answer = text_of(await bot.says(group, contact, "/bind 区水务局"))
    assert "只有管理员" in answer and "邀请码" in answer
    # Every admin command gets the same answer, /bindings included.
    for command in ("bindleader 倪德才", "unbind", "invite 区水务局", "bindings"):
        answer = text_of(await bot.says(group, contact, f"/{command}"))
        assert answer == texts.BOT_ADMIN_ONLY.format(command=command.split()[0]), command
    assert bot.services.store.binding(group.id) is None


async def test_invite_code_binds_the_contacts_own_group_once(bot: Bot) -> None:
    admin_chat = bot.api.private(bot.admin)
    answer = text_of(await bot.says(admin_chat, bot.admin, "/invite 区水务局"))
    code = re.search(r"邀请码：(\w+)", answer)
    assert code is not None, answer
    assert f"https://t.me/tongzhou_plan_bot?start={code[1]}" in answer
    assert f"startgroup={code[1]}" in answer
    expires = (DAY + timedelta(days=7)).isoformat()
    assert expires in answer

    group = bot.api.group(-204, "水务局工作群")
    contact = bot.api.user(302, "李四")
    answer = text_of(await bot.says(group, contact, f"/bind {code[1].lower()}"))
    assert "已绑定：区水务局" in answer
    binding = bot.services.store.binding(group.id)
    assert binding is not None and binding.units == ["区水务局"]

    other = bot.api.group(-205, "别的群")
    answer = text_of(await bot.says(other, contact, f"/bind {code[1]}"))
    assert "已经使用过" in answer
    assert bot.services.store.binding(other.id) is None


async def test_expired_and_unknown_codes_are_refused(bot: Bot) -> None:
    admin_chat = bot.api.private(bot.admin)
    answer = text_of(await bot.says(admin_chat, bot.admin, "/invite 区水务局"))
    code = re.search(r"邀请码：(\w+)", answer)
    assert code is not None
    bot.clock.advance(days=8)
    contact = bot.api.user(303, "王五")
    private = bot.api.private(contact)
    assert "已过期" in text_of(await bot.says(private, contact, f"/start {code[1]}"))
    assert "不存在" in text_of(await bot.says(private, contact, "/start ABCDEFGH"))
    assert bot.services.store.binding(private.id) is None


async def test_deep_link_start_binds_a_private_chat(bot: Bot) -> None:
    code = bot.services.store.create_invite("宋庄镇", bot.clock.now()).code
    contact = bot.api.user(304, "赵六")
    private = bot.api.private(contact)
    answer = text_of(await bot.says(private, contact, f"/start {code}"))
    assert "已绑定：宋庄镇" in answer
    # The private chat can now report for 宋庄镇, a co unit of 2-63-1 through 各街道乡镇.
    answer = text_of(await bot.says(private, contact, "2-63-1 进行中 已完成点位排查"))
    assert "已记录 2-63-1 宋庄镇：进行中" in answer


async def test_leader_binding_unbinding_and_listing(bot: Bot) -> None:
    leaders = bot.api.group(-206, "领导群")
    answer = text_of(await bot.says(leaders, bot.admin, "/bindleader 倪 德才"))
    assert "倪德才 的领导群" in answer
    answer = text_of(await bot.says(leaders, bot.admin, "/bindleader 倪德"))
    assert "未找到领导" in answer and "倪德才" in answer

    group = bot.api.group(-207, "联合群")
    await bot.says(group, bot.admin, "/bind 区水务局 区交通局")
    answer = text_of(await bot.says(group, bot.admin, "/unbind 区交通局"))
    assert "已为本群解除 区交通局" in answer and "单位 区水务局" in answer
    answer = text_of(await bot.says(group, bot.admin, "/unbind 区财政局"))
    assert "本群没有绑定 区财政局" in answer

    listing = text_of(await bot.says(bot.api.private(bot.admin), bot.admin, "/bindings"))
    assert "领导群（-206）：领导 倪德才" in listing
    assert "联合群（-207）：单位 区水务局" in listing
    contact = bot.api.user(305, "钱七")
    assert text_of(await bot.says(group, contact, "/bindings")) == (
        "只有管理员可以使用 /bindings。\n本聊天绑定：单位 区水务局"
    )

    [question] = await bot.says(group, bot.admin, "/unbind")  # everything: it asks first
    assert question["text"] == "将解除本群的全部绑定（单位 区水务局），解除后本群不再收到提醒。确定要解除吗？"
    yes, cancel = question["reply_markup"]["inline_keyboard"][0]
    assert (yes["text"], cancel["text"]) == ("确定解除", "取消")
    await bot.presses(group, contact, question["message_id"], yes["callback_data"])  # not an admin
    assert bot.services.store.binding(group.id) is not None
    await bot.presses(group, bot.admin, question["message_id"], yes["callback_data"])
    assert "解除全部绑定" in bot.api.message(group, question["message_id"])["text"]
    assert bot.services.store.binding(group.id) is None
    assert text_of(await bot.says(group, contact, "/bindings")) == "只有管理员可以使用 /bindings。"


async def test_user_text_is_escaped_when_echoed(bot: Bot) -> None:
    group = bot.api.group(-208, "某群")
    answer = text_of(await bot.says(group, bot.admin, "/bind <b>区水务局</b>"))
    # The fake server parses HTML like Telegram: had the bot not escaped it, the tags would vanish.
    assert "<b>区水务局</b>" in answer
    assert not bot.api.errors


async def test_help_lists_what_this_chat_can_do(bot: Bot) -> None:
    contact = bot.api.user(306, "孙八")
    unbound = bot.api.group(-209, "新群")
    answer = text_of(await bot.says(unbound, contact, "/help"))
    assert "尚未绑定" in answer and "/bind 邀请码" in answer
    assert "/report" not in answer and "/overdue" not in answer and "/invite" not in answer

    unit_group = bot.api.group(-210, "水务局工作群")
    bot.bind(unit_group, "区水务局")
    answer = text_of(await bot.says(unit_group, contact, "/help"))
    assert "本聊天绑定的单位：区水务局" in answer
    assert "/report" in answer and "/mytasks" in answer and "/overdue" in answer
    assert "回复提醒消息" in answer and "/invite" not in answer
    assert "多个单位" not in answer and "状态前写上单位名称" not in answer

    joint_group = bot.api.group(-222, "联合工作群")
    bot.bind(joint_group, "区水务局", "区生态环境局")
    answer = text_of(await bot.says(joint_group, contact, "/help"))
    assert "本聊天绑定了多个单位" in answer and "3-6-4 区水务局 已完成" in answer
    assert "3-6-4 区水务局 现场照片" in answer

    leader_group = bot.api.group(-211, "领导群")
    bot.bind(leader_group, leader="倪德才")
    answer = text_of(await bot.says(leader_group, contact, "/start"))
    assert "工作提醒助手" in answer and "本聊天绑定的领导：倪德才" in answer
    assert "/overdue" in answer and "/summary" in answer and "/report" not in answer

    answer = text_of(await bot.says(leader_group, bot.admin, "/help"))
    assert "管理员命令" in answer and "/invite" in answer and "/bindleader" in answer


async def test_menu_commands_have_chinese_descriptions(bot: Bot) -> None:
    menu = {c["command"]: c["description"] for c in bot.api.commands()}
    assert {"help", "report", "overdue", "status"} <= set(menu)
    assert "invite" not in menu  # admin commands are in the admins' own menu
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in menu.values())


async def test_a_binding_follows_the_group_when_it_becomes_a_supergroup(bot: Bot) -> None:
    old = bot.api.group(-212, "水务局工作群")
    bot.bind(old, "区水务局")
    # Telegram announces the upgrade with a service message carrying the new id.
    migrated = Message(
        message_id=99,
        date=bot.clock.now(),
        chat=Chat(id=old.id, type=Chat.GROUP, title="水务局工作群"),
        migrate_to_chat_id=-1001234,
    )
    await bot.app.process_update(Update(update_id=1, message=migrated))
    assert bot.services.store.binding(old.id) is None
    moved = bot.services.store.binding(-1001234)
    assert moved is not None and moved.units == ["区水务局"] and moved.title == "水务局工作群"


async def test_bindleader_says_when_it_replaces_the_leader(bot: Bot) -> None:
    leaders = bot.api.group(-213, "领导群")
    assert "倪德才 的领导群" in text_of(await bot.says(leaders, bot.admin, "/bindleader 倪德才"))
    answer = text_of(await bot.says(leaders, bot.admin, "/bindleader 秦涛"))
    assert "本群的领导已由 倪德才 改为 秦涛" in answer
    assert "已经是 秦涛 的领导群" in text_of(await bot.says(leaders, bot.admin, "/bindleader 秦涛"))
    binding = bot.services.store.binding(leaders.id)
    assert binding is not None and binding.leader == "秦涛"


def listed_commands(help_text: str) -> list[str]:
    return [name for name in COMMANDS if f"/{name} — " in help_text]


REFUSALS = (texts.LV_REFUSED_UNBOUND, texts.BOT_REFUSE_NOT_BOUND, "只有管理员")
FILE_COMMANDS = {"export", "chart"}


async def test_help_lists_exactly_what_works_in_this_chat(bot: Bot) -> None:
    contact = bot.api.user(307, "周九")
    unit_chat = bot.api.group(-214, "水务局工作群")
    bot.bind(unit_chat, "区水务局")
    leader_chat = bot.api.group(-215, "领导群")
    bot.bind(leader_chat, leader="倪德才")
    chats: list[tuple[FakeChat, FakeUser, set[str]]] = [
        (unit_chat, contact, {"report", "mytasks", "overdue"}),
        (leader_chat, contact, {"mytasks", "overdue", "summary"}),
        (bot.api.group(-216, "新群"), contact, {"start", "help"}),
        (bot.api.private(bot.admin), bot.admin, {"mytasks", "invite", "bind"}),
    ]
    for chat, user, expected in chats:
        listed = listed_commands(text_of(await bot.says(chat, user, "/help")))
        assert expected <= set(listed), (chat.title, listed)
        for command in listed:
            if command in FILE_COMMANDS:
                continue  # a document or photo, written in a worker thread: tests/test_bot_reports.py
            answer = text_of(await bot.says(chat, user, f"/{command}"))
            assert answer and not any(refusal in answer for refusal in REFUSALS), (
                chat.title,
                command,
                answer,
            )


async def test_a_private_chat_is_not_called_a_group(bot: Bot) -> None:
    code = bot.services.store.create_invite("区水务局", bot.clock.now()).code
    contact = bot.api.user(308, "吴十")
    private = bot.api.private(contact)
    answer = text_of(await bot.says(private, contact, f"/start {code}"))
    assert "本聊天已绑定：区水务局" in answer and "本群" not in answer
    admin_chat = bot.api.private(bot.admin)
    assert "本聊天尚未绑定" in text_of(await bot.says(admin_chat, bot.admin, "/unbind"))


async def test_binding_answers_say_what_to_do_next(bot: Bot) -> None:
    stranger = bot.api.user(309, "陌生人")
    unbound = bot.api.group(-217, "闲聊群")
    answer = text_of(await bot.says(unbound, stranger, "/report 2-63-1 已完成"))
    assert "邀请码" in answer and "/bind 邀请码" in answer and "/bind 单位名称" not in answer

    private = bot.api.private(stranger)
    answer = text_of(await bot.says(private, stranger, "/start 区水务局"))
    assert "绑定需要邀请码" in answer and "区水务局 的邀请码" in answer and "不存在" not in answer
    assert bot.services.store.binding(private.id) is None
    answer = text_of(await bot.says(bot.api.private(bot.admin), bot.admin, "/start 水务局"))
    assert "/bind 区水务局" in answer

    answer = text_of(await bot.says(unbound, bot.admin, "/bind 相关乡镇"))
    assert "还没有指定具体单位" in answer and "data/units.json" in answer and "（无）" not in answer
    assert bot.services.store.binding(unbound.id) is None


async def test_bindings_are_listed_by_title_whatever_the_order_they_were_bound_in(bot: Bot) -> None:
    for chat_id, title in [(-220, "丙群"), (-218, "甲群"), (-219, "乙群"), (-221, "")]:
        bot.services.store.bind_units(chat_id, ["区水务局"], title=title)
    listing = text_of(await bot.says(bot.api.private(bot.admin), bot.admin, "/bindings"))
    rows = [line for line in listing.splitlines() if line.startswith("· ")]
    assert [row.split("（")[0] for row in rows] == ["· 丙群", "· 乙群", "· 甲群", "· 未命名聊天"]


async def test_an_invite_is_spent_and_bound_in_one_write(fake_api: BotApiServer, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    group = fake_api.group(-222, "水务局工作群")
    async with running_bot(fake_api, db, DAY) as bot:
        code = bot.services.store.create_invite("区水务局", bot.clock.now()).code
        contact = bot.api.user(310, "郑")
        assert "已绑定" in text_of(await bot.says(group, contact, f"/bind {code}"))
    crash_before_last_write(db)
    with Store.open(db) as store:
        invite = store.invite(code)
        # Dying during that write loses it whole: the code is still good and the chat unbound,
        # never a spent code on an unbound chat.
        assert invite is not None and invite.used_at is None
        assert store.binding(group.id) is None


async def test_unbinding_several_units_is_one_write(fake_api: BotApiServer, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    group = fake_api.group(-223, "联合群")
    async with running_bot(fake_api, db, DAY) as bot:
        bot.bind(group, "区水务局", "区交通局", "区财政局")
        answer = text_of(await bot.says(group, bot.admin, "/unbind 区水务局 区交通局"))
        assert "单位 区财政局" in answer
    crash_before_last_write(db)
    with Store.open(db) as store:
        binding = store.binding(group.id)
        assert binding is not None and binding.units == ["区水务局", "区交通局", "区财政局"]


async def test_a_migrating_binding_moves_in_one_write(fake_api: BotApiServer, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    old = fake_api.group(-224, "领导群")
    async with running_bot(fake_api, db, DAY) as bot:
        bot.bind(old, "区水务局", leader="倪德才")
        migrated = Message(
            message_id=98,
            date=bot.clock.now(),
            chat=Chat(id=old.id, type=Chat.GROUP, title="领导群"),
            migrate_to_chat_id=-1005678,
        )
        await bot.app.process_update(Update(update_id=2, message=migrated))
        assert bot.services.store.binding(-1005678) is not None
    crash_before_last_write(db)
    with Store.open(db) as store:
        assert store.binding(-1005678) is None
        kept = store.binding(old.id)
        assert kept is not None and kept.units == ["区水务局"] and kept.leader == "倪德才"


async def test_whoami_shows_the_ids_an_operator_needs(bot: Bot) -> None:
    stranger = bot.api.user(4242, "新同事")
    answer = text_of(await bot.says(bot.api.private(stranger), stranger, "/whoami"))
    assert "您的用户 ID：4242" in answer and "本聊天 ID：4242（私聊）" in answer
    assert "您不是管理员" in answer and "BOT_ADMIN_IDS" in answer
    group = bot.api.group(-240, "区水务局工作群")
    answer = text_of(await bot.says(group, bot.admin, "/whoami"))
    assert f"您的用户 ID：{bot.admin.id}" in answer and "本聊天 ID：-240（群组）" in answer
    assert "您是管理员" in answer


async def test_invites_are_listed_and_withdrawn_and_a_revoked_admins_bind_nothing(bot: Bot) -> None:
    granted = bot.api.user(9100, "副管理员")
    bot.services.store.grant(granted.id)
    granted_chat = bot.api.private(granted)
    admin_chat = bot.api.private(bot.admin)
    codes = []
    for chat, person, unit in ((admin_chat, bot.admin, "区水务局"), (granted_chat, granted, "区财政局")):
        answer = text_of(await bot.says(chat, person, f"/invite {unit}"))
        found = re.search(r"邀请码：(\w+)", answer)
        assert found is not None, answer
        codes.append(found[1])
    listed = text_of(await bot.says(admin_chat, bot.admin, "/invites"))
    assert codes[0] in listed and codes[1] in listed and "区财政局" in listed

    answer = text_of(await bot.says(admin_chat, bot.admin, f"/uninvite {codes[0]}"))
    assert "已作废" in answer
    assert codes[0] not in text_of(await bot.says(admin_chat, bot.admin, "/invites"))
    bot.services.store.revoke(granted.id)  # python -m bot admin revoke, as an operator would

    contact = bot.api.user(304, "赵六")
    for code in codes:
        group = bot.api.group(-206 - codes.index(code), "单位工作群")
        assert "已作废" in text_of(await bot.says(group, contact, f"/bind {code}"))
        assert bot.services.store.binding(group.id) is None
    stranger = text_of(await bot.says(bot.api.private(contact), contact, "/invites"))
    assert codes[1] not in stranger and "管理员" in stranger
