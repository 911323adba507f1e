"""Issue 9: for every day of a simulated 2023 on the real plan, with random restarts, outages and
failed sends, ``python -m bot remind --dry-run --json --db PATH`` shows exactly what the bot then
sends that day, catch-up included.

The bot side is the real dispatcher (``run_reminders``) on a real database file; ``send`` records
instead of calling Telegram (the edge). The preview is what the CLI prints: ``plan_day`` over the
database, as ``digest_record`` JSON. Every day it is computed as the command computes it; on
every catch-up day, every day with a failed send and every fifth day besides, the real command
also runs in-process on the file, read-only beside the running "bot", and must print the same.
Units report items now and then, so items close and digests change through the year. A fixed
seed keeps it repeatable and quick.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ, FakeClock
from bot.commands.remind import digest_record
from bot.models import Status
from bot.services import Services
from bot.store import Store
from schedules.calendar import WorkCalendar
from schedules.dispatch import overdue_decision, plan_day, run_reminders
from schedules.policy import Digest
from tests.bot_harness import shipped_plan
from tests.cli_runner import run_main

UNIT_CHATS = {
    -201: ["区水务局"],
    -202: ["区生态环境局", "区商务局"],
    -203: ["区城市管理委"],
    -204: ["永顺镇"],
    -205: ["区发展改革委"],
}
LEADER_CHATS = {-301: "秦涛", -302: "倪德才"}
SEED = 20230320


@dataclass
class Outage:
    """``send``: records each delivery as JSON; while ``failing``, chat -201 cannot be reached."""

    failing: bool
    sent: list[tuple[int, str]] = field(default_factory=list)

    async def send(self, chat_id: int, digest: Digest) -> list[int]:
        if self.failing and chat_id == -201:
            raise ConnectionError("Telegram is unreachable")
        self.sent.append((chat_id, json.dumps(digest_record(digest), ensure_ascii=False, sort_keys=True)))
        return [len(self.sent)]


def cli_preview(capsys: pytest.CaptureFixture[str], db: Path, day: date) -> list[dict[str, Any]]:
    code, out, err = run_main(
        capsys, "remind", "--date", day.isoformat(), "--dry-run", "--json", "--db", str(db)
    )
    assert code == 0, err
    records: list[dict[str, Any]] = json.loads(out)
    return records


def expected_deliveries(records: list[dict[str, Any]], store: Store, day: date) -> list[tuple[int, str]]:
    """(chat, digest as JSON) the preview says are still to go out: bound and not in the ledger."""
    found = []
    for record in records:
        kind = "unit" if "unit" in record else "leader"
        name = record[kind]
        chats = store.chats_for_unit(name) if kind == "unit" else store.chats_for_leader(name)
        for chat_id in chats:
            if not store.was_sent(day, chat_id, f"{kind}:{name}"):
                found.append((chat_id, json.dumps(record, ensure_ascii=False, sort_keys=True)))
    return sorted(found)


async def test_every_day_of_2023_the_preview_is_what_the_bot_sends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan, directory = shipped_plan()
    calendar = WorkCalendar()
    rng = random.Random(SEED)
    db = tmp_path / "bot.db"
    clock = FakeClock.at(plan.issued, time(9, 0))
    store = Store.open(db)
    for chat_id, units in UNIT_CHATS.items():
        store.bind_units(chat_id, units)
    for chat_id, leader in LEADER_CHATS.items():
        store.bind_leader(chat_id, leader)
    reporters = [
        (unit, m.id)
        for units in UNIT_CHATS.values()
        for unit in units
        for m in plan.measures
        if unit in m.lead_units
    ]
    checked = deliveries = catch_ups = cli_runs = 0
    day = plan.issued
    try:
        while day <= date(2023, 12, 31):
            if rng.random() < 0.15:  # a day the bot was down
                day += timedelta(days=1)
                continue
            if rng.random() < 0.1:  # a restart: the database is read back from the file
                store.close()
                store = Store.open(db)
            clock.set(datetime.combine(day, time(9, 0), tzinfo=TZ))
            with store.transaction():  # the day's reports, written at once
                for unit, measure_id in rng.sample(reporters, 3):
                    item = rng.choice([*(i for i in plan.items(measure_id) if i.dated), None])
                    store.record_progress(
                        measure_id,
                        unit,
                        rng.choice([Status.DONE, Status.IN_PROGRESS]),
                        clock.now() - timedelta(hours=1),
                        item=item.id if item is not None else None,
                        source="cli",
                    )
            outage = Outage(failing=rng.random() < 0.1)

            services = Services(plan, directory, store, clock)
            for attempt in range(2 if outage.failing else 1):  # the day's run, then a retry
                records = [digest_record(d) for d in plan_day(store, plan, directory, calendar, day).digests]
                catch_up = (
                    overdue_decision(store, calendar, day)[1] and calendar.first_workday_of_week(day) != day
                )
                if catch_up or outage.failing or attempt or checked % 10 == 0:
                    assert cli_preview(capsys, db, day) == records, day
                    cli_runs += 1
                expected = expected_deliveries(records, store, day)
                outage.sent.clear()
                report = await run_reminders(services, calendar, outage.send)
                got = sorted(outage.sent)
                failed = sorted(pair for pair in expected if pair[0] == -201 and outage.failing)
                assert got == [pair for pair in expected if pair not in failed], day
                checked += 1
                deliveries += len(got)
                catch_ups += report.with_overdue and calendar.first_workday_of_week(day) != day
                outage.failing = False
            day += timedelta(days=1)
    finally:
        store.close()
    assert checked > 200 and deliveries > 200 and catch_ups > 0 and cli_runs > 30
