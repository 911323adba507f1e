"""The supervision loop in chat (issue 10): /extend and its decision cards, completion review cards,
催办 from leaders' /overdue, 受阻 forwarded to leaders the same day, /setdue and /assign.

Who may do what is ``bot.access``'s answer; every action is one ``bot.workflow`` call. A decision
that needs a reason (不同意, 退回) asks for it with a message the decider replies to; that message
names the request, so an answer still works after a restart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import access, queries, render, texts
from bot.assignments import unit_roles
from bot.clock import TZ, today
from bot.dates import parse_user_date
from bot.digest import MAX_ITEMS_PER_MESSAGE, TITLE_CHARS
from bot.models import Status
from bot.progress import (
    ProgressReport,
    ReportRefusal,
    authorize_report,
    describe_items,
    parse_button,
    unit_for_tag,
    unit_tag,
)
from bot.render import esc, shorten
from bot.services import Services
from bot.supervision import Extension, MonthlyRequest, Review
from bot.workflow import (
    ExtensionWords,
    Problem,
    SupervisionButton,
    WorkflowError,
    answer_monthly,
    assign,
    chase,
    chase_button,
    chase_item_button,
    decide_extension,
    decide_review,
    extension,
    monthly_open_items,
    monthly_request_for,
    parse_extend,
    parse_supervision_button,
    request_extension,
    set_due,
    supervision,
)
from handlers.binding import admin_only
from handlers.chat import Context, command_argument, echo, is_admin, reply, services, user_label
from handlers.notify import decider_chats, decision_markup, review_fields, send_all, unit_chats
from handlers.progress import refusal_text
from handlers.reminders import keyboard
from schedules.calendar import WorkCalendar
from schedules.dispatch import group_entries

log = logging.getLogger(__name__)

_ASKED_REASON = re.compile(texts.SV_ASK_REASON_PATTERN)
_ASKED_EXTENSION = re.compile(texts.SV_EXTEND_ASK_PATTERN)


def plan_of(svc: Services) -> Any:
    """The plan with the dates and units the loop gave it (``Supervision.plan``)."""
    return supervision(svc.store).plan(svc.plan)


def problem_text(error: WorkflowError) -> str:
    """A refusal of the loop, in Chinese."""
    problem = error.problem
    if problem is Problem.NOT_LATER:
        return texts.SV_NOT_LATER.format(due=error.due)
    if problem is Problem.UNKNOWN_ITEM:
        return texts.SV_UNKNOWN_ITEM.format(
            measure=esc(error.measure), item=echo(error.item), items=describe_items(error.items)
        )
    if problem is Problem.NO_OPEN_ITEM:
        return texts.SV_NO_OPEN_ITEM.format(measure=esc(error.measure))
    if problem is Problem.ALREADY_DECIDED:
        return texts.SV_ALREADY_DECIDED.format(state=texts.SV_STATE_WORDS.get(error.state, error.state))
    if problem is Problem.NOT_TIMED:
        return texts.SV_NOT_TIMED.format(measure=esc(error.measure), raw=esc(error.state))
    if problem is Problem.NO_OPEN_GROUP:
        return texts.SV_NO_OPEN_GROUP.format(measure=esc(error.measure))
    if problem is Problem.UNKNOWN_UNIT:
        return texts.SV_UNKNOWN_UNITS.format(names=echo("、".join(error.names)))
    if problem is Problem.UNKNOWN_MEASURE:
        return texts.BOT_REFUSE_UNKNOWN_MEASURE.format(measure=echo(error.measure))
    return texts.SV_NEED_REASON


# --- 延期申请 ---


async def extend_command(update: Update, context: Context) -> None:
    """/extend ID [ITEM] 日期 理由 in a unit's chat."""
    svc = services(context)
    words = parse_extend(plan_of(svc), command_argument(update.effective_message), today(svc.clock))
    if words is None:
        await reply(update, texts.SV_EXTEND_USAGE)
        return
    await ask_extension(update, context, words)


async def ask_extension(
    update: Update, context: Context, words: ExtensionWords, unit: str | None = None
) -> None:
    """The /extend dialogue once its words are read (from the command, or from a reply to the
    申请延期 button's question): ask for what is missing, else file the request and send its card."""
    svc = services(context)
    chat = update.effective_chat
    now = svc.clock.now()
    plan = plan_of(svc)
    binding = svc.store.binding(chat.id) if chat is not None else None
    target = authorize_report(plan, svc.directory, binding, words.measure, unit=unit)
    if isinstance(target, ReportRefusal):
        report = ProgressReport(measure=words.measure, status=Status.IN_PROGRESS)
        refused = refusal_text(
            target,
            report,
            plan,
            command=True,
            admin=is_admin(svc, update),
            action=texts.BOT_REFUSE_ACTION_EXTEND,
        )
        await reply(update, refused)
        return
    if words.to is None or not words.reason:
        state = supervision(svc.store)
        items = [i for i in plan.items(target.measure.id) if i.kind in ("deadline", "milestone")]
        named = next((i for i in items if i.id == words.item), items[0] if items else None)
        due = state.due(named, target.unit) if named is not None else None
        missing = texts.SV_EXTEND_NEED_DATE if words.to is None else texts.SV_EXTEND_NEED_REASON
        await reply(update, missing.format(measure=esc(target.measure.id), due=due or "—"))
        return
    user = update.effective_user
    try:
        made = request_extension(
            svc.store,
            svc.plan,
            svc.directory,
            target.measure.id,
            target.unit,
            words.to,
            words.reason,
            now,
            item=words.item,
            by=user_label(user),
            user_id=user.id if user else None,
            chat_id=chat.id if chat else None,
        )
    except WorkflowError as error:
        await reply(update, problem_text(error))
        return
    await reply(update, texts.SV_EXTEND_SENT.format(**_extension_fields(made)))
    await send_all(
        context,
        decider_chats(svc, target.measure),
        texts.SV_EXTEND_CARD.format(
            **_extension_fields(made), title=esc(target.measure.title), who=esc(made.requested_by)
        ),
        decision_markup("extension", made.id),
    )


def _extension_fields(made: Extension) -> dict[str, Any]:
    return {
        "id": made.id,
        "measure": esc(made.measure),
        "unit": esc(made.unit or texts.SV_ALL_UNITS),
        "item": made.item,
        "original": made.original,
        "to": made.to,
        "reason": echo(made.reason),
    }


async def announce_extension(context: Context, svc: Services, decided: Extension) -> None:
    fields = _extension_fields(decided)
    day = render.cn_day(decided.decided_at.date()) if decided.decided_at else ""
    if decided.state == "approved":
        text = texts.SV_EXTEND_APPROVED.format(**fields, by=esc(decided.decided_by), day=day)
    else:
        text = texts.SV_EXTEND_REJECTED.format(
            **fields, by=esc(decided.decided_by), day=day, why=echo(decided.decision_reason)
        )
    if decided.unit is not None:
        await send_all(context, unit_chats(svc, decided.unit, decided.chat_id), text)


async def press_extend(update: Update, context: Context, svc: Services, pressed: SupervisionButton) -> None:
    """申请延期 under a due or overdue digest entry: the /extend dialogue, asked as a question the
    unit answers by replying (new date and reason); the question names the measure, item and unit,
    so a reply works after a restart."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    plan = plan_of(svc)
    measure = plan.measure(pressed.measure)
    unit = unit_for_tag(measure, svc.directory, pressed.unit_tag) if measure is not None else None
    item = next((i for i in plan.items(pressed.measure) if i.id == pressed.item), None)
    if measure is None or unit is None or item is None or chat is None:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    binding = svc.store.binding(chat.id)
    if not access.acts_for_unit(binding, unit):
        await query.answer(texts.SV_EXTEND_NOT_UNIT.format(unit=unit), show_alert=True)
        return
    await query.answer()
    due = supervision(svc.store).due(item, unit)
    await context.bot.send_message(
        chat.id,
        texts.SV_EXTEND_ASK.format(unit=esc(unit), measure=esc(measure.id), item=item.id, due=due),
        parse_mode="HTML",
        reply_markup=ForceReply(selective=False),
    )


async def on_extend_reply(update: Update, context: Context, asked: re.Match[str]) -> None:
    """A reply to the 申请延期 question: ``日期 理由`` for the item it names."""
    svc = services(context)
    text = (update.effective_message.text or "") if update.effective_message is not None else ""
    words = parse_extend(plan_of(svc), f"{asked.group('measure')} {text}", today(svc.clock))
    if words is None:
        await reply(update, texts.SV_EXTEND_USAGE)
        return
    unit = next((u.name for u in svc.directory.units if u.name == asked.group("unit")), None)
    await ask_extension(update, context, replace(words, item=asked.group("item")), unit)


# --- 办结审核 ---


async def announce_review(context: Context, svc: Services, decided: Review) -> None:
    if decided.state == "returned":
        text = texts.SV_REVIEW_RETURNED.format(
            **review_fields(decided), by=esc(decided.by), why=echo(decided.reason)
        )
    else:
        text = texts.SV_REVIEW_ACCEPTED.format(**review_fields(decided), by=esc(decided.by))
    await send_all(context, unit_chats(svc, decided.unit), text)


# --- buttons ---


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    pressed = parse_supervision_button(str(query.data or ""))
    if pressed is None:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    svc = services(context)
    chat = update.effective_chat
    binding = svc.store.binding(chat.id) if chat is not None else None
    admin = is_admin(svc, update)
    if pressed.kind == "status":
        await query.answer()
        try:
            status = queries.measure_status(
                queries.Snapshot.take(svc.plan, svc.directory, svc.store, today(svc.clock)),
                pressed.measure,
                svc.store.history,
            )
        except queries.UnknownMeasure:
            await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
            return
        if chat is not None:
            for page in render.status_pages(status, groups=queries.unit_groups(svc.directory)):
                await context.bot.send_message(chat.id, page, parse_mode="HTML")
        return
    if pressed.kind == "chase":
        await press_chase(update, context, svc, pressed.unit_tag, pressed.day, admin=admin)
        return
    if pressed.kind == "chase_item":
        await press_chase_item(update, context, svc, pressed, admin=admin)
        return
    if pressed.kind == "monthly":
        await press_monthly(update, context, svc, pressed)
        return
    if pressed.kind == "group":
        await press_group(update, context, svc, pressed)
        return
    if pressed.kind == "extend":
        await press_extend(update, context, svc, pressed)
        return
    kind = "extension" if pressed.kind == "extension" else "review"
    measure_id = decision_measure(svc, kind, pressed.number)
    if measure_id is None:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    measure = svc.plan.measure(measure_id)
    if measure is None or not access.may_decide(measure, svc.directory, binding, admin=admin):
        await query.answer(texts.SV_NOT_DECIDER, show_alert=True)
        return
    if not pressed.yes:
        await query.answer()
        if chat is not None:
            ask = texts.SV_ASK_REASON.format(kind=texts.SV_KIND_WORDS[kind], id=pressed.number)
            await context.bot.send_message(chat.id, ask, reply_markup=ForceReply(selective=True))
        return
    try:
        await decide(context, svc, kind, pressed.number, True, user_label(update.effective_user), "")
    except WorkflowError as error:
        await query.answer(problem_text(error), show_alert=True)
        return
    await query.answer(texts.SV_DONE)
    what = texts.SV_BTN_APPROVE if kind == "extension" else texts.SV_BTN_ACCEPT
    await _close_card(
        query.message, texts.SV_CARD_DECIDED.format(by=esc(user_label(update.effective_user)), what=what)
    )


def decision_measure(svc: Services, kind: str, number: int) -> str | None:
    """The measure of extension request or review #``number``; None when there is none."""
    if kind == "extension":
        try:
            return extension(svc.store, number).measure
        except WorkflowError:
            return None
    found = supervision(svc.store).review(number)
    return found.measure if found is not None else None


async def decide(
    context: Context, svc: Services, kind: str, number: int, yes: bool, who: str, reason: str
) -> None:
    """Record the decision and tell the unit (raises WorkflowError, nothing recorded)."""
    now = svc.clock.now()
    if kind == "extension":
        await announce_extension(
            context, svc, decide_extension(svc.store, number, yes, now, by=who, reason=reason)
        )
    else:
        await announce_review(context, svc, decide_review(svc.store, number, yes, now, by=who, reason=reason))


async def _close_card(message: Any, line: str) -> None:
    """Take the buttons off a decided card and say who decided it."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(f"{message.text_html}\n\n{line}", parse_mode="HTML")
    except TelegramError:
        log.warning("could not close card %s", message.message_id, exc_info=True)


async def on_reason(update: Update, context: Context) -> None:
    """A reply to "请回复…理由": the 不同意 / 退回 it asked for. Other replies go on to progress."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if (
        message is None
        or replied is None
        or replied.from_user is None
        or replied.from_user.id != context.bot.id
    ):
        return
    extend = _ASKED_EXTENSION.search(replied.text or "")
    if extend is not None:
        await on_extend_reply(update, context, extend)
        raise ApplicationHandlerStop
    asked = _ASKED_REASON.search(replied.text or "")
    if asked is None:
        return
    svc = services(context)
    kind = "extension" if asked.group("kind") == texts.SV_KIND_WORDS["extension"] else "review"
    number = int(asked.group("id"))
    reason = (message.text or "").strip()
    chat = update.effective_chat
    binding = svc.store.binding(chat.id) if chat is not None else None
    measure_id = decision_measure(svc, kind, number)
    measure = svc.plan.measure(measure_id) if measure_id is not None else None
    if measure is None or not access.may_decide(measure, svc.directory, binding, admin=is_admin(svc, update)):
        await reply(update, texts.SV_NOT_DECIDER if measure is not None else texts.SV_BUTTON_INVALID)
        raise ApplicationHandlerStop
    try:
        await decide(context, svc, kind, number, False, user_label(update.effective_user), reason)
    except WorkflowError as error:
        await reply(update, problem_text(error))
        raise ApplicationHandlerStop from None
    await reply(
        update, (texts.SV_DECIDED_NO if kind == "extension" else texts.SV_RETURNED_NO).format(id=number)
    )
    raise ApplicationHandlerStop


# --- 月调度 ---


async def press_monthly(update: Update, context: Context, svc: Services, pressed: SupervisionButton) -> None:
    """均按计划推进 (one tap records 进行中 for the section's items) or 逐项填报 (the items again, each
    with its own buttons) under a unit's 月调度."""
    query = update.callback_query
    assert query is not None
    chat, user = update.effective_chat, update.effective_user
    binding = svc.store.binding(chat.id) if chat is not None else None
    try:
        request = monthly_request_for(svc.store, pressed.unit_tag, pressed.month)
    except WorkflowError:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    now = svc.clock.now()
    if not pressed.yes:
        await list_monthly(update, context, svc, request, binding)
        return
    try:
        answered = answer_monthly(
            svc.store,
            svc.plan,
            svc.directory,
            binding,
            request,
            now,
            by=user_label(user),
            user_id=user.id if user else None,
            chat_id=chat.id if chat else None,
        )
    except WorkflowError as error:
        await query.answer(monthly_problem(error, request), show_alert=True)
        return
    await query.answer(texts.SV_MONTHLY_ALERT.format(count=len(answered.recorded)))
    if chat is None:
        return
    lines = [
        texts.SV_MONTHLY_DONE.format(
            who=esc(answered.request.answered_by),
            time=now.astimezone(TZ).strftime("%H:%M"),
            count=len(answered.recorded),
            items=esc(_monthly_list([(e.measure, e.item or "") for e in answered.recorded])),
        )
    ]
    if answered.kept:
        lines.append(
            texts.SV_MONTHLY_KEPT.format(count=len(answered.kept), items=esc(_monthly_list(answered.kept)))
        )
    await context.bot.send_message(chat.id, render.fit_message("\n".join(lines)), parse_mode="HTML")


def monthly_problem(error: WorkflowError, request: MonthlyRequest) -> str:
    """Why a 月调度 press was refused, in Chinese."""
    if error.problem is Problem.EXPIRED:
        return texts.SV_MONTHLY_EXPIRED.format(month=request.month)
    if error.problem is Problem.ALREADY_DECIDED:
        answered_at = request.answered_at
        time = render.cn_day(answered_at.astimezone(TZ).date()) if answered_at else ""
        return texts.SV_MONTHLY_ALREADY.format(who=request.answered_by or "本单位", time=time)
    return texts.SV_MONTHLY_NOT_UNIT.format(unit=request.unit)


def _monthly_list(pairs: Sequence[tuple[str, str]]) -> str:
    return "、".join(dict.fromkeys(measure for measure, _ in pairs))


async def list_monthly(
    update: Update, context: Context, svc: Services, request: MonthlyRequest, binding: Any
) -> None:
    """逐项填报: the section's items not yet reported on, each with its 已完成 / 进行中 / 受阻 row."""
    query = update.callback_query
    assert query is not None
    if not access.acts_for_unit(binding, request.unit):
        await query.answer(texts.SV_MONTHLY_NOT_UNIT.format(unit=request.unit), show_alert=True)
        return
    pairs = monthly_open_items(svc.store, request)
    if not pairs:
        await query.answer(texts.SV_MONTHLY_NOTHING, show_alert=True)
        return
    await query.answer()
    await send_item_list(context, svc, update, request.unit, pairs, texts.SV_MONTHLY_EACH, label="")


async def press_group(update: Update, context: Context, svc: Services, pressed: SupervisionButton) -> None:
    """逐项填报 under a compact group of a unit's digest: the group's entries still open, each with
    its own 已完成 / 进行中 / 受阻 row."""
    query = update.callback_query
    assert query is not None
    unit = next((u.name for u in svc.directory.units if unit_tag(u.name) == pressed.unit_tag), None)
    if unit is None or pressed.day is None:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    chat = update.effective_chat
    binding = svc.store.binding(chat.id) if chat is not None else None
    if not access.acts_for_unit(binding, unit):
        await query.answer(texts.SV_MONTHLY_NOT_UNIT.format(unit=unit), show_alert=True)
        return
    if pressed.day != today(svc.clock):
        await query.answer(texts.BOT_DIGEST_GROUP_STALE, show_alert=True)
        return
    pairs = group_entries(
        svc.store, svc.plan, svc.directory, WorkCalendar(), pressed.day, unit, pressed.group
    )
    # Entries of the same kind that the digest lists on their own, with their own buttons (2-14-1
    # 按季度 beside a 长期实施 group), are not the group's: the list holds what its button counts.
    own = own_rows(query.message)
    pairs = [pair for pair in pairs if pair[0] not in own]
    if not pairs:
        await query.answer(texts.BOT_DIGEST_GROUP_NOTHING, show_alert=True)
        return
    await query.answer()
    label = (
        texts.BOT_DIGEST_GROUP_CHECKIN
        if pressed.group == "c"
        else texts.BOT_DIGEST_GROUP_DUE.format(due=render.format_day(pairs_due(pressed.group), pressed.day))
    )
    await send_item_list(context, svc, update, unit, pairs, texts.BOT_DIGEST_GROUP_LIST, label=label)


def own_rows(message: object) -> set[str]:
    """The measures a digest message gives their own 已完成 / 进行中 / 受阻 row."""
    markup = getattr(message, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return set()
    return {
        press.measure
        for row in markup.inline_keyboard
        for button in row
        if (press := parse_button(str(button.callback_data or ""))) is not None
    }


def pairs_due(code: str) -> date:
    """The due date a compact group's code names (``u20231231``)."""
    return date(int(code[1:5]), int(code[5:7]), int(code[7:9]))


async def send_item_list(
    context: Context,
    svc: Services,
    update: Update,
    unit: str,
    pairs: Sequence[tuple[str, str]],
    heading: str,
    *,
    label: str,
) -> None:
    """Items listed again, each with its own 已完成 / 进行中 / 受阻 row, at most
    ``MAX_ITEMS_PER_MESSAGE`` a message (a press marks the item in this message, as in a digest)."""
    chat = update.effective_chat
    if chat is None:
        return
    plan = plan_of(svc)
    for start in range(0, len(pairs), MAX_ITEMS_PER_MESSAGE):
        chunk = pairs[start : start + MAX_ITEMS_PER_MESSAGE]
        blocks = [
            heading.format(
                unit=esc(unit),
                label=esc(label),
                count=len(pairs),
                example=esc(texts.BOT_DIGEST_EXAMPLE_MANY.format(measure=chunk[0][0])),
            )
        ]
        for measure_id, _ in chunk:
            measure = plan.measure(measure_id)
            title = shorten(measure.title, TITLE_CHARS) if measure is not None else ""
            blocks.append(f"<b>{esc(measure_id)}</b> {esc(title)}")
        await context.bot.send_message(
            chat.id, "\n\n".join(blocks), parse_mode="HTML", reply_markup=keyboard(chunk, unit)
        )


# --- 催办 ---


def chase_markup(svc: Services, units: Sequence[str], day: date) -> InlineKeyboardMarkup | None:
    """催办 buttons for the late units of a leader's or admin's /overdue, a few per row."""
    done = {c.unit for c in supervision(svc.store).chases if c.day == day}
    buttons = [
        InlineKeyboardButton(
            (texts.SV_BTN_CHASED if unit in done else texts.SV_BTN_CHASE).format(unit=unit),
            callback_data=chase_button(unit_tag(unit), day),
        )
        for unit in units
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def press_chase(
    update: Update, context: Context, svc: Services, tag: str, day: date | None, *, admin: bool
) -> None:
    query = update.callback_query
    assert query is not None
    allowed = await _chase_allowed(update, svc, day, admin=admin)
    if allowed is None:
        return
    binding, now = allowed
    unit = next((u.name for u in svc.directory.units if unit_tag(u.name) == tag), None)
    if unit is None:
        await query.answer(texts.SV_BUTTON_INVALID, show_alert=True)
        return
    snapshot = queries.Snapshot.take(svc.plan, svc.directory, svc.store, now.date())
    report = queries.overdue(snapshot, queries.unit_scope(svc.directory, unit))
    late = [
        (row.measure, row.item, row.days_overdue)
        for group in report.groups
        if group.unit == unit
        for row in group.items
        if row.item is not None
    ]
    if not late:
        await query.answer(texts.SV_CHASE_NOTHING.format(unit=unit), show_alert=True)
        return
    sent = await send_chase(context, svc, unit, late, chaser(update, binding))
    if sent is None:
        await query.answer(texts.SV_CHASE_ALREADY.format(unit=unit), show_alert=True)
        return
    await query.answer(texts.SV_CHASE_SENT.format(unit=unit, chats=sent), show_alert=True)
    await _mark_chased(query.message, svc, now.date())


async def _chase_allowed(
    update: Update, svc: Services, day: date | None, *, admin: bool
) -> tuple[Any, datetime] | None:
    """The pressing chat's binding and now, when its 催办 button may act: only leaders' chats and
    admins chase, and only with today's button. Otherwise the press is answered here: None."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    binding = svc.store.binding(chat.id) if chat is not None else None
    if not access.may_chase(binding, admin=admin):
        await query.answer(texts.SV_NOT_CHASER, show_alert=True)
        return None
    now = svc.clock.now()
    if day != now.date():
        await query.answer(texts.SV_CHASE_STALE, show_alert=True)
        return None
    return binding, now


def chaser(update: Update, binding: Any) -> str:
    """Who a 督办提醒 says is asking: the leader of a leader's chat, else the user."""
    return binding.leader if binding is not None and binding.leader else user_label(update.effective_user)


async def send_chase(
    context: Context, svc: Services, unit: str, late: Sequence[tuple[Any, Any, int]], who: str
) -> int | None:
    """Record a 催办 of ``unit`` on each of its ``late`` items (measure, item, days overdue) not
    chased today, and post one 督办提醒 of those to the unit's chats; the chats reached, or None
    when every item was already chased today."""
    now = svc.clock.now()
    chats = svc.store.chats_for_unit(unit)
    fresh = [
        (measure, item, days)
        for measure, item, days in late
        if chase(svc.store, now.date(), measure.id, unit, item.id, now, by=who, chat_ids=chats) is not None
    ]
    if not fresh:
        return None
    lines = [
        texts.SV_CHASE_LINE.format(measure=esc(measure.id), title=esc(measure.title), due=item.due, days=days)
        for measure, item, days in fresh
    ]
    return await send_all(
        context, chats, texts.SV_CHASE_MESSAGE.format(unit=esc(unit), who=esc(who), items="\n".join(lines))
    )


async def press_chase_item(
    update: Update, context: Context, svc: Services, pressed: SupervisionButton, *, admin: bool
) -> None:
    """催办 under a leader's or admin's /overdue: every unit late on the item, each once a day."""
    query = update.callback_query
    assert query is not None
    allowed = await _chase_allowed(update, svc, pressed.day, admin=admin)
    if allowed is None:
        return
    binding, now = allowed
    late = next(
        (
            found
            for found in overdue_items(svc, binding, admin, now.date())
            if (found.measure.id, found.item.id) == (pressed.measure, pressed.item)
        ),
        None,
    )
    if late is None:
        await query.answer(texts.SV_CHASE_ITEM_NOTHING.format(measure=pressed.measure), show_alert=True)
        return
    who = chaser(update, binding)
    reached = [
        (unit, sent)
        for unit, days in late.units
        if (sent := await send_chase(context, svc, unit, [(late.measure, late.item, days)], who)) is not None
    ]
    if not reached:
        await query.answer(texts.SV_CHASE_ITEM_ALREADY.format(measure=pressed.measure), show_alert=True)
        return
    await query.answer(
        render.fit_alert(
            texts.SV_CHASE_ITEM_SENT.format(
                measure=pressed.measure, units=len(reached), chats=sum(sent for _, sent in reached)
            )
        ),
        show_alert=True,
    )
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        rows = [
            row
            for row in message.reply_markup.inline_keyboard
            if not any(str(b.callback_data or "").startswith(CHASE_ITEM_PREFIX) for b in row)
        ]
        try:
            await message.edit_reply_markup(
                InlineKeyboardMarkup([*rows, *overdue_chase_rows(svc, binding, admin, now.date())])
            )
        except TelegramError:
            log.warning("could not redraw the 催办 buttons", exc_info=True)


CHASE_ITEM_PREFIX = "sv:k:"
CHASE_ITEM_BUTTONS = 6
"""At most this many 催办 buttons under /overdue, two a row: the items with the most late units."""


def overdue_items(svc: Services, binding: Any, admin: bool, day: date) -> list[queries.LateItem]:
    """The late items of the chat's own /overdue (a leader's measures; everything for an admin)."""
    scope = queries.chat_scope(binding, admin, None, texts.LV_EVERYTHING)
    if isinstance(scope, queries.Refusal):
        return []
    snapshot = queries.Snapshot.take(svc.plan, svc.directory, svc.store, day)
    return queries.late_items(queries.overdue(snapshot, scope))


def overdue_chase_rows(
    svc: Services, binding: Any, admin: bool, day: date
) -> list[list[InlineKeyboardButton]]:
    """The 催办 buttons under /overdue for a leader's chat or an admin: one per item (for all its
    late units), those already chased today saying so; none for anyone else."""
    if not access.may_chase(binding, admin=admin):
        return []
    state = supervision(svc.store)
    buttons = []
    for late in overdue_items(svc, binding, admin, day)[:CHASE_ITEM_BUTTONS]:
        chased = all(state.chased(day, late.measure.id, unit, late.item.id) for unit, _ in late.units)
        label = texts.SV_BTN_CHASED_ITEM if chased else texts.SV_BTN_CHASE_ITEM
        buttons.append(
            InlineKeyboardButton(
                label.format(measure=late.measure.id, count=len(late.units)),
                callback_data=chase_item_button(late.measure.id, late.item.id, day),
            )
        )
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def _mark_chased(message: Any, svc: Services, day: date) -> None:
    """Redraw the 催办 buttons so the ones sent today say so."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    tags = {unit_tag(u.name): u.name for u in svc.directory.units}
    units = [
        tags[pressed.unit_tag]
        for row in message.reply_markup.inline_keyboard
        for button in row
        if (pressed := parse_supervision_button(str(button.callback_data or ""))) is not None
        and pressed.unit_tag in tags
    ]
    try:
        await message.edit_reply_markup(chase_markup(svc, units, day))
    except TelegramError:
        log.warning("could not redraw the 催办 buttons", exc_info=True)


async def offer_chase(update: Update, context: Context) -> None:
    """/chase [scope] in a leader's chat or for an admin: 催办 buttons, one per late unit of the
    chat's /overdue (the most items first), each saying when it was already sent today. A chat
    that may not chase is told so; with nobody late, says so."""
    svc = services(context)
    chat = update.effective_chat
    if chat is None:
        return
    binding = svc.store.binding(chat.id)
    admin = is_admin(svc, update)
    if not access.may_chase(binding, admin=admin):
        await reply(update, texts.SV_NOT_CHASER)
        return
    requested = None
    if context.args:
        try:
            requested = queries.parse_scope(
                svc.plan, svc.directory, " ".join(context.args), texts.LV_EVERYTHING
            )
        except queries.ScopeError as exc:
            await reply(update, texts.LV_UNKNOWN_SCOPE.format(text=echo(exc.text, render.ARGUMENT_CHARS)))
            return
    scope = queries.chat_scope(binding, admin, requested, texts.LV_EVERYTHING)
    if isinstance(scope, queries.Refusal):
        await reply(
            update,
            texts.LV_REFUSED_UNBOUND
            if scope.reason == "unbound"
            else texts.LV_REFUSED_OUTSIDE.format(allowed=esc(scope.allowed)),
        )
        return
    day = today(svc.clock)
    report = queries.overdue(queries.Snapshot.take(svc.plan, svc.directory, svc.store, day), scope)
    units = [g.unit for g in report.groups if g.assigned and g.items][:CHASE_BUTTONS]
    markup = chase_markup(svc, units, day)
    await reply(
        update, texts.SV_CHASE_OFFER if markup is not None else texts.SV_CHASE_NONE, reply_markup=markup
    )


CHASE_BUTTONS = 20
"""At most this many 催办 buttons under /overdue: the units with the most late items."""


# --- /setdue, /assign ---


@admin_only("setdue")
async def setdue_command(update: Update, context: Context) -> None:
    svc = services(context)
    words = command_argument(update.effective_message).split(maxsplit=2)
    day = parse_user_date(words[1], today(svc.clock)) if len(words) >= 2 else None
    if day is None:
        await reply(update, texts.SV_SETDUE_USAGE)
        return
    try:
        made = set_due(
            svc.store,
            svc.plan,
            words[0],
            day,
            svc.clock.now(),
            note=words[2] if len(words) > 2 else "",
            by=user_label(update.effective_user),
        )
    except WorkflowError as error:
        await reply(update, problem_text(error))
        return
    await reply(
        update, texts.SV_SETDUE_DONE.format(measure=esc(made.measure), due=made.due, note=echo(made.note))
    )


@admin_only("assign")
async def assign_command(update: Update, context: Context) -> None:
    svc = services(context)
    words = command_argument(update.effective_message).replace("、", " ").replace("，", " ").split()
    if len(words) < 2:
        await reply(update, texts.SV_ASSIGN_USAGE)
        return
    try:
        made = assign(
            svc.store,
            svc.plan,
            svc.directory,
            words[0],
            words[1:],
            svc.clock.now(),
            by=user_label(update.effective_user),
        )
    except WorkflowError as error:
        await reply(update, problem_text(error))
        return
    measure = plan_of(svc).measure(made.measure)
    count = len(unit_roles(measure, svc.directory)) if measure is not None else 0
    await reply(
        update,
        texts.SV_ASSIGN_DONE.format(
            measure=esc(made.measure), group=esc(made.group), units=esc("、".join(made.units)), count=count
        ),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before progress (group 0): a reply giving a decision's reason is not a progress report.
    application.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, on_reason), group=-1
    )
    application.add_handler(CommandHandler("extend", extend_command))
    application.add_handler(CommandHandler("setdue", setdue_command))
    application.add_handler(CommandHandler("assign", assign_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^sv:"))
    application.add_handler(CommandHandler("chase", offer_chase))
