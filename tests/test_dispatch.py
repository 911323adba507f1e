"""Delivering digests exactly once: the dispatcher on a real file store, a fake clock, restarts.

``send`` is the one stand-in: the bot's Telegram rendering is not the dispatcher's business, so
a recorder plays it here (it can fail, or take the process down with it). The JobQueue glue is
then driven against the local fake Bot API over real HTTP.
"""

from __future__ import annotations

import errno
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.clock import TZ, FakeClock
from bot.models import Deadline, Plan, Status
from bot.sandbox.botapi import BotApiServer
from bot.services import Services
from bot.store import Store
from schedules.calendar import WorkCalendar
from schedules.dispatch import DispatchReport, UnrecordedSends, run_reminders
from schedules.jobs import CATCH_UP_JOB, DAILY_JOB, retry_job_name, schedule_reminders
from schedules.policy import Digest, digests_for_day
from tests.test_policy import ISSUED, measure, sample_directory, sample_plan

CALENDAR = WorkCalendar()


def year_plan() -> Plan:
    """The sample plan plus a deadline every nine days for someone, so every week has traffic."""
    base = sample_plan()
    units = ["区生态环境局", "区水务局", "各街道乡镇", "城管委", "区国资委"]
    extra = [
        measure(
            f"9-{n}-1",
            Deadline(raw="", kind="date", due=ISSUED + timedelta(days=9 * n)),
            lead=[units[n % len(units)]],
            co=[units[(n + 2) % len(units)]],
            leaders=[["倪德才"], ["秦  涛"], []][n % 3],
        )
        for n in range(1, 32)
    ]
    return base.model_copy(update={"measures": [*base.measures, *extra]})


PLAN = year_plan()
DIRECTORY = sample_directory()
REMIND_AT = time(9, 0)

# Chats as an operator would bind them: one chat for two units, two chats for one unit, a unit
# (梨园镇) with no chat at all, and a chat per leader.
UNIT_CHATS = {
    -101: ["区生态环境局"],
    -102: ["区水务局", "区国资委"],
    -103: ["永顺镇"],
    -104: ["区城市管理委"],
    -105: ["区城市管理委"],
}
LEADER_CHATS = {201: "倪德才", 202: "秦涛"}


class Crash(BaseException):
    """The process dies mid-run (power cut, kill -9): nothing after this point happens."""


@dataclass
class Recorder:
    """Stands in for the bot's send: records what reached each chat, fails when told to."""

    clock: FakeClock
    delivered: list[tuple[date, int, Digest]] = field(default_factory=list)
    failing_chats: set[int] = field(default_factory=set)
    crash_in: int | None = None
    last_message_id: int = 0

    async def __call__(self, chat_id: int, digest: Digest) -> list[int]:
        if self.crash_in is not None:
            self.crash_in -= 1
            if self.crash_in < 0:
                self.crash_in = None
                raise Crash
        if chat_id in self.failing_chats:
            raise RuntimeError("Forbidden: bot was kicked from the group chat")
        self.delivered.append((self.clock.now().date(), chat_id, digest))
        self.last_message_id += 1
        return [self.last_message_id]

    def keys(self, day: date) -> Counter[tuple[int, str]]:
        return Counter((chat, d.recipient.key) for sent_day, chat, d in self.delivered if sent_day == day)


class Bot:
    """The running bot's state across restarts: a database file, a clock and a send."""

    def __init__(self, path: Path, clock: FakeClock) -> None:
        self.path = path
        self.clock = clock
        self.send = Recorder(clock)
        self.unrecorded = UnrecordedSends()
        self.services = self.start()
        for chat_id, units in UNIT_CHATS.items():
            self.services.store.bind_units(chat_id, units)
        for chat_id, leader in LEADER_CHATS.items():
            self.services.store.bind_leader(chat_id, leader)

    def start(self) -> Services:
        return Services(plan=PLAN, directory=DIRECTORY, store=Store.open(self.path), clock=self.clock)

    def restart(self) -> None:
        self.services.store.close()
        self.services = self.start()
        self.unrecorded = UnrecordedSends()  # memory does not survive a restart

    async def run(self) -> DispatchReport:
        return await run_reminders(self.services, CALENDAR, self.send, self.unrecorded)


@pytest.fixture
def bot(tmp_path: Path) -> Any:
    running = Bot(tmp_path / "bot.db", FakeClock.at(date(2023, 6, 30), REMIND_AT))
    yield running
    running.services.store.close()


def expected_keys(digests: list[Digest]) -> Counter[tuple[int, str]]:
    keys: Counter[tuple[int, str]] = Counter()
    for digest in digests:
        name = digest.recipient.name
        if digest.recipient.kind == "unit":
            chats = [chat for chat, units in UNIT_CHATS.items() if name in units]
        else:
            chats = [chat for chat, leader in LEADER_CHATS.items() if leader == name]
        keys.update((chat, digest.recipient.key) for chat in chats)
    return keys


async def test_a_day_is_delivered_to_every_bound_chat_once(bot: Bot) -> None:
    day = bot.clock.now().date()
    report = await bot.run()
    # A Friday, but the bot's first day: the week's overdue list has not gone out yet.
    assert report.with_overdue
    digests = digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day, include_overdue=True)
    assert bot.send.keys(day) == expected_keys(digests)
    assert len(report.sent) == sum(expected_keys(digests).values()) > 0
    # 区城市管理委 has two chats; 梨园镇 has none, which is logged, not an error.
    assert {chat for chat, key in report.sent if key == "unit:区城市管理委"} <= {-104, -105}
    assert report.unbound == ["unit:梨园镇"] and report.complete
    ledger = {(e.chat_id, e.recipient): e.message_ids for e in bot.services.store.sent_on(day)}
    assert set(ledger) == set(report.sent) and all(ledger.values())

    bot.clock.advance(hours=5)
    again = await bot.run()
    assert again.sent == [] and sorted(again.already_sent) == sorted(report.sent)
    assert bot.send.keys(day) == expected_keys(digests)


async def test_a_chat_bound_to_two_units_gets_each_units_digest(bot: Bot) -> None:
    bot.clock.set_day(date(2023, 9, 28))  # 1-2-1's milestone is due: 区水务局 lead, 区国资委 co
    await bot.run()
    to_chat = {d.recipient.key: d.items for _, chat, d in bot.send.delivered if chat == -102}
    assert set(to_chat) == {"unit:区水务局", "unit:区国资委"}
    assert ("1-2-1", "due", "lead") in {(i.measure, i.reason, i.role) for i in to_chat["unit:区水务局"]}
    assert ("1-2-1", "due", "co") in {(i.measure, i.reason, i.role) for i in to_chat["unit:区国资委"]}


async def test_a_failed_send_is_reported_left_unmarked_and_sent_by_the_retry(bot: Bot) -> None:
    day = bot.clock.now().date()
    bot.send.failing_chats = {-103}
    report = await bot.run()
    assert [(f.chat_id, f.recipient) for f in report.failed] == [(-103, "unit:永顺镇")]
    assert "Forbidden" in report.failed[0].error
    assert not bot.services.store.was_sent(day, -103, "unit:永顺镇")
    bot.send.failing_chats = set()
    bot.clock.advance(minutes=1)
    retry = await bot.run()
    assert retry.sent == [(-103, "unit:永顺镇")] and retry.complete
    assert all(count == 1 for count in bot.send.keys(day).values())


async def test_nothing_goes_out_on_a_day_off(bot: Bot) -> None:
    bot.clock.set_day(date(2023, 6, 24))
    report = await bot.run()
    assert not report.workday and bot.send.delivered == []


async def test_after_days_of_downtime_only_today_goes_out_with_the_overdue_list(bot: Bot) -> None:
    # Down from Friday 30 June to Wednesday 5 July: Monday's overdue list was never sent.
    bot.clock.set_day(date(2023, 7, 5))
    report = await bot.run()
    assert report.with_overdue
    assert {day for day, _, _ in bot.send.delivered} == {date(2023, 7, 5)}
    leader = [d for _, chat, d in bot.send.delivered if chat == 201]
    leader_items = {(i.measure, i.reason) for d in leader for i in d.items}
    assert ("1-1-1", "overdue") in leader_items and {r for _, r in leader_items} == {"overdue"}
    for missed in (date(2023, 7, 3), date(2023, 7, 4)):
        assert bot.services.store.sent_on(missed) == []
    # A restart later that day keeps the same digests; the next day is back to normal.
    bot.restart()
    bot.clock.advance(hours=3)
    assert (await bot.run()).with_overdue
    bot.clock.set_day(date(2023, 7, 6))
    assert not (await bot.run()).with_overdue


async def test_the_week_after_a_normal_first_workday_needs_no_catch_up(bot: Bot) -> None:
    bot.clock.set_day(date(2023, 7, 3))
    assert (await bot.run()).with_overdue
    bot.clock.set_day(date(2023, 7, 4))
    assert not (await bot.run()).with_overdue


async def test_a_crash_mid_run_loses_and_duplicates_nothing(bot: Bot) -> None:
    day = bot.clock.now().date()
    expected = expected_keys(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day, include_overdue=True))
    bot.send.crash_in = 2
    with pytest.raises(Crash):
        await bot.run()
    assert sum(bot.send.keys(day).values()) == 2
    bot.restart()
    bot.clock.advance(minutes=7)
    await bot.run()
    assert bot.send.keys(day) == expected


class FullDisk:
    """The disk under the database fills up: appends to that one file fail with ENOSPC.

    A fake at the operating system's edge (``os.pwrite``, which the journal appends with); every
    other file, and everything above the system call, is the real thing.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
        self.inode = path.stat().st_ino
        self.room: int | None = None  # appends that still fit; None: the disk is not full
        real_pwrite = os.pwrite

        def pwrite(fd: int, data: bytes, offset: int) -> int:
            if self.room is not None and os.fstat(fd).st_ino == self.inode:
                if self.room == 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                self.room -= 1
            return real_pwrite(fd, data, offset)

        monkeypatch.setattr(os, "pwrite", pwrite)


async def test_a_full_disk_mid_run_stops_no_one_for_good_and_sends_nothing_twice(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    day = bot.clock.now().date()
    expected = expected_keys(digests_for_day(PLAN, DIRECTORY, {}, CALENDAR, day, include_overdue=True))
    disk = FullDisk(monkeypatch, bot.path)
    disk.room = 3  # the overdue decision and two ledger entries fit; the third delivery's does not
    report = await bot.run()
    assert len(report.sent) == 3 and not report.complete
    assert len(report.failed) == sum(expected.values()) - 3  # not sent: they could not be recorded
    assert all("No space left on device" in f.error for f in report.failed)
    assert len([r for r in caplog.records if "refuses writes" in r.getMessage()]) == 1
    assert "Traceback" not in caplog.text

    bot.clock.advance(minutes=1)
    assert not (await bot.run()).complete  # still full: nothing goes out, nothing is lost

    disk.room = None  # space is freed; the retry records the delivery it remembered first
    bot.clock.advance(minutes=5)
    retry = await bot.run()
    assert retry.complete and len(retry.sent) == len(report.failed)
    assert bot.send.keys(day) == expected
    bot.restart()
    bot.clock.advance(hours=1)
    after = await bot.run()
    assert after.sent == [] and bot.send.keys(day) == expected
    assert len(bot.services.store.sent_on(day)) == sum(expected.values())


async def test_a_simulated_2023_with_restarts_outages_and_failures(tmp_path: Path) -> None:
    """Every day from the plan's issue to the year's end, at 09:00 unless the machine is down.

    On random days the run crashes mid-way (restart and run again), sends fail (the retry
    follows), the machine is off for days, or a unit reports its measure done. The whole year
    must deliver each due digest exactly once, nothing on days off or down days, and nothing
    about a measure after it was reported complete.
    """
    rng = random.Random(20230320)
    clock = FakeClock.at(ISSUED - timedelta(days=3), REMIND_AT)
    bot = Bot(tmp_path / "bot.db", clock)
    down_until = date.min
    overdue_sent_week: set[tuple[int, int]] = set()
    completed: dict[str, date] = {}
    expected_by_day: dict[date, Counter[tuple[int, str]]] = {}
    crashes = failures = 0
    try:
        day = clock.now().date()
        while day <= date(2023, 12, 31):
            clock.set(datetime.combine(day, REMIND_AT, tzinfo=TZ))
            if day < down_until:
                day += timedelta(days=1)
                continue
            if rng.random() < 0.03:
                down_until = day + timedelta(days=rng.randint(1, 6))
                day += timedelta(days=1)
                continue
            # What this day must deliver, worked out before the run from the pure policy.
            week = day.isocalendar()[:2]
            first = CALENDAR.first_workday_of_week(day)
            catch_up = CALENDAR.is_workday(day) and day >= ISSUED and week not in overdue_sent_week
            assert first is None or day >= first or not catch_up
            latest = bot.services.store.latest_all()
            digests = digests_for_day(
                PLAN, DIRECTORY, latest, CALENDAR, day, include_overdue=catch_up, monthly=True
            )
            expected_by_day[day] = expected_keys(digests)
            if catch_up:
                overdue_sent_week.add(week)

            if rng.random() < 0.1:
                bot.send.crash_in = rng.randint(0, 3)
            if rng.random() < 0.1:
                bot.send.failing_chats = {rng.choice(list(UNIT_CHATS) + list(LEADER_CHATS))}
            for _attempt in range(5):
                try:
                    report = await bot.run()
                except Crash:
                    crashes += 1
                    bot.restart()
                    clock.advance(minutes=rng.randint(1, 90))
                    continue
                if report.complete:
                    break
                failures += len(report.failed)
                bot.send.failing_chats = set()
                clock.advance(minutes=1)
            if rng.random() < 0.05:
                bot.restart()

            # Later that day, now and then, a lead unit reports a measure done.
            if rng.random() < 0.03 and day >= ISSUED:
                open_measures = [m for m in PLAN.measures if m.id not in completed and m.id != "1-6-1"]
                if open_measures:
                    measure = rng.choice(open_measures)
                    clock.set(datetime.combine(day, time(16, 0), tzinfo=TZ))
                    for unit in {u for name in measure.lead_units for u in DIRECTORY.expand(name)}:
                        bot.services.store.record_progress(measure.id, unit, Status.DONE, clock.now())
                    completed[measure.id] = day
            day += timedelta(days=1)
    finally:
        bot.services.store.close()

    delivered_days = {sent_day for sent_day, _, _ in bot.send.delivered}
    assert all(CALENDAR.is_workday(d) and d >= ISSUED for d in delivered_days)
    for day, expected in expected_by_day.items():
        assert bot.send.keys(day) == expected, day
    for sent_day, _, digest in bot.send.delivered:
        for item in digest.items:
            assert item.measure not in completed or sent_day <= completed[item.measure], (sent_day, item)
    # The year really was eventful.
    down = [
        d for d in CALENDAR.days(ISSUED, date(2023, 12, 31)) if d.workday and d.day not in expected_by_day
    ]
    assert len(bot.send.delivered) > 500 and len(completed) >= 3 and len(down) >= 5
    assert crashes >= 5 and failures >= 5


# --- the JobQueue glue, over HTTP against the fake Bot API ---


App = Application[Any, Any, Any, Any, Any, Any]


def application(server: BotApiServer) -> App:
    return ApplicationBuilder().token(server.token).base_url(server.base_url).build()


async def send_text(
    app: Application[Any, Any, Any, Any, Any, Any], chat_id: int, digest: Digest
) -> list[int]:
    text = f"{digest.recipient.name}: " + ", ".join(f"{i.measure} {i.reason}" for i in digest.items)
    message = await app.bot.send_message(chat_id, text)
    return [message.message_id]


def schedule(app: App, services: Services) -> None:
    schedule_reminders(app, services, CALENDAR, REMIND_AT, lambda chat, d: send_text(app, chat, d))


async def run_now(app: App, name: str) -> None:
    """Run the one job called ``name`` now, as the JobQueue would, and take it off the queue."""
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    job.schedule_removal()
    await job.run(app)


@pytest.fixture
def services(tmp_path: Path) -> Any:
    store = Store.open(tmp_path / "bot.db")
    store.bind_units(-101, ["区生态环境局"])
    store.bind_units(-103, ["永顺镇"])
    clock = FakeClock.at(date(2023, 6, 30), time(14, 30))
    yield Services(plan=PLAN, directory=DIRECTORY, store=store, clock=clock)
    store.close()


async def test_jobs_are_named_and_never_added_twice(fake_api: BotApiServer, services: Services) -> None:
    assert isinstance(services.clock, FakeClock)
    services.clock.set(datetime.combine(date(2023, 6, 30), time(7, 0), tzinfo=TZ))
    app = application(fake_api)
    assert app.job_queue is not None
    for _ in range(2):
        schedule(app, services)
    jobs = app.job_queue.jobs()
    assert [job.name for job in jobs] == [DAILY_JOB, CATCH_UP_JOB]
    # APScheduler would silently drop a run that fired more than a second late.
    assert all(job.job.misfire_grace_time is None for job in jobs)
    await app.job_queue.start()
    try:
        (daily,) = app.job_queue.get_jobs_by_name(DAILY_JOB)
        assert daily.next_t is not None
        assert daily.next_t.astimezone(TZ).time() == REMIND_AT
    finally:
        await app.job_queue.stop()


async def test_a_start_before_remind_at_leaves_the_day_to_the_daily_run(
    fake_api: BotApiServer, services: Services
) -> None:
    fake_api.group(-101, "区生态环境局工作群")
    fake_api.group(-103, "永顺镇工作群")
    assert isinstance(services.clock, FakeClock)
    services.clock.set(datetime.combine(date(2023, 6, 30), time(8, 59), tzinfo=TZ))
    app = application(fake_api)
    async with app:
        schedule(app, services)
        await run_now(app, CATCH_UP_JOB)
        assert services.store.sent_on(date(2023, 6, 30)) == [] and fake_api.bot_messages(-101) == []
        services.clock.advance(minutes=1)
        await run_now(app, DAILY_JOB)
        assert {e.chat_id for e in services.store.sent_on(date(2023, 6, 30))} == {-101, -103}


async def test_catch_up_delivers_over_http_and_a_failure_is_retried(
    fake_api: BotApiServer, services: Services
) -> None:
    fake_api.group(-101, "区生态环境局工作群")
    fake_api.group(-103, "永顺镇工作群")
    fake_api.inject("sendMessage", "500")  # the first send fails
    app = application(fake_api)
    day = date(2023, 6, 30)
    async with app:
        schedule(app, services)
        await run_now(app, CATCH_UP_JOB)
        delivered = {e.chat_id for e in services.store.sent_on(day)}
        assert len(delivered) == 1
        assert isinstance(services.clock, FakeClock)
        services.clock.advance(minutes=1)
        await run_now(app, retry_job_name(day))
        assert {e.chat_id for e in services.store.sent_on(day)} == {-101, -103}
        assert app.job_queue is not None and not app.job_queue.get_jobs_by_name(retry_job_name(day))
        for chat in (-101, -103):
            (message,) = fake_api.bot_messages(chat)
            assert "1-1-1 due" in message["text"]


async def test_a_retry_after_the_day_is_over_leaves_it_to_the_daily_run(
    fake_api: BotApiServer, services: Services
) -> None:
    fake_api.group(-101, "区生态环境局工作群")
    fake_api.group(-103, "永顺镇工作群")
    fake_api.remove_bot(-103)  # kicked: every send to it fails
    assert isinstance(services.clock, FakeClock)
    day = date(2023, 6, 29)  # 1-1-1 is due tomorrow: both chats have a digest
    services.clock.set(datetime.combine(day, time(16, 0), tzinfo=TZ))
    app = application(fake_api)
    async with app:
        schedule(app, services)
        await run_now(app, CATCH_UP_JOB)
        # The retry fires after midnight, before the next day's REMIND_AT: it must not send
        # the next day's digests early, nor schedule more retries.
        services.clock.set(datetime.combine(day + timedelta(days=1), time(0, 30), tzinfo=TZ))
        await run_now(app, retry_job_name(day))
        assert app.job_queue is not None
        assert len(fake_api.bot_messages(-101)) == 1 and not app.job_queue.jobs(r"^reminders:retry")
        assert {e.chat_id for e in services.store.sent_on(day)} == {-101}
        assert services.store.sent_on(day + timedelta(days=1)) == []
