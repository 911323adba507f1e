"""The sandbox: the real bot, talking over HTTP to the local Bot API stand-in, with a chat in the terminal.

Each stdin line is a message from the current persona in the current chat, echoed first as
``[persona @ chat] > line`` so the output reads as a transcript; the bot's answers follow. Lines
starting with ``:`` drive the simulation (see ``SANDBOX_HELP``); lines starting with ``#`` are
printed as they are (comments in a scripted demo). It ends, with exit code 0, at end of input:

    printf ':date 2023-07-03\\n/overdue\\n' | python -m bot sandbox

The chats and the clock are in memory; the clock stands still at the simulated day until
``:date`` moves it. So is the database, unless ``--db PATH`` names a file: then the sandbox's
bindings and reports are written there, and the CLI's views read them (``status … --db PATH``).
A later session on the same file finds every bound chat again, private and leader chats included.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shlex
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot import texts
from bot.app import CALENDAR_KEY, SENDER_KEY, App, build_application, polling
from bot.clock import FIRST_DAY, LAST_DAY, FakeClock, parse_day
from bot.config import Settings
from bot.dates import parse_user_date
from bot.directory import Directory
from bot.models import Plan, Status
from bot.progress import BUTTON_STATUSES, MEASURE_ID, normalize_text, parse_button
from bot.sandbox.botapi import DEFAULT_TOKEN, BotApiServer, BotEvent, FakeChat, FakeUser, JSONDict
from bot.services import Services
from bot.store import Store
from handlers.progress import DIGEST_MARKS_KEY, DigestMarks
from schedules.calendar import WorkCalendar
from schedules.dispatch import SendDigest, run_reminders
from schedules.policy import Digest

log = logging.getLogger(__name__)

SANDBOX_ADMIN_ID = 1
STRANGER_ID = 9999
STRANGER_NAME = "陌生人"
# Persona user ids: a leader's is LEADER_USER_BASE + their place in the directory, a unit contact's
# UNIT_CONTACT_BASE + the unit's; the same in every session, so a --db file's private chats match.
LEADER_USER_BASE = 100
UNIT_CONTACT_BASE = 1000
STRANGER_CHAT_ID = -9999
STRANGER_CHAT_TITLE = "未绑定的群"
PRIVATE_CHAT_NAME = "私聊"
DEMO_LEADER = "倪德才"
LEADER_CHAT_TITLE = "领导群"
NEW_GROUP_BASE = -20000
"""Groups made by ``:group`` get ids below this, clear of the units' and leaders' groups."""
PAGE_WORDS = {
    "next": texts.LV_BUTTON_NEXT,
    "下一页": texts.LV_BUTTON_NEXT,
    "prev": texts.LV_BUTTON_PREV,
    "上一页": texts.LV_BUTTON_PREV,
}
# The simulated clock's time of day: after a typical BOT_REMIND_AT, as reminders are ticked by hand.
SANDBOX_TIME = time(9, 30)
SANDBOX_COMMANDS = (
    "as",
    "leader",
    "admin",
    "stranger",
    "private",
    "date",
    "tick",
    "press",
    "reply",
    "answer",
    "photo",
    "file",
    "replyphoto",
    "replyfile",
    "page",
    "group",
    "help",
)
SANDBOX_HELP = """沙盒命令（其余每行都作为当前身份在当前群里发出的消息）：
  :as 单位名称         切换为该单位联络员，进入该单位工作群
  :leader 姓名         切换为该领导，进入其领导群
  :admin               切换回管理员（在领导群）
  :stranger            切换为未绑定的陌生人，进入一个未绑定的群（试试各种拒绝）
  :private             当前身份与机器人私聊（如 /start 邀请码）
  :date YYYY-MM-DD     设定模拟的“今天”（也可写 明天、3天后、6月30日）
  :tick                立即执行今天的提醒推送
  :press 编号 状态     点击本群最近一条提醒里该编号的按钮（状态：已完成/进行中/受阻）
  :press 按钮文字      点本群最近一条带按钮的回答里写着这些字的按钮（如 :press 全部单位）
  :reply 文字          回复本群最近一条提醒
  :answer 文字         回复机器人在本群的最后一条消息（如“申请延期”“不同意”后请您回复的提问）
  :photo [说明]        发送一张照片（说明里写编号即记为佐证材料）
  :file 文件名 [说明]  发送一个文件
  :replyphoto [说明]   回复本群最近一条提醒，发送一张照片（提醒只有一项时可不写编号）
  :replyfile 文件名 [说明]  回复本群最近一条提醒，发送一个文件
  :page next|prev      点本群最近一条分页回答的“下一页 ▶”或“◀ 上一页”（也可写 下一页、上一页）
  :group 群名          以管理员身份进入一个新建的、尚未绑定的群（演练 /bind、/invite）
  :help                显示本帮助"""


class SandboxError(Exception):
    """A sandbox command that cannot be carried out; the message says why."""


class FailedDeliveryShownByTick(logging.Filter):
    """Drops the dispatcher's traceback for a digest that was not delivered: ``:tick`` prints the
    failure as one ``[sandbox]`` line, and a traceback would bury the transcript (``-v`` keeps it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None or logging.getLogger().isEnabledFor(logging.DEBUG)


@dataclass
class Persona:
    user: FakeUser
    chat: FakeChat

    def prompt(self) -> str:
        where = PRIVATE_CHAT_NAME if self.chat.type == "private" else self.chat.name
        return f"[{self.user.first_name} @ {where}]"


class Sandbox:
    """The simulated world: personas, their chats, and the bot that serves them."""

    def __init__(
        self, api: BotApiServer, app: App, services: Services, clock: FakeClock, out: TextIO
    ) -> None:
        self.api = api
        self.app = app
        self.services = services
        self.clock = clock
        self.out = out
        self.unit_chats: dict[str, FakeChat] = {}
        self.leader_chats: dict[str, FakeChat] = {}
        self.admin = api.user(SANDBOX_ADMIN_ID, "管理员", "sandbox_admin")
        self._bind_every_unit()
        self._restore_bound_chats()
        self.persona = Persona(self.admin, self.leader_chat(DEMO_LEADER))
        api.on_bot_message(self.show)

    # ------------------------------------------------------------ the demo world

    def _bind_every_unit(self) -> None:
        """A group per unit, bound to it; one write, and none for a database that has them already
        (a ``--db`` file from an earlier session: its chat ids are the same every time)."""
        store = self.services.store
        with store.transaction():
            for index, unit in enumerate(self.services.directory.units):
                chat = self.api.group(-(1000 + index), f"{unit.name}工作群")
                bound = store.binding(chat.id)
                if bound is None or unit.name not in bound.units:
                    store.bind_units(chat.id, [unit.name], title=chat.title or "")
                self.unit_chats[unit.name] = chat

    def _restore_bound_chats(self) -> None:
        """Every other chat the database has a binding for, back in the stand-in, so today's
        reminders reach it: a ``--db`` file keeps the bindings of private and leader chats an
        earlier session made, but the stand-in starts empty. Private chats come back as users who
        pressed Start. Writes nothing."""
        leaders = [DEMO_LEADER, *self.services.directory.leaders]
        own_groups = dict(self._leader_chat_place(leader) for leader in leaders)
        own_groups[STRANGER_CHAT_ID] = STRANGER_CHAT_TITLE
        present = {chat.id for chat in self.api.chats()}
        for binding in self.services.store.bindings():
            if binding.chat_id in present:
                continue
            if binding.chat_id > 0:
                self.api.private(self._person(binding.chat_id, binding.title))
            else:
                title = own_groups.get(binding.chat_id) or binding.title or str(binding.chat_id)
                self.api.group(binding.chat_id, title)

    def _person(self, user_id: int, title: str) -> FakeUser:
        """The user of a bound private chat: one of the sandbox's personas (same id, same name in
        every session), else someone named as the binding's title says."""
        leaders = self.services.directory.leaders
        units = self.services.directory.units
        if user_id == SANDBOX_ADMIN_ID:
            return self.admin
        if user_id == STRANGER_ID:
            return self.api.user(STRANGER_ID, STRANGER_NAME)
        if 0 <= user_id - LEADER_USER_BASE < len(leaders):
            return self.api.user(user_id, leaders[user_id - LEADER_USER_BASE])
        if 0 <= user_id - UNIT_CONTACT_BASE < len(units):
            return self.unit_contact(units[user_id - UNIT_CONTACT_BASE].name)
        return self.api.user(user_id, title or str(user_id))

    def _leader_chat_place(self, leader: str) -> tuple[int, str]:
        """A leader's chat id and title; by the directory's order, so the id is the same every session."""
        if leader == DEMO_LEADER:
            return -10, LEADER_CHAT_TITLE
        return -(11 + self.services.directory.leaders.index(leader)), f"{leader}{LEADER_CHAT_TITLE}"

    def leader_chat(self, leader: str) -> FakeChat:
        found = self.leader_chats.get(leader)
        if found is None:
            chat_id, title = self._leader_chat_place(leader)
            found = self.api.group(chat_id, title)
            bound = self.services.store.binding(found.id)
            if bound is None or bound.leader != leader:
                self.services.store.bind_leader(found.id, leader, title=title)
            self.leader_chats[leader] = found
        return found

    def unit_contact(self, unit: str) -> FakeUser:
        index = [u.name for u in self.services.directory.units].index(unit)
        return self.api.user(UNIT_CONTACT_BASE + index, f"{unit}联络员")

    # ------------------------------------------------------------ output

    def print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, event: BotEvent) -> None:
        """Print what the bot did: in full in the current chat, as one line elsewhere."""
        if event.kind == "deleted":
            return
        if event.kind == "reacted":
            where = "" if event.chat.id == self.persona.chat.id else f" → {event.chat.name}"
            self.print(f"[bot{where}] {' '.join(event.message.get('bot_reaction', []))}（回应上一条消息）")
            return
        text = event.message.get("text") or event.message.get("caption") or ""
        verb = "（已修改）" if event.kind == "edited" else ""
        if event.chat.id != self.persona.chat.id:
            self.print(f"[bot → {event.chat.name}]{verb} {text.splitlines()[0] if text else ''}")
            return
        self.print(f"[bot]{verb}")
        for line in text.splitlines():
            self.print(f"  {line}")
        for row in event.message.get("reply_markup", {}).get("inline_keyboard", []):
            self.print("  " + " ".join(f"[{button['text']}]" for button in row))

    # ------------------------------------------------------------ input

    async def handle(self, line: str) -> None:
        line = line.rstrip("\n")
        if not line.strip():
            return
        if line.lstrip().startswith("#"):
            self.print(line)
            return
        self.print(f"{self.persona.prompt()} > {line}")
        try:
            if line.startswith(":"):
                await self.command(line[1:])
            else:
                await self.api.user_sends(self.persona.chat, self.persona.user, line)
            await self.api.idle()
        except SandboxError as error:
            self.print(f"[sandbox] {error}")

    async def command(self, text: str) -> None:
        name, _, rest = text.strip().partition(" ")
        rest = rest.strip()
        actions: dict[str, Callable[[str], object]] = {
            "as": self.become_unit,
            "leader": self.become_leader,
            "admin": self.become_admin,
            "stranger": self.become_stranger,
            "private": self.go_private,
            "date": self.set_date,
            "tick": self.tick,
            "press": self.press,
            "reply": self.reply,
            "answer": self.answer,
            "photo": self.photo,
            "file": self.file,
            "replyphoto": self.reply_photo,
            "replyfile": self.reply_file,
            "page": self.page,
            "group": self.open_group,
            "help": lambda _: self.print(SANDBOX_HELP),
        }
        assert set(actions) == set(SANDBOX_COMMANDS)
        action = actions.get(name)
        if action is None:
            raise SandboxError(f"没有沙盒命令 :{name}。输入 :help 查看。")
        result = action(rest)
        if asyncio.iscoroutine(result):
            await result

    def become_unit(self, name: str) -> None:
        if not name:
            raise SandboxError("用法：:as 单位名称")
        unit = self.services.directory.resolve(name)
        if unit is None or unit not in self.unit_chats:
            hint = "、".join(self.services.directory.suggest(name))
            raise SandboxError(f"没有单位“{name}”。" + (f"您是不是要找：{hint}？" if hint else ""))
        self.persona = Persona(self.unit_contact(unit), self.unit_chats[unit])

    def become_leader(self, name: str) -> None:
        leader = self.services.directory.resolve_leader("".join(name.split())) if name else None
        if leader is None:
            raise SandboxError(f"没有领导“{name}”。可选：{'、'.join(self.services.directory.leaders)}")
        index = self.services.directory.leaders.index(leader)
        self.persona = Persona(self.api.user(LEADER_USER_BASE + index, leader), self.leader_chat(leader))

    def become_admin(self, _: str) -> None:
        self.persona = Persona(self.admin, self.leader_chat(DEMO_LEADER))

    def become_stranger(self, _: str) -> None:
        """Someone no admin knows, in a group nobody bound: every refusal can be tried here."""
        stranger = self.api.user(STRANGER_ID, STRANGER_NAME)
        self.persona = Persona(stranger, self.api.group(STRANGER_CHAT_ID, STRANGER_CHAT_TITLE))

    def go_private(self, _: str) -> None:
        self.persona = Persona(self.persona.user, self.api.private(self.persona.user))

    def set_date(self, text: str) -> None:
        typed = text.strip()
        if not typed:
            raise SandboxError("用法：:date YYYY-MM-DD（也可写 明天、3天后、6月30日）")
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", typed):
            try:
                day = parse_day(typed)
            except ValueError:
                raise SandboxError(
                    f"日期须是 {FIRST_DAY.year}–{LAST_DAY.year} 年间真实存在的一天：{typed}"
                ) from None
        else:
            # Relative words read from the simulated today: :date 明天, :date 3天后, :date 6月30日.
            found = parse_user_date(typed, self.clock.now().date())
            if found is None:
                raise SandboxError(f"看不懂的日期：{typed}（例如 2023-07-03、明天、3天后、6月30日）")
            day = found
        self.clock.set_day(day)
        self.print(f"[sandbox] 今天是 {day.isoformat()}")

    async def tick(self, _: str) -> None:
        sender: SendDigest = self.app.bot_data[SENDER_KEY]
        messages = 0

        async def send(chat_id: int, digest: Digest) -> list[int]:
            nonlocal messages
            message_ids = await sender(chat_id, digest)
            messages += len(message_ids)
            return message_ids

        report = await run_reminders(self.services, self.app.bot_data[CALENDAR_KEY], send)
        await self.api.idle()
        if not report.workday:
            self.print(f"[sandbox] {report.day.isoformat()} 不是工作日，没有提醒。")
            return
        # 份 is one digest in one chat; a long digest goes out as several messages.
        deliveries = len(report.sent) + len(report.already_sent) + len(report.failed)
        summary = (
            f"[sandbox] {report.day.isoformat()}：{deliveries} 份提醒，本次发出 {len(report.sent)} 份，"
            f"共 {messages} 条消息；此前已发 {len(report.already_sent)} 份；未送达 {len(report.failed)} 份"
        )
        if report.unbound:
            summary += f"；另有 {len(report.unbound)} 份没有绑定的聊天，未发"
        self.print(summary)
        for failure in report.failed:
            _, _, recipient = failure.recipient.partition(":")
            # "Forbidden: Forbidden: bot was kicked…" is the error's class name, then its message,
            # which may start with the same word.
            kind, _, message = failure.error.partition(": ")
            reason = message if message.startswith(f"{kind}:") else failure.error
            self.print(f"[sandbox] 未送达：{recipient} 的提醒 → {self.chat_name(failure.chat_id)}：{reason}")

    def chat_name(self, chat_id: int) -> str:
        found = next((chat for chat in self.api.chats() if chat.id == chat_id), None)
        if found is None:
            return str(chat_id)
        return PRIVATE_CHAT_NAME + f"（{found.name}）" if found.type == "private" else found.name

    def latest_digest(self) -> JSONDict:
        for message in reversed(self.api.bot_messages(self.persona.chat)):
            if message.get("reply_markup"):
                return message
        hint = f"{self.persona.chat.name} 里还没有带按钮的提醒。先 :tick 推送今天的提醒。"
        if self.services.store.path is not None:
            # The ledger is in the --db file: a day ticked in an earlier session is not sent again.
            hint += "（数据库里已记为发过的提醒不会重发，可先 :date 换一天。）"
        raise SandboxError(hint)

    async def press(self, text: str) -> None:
        parts = normalize_text(text).split()
        if not parts:
            raise SandboxError("用法：:press 编号 状态（如 :press 2-63-1 已完成），或 :press 按钮文字")
        if len(parts) != 2 or not MEASURE_ID.fullmatch(parts[0]):
            await self.press_labelled(text.strip())
            return
        measure, status_text = parts
        wanted = {status.value: status for status in BUTTON_STATUSES}.get(status_text)
        if wanted is None:
            raise SandboxError(f"按钮只有：{'、'.join(s.value for s in BUTTON_STATUSES)}")
        for message in reversed(self.api.bot_messages(self.persona.chat)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    press = parse_button(button.get("callback_data", ""))
                    if press is not None and press.measure == measure and press.status is Status(wanted):
                        await self._press_button(message, button)
                        # The press marks its entry in the digest a moment later (presses
                        # within a second make one edit): show it before the next line.
                        await self.api.wait_until(self.digest_marked, timeout=10)
                        await self.api.idle()
                        return
        raise SandboxError(f"{self.persona.chat.name} 的提醒里没有 {measure} 的按钮。")

    async def press_labelled(self, label: str) -> None:
        """Press the button whose text holds ``label`` on the latest answer in this chat that has
        one: a view's buttons (全部单位明细, 返回汇总), /find's, 催办's. A button whose whole text is
        ``label`` wins over one that only holds it (月调度's 逐项填报, not a group's 逐项填报：本期进展)."""
        for message in reversed(self.api.bot_messages(self.persona.chat)):
            buttons = [
                b
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data")
            ]
            exact = (b for b in buttons if b["text"] == label)
            button = next(exact, None) or next((b for b in buttons if label in b["text"]), None)
            if button is None:
                continue
            await self._press_button(message, button)
            return
        raise SandboxError(f"{self.persona.chat.name} 里没有写着“{label}”的按钮。")

    async def _press_button(self, message: JSONDict, button: JSONDict) -> None:
        """Press ``button`` of ``message`` as the persona; print the alert or toast it answers."""
        query = await self.api.user_presses(
            self.persona.chat, self.persona.user, message["message_id"], button["callback_data"]
        )
        await self.api.idle()
        answer = self.api.callback_answer(query)
        if answer is not None and answer.get("text"):
            self.print(f"[bot 提示] {answer['text']}")

    async def page(self, text: str) -> None:
        """Press the page button of the latest paged answer in this chat, as a person would."""
        wanted = PAGE_WORDS.get(text.strip().lower())
        if wanted is None:
            raise SandboxError("用法：:page next 或 :page prev（也可写 下一页、上一页）")
        for message in reversed(self.api.bot_messages(self.persona.chat)):
            buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            if not any(b["text"] in PAGE_WORDS.values() or "/" in b["text"] for b in buttons):
                continue
            button = next((b for b in buttons if b["text"] == wanted), None)
            if button is None:
                edge = "最后一页" if wanted == texts.LV_BUTTON_NEXT else "第一页"
                raise SandboxError(f"已经是{edge}了。")
            await self._press_button(message, button)
            return
        raise SandboxError(f"{self.persona.chat.name} 里没有可以翻页的回答。")

    def open_group(self, name: str) -> None:
        """A new group named ``name``, nobody bound it, the admin in it: rehearse /bind and /invite.
        The same name again goes back to that group."""
        title = name.strip()
        if not title:
            raise SandboxError("用法：:group 群名，例如 :group 区水务局工作群（新）")
        chats = self.api.chats()
        found = next((chat for chat in chats if chat.title == title and chat.id <= NEW_GROUP_BASE), None)
        if found is None:
            chat_id = min([NEW_GROUP_BASE + 1, *(chat.id for chat in chats if chat.id <= NEW_GROUP_BASE)]) - 1
            found = self.api.group(chat_id, title)
        self.persona = Persona(self.admin, found)
        binding = self.services.store.binding(found.id)
        self.print(f"[sandbox] 您（管理员）在“{title}”里" + ("，本群尚未绑定。" if binding is None else "。"))

    def digest_marked(self) -> bool:
        """Whether every press so far has marked its digest entry (the edit went out)."""
        marks: DigestMarks = self.app.bot_data[DIGEST_MARKS_KEY]
        return not marks.waiting

    async def reply(self, text: str) -> None:
        if not text:
            raise SandboxError("用法：:reply 文字")
        digest = self.latest_digest()
        await self.api.user_sends(self.persona.chat, self.persona.user, text, reply_to=digest["message_id"])

    async def answer(self, text: str) -> None:
        """Reply to the bot's last message here: the questions a button asks (申请延期's new date and
        reason, 不同意's reason) are answered this way, as in Telegram."""
        if not text:
            raise SandboxError("用法：:answer 文字")
        messages = self.api.bot_messages(self.persona.chat)
        if not messages:
            raise SandboxError(f"{self.persona.chat.name} 里机器人还没有发过消息。")
        await self.api.user_sends(
            self.persona.chat, self.persona.user, text, reply_to=messages[-1]["message_id"]
        )

    async def photo(self, caption: str, *, reply_to: int | None = None) -> None:
        await self.api.user_sends(
            self.persona.chat, self.persona.user, photo=True, caption=caption or None, reply_to=reply_to
        )

    async def file(self, text: str, *, reply_to: int | None = None, usage: str = ":file") -> None:
        try:
            parts = shlex.split(text)
        except ValueError:
            parts = text.split()
        if not parts:
            raise SandboxError(f"用法：{usage} 文件名 [说明]")
        caption = " ".join(parts[1:]) or None
        await self.api.user_sends(
            self.persona.chat, self.persona.user, document=parts[0], caption=caption, reply_to=reply_to
        )

    async def reply_photo(self, caption: str) -> None:
        """A photo replying to the latest digest: evidence for its one item needs no ID."""
        await self.photo(caption, reply_to=self.latest_digest()["message_id"])

    async def reply_file(self, text: str) -> None:
        if not text.strip():
            raise SandboxError("用法：:replyfile 文件名 [说明]")
        await self.file(text, reply_to=self.latest_digest()["message_id"], usage=":replyfile")


@asynccontextmanager
async def sandbox(
    settings: Settings, plan: Plan, directory: Directory, day: date, out: TextIO, db: Path | None = None
) -> AsyncIterator[Sandbox]:
    """The bot and its stand-in world, running; stopped cleanly on exit.

    ``db`` is the database file (None: in memory). Opening it may raise StoreError.
    """
    clock = FakeClock.at(day, SANDBOX_TIME)
    store = Store.open(db)
    services = Services(plan, directory, store, clock, admin_ids=settings.admin_ids | {SANDBOX_ADMIN_ID})
    sandbox_settings = settings.model_copy(update={"telegram_bot_token": SecretStr(DEFAULT_TOKEN)})
    dispatch_log = logging.getLogger(run_reminders.__module__)
    quiet = FailedDeliveryShownByTick()
    dispatch_log.addFilter(quiet)
    try:
        async with BotApiServer(DEFAULT_TOKEN, clock=clock) as api:
            app = build_application(
                sandbox_settings,
                services,
                base_url=api.base_url,
                base_file_url=api.base_file_url,
                reminders=False,
            )
            world = Sandbox(api, app, services, clock, out)
            async with polling(app):
                await api.idle()
                yield world
    finally:
        dispatch_log.removeFilter(quiet)
        store.close()


def sandbox_start(plan: Plan, calendar: WorkCalendar, today: date) -> date:
    """The day a sandbox starts on when none is pinned: today, within the plan's year; otherwise the
    plan's first workday after its issue, as everything would be "逾期 1256 天" after the year ends."""
    if today.year == plan.year:
        return today
    return calendar.on_or_after(plan.issued + timedelta(days=1))


async def run_sandbox(
    settings: Settings,
    plan: Plan,
    directory: Directory,
    day: date,
    lines: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    db: Path | None = None,
    real_today: date | None = None,
) -> int:
    """Run the sandbox on ``day``; ``real_today``, when it is another day, is said to be outside the plan."""
    async with sandbox(settings, plan, directory, day, out, db) as world:
        world.print(
            f"[sandbox] 沙盒已启动：今天是 {day.isoformat()}，"
            f"您是管理员（{LEADER_CHAT_TITLE}，{DEMO_LEADER}）。输入 :help 查看沙盒命令。"
        )
        if real_today is not None and real_today != day:
            world.print(
                f"[sandbox] 实际日期 {real_today.isoformat()} 不在行动计划的 {plan.year} 年内，"
                f"沙盒从印发（{plan.issued.isoformat()}）后的第一个工作日开始；:date 可换到任何一天。"
            )
        if db is not None:
            world.print(
                f"[sandbox] 数据库：{db}（绑定和报告写入此文件，可用命令行查询：status 编号 --db {db}）"
            )
        async for line in read_lines(lines):
            await world.handle(line)
    return 0


async def read_lines(source: TextIO) -> AsyncIterator[str]:
    """Lines from a blocking text stream, read on a daemon thread so Ctrl-C never waits for Enter."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in source:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="sandbox-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line
