"""The monthly 通报: on the first workday of each month, every leader's chat and every admin get
a short text (last month's completions, newly overdue items, 受阻 items, the best and the lagging
units) and the workbook, each exactly once.

The reminder ledger records each delivery under the month's first workday and the recipient key
``通报:LEADER`` (or ``通报:admin``), so a restart, the start-up catch-up or the next day's run
sends only what is missing. It reports on a month of the plan's year: the last one goes out in
January of the next year, and none after that. After downtime the 通报 still goes out later in that
first week, and is dated as of the day it is sent; after that week the month's 通报 is skipped (it
would be news of a month ago). The gap is the digests': a crash between Telegram accepting the
messages and the ledger write sends that 通报 again after the restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot import queries, reports, texts
from bot.clock import today
from bot.reports import previous_month
from bot.services import Services
from schedules.calendar import WorkCalendar

log = logging.getLogger(__name__)

RECIPIENT_PREFIX = "通报:"
ADMIN_RECIPIENT = RECIPIENT_PREFIX + "admin"
CATCH_UP_DAYS = 6
"""How long after the first workday a 通报 missed through downtime is still sent."""


@dataclass(frozen=True)
class BulletinDelivery:
    """One 通报 for one chat: the text and the report its workbook and chart are made from."""

    chat_id: int
    recipient: str
    text: str
    report: reports.Report


SendBulletin = Callable[[BulletinDelivery], Awaitable[list[int]]]
"""Deliver one 通报 to its chat; returns the sent message ids and raises on failure."""


@dataclass
class BulletinRun:
    day: date
    bulletin_day: date | None
    sent: list[tuple[int, str]] = field(default_factory=list)
    already_sent: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)


def bulletin_day(calendar: WorkCalendar, day: date) -> date | None:
    """The first workday of ``day``'s month when ``day`` is that day or within the catch-up days
    after it; None on any other day."""
    first = calendar.first_workday_of_month(day.year, day.month)
    return first if first <= day <= first + timedelta(days=CATCH_UP_DAYS) else None


def recipients(services: Services) -> list[tuple[int, str, queries.Scope]]:
    """(chat, ledger key, scope): each leader's chats with that leader's measures, then each
    admin's private chat with everything."""
    found: list[tuple[int, str, queries.Scope]] = []
    for binding in services.store.bindings():
        if binding.leader:
            scope = queries.Scope(leader=binding.leader, label=binding.leader)
            found.append((binding.chat_id, RECIPIENT_PREFIX + binding.leader, scope))
    admins = sorted(services.admin_ids | set(services.store.role_holders("admin")))
    everything = queries.scope_everything(texts.LV_EVERYTHING)
    found += [(user_id, ADMIN_RECIPIENT, everything) for user_id in admins]
    return found


LAST_RUN_KEY = "bulletin.last_run"
"""Meta key: when the 通报 run last finished (ISO datetime), for operators."""


def bulletin_for(
    services: Services, calendar: WorkCalendar, day: date, scope: queries.Scope
) -> tuple[str, reports.Report]:
    """The 通报 text and the report (workbook, chart) for one recipient's scope as of ``day``."""
    report = reports.report_for(services.plan, services.directory, services.store, scope, day, calendar)
    bulletin = reports.build_bulletin(report, queries.latest_as_of(services.store, day))
    return reports.bulletin_text(bulletin), report


async def run_bulletin(services: Services, calendar: WorkCalendar, send: SendBulletin) -> BulletinRun:
    """Deliver this month's 通报 to every chat that has not had it; a failure is left for the next
    run (the ledger does not have it)."""
    day = today(services.clock)
    first = bulletin_day(calendar, day)
    run = BulletinRun(day, first)
    if first is None or day <= services.plan.issued or previous_month(day)[0].year != services.plan.year:
        return run  # a 通报 reports on a month of the plan's year, January's on December
    for chat_id, key, scope in recipients(services):
        if services.store.was_sent(first, chat_id, key):
            run.already_sent.append((chat_id, key))
            continue
        text, report = bulletin_for(services, calendar, day, scope)
        try:
            message_ids = await send(BulletinDelivery(chat_id, key, text, report))
        except Exception as exc:
            log.exception("sending the %s 通报 to chat %d failed", first, chat_id)
            run.failed.append((chat_id, key, f"{type(exc).__name__}: {exc}"))
            continue
        services.store.mark_sent(first, chat_id, key, services.clock.now(), message_ids)
        run.sent.append((chat_id, key))
    services.store.set_meta(LAST_RUN_KEY, services.clock.now().isoformat())
    log.info(
        "通报 %s: %d sent, %d already sent, %d failed",
        first,
        len(run.sent),
        len(run.already_sent),
        len(run.failed),
    )
    return run
