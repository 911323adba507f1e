"""/export and /chart: the 督办台账 workbook as a document and the completion chart as a photo;
and the sender of the monthly 通报 (text, workbook, chart) that ``schedules.bulletin`` calls.

The chat's scope is decided as for the leader views (``bot.queries.chat_scope`` through
``handlers.leader.allowed_scope``): a leader's chat gets that leader's measures, a unit's chat its
own units, an admin everything or what they name. The report is read from the store on the event
loop; writing the file (XlsxWriter, matplotlib) runs in a worker thread on the finished, immutable
report, so other chats are not kept waiting. Those libraries are imported on first use.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler

from bot import reports, texts
from bot.clock import today
from handlers.chat import Context, is_admin, reply, services
from handlers.leader import Answer, chat_scope, typed_scope
from schedules.bulletin import BulletinDelivery
from schedules.calendar import WorkCalendar


def _report(context: Context, update: Update, usage: str) -> reports.Report:
    """The report this chat may have for what it asked; Answer with why not."""
    svc = services(context)
    assert update.effective_chat is not None
    requested = typed_scope(svc, context.args or [], usage)
    scope = chat_scope(svc, requested, update.effective_chat.id, is_admin(svc, update))
    return reports.report_for(svc.plan, svc.directory, svc.store, scope, today(svc.clock), WorkCalendar())


async def export(update: Update, context: Context) -> None:
    """Reply with the workbook, named 督办台账-DAY.xlsx."""
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    try:
        report = _report(context, update, texts.RPT_USAGE_EXPORT)
    except Answer as answer:
        await reply(update, str(answer), parse_mode=None)
        return
    from bot.workbook import workbook_bytes

    # Writing the workbook takes a second or two: the chat shows "sending a file…" meanwhile.
    await message.reply_chat_action(ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(workbook_bytes, report)
    await message.reply_document(
        document=data,
        filename=reports.export_filename(report.today),
        caption=texts.RPT_EXPORT_CAPTION.format(day=report.today.isoformat(), scope=report.scope.label),
    )


async def chart(update: Update, context: Context) -> None:
    """Reply with the PNG: completion per annex and the lagging units."""
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    try:
        report = _report(context, update, texts.RPT_USAGE_CHART)
    except Answer as answer:
        await reply(update, str(answer), parse_mode=None)
        return
    from bot.chart import chart_png

    await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(chart_png, report)
    await message.reply_photo(
        photo=png,
        filename=texts.RPT_CHART_FILENAME.format(day=report.today.isoformat()),
        caption=texts.RPT_CHART_CAPTION.format(day=report.today.isoformat(), scope=report.scope.label),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("export", export))
    application.add_handler(CommandHandler("chart", chart))


class BulletinSender:
    """The 通报 run's ``send``: the text, then the workbook, then the chart, to one chat."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def __call__(self, delivery: BulletinDelivery) -> list[int]:
        from bot.chart import chart_png
        from bot.workbook import workbook_bytes

        report = delivery.report
        day = report.today.isoformat()
        text = await self.bot.send_message(delivery.chat_id, delivery.text)
        data = await asyncio.to_thread(workbook_bytes, report)
        document = await self.bot.send_document(
            delivery.chat_id,
            document=data,
            filename=reports.export_filename(report.today),
            caption=texts.RPT_EXPORT_CAPTION.format(day=day, scope=report.scope.label),
        )
        png = await asyncio.to_thread(chart_png, report)
        photo = await self.bot.send_photo(
            delivery.chat_id,
            photo=png,
            filename=texts.RPT_CHART_FILENAME.format(day=day),
            caption=texts.RPT_CHART_CAPTION.format(day=day, scope=report.scope.label),
        )
        return [text.message_id, document.message_id, photo.message_id]
