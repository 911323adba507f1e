"""A local stand-in for the Telegram Bot API, spoken to over real HTTP by the real python-telegram-bot.

It runs on 127.0.0.1 (port 0 by default) and answers ``POST /bot<token>/<method>`` the way Telegram does:
form-encoded, multipart or JSON parameters in, ``{"ok": ..., "result"/"description": ...}`` out, with
Telegram's status codes and error texts. Point PTB at it with::

    ApplicationBuilder().token(server.token).base_url(server.base_url).base_file_url(server.base_file_url)

The *driver API* (``user_sends``, ``user_presses``, ``bot_messages``, ``idle`` ...) plays the human side:
it creates users and chats, queues the updates the bot will fetch with ``getUpdates`` and shows what the
bot sent. Faults (429, 500, slow and lost requests) can be injected per method.

Webhooks work as on Telegram: after ``setWebhook`` the server POSTs each update as JSON to the URL (with
``X-Telegram-Bot-Api-Secret-Token`` when a secret is set), retries a failed delivery a few times and
reports the failure in ``getWebhookInfo``; ``getUpdates`` answers 409 until ``deleteWebhook``. The sandbox
never reaches out: it delivers only to 127.0.0.1/localhost, or to a public URL that ``route_webhook``
maps to one, as the TLS-terminating reverse proxy in front of a real bot does.

Deliberate limits: one bot per server; no channels, inline mode or payments; ``Markdown`` and
``MarkdownV2`` texts are stored as sent (only ``HTML`` is parsed and validated, as the bot uses HTML);
webhook updates go out one at a time, in order (``max_connections`` is stored and reported, not used),
and a method call in a webhook's answer body is not executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import logging
import mimetypes
import random
import re
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from aiohttp.web_request import FileField

from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
FaultKind = Literal["429", "500", "slow", "lost"]
ChatType = Literal["private", "group", "supergroup"]
EventKind = Literal["sent", "edited", "deleted", "reacted"]

DEFAULT_TOKEN = "123456789:SANDBOX-token-not-a-real-secret"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# How long after a 429 the server still counts as busy: the client is expected to come back after
# ``retry_after`` (the rate limiters add 0.1 s), so idle() must not declare the conversation over before.
RETRY_GRACE_SECONDS = 0.3
CHAT_ACTION_SECONDS = 5.0
"""How long Telegram shows a chat action ("sending a file…") unless a message ends it sooner."""

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_RETRY_DELAYS = (0.1, 0.5, 2.0)
"""Pauses before each retry of a failed webhook delivery. A bot that calls setWebhook before its server
listens (PTB does) is caught by the first retries. After the last one the update stays pending, its error
in getWebhookInfo, until a new update or a setWebhook prompts another round."""
WEBHOOK_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CONNECTIONS = 40
MAX_SECRET_TOKEN_LENGTH = 256
WEBHOOK_DELIVERY = "webhook delivery"
"""The key of an update being POSTed to the webhook in ``_in_flight`` (next to Bot API method names)."""

_TRIMMED = " \t\r\n"
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": description}``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram account on the human side of the conversation."""

    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat the bot is in: a private chat with one user, or a (super)group."""

    id: int
    type: ChatType
    title: str | None = None
    user: FakeUser | None = None

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
        return data

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.first_name
        return self.title or str(self.id)


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did to a chat: sent, edited or deleted a message (``message`` is its new state),
    or reacted to one (``message`` is the message reacted to, its ``bot_reaction`` the emoji)."""

    kind: EventKind
    chat: FakeChat
    message: JSONDict


@dataclass
class Fault:
    """A programmed failure for the next ``remaining`` calls of one method."""

    kind: FaultKind
    remaining: int
    retry_after: float = 1
    delay: float = 0.5
    chat_id: int | None = None
    """Only calls naming this chat fire the fault (None: any call of the method)."""


@dataclass
class FaultShare:
    """A programmed failure for a share of all calls of one method, drawn from a seeded generator."""

    kind: FaultKind
    share: float
    rng: random.Random
    retry_after: float = 1
    delay: float = 0.5


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _ChatState:
    chat: FakeChat
    messages: dict[int, JSONDict] = field(default_factory=dict)
    last_message_id: int = 0
    bot_removed: bool = False


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class _Webhook:
    """The webhook set with setWebhook; ``target`` is where the sandbox really POSTs (see route_webhook)."""

    url: str
    target: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    has_custom_certificate: bool
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook; ``error`` is None when the bot answered 2xx."""

    update_id: int
    url: str
    error: str | None


@dataclass(frozen=True)
class _Described:
    """A method result that Telegram accompanies with a ``description`` ("Webhook was set")."""

    result: Any
    description: str


Params = dict[str, Any]
Uploads = dict[str, _Upload]
MethodHandler = Callable[[Params, Uploads], Awaitable[Any]]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------------
# Telegram's HTML parse mode
# --------------------------------------------------------------------------------------------------

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_OTHER_TAGS = {"a", "span", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[A-Za-z0-9-]+")
_ATTR_RE = re.compile(r"\s*([A-Za-z0-9_-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]+));")


def _html_entity_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Turn Telegram-HTML into plain text and message entities, rejecting what Telegram rejects.

    Telegram refuses an unescaped ``<`` and unsupported or unbalanced tags; catching that here is how
    tests notice user text echoed back without HTML escaping.
    """
    text_parts: list[str] = []
    position = 0  # in UTF-16 code units of the output text
    open_tags: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSONDict] = []
    index = 0
    length = len(source)

    def byte_offset(at: int) -> int:
        return len(source[:at].encode("utf-8"))

    while index < length:
        char = source[index]
        if char == "&":
            match = _ENTITY_RE.match(source, index)
            decoded: str | None = None
            if match is not None:
                decimal, hexadecimal, name = match.groups()
                if decimal is not None or hexadecimal is not None:
                    code_point = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
                    if 0 < code_point <= 0x10FFFF:
                        decoded = chr(code_point)
                elif name is not None:
                    decoded = _NAMED_ENTITIES.get(name)
            if decoded is not None and match is not None:
                text_parts.append(decoded)
                position += utf16_len(decoded)
                index = match.end()
            else:
                # Telegram keeps an unknown entity literally, as text.
                text_parts.append("&")
                position += 1
                index += 1
            continue
        if char != "<":
            next_special = min(
                (found for found in (source.find("<", index), source.find("&", index)) if found != -1),
                default=length,
            )
            chunk = source[index:next_special]
            text_parts.append(chunk)
            position += utf16_len(chunk)
            index = next_special
            continue
        tag_start = index
        closing = source.startswith("</", index)
        index += 2 if closing else 1
        name_match = _TAG_NAME_RE.match(source, index)
        if name_match is None:
            raise _html_entity_error(f"Unexpected end of name token at byte offset {byte_offset(index)}")
        tag = name_match.group(0).lower()
        index = name_match.end()
        end = source.find(">", index)
        if end == -1:
            raise _html_entity_error(f"Unclosed start tag at byte offset {byte_offset(tag_start)}")
        if closing:
            if source[index:end].strip():
                raise _html_entity_error(f"Unclosed end tag at byte offset {byte_offset(tag_start)}")
            if not open_tags:
                raise _html_entity_error(f"Unexpected end tag at byte offset {byte_offset(tag_start)}")
            open_tag, start, attrs = open_tags.pop()
            if open_tag != tag:
                raise _html_entity_error(
                    f'Unmatched end tag at byte offset {byte_offset(tag_start)}, expected "</{open_tag}>", '
                    f'found "</{tag}>"'
                )
            entity = _entity_for(open_tag, attrs, start, position - start)
            if entity is not None:
                entities.append(entity)
            index = end + 1
            continue
        if tag not in _SIMPLE_TAGS and tag not in _OTHER_TAGS:
            raise _html_entity_error(f'Unsupported start tag "{tag}" at byte offset {byte_offset(tag_start)}')
        attrs = {
            attr.group(1).lower(): (attr.group(2) or "").strip("\"'")
            for attr in _ATTR_RE.finditer(source[index:end].rstrip("/"))
        }
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _html_entity_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(tag_start)}'
            )
        open_tags.append((tag, position, attrs))
        index = end + 1
    if open_tags:
        raise _html_entity_error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(text_parts), _merge_pre_code(entities)


def _entity_for(tag: str, attrs: dict[str, str], offset: int, length: int) -> JSONDict | None:
    if length == 0:
        return None
    entity: JSONDict = {"offset": offset, "length": length}
    if tag in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[tag]
        if tag == "code" and attrs.get("class", "").startswith("language-"):
            entity["language"] = attrs["class"].removeprefix("language-")
    elif tag == "span":
        entity["type"] = "spoiler"
    elif tag == "a":
        if not attrs.get("href"):
            return None
        entity["type"] = "text_link"
        entity["url"] = attrs["href"]
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _merge_pre_code(entities: list[JSONDict]) -> list[JSONDict]:
    """``<pre><code class="language-x">`` is one ``pre`` entity with a language, as Telegram reports it."""
    merged: list[JSONDict] = []
    for entity in entities:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous["type"] == "pre"
            and entity["type"] == "code"
            and (previous["offset"], previous["length"]) == (entity["offset"], entity["length"])
        ):
            if "language" in entity:
                previous["language"] = entity["language"]
            continue
        if entity["type"] == "code":
            entity.pop("language", None)
        merged.append(entity)
    return merged


def trim_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram drops leading and trailing whitespace from a text, moving entities to match."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    end = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        stop = min(end, entity["offset"] + entity["length"] - shift)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entities Telegram attaches to ``/commands`` in what a user types."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------------
# Some of the emoji Telegram accepts as a reaction (ReactionEmoji); others are refused as there.
ALLOWED_REACTIONS = frozenset(
    ["👍", "👎", "❤", "🔥", "🎉", "🤔", "👏", "👌", "🙏", "✍", "🤝", "👀", "💯", "⚡"]
)


# --------------------------------------------------------------------------------------------------
# Parameter decoding: PTB sends every value as a string, complex ones JSON-encoded
# --------------------------------------------------------------------------------------------------


def _text_param(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _int_param(params: Params, name: str, *, empty_reason: str | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if empty_reason is not None:
            raise bad_request(empty_reason)
        return None
    if isinstance(value, bool):
        raise bad_request(f"invalid {name} specified")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _float_param(params: Params, name: str, default: float) -> float:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _bool_param(params: Params, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.lower() in ("true", "1")


def _json_param(params: Params, name: str, reason: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(reason) from None


def _validate_inline_keyboard(markup: JSONDict) -> JSONDict:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            actions = set(button) - {"text"}
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
            ):
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class BotApiServer:
    """The Bot API stand-in. Use ``async with BotApiServer() as server:`` or ``start()``/``stop()``.

    All state lives in memory and belongs to the event loop the server was started in; the driver
    methods must be called from that loop.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "tongzhou_plan_bot",
        bot_name: str = "通州治污督办",
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = False,
        webhook_retry_delays: Sequence[float] = WEBHOOK_RETRY_DELAYS,
        webhook_timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '<digits>:<secret>'")
        if any(delay < 0 for delay in webhook_retry_delays) or webhook_timeout <= 0:
            raise ValueError("webhook retry delays must not be negative and the timeout must be positive")
        self.token = token
        self.bot_user = FakeUser(int(bot_id), bot_name, bot_username, is_bot=True)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.host = host
        self.port = port
        # With privacy mode on, a group only forwards commands, replies to the bot and mentions of it
        # (as real Telegram does for a bot that is not a group admin).
        self.privacy_mode = privacy_mode

        self.calls: Counter[str] = Counter()
        self.injected: Counter[tuple[str, FaultKind]] = Counter()
        self.errors: list[tuple[str, int, str]] = []
        self.events: list[BotEvent] = []
        self.callback_answers: list[JSONDict] = []
        self.reactions: dict[tuple[int, int], list[str]] = {}
        """The bot's reaction emoji on a message, by (chat id, message id)."""
        self.deliveries: list[WebhookDelivery] = []
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.webhook_timeout = webhook_timeout
        self._send_times: list[tuple[float, int]] = []

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, _ChatState] = {}
        self._updates: deque[JSONDict] = deque()
        self._last_update_id = 0
        self._open_callbacks: dict[str, JSONDict] = {}
        self._last_callback_id = 0
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._last_file_number = 0
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._fault_shares: dict[str, FaultShare] = {}
        self._listeners: list[Callable[[BotEvent], None]] = []
        self._webhook: _Webhook | None = None
        self._webhook_generation = 0
        self._webhook_routes: dict[str, str] = {}
        self._webhook_session: aiohttp.ClientSession | None = None
        self._delivery_task: asyncio.Task[None] | None = None

        self._poll_generation = 0
        self._in_flight: Counter[str] = Counter()
        self._activity = 0
        self._busy_until = 0.0
        # Chats where the bot shows "sending a file…" (sendChatAction): Telegram shows it for five
        # seconds or until the bot's next message there, so the bot is still working on an answer.
        self._acting_until: dict[int, float] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, MethodHandler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMessageReaction": self._set_message_reaction,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "sendChatAction": self._send_chat_action,
                "getFile": self._get_file,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getChat": self._get_chat,
                "close": self._close,
                "logOut": self._close,
            }.items()
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the fake Bot API server is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancelling handlers when the client hangs up is what makes a timed-out request "lost":
        # it is never processed, just as if it had not reached Telegram.
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            self._wake()
            task, self._delivery_task = self._delivery_task, None
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            session, self._webhook_session = self._webhook_session, None
            if session is not None:
                await session.close()
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token and ``/<method>``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://{self.host}:{self.port}/file/bot"

    # ---------------------------------------------------------------- driver: people and chats

    def user(self, user_id: int, name: str, username: str | None = None) -> FakeUser:
        """Create (or fetch, if the id exists with the same name) a human user."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        existing = self._users.get(user_id)
        if existing is not None:
            if existing.first_name != name or (username is not None and existing.username != username):
                raise ValueError(f"user {user_id} already exists as {existing.first_name!r}")
            return existing
        if user_id == self.bot_user.id:
            raise ValueError("that id belongs to the bot")
        created = FakeUser(user_id, name, username)
        self._users[user_id] = created
        return created

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> FakeChat:
        """Create (or fetch) a group chat the bot is a member of. Group ids are negative, as in Telegram."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind: ChatType = "supergroup" if supergroup else "group"
        state = self._chats.get(chat_id)
        if state is not None:
            if state.chat.title != title or state.chat.type != kind:
                raise ValueError(f"chat {chat_id} already exists as {state.chat.title!r}")
            return state.chat
        chat = FakeChat(chat_id, kind, title=title)
        self._chats[chat_id] = _ChatState(chat)
        return chat

    def private(self, user: FakeUser | int) -> FakeChat:
        """The private chat between ``user`` and the bot (the user has pressed Start)."""
        person = self._known_user(user)
        state = self._chats.get(person.id)
        if state is None:
            state = _ChatState(FakeChat(person.id, "private", user=person))
            self._chats[person.id] = state
        return state.chat

    def chat(self, chat: FakeChat | int) -> FakeChat:
        return self._chat_state(chat).chat

    def chats(self) -> list[FakeChat]:
        return [state.chat for state in self._chats.values()]

    def remove_bot(self, chat: FakeChat | int) -> None:
        """The bot is kicked from a group, or blocked by the user of a private chat: sends get 403."""
        self._chat_state(chat).bot_removed = True

    # ---------------------------------------------------------------- driver: the human side speaks

    async def user_sends(
        self,
        chat: FakeChat | int,
        user: FakeUser | int,
        text: str | None = None,
        *,
        reply_to: int | None = None,
        photo: bool = False,
        document: str | None = None,
        caption: str | None = None,
        content: bytes | None = None,
    ) -> JSONDict:
        """A user posts a message; the bot receives it through getUpdates. Returns the message object.

        ``photo=True`` sends a photo (a ``photo`` array of three PhotoSizes with fresh file ids),
        ``document="报告.pdf"`` a document; both may carry a ``caption`` and optional ``content`` bytes.
        ``reply_to`` is the id of a message in the same chat.
        """
        state = self._chat_state(chat)
        person = self._known_user(user)
        if state.chat.type == "private" and state.chat.id != person.id:
            raise ValueError(f"{person.first_name} cannot post in someone else's private chat")
        if photo and document is not None:
            raise ValueError("a message carries a photo or a document, not both")
        media = photo or document is not None
        if media and text is not None:
            raise ValueError("a photo or document message has a caption, not text")
        if not media and (caption is not None or content is not None):
            raise ValueError("caption and content belong to a photo or document")
        if not media and not text:
            raise ValueError("a message needs text, a photo or a document")
        message = self._new_message(state, person)
        if reply_to is not None:
            replied = state.messages.get(reply_to)
            if replied is None:
                raise ValueError(f"there is no message {reply_to} in chat {state.chat.id} to reply to")
            message["reply_to_message"] = _without_reply(replied)
        if text is not None:
            message["text"] = text
            if entities := command_entities(text):
                message["entities"] = entities
        if photo:
            data = content if content is not None else b"\xff\xd8\xff\xe0 sandbox photo"
            message["photo"] = [
                self._photo_size(self._store_file(data, "photos", ".jpg", None, "image/jpeg"), width, height)
                for width, height in ((90, 68), (320, 240), (1280, 960))
            ]
        if document is not None:
            data = content if content is not None else f"sandbox document {document}".encode()
            mime = mimetypes.guess_type(document)[0] or "application/octet-stream"
            stored = self._store_file(data, "documents", "", document, mime)
            message["document"] = self._document_object(stored)
        if caption is not None:
            message["caption"] = caption
            if entities := command_entities(caption):
                message["caption_entities"] = entities
        state.messages[message["message_id"]] = message
        if self._bot_can_see(state, message):
            self._enqueue_update({"message": message})
        self._wake()
        await asyncio.sleep(0)
        return message

    async def user_edits(
        self, chat: FakeChat | int, user: FakeUser | int, message_id: int, text: str
    ) -> JSONDict:
        """A user edits the text of one of their messages; the bot gets an ``edited_message`` update."""
        state = self._chat_state(chat)
        person = self._known_user(user)
        message = state.messages.get(message_id)
        if message is None or message.get("from", {}).get("id") != person.id or "text" not in message:
            raise ValueError(f"{person.first_name} has no text message {message_id} in chat {state.chat.id}")
        message["text"] = text
        message.pop("entities", None)
        if entities := command_entities(text):
            message["entities"] = entities
        message["edit_date"] = int(self.clock.now().timestamp())
        if self._bot_can_see(state, message):
            self._enqueue_update({"edited_message": json.loads(json.dumps(message))})
        self._wake()
        await asyncio.sleep(0)
        return message

    async def user_presses(
        self, chat: FakeChat | int, user: FakeUser | int, message_id: int, callback_data: str
    ) -> str:
        """A user presses the inline button with ``callback_data`` under a bot message.

        Returns the callback query id, to look up the bot's answer with ``callback_answer()``.
        """
        state = self._chat_state(chat)
        person = self._known_user(user)
        message = state.messages.get(message_id)
        if message is None:
            raise ValueError(f"there is no message {message_id} in chat {state.chat.id}")
        buttons = [
            button
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
            if button.get("callback_data") == callback_data
        ]
        if not buttons:
            raise ValueError(f"message {message_id} has no button with callback_data {callback_data!r}")
        self._last_callback_id += 1
        query_id = str(4_000_000_000_000_000 + self._last_callback_id)
        query: JSONDict = {
            "id": query_id,
            "from": person.to_api(),
            "message": json.loads(json.dumps(message)),
            "chat_instance": str(abs(state.chat.id) * 7919 + 1),
            "data": callback_data,
        }
        self._open_callbacks[query_id] = query
        self._enqueue_update({"callback_query": query})
        self._wake()
        await asyncio.sleep(0)
        return query_id

    # ---------------------------------------------------------------- driver: what the bot did

    def messages(self, chat: FakeChat | int) -> list[JSONDict]:
        """Every message in the chat (users' and the bot's), current state, in order."""
        return list(self._chat_state(chat).messages.values())

    def bot_messages(self, chat: FakeChat | int) -> list[JSONDict]:
        """The bot's messages in the chat, in order, with edits applied and deletions removed."""
        return [message for message in self.messages(chat) if message["from"]["id"] == self.bot_user.id]

    def message(self, chat: FakeChat | int, message_id: int) -> JSONDict:
        found = self._chat_state(chat).messages.get(message_id)
        if found is None:
            raise KeyError(f"no message {message_id} in chat {self.chat(chat).id}")
        return found

    def replies_to(self, chat: FakeChat | int, message_id: int) -> list[JSONDict]:
        """The bot's messages that reply to message ``message_id``."""
        return [
            message
            for message in self.bot_messages(chat)
            if message.get("reply_to_message", {}).get("message_id") == message_id
        ]

    def callback_answer(self, query_id: str) -> JSONDict | None:
        return next(
            (answer for answer in self.callback_answers if answer["callback_query_id"] == query_id), None
        )

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list the bot set with setMyCommands for a scope (default scope if omitted)."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    def pending_updates(self) -> int:
        """Updates queued for the bot: not yet acknowledged by a later getUpdates offset, or not yet
        delivered to the webhook."""
        return len(self._updates)

    def webhook_info(self) -> JSONDict:
        """What getWebhookInfo answers: ``url`` is empty without a webhook."""
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook is not None else "",
            "has_custom_certificate": hook is not None and hook.has_custom_certificate,
            "pending_update_count": len(self._updates),
        }
        if hook is None:
            return info
        if hook.ip_address is not None:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        return info

    def route_webhook(self, public_url: str, local_url: str) -> None:
        """Play the reverse proxy in front of the bot: a webhook set under ``public_url`` (say
        ``https://bot.example.test``) is delivered under ``local_url`` (``http://127.0.0.1:8443``) instead.

        This is how a bot configured with its real public HTTPS address runs against the sandbox, which
        never leaves 127.0.0.1.
        """
        public, local = urlsplit(public_url), urlsplit(local_url)
        if public.scheme not in ("http", "https") or not public.hostname or public.query or public.fragment:
            raise ValueError(f"public_url must be an http(s) URL without query, got {public_url!r}")
        if local.scheme not in ("http", "https") or not _is_loopback(local.hostname):
            raise ValueError(f"local_url must be an http(s) URL on 127.0.0.1 or localhost, got {local_url!r}")
        self._webhook_routes[public_url.rstrip("/")] = local_url.rstrip("/")

    def max_rate(self, window: float, chat: FakeChat | int | None = None) -> int:
        """The most messages the bot sent within any ``window`` seconds, to one chat or to all.

        Telegram's limits: about 30 a second overall and 20 a minute per group. Edits do not count.
        """
        chat_id = None if chat is None else self._chat_state(chat).chat.id
        times = [moment for moment, target in self._send_times if chat_id is None or target == chat_id]
        most = 0
        first = 0
        for last, moment in enumerate(times):
            while moment - times[first] >= window:
                first += 1
            most = max(most, last - first + 1)
        return most

    async def wait_bot_message(
        self,
        chat: FakeChat | int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain number reads best in tests
    ) -> list[JSONDict]:
        """Wait until the chat holds at least ``count`` bot messages; returns all of the bot's messages."""

        def enough() -> bool:
            return len(self.bot_messages(chat)) >= count

        if not await self._wait_for(enough, timeout):
            have = [message.get("text") or message.get("caption") for message in self.bot_messages(chat)]
            raise TimeoutError(
                f"waited {timeout}s for {count} bot message(s) in chat {self.chat(chat).id}; have {have}"
            )
        return self.bot_messages(chat)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain number reads best in tests
    ) -> None:
        """Wait until ``condition()`` holds; it is checked whenever the server's state changes.

        State changes include every request the server receives, so ``lambda: server.calls[m] > 0`` works.
        """
        if not await self._wait_for(condition, timeout):
            raise TimeoutError(f"condition still false after {timeout}s")

    async def idle(
        self,
        quiet: float = 0.1,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain number reads best in tests
    ) -> None:
        """Return once the bot has caught up and gone quiet.

        That is: every queued update has been fetched and acknowledged, no bot request is in flight (a
        waiting long poll does not count), no 429 retry is due, and nothing happened for ``quiet``
        seconds. The quiet time is counted in several short ticks, so an event loop blocked by a busy
        handler cannot pass for a quiet one. Raises TimeoutError with what is still pending.
        """
        ticks_needed = 5
        tick = quiet / ticks_needed
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen_activity = -1
        quiet_ticks = 0
        while True:
            busy = (
                bool(self._updates)
                or sum(self._in_flight.values()) > 0
                or loop.time() < self._busy_until
                or any(loop.time() < until for until in self._acting_until.values())
            )
            if busy or self._activity != seen_activity:
                quiet_ticks = 0
                seen_activity = self._activity
            else:
                quiet_ticks += 1
                if quiet_ticks >= ticks_needed:
                    return
            if loop.time() > deadline:
                hook = self._webhook
                waiting = (
                    f"{len(self._updates)} update(s) not delivered to the webhook {hook.url} "
                    f"(last error: {hook.last_error_message})"
                    if hook is not None
                    else f"{len(self._updates)} update(s) not fetched"
                )
                raise TimeoutError(
                    f"the bot did not go idle within {timeout}s: {waiting}, "
                    f"requests in flight: {dict(+self._in_flight)}"
                )
            await asyncio.sleep(tick)

    def on_bot_message(self, callback: Callable[[BotEvent], None]) -> None:
        """Call ``callback`` for each message the bot sends, edits or deletes, as it happens."""
        self._listeners.append(callback)

    # ---------------------------------------------------------------- driver: faults

    def inject(
        self,
        method: str,
        kind: FaultKind,
        times: int = 1,
        *,
        retry_after: float = 1,
        delay: float = 0.5,
        chat: FakeChat | int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (only those to ``chat``, if given).
        Faults queue up in the order injected.

        - ``"429"``: answer Too Many Requests with ``parameters.retry_after`` (seconds).
        - ``"500"``: answer Internal Server Error (PTB raises NetworkError).
        - ``"slow"``: wait ``delay`` seconds, then process and answer. If the client gives up first,
          the request is not processed.
        - ``"lost"``: wait ``delay`` seconds (make it exceed the client's timeout), then hang up without
          processing: the request never reached Telegram, so retrying it does not duplicate anything.
        """
        canonical = self._canonical(method)
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault {kind!r}; one of {get_args(FaultKind)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after <= 0 or delay < 0:
            raise ValueError("retry_after must be positive and delay not negative")
        chat_id = None if chat is None else self._chat_state(chat).chat.id
        self._faults.setdefault(canonical, deque()).append(
            Fault(kind, times, float(retry_after), delay, chat_id)
        )

    def inject_share(
        self,
        method: str,
        kind: FaultKind,
        share: float,
        *,
        seed: int = 0,
        retry_after: float = 1,
        delay: float = 0.5,
    ) -> None:
        """Make about ``share`` of all later calls of ``method`` fail (a seeded draw per call, so a
        run repeats), until ``inject_share(method, kind, 0)``. Queued ``inject`` faults fire first."""
        canonical = self._canonical(method)
        if not 0 <= share <= 1 or retry_after <= 0 or delay < 0:
            raise ValueError("share must be within 0..1, retry_after positive and delay not negative")
        if share == 0:
            self._fault_shares.pop(canonical, None)
            return
        self._fault_shares[canonical] = FaultShare(
            kind, share, random.Random(seed), float(retry_after), delay
        )

    def pending_faults(self, method: str | None = None) -> int:
        """How many injected faults have not fired yet (for one method, or all)."""
        queues = [self._faults.get(self._canonical(method), deque())] if method else self._faults.values()
        return sum(fault.remaining for queue in queues for fault in queue)

    # ---------------------------------------------------------------- HTTP

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").to_api(), 401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _json_response(ApiError(404, "Not Found").to_api(), 404)
        method, handler = entry
        self.calls[method] += 1
        self._wake()
        # A long poll waiting for updates is the bot idling, not the bot being busy.
        tracked = method != "getUpdates"
        if tracked:
            self._in_flight[method] += 1
            self._touch()
        try:
            params, uploads = await _read_params(request)
            fault = self._take_fault(method, params)
            if fault is not None:
                self.injected[(method, fault.kind)] += 1
                await self._play_fault(fault, request)
            result = await handler(params, uploads)
            if isinstance(result, _Described):
                return _json_response(
                    {"ok": True, "result": result.result, "description": result.description}, 200
                )
            return _json_response({"ok": True, "result": result}, 200)
        except ApiError as error:
            self.errors.append((method, error.code, error.description))
            return _json_response(error.to_api(), error.code)
        except Exception as error:
            # A bug in the stand-in must look like a server failure to the bot, not kill the sandbox.
            log.exception("fake Bot API failed in %s", method)
            failure = ApiError(500, f"Internal Server Error: fake Bot API failed: {error!r}")
            self.errors.append((method, failure.code, failure.description))
            return _json_response(failure.to_api(), failure.code)
        finally:
            if tracked:
                self._in_flight[method] -= 1
                self._touch()

    async def _play_fault(self, fault: Fault, request: web.Request) -> None:
        """Raise the injected error, or delay; returns only for a slow request that is to be processed."""
        if fault.kind == "429":
            self._busy_until = asyncio.get_running_loop().time() + fault.retry_after + RETRY_GRACE_SECONDS
            seconds = int(fault.retry_after) if fault.retry_after.is_integer() else fault.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        if fault.kind == "500":
            raise ApiError(500, "Internal Server Error")
        # If the client gives up during the delay, aiohttp cancels this handler here: nothing processed.
        await asyncio.sleep(fault.delay)
        if fault.kind == "lost":
            if request.transport is not None:
                request.transport.close()
            # Leaving as cancelled makes aiohttp drop the request without writing any answer.
            raise asyncio.CancelledError

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").to_api(), 401)
        self._touch()
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return _json_response(ApiError(404, "Not Found").to_api(), 404)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    # ---------------------------------------------------------------- Bot API methods

    async def _get_me(self, params: Params, uploads: Uploads) -> JSONDict:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params, uploads: Uploads) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset") or 0
        limit = max(1, min(100, _int_param(params, "limit") or 100))
        timeout = max(0.0, _float_param(params, "timeout", 0.0))
        allowed = _json_param(params, "allowed_updates", "can't parse allowed updates")
        self._acknowledge(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        # Wake an older long poll so it can answer 409, as Telegram does for two concurrent pollers.
        self._wake()

        def ready() -> bool:
            return (
                bool(self._updates)
                or generation != self._poll_generation
                or self._webhook is not None
                or self._runner is None
            )

        await self._wait_for(ready, timeout)
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if self._webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        if allowed:
            for update in [update for update in self._updates if _update_type(update) not in allowed]:
                self._updates.remove(update)
        batch = list(self._updates)[:limit]
        if batch:
            self._touch()
        return batch

    async def _set_webhook(self, params: Params, uploads: Uploads) -> _Described:
        url = (_text_param(params, "url") or "").strip()
        if not url:
            # As on Telegram, an empty URL removes the webhook.
            return await self._delete_webhook(params, uploads)
        target = self._webhook_target(url)
        secret = _text_param(params, "secret_token") or None
        if secret is not None:
            if len(secret) > MAX_SECRET_TOKEN_LENGTH:
                raise bad_request("secret token is too long")
            if not _SECRET_TOKEN_RE.fullmatch(secret):
                raise bad_request("secret token contains unallowed characters")
        allowed = _json_param(params, "allowed_updates", "can't parse allowed updates")
        if allowed is not None and (
            not isinstance(allowed, list) or not all(isinstance(name, str) for name in allowed)
        ):
            raise bad_request("can't parse allowed updates")
        requested_connections = _int_param(params, "max_connections")
        # Telegram clamps max_connections into 1..100 rather than refusing it.
        max_connections = (
            DEFAULT_MAX_CONNECTIONS
            if requested_connections is None
            else min(100, max(1, requested_connections))
        )
        previous = self._webhook
        hook = _Webhook(
            url=url,
            target=target,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=allowed,
            ip_address=_text_param(params, "ip_address") or None,
            has_custom_certificate="certificate" in uploads or bool(_text_param(params, "certificate")),
        )
        if previous is not None and previous.url == url:
            # The same endpoint: its delivery history stays visible, as on Telegram.
            hook.last_error_date, hook.last_error_message = (
                previous.last_error_date,
                previous.last_error_message,
            )
        if _bool_param(params, "drop_pending_updates"):
            self._updates.clear()
        already_set = previous is not None and previous == hook
        self._webhook = hook
        self._webhook_changed()
        self._start_delivering()
        return _Described(True, "Webhook is already set" if already_set else "Webhook was set")

    async def _delete_webhook(self, params: Params, uploads: Uploads) -> _Described:
        had_webhook = self._webhook is not None
        self._webhook = None
        if _bool_param(params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook_changed()
        return _Described(True, "Webhook was deleted" if had_webhook else "Webhook is already deleted")

    async def _get_webhook_info(self, params: Params, uploads: Uploads) -> JSONDict:
        return self.webhook_info()

    async def _send_message(self, params: Params, uploads: Uploads) -> JSONDict:
        state = self._target_chat(params)
        text = _text_param(params, "text")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        plain, entities = self._formatted(text, params, "parse_mode", "entities")
        if not plain.strip():
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        message = self._new_bot_message(state, params)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        return self._publish(state, message)

    async def _send_document(self, params: Params, uploads: Uploads) -> JSONDict:
        state = self._target_chat(params)
        stored = self._input_file(params, uploads, "document", "documents")
        message = self._new_bot_message(state, params)
        message["document"] = self._document_object(stored)
        self._apply_caption(message, params)
        return self._publish(state, message)

    async def _send_photo(self, params: Params, uploads: Uploads) -> JSONDict:
        state = self._target_chat(params)
        stored = self._input_file(params, uploads, "photo", "photos")
        message = self._new_bot_message(state, params)
        message["photo"] = [self._photo_size(stored, 1280, 960)]
        self._apply_caption(message, params)
        return self._publish(state, message)

    async def _send_chat_action(self, params: Params, uploads: Uploads) -> bool:
        state = self._target_chat(params)
        if not _text_param(params, "action"):
            raise bad_request("action is empty")
        self._acting_until[state.chat.id] = asyncio.get_running_loop().time() + CHAT_ACTION_SECONDS
        return True

    async def _edit_message_text(self, params: Params, uploads: Uploads) -> JSONDict:
        state, message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = _text_param(params, "text")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        plain, entities = self._formatted(text, params, "parse_mode", "entities")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = self._inline_markup(params)
        return self._apply_edit(
            state, message, {"text": plain, "entities": entities or None, "reply_markup": markup}
        )

    async def _edit_message_caption(self, params: Params, uploads: Uploads) -> JSONDict:
        state, message = self._message_to_edit(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption = _text_param(params, "caption") or ""
        plain, entities = self._formatted(caption, params, "parse_mode", "caption_entities")
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = self._inline_markup(params)
        changes = {"caption": plain or None, "caption_entities": entities or None, "reply_markup": markup}
        return self._apply_edit(state, message, changes)

    async def _edit_message_reply_markup(self, params: Params, uploads: Uploads) -> JSONDict:
        state, message = self._message_to_edit(params)
        return self._apply_edit(state, message, {"reply_markup": self._inline_markup(params)})

    async def _delete_message(self, params: Params, uploads: Uploads) -> bool:
        state = self._target_chat(params)
        message_id = _int_param(params, "message_id", empty_reason="message identifier is not specified")
        message = state.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to delete not found")
        if message["from"]["id"] != self.bot_user.id and state.chat.type != "private":
            raise bad_request("message can't be deleted")
        del state.messages[message["message_id"]]
        self._emit(BotEvent("deleted", state.chat, message))
        return True

    async def _answer_callback_query(self, params: Params, uploads: Uploads) -> bool:
        query_id = _text_param(params, "callback_query_id")
        if not query_id or query_id not in self._open_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(_text_param(params, "text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        del self._open_callbacks[query_id]
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": _text_param(params, "text"),
                "show_alert": _bool_param(params, "show_alert"),
                "url": _text_param(params, "url"),
                "cache_time": _int_param(params, "cache_time") or 0,
            }
        )
        self._wake()
        return True

    async def _set_message_reaction(self, params: Params, uploads: Uploads) -> bool:
        state = self._target_chat(params, sending=False)
        message_id = _int_param(params, "message_id", empty_reason="message identifier is not specified")
        message = state.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to react not found")
        reaction = _json_param(params, "reaction", "can't parse reaction types JSON object") or []
        if not isinstance(reaction, list) or not all(isinstance(each, dict) for each in reaction):
            raise bad_request("can't parse reaction types JSON object")
        emoji = [str(each.get("emoji", "")) for each in reaction if each.get("type") == "emoji"]
        if any(each not in ALLOWED_REACTIONS for each in emoji):
            raise bad_request("REACTION_INVALID")
        self.reactions[(state.chat.id, message["message_id"])] = emoji
        self._emit(BotEvent("reacted", state.chat, {**message, "bot_reaction": emoji}))
        return True

    def reaction(self, chat: FakeChat | int, message_id: int) -> list[str]:
        """The bot's reaction emoji on a message (none: [])."""
        return list(self.reactions.get((self.chat(chat).id, message_id), []))

    async def _get_file(self, params: Params, uploads: Uploads) -> JSONDict:
        file_id = _text_param(params, "file_id")
        stored = self._files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, params: Params, uploads: Uploads) -> bool:
        commands = _json_param(params, "commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("commands must be an Array")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _json_param(params, "scope", "can't parse BotCommandScope JSON object")
        key = _commands_key(scope, _text_param(params, "language_code") or "")
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _get_my_commands(self, params: Params, uploads: Uploads) -> list[JSONDict]:
        scope = _json_param(params, "scope", "can't parse BotCommandScope JSON object")
        return self.commands(scope, _text_param(params, "language_code") or "")

    async def _delete_my_commands(self, params: Params, uploads: Uploads) -> bool:
        scope = _json_param(params, "scope", "can't parse BotCommandScope JSON object")
        self._commands.pop(_commands_key(scope, _text_param(params, "language_code") or ""), None)
        return True

    async def _get_chat(self, params: Params, uploads: Uploads) -> JSONDict:
        state = self._target_chat(params, sending=False)
        return {
            **state.chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _close(self, params: Params, uploads: Uploads) -> bool:
        return True

    # ---------------------------------------------------------------- internals: messages

    def _target_chat(self, params: Params, *, sending: bool = True) -> _ChatState:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        state = self._chats.get(chat_id)
        if state is None:
            if sending and chat_id in self._users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if state.bot_removed and sending:
            if state.chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return state

    def _new_message(self, state: _ChatState, sender: FakeUser) -> JSONDict:
        state.last_message_id += 1
        return {
            "message_id": state.last_message_id,
            "from": sender.to_api(),
            "chat": state.chat.to_api(),
            "date": int(self.clock.now().timestamp()),
        }

    def _new_bot_message(self, state: _ChatState, params: Params) -> JSONDict:
        """Resolve the reply target and markup first, so a rejected request leaves no trace."""
        replied = self._replied_message(state, params)
        markup = self._inline_markup(params)
        message = self._new_message(state, self.bot_user)
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        if markup is not None:
            message["reply_markup"] = markup
        return message

    def _replied_message(self, state: _ChatState, params: Params) -> JSONDict | None:
        reply = _json_param(params, "reply_parameters", "can't parse reply parameters JSON object")
        if isinstance(reply, dict):
            reply_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", False))
            if reply.get("chat_id") not in (None, state.chat.id, str(state.chat.id)):
                raise bad_request("quoting messages from other chats is not supported by the sandbox")
        elif reply is not None:
            raise bad_request("can't parse reply parameters JSON object")
        else:
            reply_id = _int_param(params, "reply_to_message_id")
            allow_missing = _bool_param(params, "allow_sending_without_reply")
        if reply_id is None:
            return None
        replied = state.messages.get(int(reply_id))
        if replied is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return replied

    def _inline_markup(self, params: Params) -> JSONDict | None:
        markup = _json_param(params, "reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _validate_inline_keyboard(markup)
        # Reply keyboards and ForceReply are accepted but, as in Telegram, not part of the Message object.
        return None

    def _formatted(
        self, text: str, params: Params, mode_name: str, entities_name: str
    ) -> tuple[str, list[JSONDict]]:
        explicit = _json_param(params, entities_name, f"can't parse {entities_name} JSON object")
        if explicit:
            if not isinstance(explicit, list):
                raise bad_request(f"can't parse {entities_name} JSON object")
            return trim_text(text, explicit)
        mode = (_text_param(params, mode_name) or "").lower()
        if mode == "html":
            return trim_text(*parse_html(text))
        return trim_text(text, [])

    def _apply_caption(self, message: JSONDict, params: Params) -> None:
        caption = _text_param(params, "caption")
        if not caption:
            return
        plain, entities = self._formatted(caption, params, "parse_mode", "caption_entities")
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        message["caption"] = plain
        if entities:
            message["caption_entities"] = entities

    def _message_to_edit(self, params: Params) -> tuple[_ChatState, JSONDict]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        state = self._target_chat(params, sending=False)
        message_id = _int_param(params, "message_id", empty_reason="message identifier is not specified")
        message = state.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user.id:
            raise bad_request("message can't be edited")
        return state, message

    def _apply_edit(self, state: _ChatState, message: JSONDict, changes: dict[str, Any]) -> JSONDict:
        if all(message.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(self.clock.now().timestamp())
        self._emit(BotEvent("edited", state.chat, message))
        return message

    def _publish(self, state: _ChatState, message: JSONDict) -> JSONDict:
        state.messages[message["message_id"]] = message
        self._acting_until.pop(state.chat.id, None)
        self._send_times.append((asyncio.get_running_loop().time(), state.chat.id))
        self._emit(BotEvent("sent", state.chat, message))
        return message

    def _emit(self, event: BotEvent) -> None:
        self.events.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                # A broken printer must not turn into an API error for the bot.
                log.exception("on_bot_message listener failed")
        self._wake()

    def _bot_can_see(self, state: _ChatState, message: JSONDict) -> bool:
        if state.bot_removed:
            return False
        chat = state.chat
        if chat.type == "private" or not self.privacy_mode:
            return True
        replied = message.get("reply_to_message")
        if replied is not None and replied["from"]["id"] == self.bot_user.id:
            return True
        words = (message.get("text") or message.get("caption") or "").split()
        mention = f"@{self.bot_user.username}".lower()
        if any(word.lower() == mention for word in words):
            return True
        if words and words[0].startswith("/"):
            _, _, addressee = words[0].partition("@")
            return not addressee or addressee.lower() == (self.bot_user.username or "").lower()
        return False

    # ---------------------------------------------------------------- internals: files

    def _store_file(
        self, content: bytes, folder: str, suffix: str, name: str | None, mime: str | None
    ) -> StoredFile:
        self._last_file_number += 1
        number = self._last_file_number
        extension = suffix or (("." + name.rsplit(".", 1)[1]) if name and "." in name else "")
        stored = StoredFile(
            file_id=f"SBX{folder[:3].upper()}{number:08d}AgAD",
            file_unique_id=f"U{number:08d}",
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
            file_name=name,
            mime_type=mime,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, params: Params, uploads: Uploads, name: str, folder: str) -> StoredFile:
        reference = _text_param(params, name)
        upload = uploads.get(name)
        if reference and reference.startswith("attach://"):
            upload = uploads.get(reference.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            mime = upload.content_type or mimetypes.guess_type(upload.filename or "")[0]
            return self._store_file(upload.content, folder, "", upload.filename, mime)
        if reference:
            known = self._files.get(reference)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return known
        raise bad_request(f"there is no {name} in the request")

    def _document_object(self, stored: StoredFile) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _photo_size(self, stored: StoredFile, width: int, height: int) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "width": width,
            "height": height,
        }

    # ---------------------------------------------------------------- internals: webhook delivery

    def _webhook_target(self, url: str) -> str:
        """Where to POST for a webhook ``url``; refuses what the sandbox must not (or cannot) reach."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from None
        if parts.scheme not in ("http", "https"):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        if not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        for public, local in self._webhook_routes.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public) :]
        if port == 0 or not _is_loopback(parts.hostname):
            raise bad_request(
                f"bad webhook: the sandbox delivers only to 127.0.0.1 or localhost (or a URL mapped with "
                f"route_webhook), not to {parts.hostname}"
            )
        return url

    def _webhook_changed(self) -> None:
        self._webhook_generation += 1
        self._touch()
        self._wake()

    def _start_delivering(self) -> None:
        if self._delivery_task is None and self._runner is not None:
            self._webhook_session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout)
            )
            self._delivery_task = asyncio.get_running_loop().create_task(self._deliver_updates())

    async def _deliver_updates(self) -> None:
        """From the first setWebhook until stop(): POST queued updates to the webhook, oldest first.

        A failed delivery is retried after each of ``webhook_retry_delays``; then the update waits, still
        pending, until a new update arrives or setWebhook is called again (Telegram keeps retrying for
        a day; a test wants a bounded, visible failure instead).
        """
        failures = 0
        generation = -1
        last_update_seen = -1
        while self._runner is not None:
            if generation != self._webhook_generation:
                generation, failures = self._webhook_generation, 0
            gave_up = failures > len(self.webhook_retry_delays)
            if gave_up and self._last_update_id != last_update_seen:
                failures, gave_up = 0, False
            hook = self._webhook
            if hook is None or not self._updates or gave_up:
                await self._changed.wait()
                continue
            update = self._updates[0]
            if hook.allowed_updates and _update_type(update) not in hook.allowed_updates:
                self._updates.popleft()
                self._touch()
                continue
            last_update_seen = self._last_update_id
            error = await self._post_update(hook, update)
            if error is None:
                failures = 0
                # A setWebhook with drop_pending_updates may have emptied the queue meanwhile.
                if self._updates and self._updates[0] is update:
                    self._updates.popleft()
                self._touch()
                continue
            failures += 1
            if failures <= len(self.webhook_retry_delays):
                await self._wait_for(
                    functools.partial(self._webhook_moved_on, generation),
                    self.webhook_retry_delays[failures - 1],
                )

    def _webhook_moved_on(self, generation: int) -> bool:
        """Whether setWebhook/deleteWebhook was called (or the server stopped) since ``generation``."""
        return self._webhook_generation != generation or self._runner is None

    async def _post_update(self, hook: _Webhook, update: JSONDict) -> str | None:
        """POST one update; returns None when the bot took it, else the error as getWebhookInfo words it."""
        session = self._webhook_session
        assert session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token is not None:
            headers[SECRET_TOKEN_HEADER] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        error: str | None = None
        self._in_flight[WEBHOOK_DELIVERY] += 1
        self._touch()
        try:
            # No redirects and no certificate checks: Telegram counts a 3xx as a failure, and the
            # sandbox only ever talks to the machine it runs on.
            async with session.post(
                hook.target, data=body, headers=headers, allow_redirects=False, ssl=False
            ) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    error = (
                        f"Wrong response from the webhook: {response.status} {response.reason or ''}".rstrip()
                    )
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError as failure:
            error = (
                "Connection refused"
                if isinstance(failure.os_error, ConnectionRefusedError)
                else f"Connection failed: {failure.os_error.strerror or failure.os_error}"
            )
        except aiohttp.ClientError as failure:
            error = f"Connection failed: {failure}"
        except Exception as failure:
            # A bug here must show up as a failed delivery, not silently end all deliveries.
            log.exception("webhook delivery of update %s crashed", update["update_id"])
            error = f"Connection failed: {failure!r}"
        finally:
            self._in_flight[WEBHOOK_DELIVERY] -= 1
            self._touch()
        self.deliveries.append(WebhookDelivery(update["update_id"], hook.url, error))
        if error is not None:
            log.info("webhook delivery of update %s failed: %s", update["update_id"], error)
            hook.last_error_date = int(self.clock.now().timestamp())
            hook.last_error_message = error
        self._wake()
        return error

    # ---------------------------------------------------------------- internals: bookkeeping

    def _enqueue_update(self, body: JSONDict) -> None:
        self._last_update_id += 1
        self._updates.append({"update_id": self._last_update_id, **body})
        self._touch()
        self._wake()

    def _acknowledge(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset`` updates."""
        before = len(self._updates)
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        else:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        if len(self._updates) != before:
            self._touch()

    def _take_fault(self, method: str, params: Params) -> Fault | None:
        queue = self._faults.get(method, deque())
        chat_id: int | None = None
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(params.get("chat_id"))  # type: ignore[arg-type]
        for fault in queue:
            if fault.chat_id is None or fault.chat_id == chat_id:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.remove(fault)
                return fault
        shared = self._fault_shares.get(method)
        if shared is not None and shared.rng.random() < shared.share:
            return Fault(shared.kind, 1, shared.retry_after, shared.delay)
        return None

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ValueError(f"the fake Bot API does not implement {method!r}")
        return entry[0]

    def _chat_state(self, chat: FakeChat | int) -> _ChatState:
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        state = self._chats.get(chat_id)
        if state is None:
            raise KeyError(f"no chat {chat_id}: create it with group() or private() first")
        return state

    def _known_user(self, user: FakeUser | int) -> FakeUser:
        if isinstance(user, FakeUser):
            return self.user(user.id, user.first_name, user.username)
        found = self._users.get(user)
        if found is None:
            raise KeyError(f"no user {user}: create it with user() first")
        return found

    def _touch(self) -> None:
        """Note that something happened: idle() restarts its quiet period."""
        self._activity += 1

    def _wake(self) -> None:
        """Wake everyone waiting for a change of state (without counting as the bot being busy)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for(self, condition: Callable[[], bool], seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return True


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_reply(message: JSONDict) -> JSONDict:
    """Telegram nests ``reply_to_message`` one level only."""
    copy = json.loads(json.dumps(message))
    copy.pop("reply_to_message", None)
    return copy


def _update_type(update: JSONDict) -> str:
    return next(key for key in update if key != "update_id")


def _commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    normalized = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(normalized, sort_keys=True), language_code


def _json_response(body: JSONDict, status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


async def _read_params(request: web.Request) -> tuple[Params, Uploads]:
    """Query string, then the body: form-encoded, multipart (file parts become uploads) or JSON."""
    params: Params = dict(request.query)
    uploads: Uploads = {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON encoded request body")
        params.update(body)
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, FileField):
                uploads[name] = _Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
    return params, uploads
