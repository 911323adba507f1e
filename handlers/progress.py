"""Capturing progress: digest buttons, replies to digests, /report, and photos or files as evidence.

Every path ends in ``record``: parse (bot.progress), authorize (bot.progress.authorize_report),
store (bot.progress.record_report) with who, when, which chat and how, then confirm in one line. Once a
record is stored, nothing that goes wrong while confirming it may tell the user it was not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.assignments import UnitRole
from bot.digest import mark_recorded, recorded_mark
from bot.intent import Acknowledgement, Chatter, read_message, record_acknowledgement
from bot.models import Plan, ProgressEntry, ProgressSource, Status
from bot.progress import (
    BUTTON_PREFIX,
    EvidenceKind,
    ParseProblem,
    ProgressParseError,
    ProgressReport,
    Recorded,
    RefusalReason,
    ReportRefusal,
    authorize_report,
    evidence_ref,
    find_measure_ids,
    measure_id_in,
    parse_button,
    parse_progress,
    record_report,
    unit_for_tag,
)
from bot.render import esc, joined, percent_suffix, shorten
from bot.services import Services
from handlers.chat import Context, command_argument, echo, is_admin, is_private, reply, services, user_label
from handlers.notify import follow_up

log = logging.getLogger(__name__)

LISTED_UNITS = 5
"""A refusal names this many responsible units per role; 22 towns would drown the reason."""
EXAMPLE_NOTE_CHARS = 20
"""How much of a caption an example quotes back."""


@dataclass(frozen=True)
class DigestContext:
    """What the bot message being replied to says: its measures and, from its buttons, their unit."""

    measures: list[str] = field(default_factory=list)
    unit_tags: dict[str, str] = field(default_factory=dict)

    @property
    def single_measure(self) -> str | None:
        return self.measures[0] if len(self.measures) == 1 else None

    def unit(self, svc: Services, measure_id: str) -> str | None:
        measure = svc.plan.measure(measure_id)
        tag = self.unit_tags.get(measure_id)
        return unit_for_tag(measure, svc.directory, tag) if measure is not None and tag else None


def digest_context(update: Update, context: Context) -> DigestContext:
    """The measures of the bot message this message replies to (none if it replies to nothing)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or not is_reply_to_bot(update, context):
        return DigestContext()
    tags: dict[str, str] = {}
    if replied.reply_markup is not None:
        for row in replied.reply_markup.inline_keyboard:
            for button in row:
                press = parse_button(str(button.callback_data or ""))
                if press is not None:
                    tags.setdefault(press.measure, press.unit_tag)
    if tags:
        return DigestContext(list(tags), tags)
    return DigestContext(find_measure_ids(replied.text or replied.caption or ""))


def is_reply_to_bot(update: Update, context: Context) -> bool:
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    return replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id


def parse(
    svc: Services, text: str, hints: DigestContext, *, require_status: bool = True
) -> ProgressReport | ProgressParseError:
    """``parse_progress`` with this bot's directory for unit names and the digest's one measure."""
    return parse_progress(
        text,
        default_measure=hints.single_measure,
        require_status=require_status,
        unit_named=svc.directory.resolve,
    )


def responsible_units(refusal: ReportRefusal, plan: Plan) -> str:
    """The measure's units by role in its annex's words (主责 …；协办 …, or 牵头 …；责任 …), a few
    per role."""
    measure = plan.measure(refusal.measure_id)
    roles: tuple[UnitRole, ...] = ("lead", "co")
    by_role = {role: [unit for unit, r in refusal.responsible if r == role] for role in roles}
    listed = texts.CLAUSE_SEPARATOR.join(
        texts.BOT_RESPONSIBLE_ROLE.format(
            role=plan.role_word(measure.annex, role) if measure else texts.LV_ROLE[role],
            units=joined(units, limit=LISTED_UNITS),
        )
        for role, units in by_role.items()
        if units
    )
    return listed or texts.UNASSIGNED


def which_unit_example(
    refusal: ReportRefusal, report: ProgressReport, *, command: bool, evidence: bool
) -> str:
    """What to type instead, naming the chat's first unit: a status for a report; for evidence the
    caption as sent (or 现场照片), since a photo needs no status."""
    parts = [refusal.measure_id, refusal.chat_units[0]]
    if report.status is not None or not evidence:
        parts.append(report.status or Status.DONE)
    if report.percent is not None:
        parts.append(f"{report.percent}%")
    if evidence:
        parts.append(shorten(report.note, EXAMPLE_NOTE_CHARS) or texts.BOT_EVIDENCE_EXAMPLE_NOTE)
    return ("/report " if command else "") + " ".join(parts)


def not_a_unit_chat(refusal: ReportRefusal, plan: Plan, *, admin: bool) -> str:
    """A chat with no unit (unbound, or a leader's) asked to record progress.

    A unit contact there needs an invite code; a leader's chat and an admin are told where the
    measure's progress is reported instead, and an admin how to bind a unit's chat.
    """
    measure, responsible = esc(refusal.measure_id), responsible_units(refusal, plan)
    if refusal.reason is RefusalReason.LEADER_CHAT:
        text = texts.BOT_REFUSE_LEADER_CHAT.format(
            leader=esc(refusal.leader), measure=measure, responsible=responsible
        )
    elif admin:
        text = texts.BOT_REFUSE_ADMIN_UNBOUND.format(measure=measure, responsible=responsible)
    else:
        return texts.BOT_REFUSE_NOT_BOUND
    if admin:
        leads = [unit for unit, role in refusal.responsible if role == "lead"]
        units = leads or [unit for unit, _ in refusal.responsible]
        unit = esc(units[0]) if units else texts.BOT_REFUSE_ADMIN_ANY_UNIT
        text += "\n" + texts.BOT_REFUSE_ADMIN_HOW_TO_BIND.format(unit=unit)
    return text


def refusal_text(
    refusal: ReportRefusal,
    report: ProgressReport,
    plan: Plan,
    *,
    command: bool,
    admin: bool = False,
    evidence: bool = False,
    action: str = texts.BOT_REFUSE_ACTION_REPORT,
) -> str:
    measure = esc(refusal.measure_id)
    if refusal.reason is RefusalReason.UNKNOWN_ITEM:
        return texts.BOT_REFUSE_UNKNOWN_ITEM.format(
            measure=measure, item=echo(refusal.item or ""), items=esc(refusal.items)
        )
    if refusal.reason is RefusalReason.UNKNOWN_MEASURE:
        text = texts.BOT_REFUSE_UNKNOWN_MEASURE.format(measure=measure)
        if refusal.similar:
            text += texts.DID_YOU_MEAN.format(names=joined(refusal.similar))
        return text
    if refusal.reason in (RefusalReason.NOT_BOUND, RefusalReason.LEADER_CHAT):
        return not_a_unit_chat(refusal, plan, admin=admin)
    if refusal.reason is RefusalReason.UNIT_NOT_BOUND:
        return texts.BOT_REFUSE_UNIT_NOT_BOUND.format(
            action=action, unit=esc(refusal.unit), units=joined(refusal.chat_units)
        )
    if refusal.reason is RefusalReason.WHICH_UNIT:
        example = which_unit_example(refusal, report, command=command, evidence=evidence)
        return texts.BOT_REFUSE_WHICH_UNIT.format(
            units=joined(refusal.chat_units), measure=measure, example=esc(example)
        )
    return texts.BOT_REFUSE_NOT_RESPONSIBLE.format(
        action=action,
        measure=measure,
        responsible=responsible_units(refusal, plan),
        units=joined(refusal.chat_units),
    )


def parse_hint(error: ProgressParseError, hints: DigestContext | None = None) -> str:
    """The one short question for a message that is not quite a report; a status without a
    measure is repeated back, with an example naming the replied-to digest's first measure."""
    if error.problem is ParseProblem.NO_MEASURE and error.understood:
        replied = hints.measures if hints is not None else []
        example = f"{replied[0] if replied else texts.BOT_NO_MEASURE_EXAMPLE_ID} {error.understood}"
        wording = texts.BOT_NO_MEASURE_IN_DIGEST if len(replied) > 1 else texts.BOT_NO_MEASURE_UNDERSTOOD
        return wording.format(understood=echo(error.understood), example=echo(example))
    return texts.BOT_PARSE_PROBLEMS[error.problem.value].format(
        detail=echo(error.detail), understood=echo(error.understood)
    )


def record(
    svc: Services,
    update: Update,
    report: ProgressReport,
    *,
    unit: str | None,
    source: ProgressSource,
    evidence: Sequence[str] = (),
) -> Recorded | ReportRefusal:
    """Authorize and store one report for the one unit it is for.

    ``unit`` is the unit the message named or the digest it answers was for.
    """
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else None
    binding = svc.store.binding(chat_id) if chat_id is not None else None
    target = authorize_report(
        svc.plan, svc.directory, binding, report.measure, unit=report.unit or unit, item=report.item
    )
    if isinstance(target, ReportRefusal):
        log.info("chat %s may not report %s: %s", chat_id, report.measure, target.reason)
        return target
    recorded = record_report(
        svc.store,
        target,
        report,
        svc.clock.now(),
        plan_items=svc.plan.items(target.measure.id),
        source=source,
        evidence=evidence,
        user_id=user.id if user else None,
        user_name=user_label(user),
        chat_id=chat_id,
        review=svc.completion_review,
    )
    log.info("chat %s reported %s for %s via %s", chat_id, report.measure, target.unit, source)
    return recorded


def item_label(entry: ProgressEntry, plan: Plan) -> str:
    """`` 节点 2023-09-30`` when the report names one of the measure's several items, else nothing."""
    several = len(plan.items(entry.measure)) > 1
    item = plan.item(entry.measure, entry.item) if entry.item and several else None
    return texts.ITEM_LABEL.format(kind=texts.LV_ITEM_KIND[item.kind], item=item.id) if item else ""


def reported_on(entry: ProgressEntry, plan: Plan) -> str:
    """The measure and, when the report names one of several items, that item: 3-3-1 节点 2023-09-30."""
    return esc(entry.measure + item_label(entry, plan))


def confirmation(
    recorded: Recorded, plan: Plan, evidence_kind: EvidenceKind | None = None, file_name: str = ""
) -> str:
    """The one-line confirmation; what the user typed is echoed shortened, so it always fits."""
    entry = recorded.entry
    who = esc(entry.user_name)
    if evidence_kind is not None:
        return texts.BOT_RECORDED_EVIDENCE.format(
            measure=esc(entry.measure),
            unit=esc(entry.unit),
            kind=texts.BOT_EVIDENCE_KINDS[evidence_kind],
            name=f" {echo(file_name)}" if file_name else "",
            state=texts.BOT_EVIDENCE_STATE[recorded.state].format(
                status=esc(entry.status), percent=percent_suffix(entry)
            ),
            who=who,
        )
    text = texts.BOT_RECORDED.format(
        measure=reported_on(entry, plan),
        unit=esc(entry.unit),
        status=esc(entry.status),
        percent=percent_suffix(entry),
        note=texts.BOT_RECORDED_NOTE.format(note=echo(entry.note)) if entry.note else "",
        who=who,
    )
    if entry.status is Status.BLOCKED and not entry.note:
        text += texts.BOT_RECORDED_BLOCKED_HINT
    return text


def short_confirmation(entry: ProgressEntry) -> str:
    """What to say when the full confirmation could not be sent: stored, nothing echoed back."""
    return texts.BOT_RECORDED_SHORT.format(
        measure=esc(entry.measure),
        unit=esc(entry.unit),
        status=esc(entry.status),
        percent=percent_suffix(entry),
    )


async def confirm(update: Update, recorded: Recorded, text: str, *, under: Message | None = None) -> None:
    """Send the confirmation of a stored record; if that fails, a short one; never an error.

    The record is already saved: the error handler's "出了问题" would make the user report it
    again, and a retry would record it twice. So failures here are logged and end here.
    """
    for attempt in (text, short_confirmation(recorded.entry)):
        try:
            if under is not None:
                await under.reply_text(attempt, parse_mode=ParseMode.HTML, do_quote=True)
            else:
                await reply(update, attempt)
            return
        except TelegramError:
            log.exception("could not confirm progress record #%d", recorded.entry.seq)
    log.error("progress record #%d is stored but the chat was not told", recorded.entry.seq)


async def report_and_confirm(
    update: Update,
    context: Context,
    report: ProgressReport,
    *,
    unit: str | None,
    source: ProgressSource,
    command: bool = False,
) -> None:
    svc = services(context)
    outcome = record(svc, update, report, unit=unit, source=source)
    if isinstance(outcome, ReportRefusal):
        await reply(
            update, refusal_text(outcome, report, svc.plan, command=command, admin=is_admin(svc, update))
        )
        return
    await confirm(update, outcome, confirmation(outcome, svc.plan))
    await follow_up(context, outcome.entry)


DIGEST_MARKS_KEY = "digest_marks"
"""bot_data key of the DigestMarks (wired in bot.app)."""
MARK_COALESCE_SECONDS = 1.0
"""Presses on one digest message within this long become one edit."""


@dataclass
class _Marks:
    """The edit a digest message is waiting for: its HTML when the first press of the batch came,
    its buttons (an edit without them would drop them), and each pressed entry's record."""

    text: str
    markup: InlineKeyboardMarkup | None
    records: dict[str, tuple[Update, Recorded, str, str]] = field(default_factory=dict)
    """measure → the press, its record, its mark and its one-line confirmation (said instead
    if the entry cannot be marked)."""


class DigestMarks:
    """Marks pressed entries in their digest message (✅ 已记录 · who · when) instead of posting a
    confirmation per press; presses on one message within ``delay`` seconds make one edit."""

    def __init__(self, delay: float = MARK_COALESCE_SECONDS) -> None:
        self.delay = delay
        self._waiting: dict[tuple[int, int], _Marks] = {}

    @property
    def waiting(self) -> bool:
        """Whether some digest message still waits for its edit."""
        return bool(self._waiting)

    def mark(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        update: Update,
        message: Message,
        recorded: Recorded,
        mark: str,
        confirmation_text: str,
    ) -> None:
        key = (message.chat_id, message.message_id)
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = self._waiting[key] = _Marks(message.text_html, message.reply_markup)
            application.create_task(self._edit(key, message), name=f"DIGEST_MARKS {key}")
        waiting.records[recorded.entry.measure] = (update, recorded, mark, confirmation_text)

    async def _edit(self, key: tuple[int, int], message: Message) -> None:
        await asyncio.sleep(self.delay)
        waiting = self._waiting.pop(key)
        text, unmarked = waiting.text, []
        for measure, (update, recorded, mark, said) in waiting.records.items():
            marked = mark_recorded(text, measure, mark)
            if marked is None:
                unmarked.append((update, recorded, said))
            else:
                text = marked
        if text != waiting.text:
            try:
                await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=waiting.markup)
            except TelegramError:
                log.warning("could not mark digest message %s", key, exc_info=True)
                unmarked = [
                    (update, recorded, said) for update, recorded, _, said in waiting.records.values()
                ]
        # An entry that could not be marked (an old or changed message): say it under the digest.
        for update, recorded, said in unmarked:
            await confirm(update, recorded, said, under=message)


def digest_marks(context: Context) -> DigestMarks:
    found: DigestMarks = context.application.bot_data[DIGEST_MARKS_KEY]
    return found


async def on_button(update: Update, context: Context) -> None:
    """A digest button: 已完成 / 进行中 / 受阻 for one measure and the unit the digest was for."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    press = parse_button(query.data or "")
    measure = svc.plan.measure(press.measure) if press is not None else None
    unit = unit_for_tag(measure, svc.directory, press.unit_tag) if press and measure else None
    if press is None or unit is None:
        await query.answer(texts.BOT_BUTTON_STALE, show_alert=True)
        return
    # The entry's item (none on buttons sent before items: the measure as a whole).
    report = ProgressReport(press.measure, press.status, item=press.item)
    outcome = record(svc, update, report, unit=unit, source="button")
    if isinstance(outcome, ReportRefusal):
        await query.answer()
        text = refusal_text(outcome, report, svc.plan, command=False, admin=is_admin(svc, update))
        await reply(update, text)
        return
    try:
        await query.answer(texts.BOT_BUTTON_ANSWER.format(measure=press.measure, status=press.status))
    except TelegramError:
        # A press answered late ("query is too old") is still recorded; the digest mark says so.
        log.warning("could not answer the button press for record #%d", outcome.entry.seq, exc_info=True)
    message = query.message
    text = confirmation(outcome, svc.plan)
    if isinstance(message, Message) and message.text:
        # The press is confirmed by the answer above and by marking the entry in the digest, so
        # everyone sees who marked what, without a group message per press (20 a minute).
        mark = recorded_mark(outcome.entry, item_label(outcome.entry, svc.plan))
        digest_marks(context).mark(context.application, update, message, outcome, mark, text)
    else:
        await confirm(update, outcome, text)
    await follow_up(context, outcome.entry)


async def report_command(update: Update, context: Context) -> None:
    """/report 2-63-1 受阻 资金未到位 (or, replying to a one-item digest, /report 进行中 60%)."""
    argument = command_argument(update.effective_message)
    if not argument:
        await reply(update, texts.BOT_REPORT_USAGE)
        return
    svc = services(context)
    hints = digest_context(update, context)
    parsed = parse(svc, argument, hints)
    if isinstance(parsed, ProgressParseError):
        await reply(update, parse_hint(parsed, hints))
        return
    await report_and_confirm(
        update, context, parsed, unit=hints.unit(svc, parsed.measure), source="command", command=True
    )


async def on_text(update: Update, context: Context) -> None:
    """Plain text: a report, a 签收 (收到 replying to a digest), or chatter the bot leaves alone.

    ``bot.intent.read_message`` decides which; in a group only a reply to the bot or a message
    starting with a measure ID and a status is answered.
    """
    message = update.effective_message
    if message is None or not message.text:
        return
    svc = services(context)
    replying = is_reply_to_bot(update, context)
    hints = digest_context(update, context)
    intent = read_message(
        message.text,
        private=is_private(message.chat),
        replying_to=hints.measures if replying else None,
        unit_named=svc.directory.resolve,
    )
    if isinstance(intent, Chatter):
        return
    if isinstance(intent, Acknowledgement):
        await acknowledge(update, svc, intent, hints)
        return
    if isinstance(intent, ProgressParseError):
        await reply(update, parse_hint(intent, hints))
        return
    await report_and_confirm(
        update,
        context,
        intent,
        unit=hints.unit(svc, intent.measure),
        source="reply" if replying else "text",
    )


async def acknowledge(update: Update, svc: Services, intent: Acknowledgement, hints: DigestContext) -> None:
    """Record 签收 and answer with a 👌 reaction; one short line only if the reaction fails."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None:
        return
    recorded = record_acknowledgement(
        svc.store,
        svc.plan,
        svc.directory,
        svc.store.binding(chat.id),
        intent,
        svc.clock.now(),
        digest_unit=lambda measure: hints.unit(svc, measure),
        user_id=user.id if user else None,
        user_name=user_label(user),
    )
    if not recorded:
        return
    log.info("chat %s acknowledged %s", chat.id, ", ".join(intent.measures))
    try:
        await message.set_reaction(texts.BOT_ACKNOWLEDGED_REACTION)
    except TelegramError:
        log.warning("could not react to an acknowledgement in chat %s", chat.id, exc_info=True)
        measures = joined(sorted({ack.measure for ack in recorded}))
        await reply(update, texts.BOT_ACKNOWLEDGED.format(measures=measures, who=esc(user_label(user))))


async def on_evidence(update: Update, context: Context) -> None:
    """A photo or document naming a measure in its caption, or replying to a one-item digest."""
    message = update.effective_message
    if message is None:
        return
    kind: EvidenceKind
    if message.photo:
        kind, ref, name = "photo", evidence_ref("photo", message.photo[-1].file_id), ""
    elif message.document is not None:
        name = message.document.file_name or ""
        kind, ref = "document", evidence_ref("document", message.document.file_id, name or None)
    else:
        return
    svc = services(context)
    caption = command_argument(message)
    hints = digest_context(update, context)
    parsed = parse(svc, caption, hints, require_status=False)
    if isinstance(parsed, ProgressParseError):
        if parsed.problem not in (ParseProblem.NO_MEASURE, ParseProblem.EMPTY):
            await reply(update, parse_hint(parsed))
        elif (mentioned := measure_id_in(caption)) is not None:
            # The caption names a measure, only not first ("现场照片 3-6-4"): meant as evidence.
            await reply(update, texts.BOT_EVIDENCE_ID_FIRST.format(measure=esc(mentioned)))
        elif is_reply_to_bot(update, context) or is_private(message.chat):
            await reply(update, texts.BOT_EVIDENCE_NEEDS_ID)
        # Otherwise say nothing: in a group, a photo that names no measure and answers no bot
        # message is people sharing pictures with each other; a hint under each would be noise.
        return
    outcome = record(
        svc, update, parsed, unit=hints.unit(svc, parsed.measure), source="evidence", evidence=[ref]
    )
    if isinstance(outcome, ReportRefusal):
        text = refusal_text(
            outcome, parsed, svc.plan, command=False, admin=is_admin(svc, update), evidence=True
        )
        await reply(update, text)
        return
    await confirm(update, outcome, confirmation(outcome, svc.plan, evidence_kind=kind, file_name=name))
    await follow_up(context, outcome.entry)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("report", report_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{BUTTON_PREFIX}\|"))
    application.add_handler(
        # Every text: with privacy mode off a group's chatter arrives too; on_text leaves it alone.
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text)
    )
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, on_evidence))
