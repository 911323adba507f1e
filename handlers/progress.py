"""Capturing progress: digest buttons, replies to digests, /report, and photos or files as evidence.

Every path ends in ``record``: parse (bot.progress), authorize (bot.progress.authorize_report),
write through the store with who, when, which chat and how, then confirm in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.models import ProgressEntry, ProgressSource, Status
from bot.progress import (
    BUTTON_PREFIX,
    EvidenceKind,
    ParseProblem,
    ProgressParseError,
    ProgressReport,
    RefusalReason,
    ReportRefusal,
    authorize_report,
    evidence_ref,
    find_measure_ids,
    parse_button,
    parse_evidence_ref,
    parse_progress,
    unit_for_tag,
)
from bot.services import Services
from handlers.chat import Context, command_argument, esc, joined, reply, user_label
from handlers.common import services

log = logging.getLogger(__name__)

LISTED_UNITS = 5
"""A refusal names this many responsible units per role; 22 towns would drown the reason."""


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
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
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


def refusal_text(svc: Services, refusal: ReportRefusal) -> str:
    measure = esc(refusal.measure_id)
    if refusal.reason is RefusalReason.UNKNOWN_MEASURE:
        text = texts.BOT_REFUSE_UNKNOWN_MEASURE.format(measure=measure)
        if refusal.similar:
            text += texts.BOT_DID_YOU_MEAN.format(names=joined(refusal.similar))
        return text
    if refusal.reason is RefusalReason.NOT_BOUND:
        return texts.BOT_REFUSE_NOT_BOUND
    by_role = {
        role: [unit for unit, r in refusal.responsible if r == role] for role in texts.BOT_RESPONSIBLE_ROLES
    }
    responsible = "；".join(
        texts.BOT_RESPONSIBLE_ROLES[role].format(units=joined(units, limit=LISTED_UNITS))
        for role, units in by_role.items()
        if units
    )
    return texts.BOT_REFUSE_NOT_RESPONSIBLE.format(
        measure=measure,
        responsible=responsible or texts.BOT_RESPONSIBLE_NOBODY,
        units=joined(refusal.chat_units),
    )


def parse_hint(error: ProgressParseError) -> str:
    why = texts.BOT_PARSE_PROBLEMS[error.problem.value].format(detail=esc(error.detail))
    return texts.BOT_PARSE_HINT.format(why=why)


def record(
    svc: Services,
    update: Update,
    report: ProgressReport,
    *,
    unit: str | None,
    source: ProgressSource,
    evidence: Sequence[str] = (),
) -> list[ProgressEntry] | ReportRefusal:
    """Authorize and store one report, for each of the chat's units that answers for the measure."""
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else None
    binding = svc.store.binding(chat_id) if chat_id is not None else None
    target = authorize_report(svc.plan, svc.directory, binding, report.measure, unit=unit)
    if isinstance(target, ReportRefusal):
        log.info("chat %s may not report %s: %s", chat_id, report.measure, target.reason)
        return target
    now = svc.clock.now()
    entries = []
    for each in target.units:
        status = report.status
        if status is None:  # evidence alone keeps the unit's status; a first report is work under way
            latest = svc.store.latest(report.measure, each)
            status = latest.status if latest is not None else Status.IN_PROGRESS
        entries.append(
            svc.store.record_progress(
                report.measure,
                each,
                status,
                now,
                percent=report.percent,
                note=report.note,
                evidence=evidence,
                user_id=user.id if user else None,
                user_name=user_label(user),
                chat_id=chat_id,
                source=source,
            )
        )
    log.info("chat %s reported %s for %s via %s", chat_id, report.measure, target.units, source)
    return entries


def confirmation(entries: Sequence[ProgressEntry], evidence_kind: EvidenceKind | None = None) -> str:
    first = entries[0]
    units = joined(entry.unit for entry in entries)
    who = esc(first.user_name)
    if evidence_kind is not None:
        name = parse_evidence_ref(first.evidence[0])[2] if first.evidence else None
        return texts.BOT_RECORDED_EVIDENCE.format(
            measure=esc(first.measure),
            units=units,
            kind=texts.BOT_EVIDENCE_KINDS[evidence_kind],
            name=f" {esc(name)}" if name else "",
            status=esc(first.status),
            who=who,
        )
    text = texts.BOT_RECORDED.format(
        measure=esc(first.measure),
        units=units,
        status=esc(first.status),
        percent=texts.BOT_RECORDED_PERCENT.format(percent=first.percent) if first.percent is not None else "",
        note=texts.BOT_RECORDED_NOTE.format(note=esc(first.note)) if first.note else "",
        who=who,
    )
    if first.status is Status.BLOCKED and not first.note:
        text += texts.BOT_RECORDED_BLOCKED_HINT
    return text


async def report_and_confirm(
    update: Update, context: Context, report: ProgressReport, *, unit: str | None, source: ProgressSource
) -> None:
    svc = services(context)
    outcome = record(svc, update, report, unit=unit, source=source)
    if isinstance(outcome, ReportRefusal):
        await reply(update, refusal_text(svc, outcome))
        return
    await reply(update, confirmation(outcome))


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
    report = ProgressReport(press.measure, press.status)
    outcome = record(svc, update, report, unit=unit, source="button")
    if isinstance(outcome, ReportRefusal):
        await query.answer()
        await reply(update, refusal_text(svc, outcome))
        return
    await query.answer(texts.BOT_BUTTON_ANSWER.format(measure=press.measure, status=press.status))
    message = query.message
    if isinstance(message, Message):
        # A one-line record in the group, under the digest, so everyone sees who marked what.
        await message.reply_text(confirmation(outcome), parse_mode=ParseMode.HTML, do_quote=True)


async def report_command(update: Update, context: Context) -> None:
    """/report 2-63-1 受阻 资金未到位 (or, replying to a one-item digest, /report 进行中 60%)."""
    argument = command_argument(update.effective_message)
    if not argument:
        await reply(update, texts.BOT_REPORT_USAGE)
        return
    hints = digest_context(update, context)
    parsed = parse_progress(argument, default_measure=hints.single_measure)
    if isinstance(parsed, ProgressParseError):
        await reply(update, parse_hint(parsed))
        return
    await report_and_confirm(
        update, context, parsed, unit=hints.unit(services(context), parsed.measure), source="command"
    )


async def on_text(update: Update, context: Context) -> None:
    """Plain text replying to the bot (in groups) or sent to it privately: a progress report."""
    message = update.effective_message
    if message is None or not message.text:
        return
    replying = is_reply_to_bot(update, context)
    if message.chat.type != "private" and not replying:
        return  # people answering each other in the group
    hints = digest_context(update, context)
    parsed = parse_progress(message.text, default_measure=hints.single_measure)
    if isinstance(parsed, ProgressParseError):
        await reply(update, parse_hint(parsed))
        return
    await report_and_confirm(
        update,
        context,
        parsed,
        unit=hints.unit(services(context), parsed.measure),
        source="reply" if replying else "command",
    )


async def on_evidence(update: Update, context: Context) -> None:
    """A photo or document naming a measure in its caption, or replying to a one-item digest."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    addressed = is_reply_to_bot(update, context) or message.chat.type == "private"
    hints = digest_context(update, context)
    parsed = parse_progress(
        command_argument(message), default_measure=hints.single_measure, require_status=False
    )
    if isinstance(parsed, ProgressParseError):
        if parsed.problem in (ParseProblem.NO_MEASURE, ParseProblem.EMPTY):
            # In a group, a photo that names no measure and answers no digest is just conversation.
            if addressed:
                await reply(update, texts.BOT_EVIDENCE_NEEDS_ID)
            return
        await reply(update, parse_hint(parsed))
        return
    kind: EvidenceKind
    if message.photo:
        kind, ref = "photo", evidence_ref("photo", message.photo[-1].file_id)
    elif message.document is not None:
        kind, ref = "document", evidence_ref("document", message.document.file_id, message.document.file_name)
    else:
        return
    outcome = record(
        svc, update, parsed, unit=hints.unit(svc, parsed.measure), source="evidence", evidence=[ref]
    )
    if isinstance(outcome, ReportRefusal):
        await reply(update, refusal_text(svc, outcome))
        return
    await reply(update, confirmation(outcome, evidence_kind=kind))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("report", report_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{BUTTON_PREFIX}\|"))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & (filters.REPLY | filters.ChatType.PRIVATE), on_text)
    )
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, on_evidence))
