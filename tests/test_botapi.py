"""The fake Bot API server, driven by the real python-telegram-bot over HTTP.

The handlers below are a tiny stand-in bot defined here, so these tests pin down the server's behaviour
independently of the product's handlers.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import httpx
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.sandbox.botapi import (
    SECRET_TOKEN_HEADER,
    BotApiServer,
    BotEvent,
    FakeChat,
    FakeUser,
    parse_html,
    trim_text,
    utf16_len,
)
from tests.test_webhook import free_port

# --------------------------------------------------------------------------- a tiny bot to drive


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("你好")


async def twice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    # Two sends in a row: idle() must not return between them.
    await context.bot.send_message(update.effective_chat.id, "第一条")
    await context.bot.send_message(update.effective_chat.id, "第二条")


async def echo_with_buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("已完成", callback_data="done"),
                InlineKeyboardButton("受阻", callback_data="blocked"),
            ]
        ]
    )
    await message.reply_html(f"<b>收到</b>：{html.escape(message.text)}", reply_markup=keyboard)


async def media_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    attachment = message.photo[-1] if message.photo else message.document
    assert attachment is not None
    content = await (await attachment.get_file()).download_as_bytearray()
    await message.reply_text(f"佐证材料 {len(content)} 字节 {message.caption or ''}".strip())


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"已记录 {query.data}")
    await query.edit_message_text(f"状态：{query.data}")


AnyApp = Application[Any, Any, Any, Any, Any, Any]


def build_app(server: BotApiServer, *, rate_limit_retries: int | None = None) -> AnyApp:
    builder = (
        ApplicationBuilder().token(server.token).base_url(server.base_url).base_file_url(server.base_file_url)
    )
    app: AnyApp = (
        builder.build()
        if rate_limit_retries is None
        else builder.rate_limiter(AIORateLimiter(max_retries=rate_limit_retries)).build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("twice", twice))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, media_received))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo_with_buttons))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


@asynccontextmanager
async def polling(app: AnyApp, poll_timeout: int = 1) -> AsyncIterator[None]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=poll_timeout, poll_interval=0)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


@pytest.fixture
async def app(fake_api: BotApiServer) -> AsyncIterator[AnyApp]:
    application = build_app(fake_api)
    async with polling(application):
        yield application


async def yield_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Give the event loop one turn at a time until ``condition()`` holds.

    For state the server changes without waking its waiters (``wait_until`` would only see it at the
    next request): each turn lets the server run to its next await, so the test observes the state
    before any timer the server set (such as a fault's delay) can fire. The timeout only bounds a
    broken run.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"condition still false after {timeout}s")
        await asyncio.sleep(0)


@pytest.fixture
def people(fake_api: BotApiServer) -> tuple[FakeUser, FakeChat]:
    return fake_api.user(1001, "王联络员"), fake_api.group(-1001, "区水务局工作群")


# --------------------------------------------------------------------------- the basics


async def test_initialize_reads_the_bot_identity(fake_api: BotApiServer, app: AnyApp) -> None:
    assert app.bot.username == fake_api.bot_user.username
    assert app.bot.id == fake_api.bot_user.id
    assert fake_api.calls["getMe"] == 1
    assert fake_api.calls["deleteWebhook"] == 1


async def test_group_message_gets_a_reply_quoting_it(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    sent = await fake_api.user_sends(group, contact, "2-63-1 进行中 <60%>")

    [reply] = await fake_api.wait_bot_message(group)

    assert reply["text"] == "收到：2-63-1 进行中 <60%>"
    assert reply["entities"] == [{"offset": 0, "length": 2, "type": "bold"}]
    assert reply["reply_to_message"]["message_id"] == sent["message_id"]
    assert reply["reply_to_message"]["from"]["id"] == contact.id
    assert reply["message_id"] == sent["message_id"] + 1
    assert [button["text"] for button in reply["reply_markup"]["inline_keyboard"][0]] == ["已完成", "受阻"]


async def test_message_ids_count_per_chat(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    private = fake_api.private(contact)
    await fake_api.user_sends(group, contact, "/start")
    await fake_api.user_sends(private, contact, "/start")
    await fake_api.idle()

    assert [m["message_id"] for m in fake_api.messages(group)] == [1, 2]
    assert [m["message_id"] for m in fake_api.messages(private)] == [1, 2]
    assert [m["text"] for m in fake_api.bot_messages(private)] == ["你好"]


async def test_command_with_bot_username_reaches_command_handler(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, f"/start@{fake_api.bot_user.username}")
    [reply] = await fake_api.wait_bot_message(group)
    assert reply["text"] == "你好"


async def test_button_press_is_answered_and_the_message_edited(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "请确认")
    [digest] = await fake_api.wait_bot_message(group)

    query_id = await fake_api.user_presses(group, contact, digest["message_id"], "blocked")
    await fake_api.idle()

    answer = fake_api.callback_answer(query_id)
    assert answer is not None and answer["text"] == "已记录 blocked"
    [edited] = fake_api.bot_messages(group)
    assert edited["message_id"] == digest["message_id"]
    assert edited["text"] == "状态：blocked"
    # Editing the text without passing a keyboard removes it, as on Telegram.
    assert "reply_markup" not in edited
    assert "edit_date" in edited


async def test_pressing_a_button_that_is_not_there_is_a_test_mistake(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "请确认")
    [digest] = await fake_api.wait_bot_message(group)
    with pytest.raises(ValueError, match="no button"):
        await fake_api.user_presses(group, contact, digest["message_id"], "nope")


async def test_idle_waits_for_every_send_of_a_handler(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "/twice")
    await fake_api.idle()
    assert [m["text"] for m in fake_api.bot_messages(group)] == ["第一条", "第二条"]
    assert fake_api.pending_updates() == 0


async def test_idle_returns_even_when_the_bot_polls_without_waiting(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    # With timeout=0 the bot asks for updates nonstop; asking for nothing is not being busy.
    async with polling(build_app(fake_api), poll_timeout=0):
        await fake_api.user_sends(group, contact, "/twice")
        await fake_api.idle(timeout=3)
        assert [m["text"] for m in fake_api.bot_messages(group)] == ["第一条", "第二条"]
        # idle() returned while the bot was still polling nonstop, not because the polling stopped.
        polls = fake_api.calls["getUpdates"]
        await fake_api.wait_until(lambda: fake_api.calls["getUpdates"] >= polls + 3)


async def test_idle_times_out_when_nobody_fetches_updates(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "有人吗")
    with pytest.raises(TimeoutError, match="1 update"):
        await fake_api.idle(timeout=0.2)


async def test_on_bot_message_sees_sends_and_edits_as_they_happen(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    seen: list[tuple[str, str]] = []

    def record(event: BotEvent) -> None:
        seen.append((event.kind, event.message["text"]))

    fake_api.on_bot_message(record)
    await fake_api.user_sends(group, contact, "甲")
    [digest] = await fake_api.wait_bot_message(group)
    await fake_api.user_presses(group, contact, digest["message_id"], "done")
    await fake_api.idle()

    assert seen == [("sent", "收到：甲"), ("edited", "状态：done")]


# --------------------------------------------------------------------------- Telegram's refusals


async def test_reply_to_a_missing_message_is_refused(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await app.bot.send_message(group.id, "回复", reply_to_message_id=999)
    assert fake_api.bot_messages(group) == []

    # Unless the bot says a missing target is fine.
    sent = await app.bot.send_message(
        group.id, "回复", reply_to_message_id=999, allow_sending_without_reply=True
    )
    assert sent.reply_to_message is None


async def test_unknown_chat_and_unstarted_private_chat_are_refused(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(-424242, "hi")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await app.bot.send_message(contact.id, "hi")
    fake_api.remove_bot(group)
    with pytest.raises(Forbidden, match="kicked"):
        await app.bot.send_message(group.id, "hi")
    # Nor does the bot hear what is said there any more.
    await fake_api.user_sends(group, contact, "/start")
    assert fake_api.pending_updates() == 0


async def test_long_message_is_refused_and_the_limit_is_accepted(
    app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    with pytest.raises(BadRequest, match="Message is too long"):
        await app.bot.send_message(group.id, "污" * 4097)
    # The limit counts the text after HTML is parsed, so tags do not count.
    sent = await app.bot.send_message(group.id, "<b>" + "污" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text or "") == 4096


async def test_unescaped_html_is_refused_like_telegram(
    app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await app.bot.send_message(group.id, "进度 <60%", parse_mode="HTML")
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await app.bot.send_message(group.id, "一<br>二", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await app.bot.send_message(group.id, "<b>未闭合", parse_mode="HTML")
    sent = await app.bot.send_message(group.id, f"进度 {html.escape('<60%')}", parse_mode="HTML")
    assert sent.text == "进度 <60%"


async def test_edit_refusals(fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]) -> None:
    contact, group = people
    sent = await app.bot.send_message(group.id, "原文")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text("原文", chat_id=group.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("新", chat_id=group.id, message_id=999)
    users_message = await fake_api.user_sends(group, contact, "/start")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await app.bot.edit_message_text("新", chat_id=group.id, message_id=users_message["message_id"])


async def test_keyboard_edit_and_oversized_callback_data(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("进行中", callback_data="s:2-63-1:进行中")]])
    sent = await app.bot.send_message(group.id, "2-63-1", reply_markup=keyboard)
    await app.bot.edit_message_reply_markup(chat_id=group.id, message_id=sent.message_id)
    assert "reply_markup" not in fake_api.message(group, sent.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_reply_markup(chat_id=group.id, message_id=sent.message_id)

    # Callback data is limited to 64 bytes, and a Chinese character takes three.
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="受阻" * 11)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await app.bot.send_message(group.id, "x", reply_markup=too_long)


async def test_answering_a_callback_twice_is_refused(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "请确认")
    [digest] = await fake_api.wait_bot_message(group)
    query_id = await fake_api.user_presses(group, contact, digest["message_id"], "done")
    await fake_api.idle()
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query(query_id)


async def test_wrong_token_fails_initialize(fake_api: BotApiServer) -> None:
    request, updates_request = HTTPXRequest(), HTTPXRequest()
    app = (
        ApplicationBuilder()
        .token("987654321:wrong")
        .base_url(fake_api.base_url)
        .base_file_url(fake_api.base_file_url)
        .request(request)
        .get_updates_request(updates_request)
        .build()
    )
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        # A failed initialize leaves its HTTP clients open.
        await request.shutdown()
        await updates_request.shutdown()
    assert not fake_api.calls  # a wrong token is turned away before any method runs


async def test_unknown_method_is_404_like_telegram(fake_api: BotApiServer) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_api.base_url}{fake_api.token}/sendTelepathy")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_commands_round_trip(fake_api: BotApiServer, app: AnyApp) -> None:
    await app.bot.set_my_commands([("overdue", "查看逾期事项"), ("help", "帮助")])
    commands = await app.bot.get_my_commands()
    assert [(c.command, c.description) for c in commands] == [("overdue", "查看逾期事项"), ("help", "帮助")]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await app.bot.set_my_commands([("逾期", "中文命令名不被 Telegram 接受")])
    assert [c["command"] for c in fake_api.commands()] == ["overdue", "help"]


async def test_get_chat(app: AnyApp, people: tuple[FakeUser, FakeChat]) -> None:
    _, group = people
    chat = await app.bot.get_chat(group.id)
    assert (chat.id, chat.type, chat.title) == (group.id, "group", "区水务局工作群")
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.get_chat(-5)


# --------------------------------------------------------------------------- files


async def test_document_upload_and_download(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    payload = "事项,状态\n2-63-1,已完成\n".encode()
    sent = await app.bot.send_document(
        group.id, payload, filename="进度.csv", caption="<b>周报</b>", parse_mode="HTML"
    )

    assert sent.document is not None and sent.document.file_name == "进度.csv"
    assert sent.caption == "周报"
    [stored] = fake_api.bot_messages(group)
    assert fake_api.file_content(stored["document"]["file_id"]) == payload
    downloaded = await (await app.bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload

    # A known file id can be sent again without uploading.
    again = await app.bot.send_document(group.id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await app.bot.send_document(group.id, "no-such-file-id")


async def test_user_photo_and_document_reach_the_bot_with_their_content(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    photo = await fake_api.user_sends(
        group, contact, photo=True, caption="2-63-1", content=b"\xff\xd8" + b"p" * 98
    )
    document = await fake_api.user_sends(group, contact, document="评估报告.pdf", content=b"%PDF" + b"d" * 46)
    await fake_api.idle()

    file_ids = [size["file_id"] for size in photo["photo"]]
    assert len(file_ids) == len(set(file_ids)) == 3
    assert document["document"]["file_name"] == "评估报告.pdf"
    assert document["document"]["mime_type"] == "application/pdf"
    replies = [m["text"] for m in fake_api.bot_messages(group)]
    assert replies == ["佐证材料 100 字节 2-63-1", "佐证材料 50 字节"]
    assert fake_api.replies_to(group, photo["message_id"])[0]["text"] == replies[0]


# --------------------------------------------------------------------------- updates protocol


async def test_updates_stay_until_acknowledged_by_offset(fake_api: BotApiServer) -> None:
    contact = fake_api.user(7, "甲")
    group = fake_api.group(-7, "群")
    await fake_api.user_sends(group, contact, "一")
    await fake_api.user_sends(group, contact, "二")
    url = f"{fake_api.base_url}{fake_api.token}/getUpdates"
    async with httpx.AsyncClient() as client:
        first = (await client.post(url, data={"timeout": "0"})).json()["result"]
        again = (await client.post(url, data={"timeout": "0"})).json()["result"]
        assert [u["message"]["text"] for u in first] == ["一", "二"] == [u["message"]["text"] for u in again]
        limited = (await client.post(url, data={"limit": "1"})).json()["result"]
        assert [u["update_id"] for u in limited] == [first[0]["update_id"]]
        after = (await client.post(url, data={"offset": str(first[-1]["update_id"] + 1)})).json()["result"]
    assert after == []
    assert fake_api.pending_updates() == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake_api: BotApiServer) -> None:
    contact = fake_api.user(7, "甲")
    chat = fake_api.private(contact)
    await fake_api.user_sends(chat, contact, "/help")
    url = f"{fake_api.base_url}{fake_api.token}/getUpdates"
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(client.post(url, data={"timeout": "30", "offset": "2"}))
        # The poll acknowledges /help by its offset and then waits for updates, with nothing in
        # between: once the queue is empty, the server is holding the poll open.
        await fake_api.wait_until(lambda: fake_api.pending_updates() == 0)
        assert not poll.done()
        await fake_api.user_sends(chat, contact, "/start")
        response = await asyncio.wait_for(poll, 2)
    assert [u["message"]["text"] for u in response.json()["result"]] == ["/start"]


async def test_a_second_poller_ends_the_first_with_409(fake_api: BotApiServer) -> None:
    url = f"{fake_api.base_url}{fake_api.token}/getUpdates"
    async with httpx.AsyncClient() as client:
        first = asyncio.create_task(client.post(url, data={"timeout": "30"}))
        await fake_api.wait_until(lambda: fake_api.calls["getUpdates"] == 1)
        second = await client.post(url, data={"timeout": "0"})
        conflicted = await asyncio.wait_for(first, 2)
    assert second.json() == {"ok": True, "result": []}
    assert conflicted.status_code == 409
    assert conflicted.json()["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_privacy_mode_forwards_only_what_concerns_the_bot() -> None:
    async with BotApiServer(privacy_mode=True) as server:
        contact = server.user(5, "乙")
        group = server.group(-5, "群")
        await server.user_sends(group, contact, "大家好")
        assert server.pending_updates() == 0
        await server.user_sends(group, contact, "/overdue@someone_else_bot")
        assert server.pending_updates() == 0
        command = await server.user_sends(group, contact, "/overdue")
        assert server.pending_updates() == 1
        assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]


def test_parse_html_entities_count_utf16_units() -> None:
    text, entities = parse_html('🔴 <b>逾期</b> <a href="https://example.org">链接</a> &lt;&amp;&#36;')
    assert text == "🔴 逾期 链接 <&$"
    assert entities == [
        {"offset": 3, "length": 2, "type": "bold"},
        {"offset": 6, "length": 2, "type": "text_link", "url": "https://example.org"},
    ]


# --------------------------------------------------------------------------- faults

# PTB 22 builds RetryAfter by reading its own deprecated int-valued ``retry_after``, which warns; with
# warnings as errors that warning would replace the 429 handling under test.
retry_after_deprecation = pytest.mark.filterwarnings(
    "ignore:.*`retry_after` will be of type:telegram.warnings.PTBDeprecationWarning"
)


@retry_after_deprecation
async def test_429_is_retried_by_the_rate_limiter_and_delivered_once(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    fake_api.inject("sendMessage", "429", times=2, retry_after=0.2)
    async with polling(build_app(fake_api, rate_limit_retries=3)):
        await fake_api.user_sends(group, contact, "/start")
        await fake_api.idle()

    assert [m["text"] for m in fake_api.bot_messages(group)] == ["你好"]
    assert fake_api.injected[("sendMessage", "429")] == 2
    assert fake_api.calls["sendMessage"] == 3
    assert fake_api.pending_faults() == 0


@retry_after_deprecation
async def test_429_beyond_the_retries_surfaces_as_retry_after(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", "429", times=2, retry_after=0.1)
    app = build_app(fake_api, rate_limit_retries=1)
    async with app:
        with pytest.raises(RetryAfter):
            await app.bot.send_message(group.id, "催办")
    assert fake_api.bot_messages(group) == []


async def test_429_answer_has_telegrams_shape(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", "429", retry_after=3)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake_api.base_url}{fake_api.token}/sendMessage", data={"chat_id": str(group.id), "text": "x"}
        )
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }


async def test_500_surfaces_as_network_error_and_sends_nothing(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await app.bot.send_message(group.id, "催办")
    assert fake_api.bot_messages(group) == []
    await app.bot.send_message(group.id, "催办")
    assert [m["text"] for m in fake_api.bot_messages(group)] == ["催办"]
    assert fake_api.injected[("sendMessage", "500")] == 1


async def test_slow_answer_within_the_timeout_is_delivered(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", "slow", delay=0.15)
    sending = asyncio.create_task(app.bot.send_message(group.id, "慢", read_timeout=2))
    await yield_until(lambda: fake_api.injected[("sendMessage", "slow")] == 1)
    # The server counts the fault and starts its delay with nothing in between, so right now the
    # request is being held: nothing sent yet, no answer yet.
    assert fake_api.bot_messages(group) == []
    assert not sending.done()
    sent = await sending
    assert [m["text"] for m in fake_api.bot_messages(group)] == ["慢"]
    assert fake_api.message(group, sent.message_id)["text"] == "慢"


@pytest.mark.parametrize("kind", ["slow", "lost"])
async def test_request_abandoned_by_the_client_is_not_processed(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat], kind: Literal["slow", "lost"]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", kind, delay=1.0)
    with pytest.raises(TimedOut):
        await app.bot.send_message(group.id, "催办", read_timeout=0.1)
    await fake_api.idle()
    assert fake_api.bot_messages(group) == []

    # So a retry delivers the message exactly once.
    await app.bot.send_message(group.id, "催办")
    assert [m["text"] for m in fake_api.bot_messages(group)] == ["催办"]
    assert fake_api.injected[("sendMessage", kind)] == 1


async def test_lost_request_hangs_up_when_the_client_waits_longer(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    fake_api.inject("sendMessage", "lost", delay=0.05)
    with pytest.raises(NetworkError):
        await app.bot.send_message(group.id, "催办", read_timeout=2)
    await fake_api.idle()
    assert fake_api.bot_messages(group) == []


def test_inject_rejects_what_it_cannot_do(fake_api: BotApiServer) -> None:
    with pytest.raises(ValueError, match="does not implement"):
        fake_api.inject("sendTelepathy", "500")
    with pytest.raises(ValueError, match="unknown fault"):
        fake_api.inject("sendMessage", "418")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        fake_api.inject("sendMessage", "500", times=0)


# --------------------------------------------------------------------------- odds and ends


async def test_json_body_and_delete_message(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    _, group = people
    url = f"{fake_api.base_url}{fake_api.token}"
    async with httpx.AsyncClient() as client:
        sent = (await client.post(f"{url}/sendMessage", json={"chat_id": group.id, "text": "临时"})).json()
        assert sent["ok"] and sent["result"]["text"] == "临时"
        deleted = await client.post(f"{url}/deleteMessage", data={"chat_id": group.id, "message_id": "1"})
        again = await client.post(f"{url}/deleteMessage", data={"chat_id": group.id, "message_id": "1"})
    assert deleted.json() == {"ok": True, "result": True}
    assert again.json()["description"] == "Bad Request: message to delete not found"
    assert fake_api.bot_messages(group) == []
    assert [event.kind for event in fake_api.events] == ["sent", "deleted"]


async def test_max_rate_counts_sends_per_window(
    fake_api: BotApiServer, app: AnyApp, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    private = fake_api.private(contact)
    for text in ("一", "二", "三"):
        await app.bot.send_message(group.id, text)
    await app.bot.send_message(private.id, "四")
    assert fake_api.max_rate(60, group) == 3
    assert fake_api.max_rate(60, private) == 1
    assert fake_api.max_rate(60) == 4
    assert fake_api.max_rate(1e-9) == 1


async def test_callback_answer_text_is_limited(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("已完成", callback_data="done")]])
    # Not polling: the test answers the query itself.
    async with build_app(fake_api) as app:
        sent = await app.bot.send_message(group.id, "2-63-1", reply_markup=keyboard)
        query_id = await fake_api.user_presses(group, contact, sent.message_id, "done")
        with pytest.raises(BadRequest, match="Message_too_long"):
            await app.bot.answer_callback_query(query_id, text="长" * 201)
        assert await app.bot.answer_callback_query(query_id, text="长" * 200)


def test_trim_drops_outer_whitespace_and_moves_entities() -> None:
    text, entities = parse_html("\n  <b>逾期</b> 2-63-1\n\n")
    assert trim_text(text, entities) == ("逾期 2-63-1", [{"offset": 0, "length": 2, "type": "bold"}])
    # Bold on the leading spaces disappears; bold reaching into the trailing newline is cut short.
    spaces = {"offset": 0, "length": 2, "type": "bold"}
    tail = {"offset": 3, "length": 2, "type": "italic"}
    assert trim_text("  ab\n", [spaces, tail]) == ("ab", [{"offset": 1, "length": 1, "type": "italic"}])


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    plain, entities = parse_html(f"<b>{html.escape(text)}</b>")
    assert plain == text
    assert entities == ([{"offset": 0, "length": utf16_len(text), "type": "bold"}] if text else [])


# --------------------------------------------------------------------------- webhooks


class WebhookReceiver:
    """A bare endpoint standing in for a bot's webhook server: records each POST, answers ``statuses`` in
    turn (then 200), and holds every answer while ``held`` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.statuses: list[int] = []
        self.held = False
        self._release = asyncio.Event()
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self._arrived.clear()
                await self._arrived.wait()

    def release(self) -> None:
        self.held = False
        self._release.set()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.headers), await request.json()))
        self._arrived.set()
        if self.held:
            await self._release.wait()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as started:
        yield started


async def call(server: BotApiServer, method: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{server.base_url}{server.token}/{method}", json=params)


def delivered_texts(receiver: WebhookReceiver) -> list[str]:
    return [update["message"]["text"] for _, _, update in receiver.requests if "message" in update]


async def test_ptb_webhook_gets_updates_and_answers_through_the_api(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    port = free_port()
    app = build_app(fake_api)
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        await app.start()
        try:
            sent = await fake_api.user_sends(group, contact, "2-63-1 进行中")
            await fake_api.user_sends(group, contact, "/twice")
            await fake_api.idle()
        finally:
            await app.updater.stop()
            await app.stop()
    assert [m["text"] for m in fake_api.bot_messages(group)] == ["收到：2-63-1 进行中", "第一条", "第二条"]
    assert fake_api.replies_to(group, sent["message_id"])
    assert fake_api.webhook_info()["url"] == f"http://127.0.0.1:{port}/hook"
    assert fake_api.pending_updates() == 0
    assert fake_api.calls["getUpdates"] == 0
    # PTB may call setWebhook before its server listens: a refused first try is retried, never doubled.
    succeeded = [delivery.update_id for delivery in fake_api.deliveries if delivery.error is None]
    assert len(succeeded) == len(set(succeeded)) == 2


async def test_get_updates_conflicts_while_a_webhook_is_set(
    fake_api: BotApiServer, receiver: WebhookReceiver, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    first = await call(fake_api, "setWebhook", url=f"{receiver.url}/hook")
    again = await call(fake_api, "setWebhook", url=f"{receiver.url}/hook")
    assert first.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    assert again.json()["description"] == "Webhook is already set"
    refused = await call(fake_api, "getUpdates", timeout=0)
    assert refused.status_code == 409
    assert refused.json()["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )

    await fake_api.user_sends(group, contact, "一")
    await receiver.wait_for_requests(1)
    deleted = await call(fake_api, "deleteWebhook")
    assert deleted.json() == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert (await call(fake_api, "deleteWebhook")).json()["description"] == "Webhook is already deleted"
    await fake_api.user_sends(group, contact, "二")
    polled = (await call(fake_api, "getUpdates", timeout=0)).json()["result"]
    assert [update["message"]["text"] for update in polled] == ["二"]
    assert delivered_texts(receiver) == ["一"]
    assert fake_api.webhook_info() == {"url": "", "has_custom_certificate": False, "pending_update_count": 1}


async def test_set_webhook_ends_a_running_long_poll(
    fake_api: BotApiServer, receiver: WebhookReceiver
) -> None:
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(f"{fake_api.base_url}{fake_api.token}/getUpdates", data={"timeout": "30"})
        )
        await fake_api.wait_until(lambda: fake_api.calls["getUpdates"] == 1)
        assert (await call(fake_api, "setWebhook", url=receiver.url)).json()["ok"]
        ended = await asyncio.wait_for(poll, 5)
    assert ended.status_code == 409
    assert ended.json()["description"] == "Conflict: terminated by setWebhook request"


async def test_delivery_sends_the_secret_and_honours_allowed_updates_and_dropping(
    fake_api: BotApiServer, receiver: WebhookReceiver, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    await fake_api.user_sends(group, contact, "设置前的旧消息")
    answer = await call(
        fake_api,
        "setWebhook",
        url=f"{receiver.url}/tg",
        secret_token="Abc_123-xyz",
        allowed_updates=["message"],
        drop_pending_updates=True,
        max_connections=500,
        ip_address="127.0.0.1",
    )
    assert answer.json()["ok"]
    keyboard = {"inline_keyboard": [[{"text": "已完成", "callback_data": "done"}]]}
    digest = (
        await call(fake_api, "sendMessage", chat_id=group.id, text="提醒", reply_markup=keyboard)
    ).json()
    await fake_api.user_presses(group, contact, digest["result"]["message_id"], "done")
    await fake_api.user_sends(group, contact, "新消息")
    await fake_api.idle()

    [(path, headers, update)] = receiver.requests
    assert path == "/tg"
    assert headers[SECRET_TOKEN_HEADER] == "Abc_123-xyz"
    assert headers["Content-Type"] == "application/json"
    assert update["message"]["text"] == "新消息"
    assert update["message"]["chat"]["id"] == group.id
    info = fake_api.webhook_info()
    assert info["pending_update_count"] == 0
    assert info["allowed_updates"] == ["message"]
    assert info["max_connections"] == 100
    assert info["ip_address"] == "127.0.0.1"
    assert "last_error_message" not in info


async def test_a_failed_delivery_is_retried_until_the_bot_takes_it(
    people: tuple[FakeUser, FakeChat], receiver: WebhookReceiver
) -> None:
    contact, group = people
    async with BotApiServer(webhook_retry_delays=(0.01, 0.01, 0.01)) as server:
        server.user(contact.id, contact.first_name)
        server.group(group.id, group.title or "")
        receiver.statuses = [500, 502]
        assert (await call(server, "setWebhook", url=receiver.url)).json()["ok"]
        await server.user_sends(group, contact, "进行中 60%")
        await server.idle()
        assert delivered_texts(receiver) == ["进行中 60%"] * 3
        assert [delivery.error for delivery in server.deliveries] == [
            "Wrong response from the webhook: 500 Internal Server Error",
            "Wrong response from the webhook: 502 Bad Gateway",
            None,
        ]
        info = server.webhook_info()
        assert info["pending_update_count"] == 0
        assert info["last_error_message"] == "Wrong response from the webhook: 502 Bad Gateway"


async def test_retries_are_bounded_and_the_update_waits_for_the_next_set_webhook(
    people: tuple[FakeUser, FakeChat], receiver: WebhookReceiver
) -> None:
    contact, group = people
    async with BotApiServer(webhook_retry_delays=(0.01, 0.01)) as server:
        server.user(contact.id, contact.first_name)
        server.group(group.id, group.title or "")
        receiver.statuses = [403] * 10
        assert (await call(server, "setWebhook", url=receiver.url)).json()["ok"]
        await server.user_sends(group, contact, "已完成")
        await receiver.wait_for_requests(3)
        with pytest.raises(TimeoutError, match="1 update\\(s\\) not delivered to the webhook"):
            await server.idle(timeout=0.5)
        # One try and two retries, then nothing more within the half second idle() waited.
        assert len(receiver.requests) == 3
        info = server.webhook_info()
        assert info["pending_update_count"] == 1
        assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
        assert isinstance(info["last_error_date"], int)

        receiver.statuses = []
        assert (await call(server, "setWebhook", url=receiver.url)).json()["ok"]
        await server.idle()
        assert delivered_texts(receiver) == ["已完成"] * 4
        assert server.pending_updates() == 0


async def test_an_unreachable_webhook_is_reported_as_connection_refused(
    fake_api: BotApiServer, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    assert (await call(fake_api, "setWebhook", url=f"http://127.0.0.1:{free_port()}/hook")).json()["ok"]
    await fake_api.user_sends(group, contact, "有人吗")
    await fake_api.wait_until(
        lambda: fake_api.webhook_info().get("last_error_message") == "Connection refused"
    )
    assert fake_api.webhook_info()["pending_update_count"] == 1


async def test_idle_waits_for_a_webhook_delivery_in_flight(
    fake_api: BotApiServer, receiver: WebhookReceiver, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    receiver.held = True
    assert (await call(fake_api, "setWebhook", url=receiver.url)).json()["ok"]
    await fake_api.user_sends(group, contact, "慢慢来")
    await receiver.wait_for_requests(1)
    with pytest.raises(TimeoutError, match="webhook delivery"):
        await fake_api.idle(timeout=0.3)
    receiver.release()
    await fake_api.idle()
    assert fake_api.pending_updates() == 0
    assert [delivery.error for delivery in fake_api.deliveries] == [None]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"url": "https://example.com/hook"},
            "Bad Request: bad webhook: the sandbox delivers only to 127.0.0.1",
        ),
        (
            {"url": "http://10.0.0.8:8443/hook"},
            "Bad Request: bad webhook: the sandbox delivers only to 127.0.0.1",
        ),
        ({"url": "ftp://127.0.0.1/hook"}, "Bad Request: bad webhook: HTTPS url must be provided for webhook"),
        ({"url": "http://127.0.0.1:99999/hook"}, "Bad Request: bad webhook: Wrong port number"),
        ({"url": "http://127.0.0.1/", "secret_token": "a b"}, "Bad Request: secret token contains unallowed"),
        ({"url": "http://127.0.0.1/", "secret_token": "a" * 257}, "Bad Request: secret token is too long"),
        (
            {"url": "http://127.0.0.1/", "allowed_updates": "message"},
            "Bad Request: can't parse allowed updates",
        ),
    ],
)
async def test_bad_webhooks_are_refused_and_nothing_is_set(
    fake_api: BotApiServer, params: dict[str, Any], description: str
) -> None:
    response = await call(fake_api, "setWebhook", **params)
    assert response.status_code == 400
    assert response.json()["description"].startswith(description)
    assert fake_api.webhook_info()["url"] == ""


async def test_set_webhook_with_an_empty_url_removes_it(
    fake_api: BotApiServer, receiver: WebhookReceiver
) -> None:
    assert (await call(fake_api, "setWebhook", url=receiver.url)).json()["ok"]
    removed = await call(fake_api, "setWebhook", url="")
    assert removed.json() == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert (await call(fake_api, "getUpdates", timeout=0)).json() == {"ok": True, "result": []}


async def test_route_webhook_plays_the_reverse_proxy(
    fake_api: BotApiServer, receiver: WebhookReceiver, people: tuple[FakeUser, FakeChat]
) -> None:
    contact, group = people
    fake_api.route_webhook("https://bot.example.test", receiver.url)
    assert (await call(fake_api, "setWebhook", url="https://bot.example.test/telegram")).json()["ok"]
    await fake_api.user_sends(group, contact, "/start")
    await fake_api.idle()
    assert [path for path, _, _ in receiver.requests] == ["/telegram"]
    assert fake_api.webhook_info()["url"] == "https://bot.example.test/telegram"
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 or localhost"):
        fake_api.route_webhook("https://bot.example.test", "http://bot.internal:8443")
    with pytest.raises(ValueError, match="public_url"):
        fake_api.route_webhook("bot.example.test", receiver.url)
