"""Delivering a day's digests exactly once, through an injected ``send`` and the store's ledger.

The ledger records each (day, chat, recipient) once its digest is delivered, so running again
on the same day (a restart, a retry, the start-up catch-up) sends only what is still missing.
The one gap is a crash between Telegram accepting a message and the ledger write: that digest
is sent again after the restart. Nothing is ever lost.

A failed database write (a full disk, an I/O error) does not end the run. A digest Telegram
accepted whose ledger write failed is remembered in memory (``UnrecordedSends``) and recorded as
soon as the database takes writes again; until it does, no further digest is sent, because it
could not be recorded either and would go out again after a restart. Those chats are reported as
failed, so the retry job tries them later in the day. The failure is logged once per run.

After downtime only the current day is delivered: past days' ladder reminders are stale, and the
overdue list, which is what matters, is included in the first digest of the week whichever day
that happens to be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.clock import today
from bot.directory import Directory
from bot.models import Plan
from bot.queries import latest_as_of
from bot.services import Services
from bot.store import Store, StoreError
from bot.workflow import ask_monthly_all, supervision
from schedules.calendar import WorkCalendar
from schedules.policy import Digest, Recipient, digests_for_day, group_code

log = logging.getLogger(__name__)

SendDigest = Callable[[int, Digest], Awaitable[list[int]]]
"""Deliver one digest to one chat; returns the sent message ids and raises on failure."""

OVERDUE_DAY_KEY = "reminders.overdue_day"
"""Meta key: the day this week's overdue list went (or is going) out."""
CONCURRENT_CHATS = 16
"""Chats served at once. Enough to keep Telegram's 30 a second busy while a few chats wait out a
429; few enough that laying out digests ahead of their turn does not hold up the sends."""
LAST_RUN_KEY = "reminders.last_run"
"""Meta key: when the dispatcher last finished a run (ISO datetime), for operators."""


@dataclass(frozen=True)
class Failure:
    chat_id: int
    recipient: str
    error: str


@dataclass
class DispatchReport:
    day: date
    workday: bool
    with_overdue: bool = False
    digests: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    """(chat_id, recipient key) delivered by this run."""
    already_sent: list[tuple[int, str]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)
    """Recipients with a digest but no bound chat."""
    store_error: str | None = None
    """The first failed database write of this run, if any."""

    @property
    def complete(self) -> bool:
        """Nothing is left to retry today."""
        return not self.failed and self.store_error is None

    def summary(self) -> str:
        return (
            f"reminders {self.day}: {self.digests} digests, {len(self.sent)} sent, "
            f"{len(self.already_sent)} already sent, {len(self.failed)} failed, "
            f"{len(self.unbound)} without a chat" + (", overdue included" if self.with_overdue else "")
        )


SentKey = tuple[date, int, str]


@dataclass
class UnrecordedSends:
    """Digests Telegram accepted whose ledger write failed, to be recorded once writes work again.

    One lives as long as the bot's reminder jobs, so a retry neither sends these again nor sends
    anything else before they are in the ledger.
    """

    entries: dict[SentKey, tuple[datetime, list[int]]] = field(default_factory=dict)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def record(self, store: Store) -> None:
        """Write every remembered delivery to the ledger; raises StoreError if the store still refuses."""
        for key, (sent_at, message_ids) in list(self.entries.items()):
            store.mark_sent(*key, sent_at, message_ids)
            del self.entries[key]


def chats_for(store: Store, recipient: Recipient) -> list[int]:
    """The chats bound to a recipient: a unit's group chats, or a leader's chats."""
    if recipient.kind == "unit":
        return store.chats_for_unit(recipient.name)
    return store.chats_for_leader(recipient.name)


@dataclass(frozen=True)
class DayPlan:
    """What a run on ``day`` delivers, given the database: the digests, whether they carry the
    overdue list, and whether that decision is new (the run stores it before sending)."""

    day: date
    digests: list[Digest]
    with_overdue: bool = False
    new_overdue_day: bool = False


def overdue_decision(store: Store, calendar: WorkCalendar, day: date) -> tuple[bool, bool]:
    """Whether ``day``'s digests carry the overdue list, and whether the day must be remembered.

    The list goes out with the week's first run on or after its first workday: normally that
    workday itself, later in the week after downtime. The day is stored before anything is sent,
    so a restart or retry later that day repeats the same decision and the same digests.
    """
    first_workday = calendar.first_workday_of_week(day)
    if first_workday is None or day < first_workday:
        return False, False
    stored = store.get_meta(OVERDUE_DAY_KEY)
    overdue_day = date.fromisoformat(stored) if stored else None
    if overdue_day is None or overdue_day < first_workday:
        return True, True
    return overdue_day == day, False


def plan_day(
    store: Store,
    plan: Plan,
    directory: Directory,
    calendar: WorkCalendar,
    day: date,
    *,
    monthly_progress: bool = True,
) -> DayPlan:
    """The digests a run on ``day`` delivers, catch-up included, from the database's progress and
    ledger. The one computation behind both the sender (``run_reminders``) and the preview
    (``python -m bot remind --dry-run``), so the preview is what the bot sends.
    ``monthly_progress`` (MONTHLY_PROGRESS) adds the 月调度 section on a month's first workday."""
    if not calendar.is_workday(day) or day < plan.issued:
        return DayPlan(day, [])
    with_overdue, new_overdue_day = overdue_decision(store, calendar, day)
    digests = digests_for_day(
        plan,
        directory,
        latest_as_of(store, day),
        calendar,
        day,
        include_overdue=with_overdue,
        supervision=supervision(store),
        monthly=monthly_progress,
    )
    return DayPlan(day, digests, with_overdue, new_overdue_day)


def group_entries(
    store: Store, plan: Plan, directory: Directory, calendar: WorkCalendar, day: date, unit: str, code: str
) -> list[tuple[str, str]]:
    """(measure, item) of the entries of ``unit``'s digest on ``day`` in the compact group ``code``
    (``schedules.policy.group_code``), as the digest stands now: what a group's 逐项填报 lists.
    Entries the unit has reported done since have left it."""
    for digest in plan_day(store, plan, directory, calendar, day, monthly_progress=False).digests:
        if digest.recipient == Recipient("unit", unit):
            return [(item.measure, item.item) for item in digest.items if group_code(item, day) == code]
    return []


def pending(store: Store, day_plan: DayPlan) -> list[tuple[int, Digest]]:
    """(chat, digest) deliveries of the day that the ledger does not have yet, in sending order."""
    return [
        (chat_id, digest)
        for digest in day_plan.digests
        for chat_id in chats_for(store, digest.recipient)
        if not store.was_sent(day_plan.day, chat_id, digest.recipient.key)
    ]


async def run_reminders(
    services: Services, calendar: WorkCalendar, send: SendDigest, unrecorded: UnrecordedSends | None = None
) -> DispatchReport:
    """Deliver today's digests to every bound chat that has not had them yet.

    A failed send is logged and reported and left out of the ledger, so the next run (the
    retry job) sends it. A failed ledger write is handled as the module docstring says; pass the
    same ``unrecorded`` to every run of one bot.
    """
    unrecorded = unrecorded if unrecorded is not None else UnrecordedSends()
    store = services.store
    day = today(services.clock)
    report = DispatchReport(day=day, workday=calendar.is_workday(day))

    def store_failed(exc: StoreError) -> None:
        if report.store_error is None:
            report.store_error = str(exc)
            log.error("reminders %s: the database refuses writes (%s); sends wait for it", day, exc)

    def ledger_writable() -> bool:
        """Whether earlier deliveries are all recorded: only then may another digest go out."""
        try:
            unrecorded.record(store)
        except StoreError as exc:
            store_failed(exc)
            return False
        return True

    async def deliver(chat_id: int, digests: list[Digest]) -> None:
        """One chat's digests of the day, in order; each goes into the ledger once Telegram has it."""
        for digest in digests:
            key = digest.recipient.key
            if not ledger_writable():
                report.failed.append(Failure(chat_id, key, f"not sent: {report.store_error}"))
                continue
            try:
                message_ids = await send(chat_id, digest)
            except StoreError as exc:  # the sender's own bookkeeping of a long digest's parts
                store_failed(exc)
                report.failed.append(Failure(chat_id, key, f"{type(exc).__name__}: {exc}"))
                continue
            except Exception as exc:
                log.exception("sending the %s digest for %s to chat %d failed", day, key, chat_id)
                report.failed.append(Failure(chat_id, key, f"{type(exc).__name__}: {exc}"))
                continue
            report.sent.append((chat_id, key))
            sent_at = services.clock.now()
            try:
                store.mark_sent(day, chat_id, key, sent_at, message_ids)
            except StoreError as exc:
                unrecorded.entries[(day, chat_id, key)] = (sent_at, list(message_ids))
                store_failed(exc)

    if not ledger_writable() or not report.workday or day < services.plan.issued:
        return report
    day_plan = plan_day(
        store, services.plan, services.directory, calendar, day, monthly_progress=services.monthly_progress
    )
    try:
        if day_plan.new_overdue_day:
            store.set_meta(OVERDUE_DAY_KEY, day.isoformat())
        # Each 月调度 is recorded before it goes out, so its buttons always find it.
        sections = {
            digest.recipient.name: digest.monthly
            for digest in day_plan.digests
            if digest.monthly and chats_for(store, digest.recipient)
        }
        if sections:
            ask_monthly_all(store, day, sections, services.clock.now())
    except StoreError as exc:
        store_failed(exc)  # the decisions must be stored before anything goes out: retry later
        return report
    report.with_overdue = day_plan.with_overdue
    report.digests = len(day_plan.digests)
    owed: dict[int, list[Digest]] = {}
    for digest in day_plan.digests:
        key = digest.recipient.key
        chats = chats_for(services.store, digest.recipient)
        if not chats:
            log.info("no chat is bound to %s: %d reminders for %s not sent", key, len(digest.items), day)
            report.unbound.append(key)
        for chat_id in chats:
            if store.was_sent(day, chat_id, key) or (day, chat_id, key) in unrecorded:
                report.already_sent.append((chat_id, key))
            else:
                owed.setdefault(chat_id, []).append(digest)
    # Several chats at once: the rate limiter paces the total, so a chat paused by a 429 or a slow
    # answer holds up only itself. Within a chat, its digests go one after another, in order.
    # Chats with the most digests first: a long chat begun last, or paused by a 429 near the end,
    # would leave the day waiting on it alone.
    queue = sorted(owed.items(), key=lambda chat: len(chat[1]))

    async def worker() -> None:
        try:
            while queue:
                chat_id, owed_here = queue.pop()
                await deliver(chat_id, owed_here)
        except BaseException:
            queue.clear()  # the others must not take another chat after a crash
            raise

    workers = [asyncio.ensure_future(worker()) for _ in range(min(CONCURRENT_CHATS, len(queue)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        # A crash (or a cancelled job) ends the whole run, as it would end the process: no worker
        # goes on sending what the ledger will not hear of.
        for each in workers:
            each.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    try:
        store.set_meta(LAST_RUN_KEY, services.clock.now().isoformat())
    except StoreError as exc:
        store_failed(exc)
    log.info("%s", report.summary())
    return report
