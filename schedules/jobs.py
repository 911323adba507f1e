"""The JobQueue glue: when the dispatcher runs. The policy and delivery live in policy/dispatch.

Three named jobs, each added at most once:
- ``reminders:daily`` runs every day at BOT_REMIND_AT (Asia/Shanghai); on days off it sends nothing.
- ``reminders:catch-up`` runs once at start-up and, if BOT_REMIND_AT has passed today, delivers
  the day's digests, so a machine that was off at 09:00 still sends them (the ledger skips
  what already went).
- ``reminders:retry DAY`` follows a run with failed sends, backing off, for the rest of that day.

After the daily run and a catch-up run, ``after_run(day)`` follows (the daily backup, when
BOT_BACKUP_DIR is set), under the same lock, so no reminder run writes while it copies.

None of them has a misfire grace limit: APScheduler's default (one second) would silently skip
a run whose moment passed while the event loop was busy or the application was still starting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram.ext import Application, CallbackContext, JobQueue

from bot.clock import TZ, today
from bot.services import Services
from schedules.bulletin import SendBulletin, run_bulletin
from schedules.calendar import WorkCalendar
from schedules.dispatch import SendDigest, run_reminders

log = logging.getLogger(__name__)

DAILY_JOB = "reminders:daily"
CATCH_UP_JOB = "reminders:catch-up"
RETRY_JOB = "reminders:retry"
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
)
"""Wait before the n-th retry; after the last, retry hourly until the day is over."""

Context = CallbackContext[Any, Any, Any, Any]
NO_GRACE: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True}


@dataclass(frozen=True)
class PendingRetry:
    day: date
    attempt: int


def retry_job_name(day: date) -> str:
    # One pending retry per day: yesterday's late retry must not stand in for today's.
    return f"{RETRY_JOB} {day.isoformat()}"


def retry_delay(attempt: int) -> timedelta:
    """The wait before retry number ``attempt`` (1-based)."""
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]


def schedule_reminders(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    calendar: WorkCalendar,
    remind_at: time,
    send: SendDigest,
    after_run: Callable[[date], None] | None = None,
) -> None:
    """Add the reminder jobs to the application's JobQueue (again: a no-op)."""
    job_queue: JobQueue[Any] | None = application.job_queue
    if job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    remind_at = remind_at.replace(tzinfo=None)
    # The daily run, the catch-up and the retries must not interleave: two runs sending the
    # same unsent digest at once would both send it before either wrote the ledger.
    lock = asyncio.Lock()

    async def run(attempt: int) -> None:
        async with lock:
            report = await run_reminders(services, calendar, send)
            if after_run is not None and attempt == 0:
                after_run(report.day)
        if report.failed:
            schedule_retry(report.day, attempt + 1)

    async def daily(context: Context) -> None:
        await run(0)

    async def catch_up(context: Context) -> None:
        if is_after_remind_time(services.clock.now(), remind_at):
            await run(0)

    async def retry(context: Context) -> None:
        pending = context.job.data if context.job is not None else None
        if not isinstance(pending, PendingRetry):
            return
        if today(services.clock) != pending.day:
            log.warning("reminders for %s: the day is over; the daily run takes over", pending.day)
            return
        await run(pending.attempt)

    def schedule_retry(day: date, attempt: int) -> None:
        name = retry_job_name(day)
        if job_queue.get_jobs_by_name(name):
            return
        delay = retry_delay(attempt)
        if (services.clock.now().astimezone(TZ) + delay).date() != day:
            log.error("reminders for %s: sends still fail at the end of the day; giving up on them", day)
            return
        log.info("reminders for %s: retry %d in %s", day, attempt, delay)
        job_queue.run_once(retry, when=delay, data=PendingRetry(day, attempt), name=name, job_kwargs=NO_GRACE)

    if not job_queue.get_jobs_by_name(DAILY_JOB):
        at = remind_at.replace(tzinfo=TZ)
        job_queue.run_daily(daily, time=at, name=DAILY_JOB, job_kwargs=NO_GRACE)
    if not job_queue.get_jobs_by_name(CATCH_UP_JOB):
        job_queue.run_once(catch_up, when=0, name=CATCH_UP_JOB, job_kwargs=NO_GRACE)


def is_after_remind_time(now: datetime, remind_at: time) -> bool:
    """Whether today's run time has passed, so a start now must catch up (before it: the daily run)."""
    return now.astimezone(TZ).time() >= remind_at.replace(tzinfo=None)


BULLETIN_JOB = "bulletin:daily"
BULLETIN_CATCH_UP_JOB = "bulletin:catch-up"


def schedule_bulletin(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    calendar: WorkCalendar,
    remind_at: time,
    send: SendBulletin,
) -> None:
    """Add the monthly 通报 jobs: daily at REMIND_AT (it sends only in the month's first week and
    only what the ledger lacks) and once at start-up when REMIND_AT has passed (again: a no-op)."""
    job_queue: JobQueue[Any] | None = application.job_queue
    if job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    remind_at = remind_at.replace(tzinfo=None)
    lock = asyncio.Lock()  # the daily run and the catch-up must not both send one 通报

    async def daily(context: Context) -> None:
        async with lock:
            await run_bulletin(services, calendar, send)

    async def catch_up(context: Context) -> None:
        if is_after_remind_time(services.clock.now(), remind_at):
            await daily(context)

    if not job_queue.get_jobs_by_name(BULLETIN_JOB):
        job_queue.run_daily(daily, time=remind_at.replace(tzinfo=TZ), name=BULLETIN_JOB, job_kwargs=NO_GRACE)
    if not job_queue.get_jobs_by_name(BULLETIN_CATCH_UP_JOB):
        job_queue.run_once(catch_up, when=0, name=BULLETIN_CATCH_UP_JOB, job_kwargs=NO_GRACE)
