"""``python -m bench overdue``: /overdue for every unit over the whole plan, with 100k reports stored.

What is timed is the processing behind one /overdue (no Telegram I/O): read the latest
statuses from the store, work out what is overdue for everyone, and lay it out as chat pages.
The store is a real file store filled with N reports and then reopened, as after a restart.

Two baselines are measured in the same run, so the figures read as ratios on any machine:

* ``rescan``: what a view that rescans history would pay, reading every stored report once
  to find each unit's latest status (the work the store's latest index saves);
* ``floor``: one plain Python pass over N reports already in memory, keeping the latest per
  (measure, unit): the least any history-reading approach could cost.

The target is at most 50 ms of processing for the whole plan with 100k reports, today and as
of a past day (2023-07-03, when most reports are dated later), the past day within 3× today.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import paths, queries, render, texts
from bot.clock import TZ
from bot.directory import Directory
from bot.models import Plan, ProgressEntry, Status
from bot.store import Store

BUDGET_MS = 50.0
DAY = date(2024, 1, 2)  # after every 2023 deadline: the longest overdue list of the year
PAST_DAY = date(2023, 7, 3)  # a past day's view: most of the stored reports are dated after it
PAST_GOAL_RATIO = 3.0
BATCH = 5000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench overdue", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="reports stored (default: %(default)s)")
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed runs of each figure (default: %(default)s)"
    )
    parser.add_argument("--plan", type=Path, default=paths.PLAN)
    parser.add_argument("--units", type=Path, default=paths.UNITS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.records < 0 or args.repeat < 1:
        parser.error("--records must be >= 0 and --repeat >= 1")

    plan, directory = Plan.load(args.plan), Directory.load(args.units)
    with tempfile.TemporaryDirectory(prefix="bench-overdue-") as folder:
        db = Path(folder) / "bot.db"
        entries = _fill(Store.open(db), plan, directory, args.records)
        with Store.open(db) as store:
            figures = _measure(store, plan, directory, entries, args.repeat)
    figures["records"] = args.records
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _print(figures)
    met = (
        max(figures["overdue_all"]["median_ms"], figures["overdue_past"]["median_ms"]) <= BUDGET_MS
        and figures["ratio_past_to_current"] <= PAST_GOAL_RATIO
    )
    return 0 if met else 1


def _fill(store: Store, plan: Plan, directory: Directory, records: int) -> list[ProgressEntry]:
    """Store ``records`` reports spread over every (measure, responsible unit), dated in 2023."""
    index = queries.index_for(plan, directory)
    pairs = [(m.id, row.unit) for m in plan.measures for row in index.responsible[m.id] if row.assigned]
    rng = random.Random(2023)
    statuses = [Status.IN_PROGRESS] * 6 + [Status.NOT_STARTED, Status.BLOCKED, Status.DONE]
    start = datetime.combine(plan.issued, datetime.min.time(), tzinfo=TZ)
    span = (datetime.combine(DAY, datetime.min.time(), tzinfo=TZ) - start).total_seconds()
    entries: list[ProgressEntry] = []
    with store:
        for first in range(0, records, BATCH):
            with store.transaction():
                for _ in range(min(BATCH, records - first)):
                    measure, unit = rng.choice(pairs)
                    status = rng.choice(statuses)
                    entries.append(
                        store.record_progress(
                            measure,
                            unit,
                            status,
                            start + timedelta(seconds=rng.uniform(0, span - 1)),
                            percent=rng.randrange(0, 100) if status is Status.IN_PROGRESS else None,
                            note="进展说明",
                            source="cli",
                        )
                    )
    return entries


def _overdue(
    store: Store, plan: Plan, directory: Directory, scope: queries.Scope, day: date = DAY
) -> list[str]:
    snapshot = queries.Snapshot.take(plan, directory, store, day)
    return render.unit_report_pages(queries.overdue(snapshot, scope))


def _rescan(store: Store, plan: Plan) -> dict[tuple[str, str], ProgressEntry]:
    latest: dict[tuple[str, str], ProgressEntry] = {}
    for measure in plan.measures:
        for entry in store.history(measure.id):
            key = (entry.measure, entry.unit)
            if key not in latest or entry.at >= latest[key].at:
                latest[key] = entry
    return latest


def _floor(entries: list[ProgressEntry]) -> dict[tuple[str, str], ProgressEntry]:
    latest: dict[tuple[str, str], ProgressEntry] = {}
    for entry in entries:
        key = (entry.measure, entry.unit)
        if key not in latest or entry.at >= latest[key].at:
            latest[key] = entry
    return latest


def _time(run: Callable[[], object], repeat: int, warm_up: bool = True) -> dict[str, float]:
    if warm_up:
        run()  # the first /overdue builds the per-plan index; every later one reuses it
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 3),
    }


def _measure(
    store: Store, plan: Plan, directory: Directory, entries: list[ProgressEntry], repeat: int
) -> dict[str, Any]:
    everything = queries.scope_everything(texts.LV_EVERYTHING)
    leader = queries.leader_scope(directory, directory.leaders[0])
    pages = _overdue(store, plan, directory, everything)
    figures: dict[str, Any] = {
        "day": DAY.isoformat(),
        "measures": len(plan.measures),
        "pages_all": len(pages),
        "overdue_all": _time(lambda: _overdue(store, plan, directory, everything), repeat),
        "overdue_leader": _time(lambda: _overdue(store, plan, directory, leader), repeat),
        "past_day": PAST_DAY.isoformat(),
        "overdue_past": _time(lambda: _overdue(store, plan, directory, everything, PAST_DAY), repeat),
        "rescan": _time(lambda: _rescan(store, plan), 3, warm_up=False),
        "floor": _time(lambda: _floor(entries), max(3, repeat // 3), warm_up=False),
    }
    overdue = figures["overdue_all"]["median_ms"]
    figures["ratio_to_rescan"] = round(overdue / figures["rescan"]["median_ms"], 3)
    figures["ratio_to_floor"] = round(overdue / figures["floor"]["median_ms"], 3)
    figures["ratio_past_to_current"] = round(figures["overdue_past"]["median_ms"] / overdue, 3)
    figures["budget_ms"] = BUDGET_MS
    return figures


def _print(f: dict[str, Any]) -> None:
    print(f"/overdue over the whole plan ({f['measures']} measures) on {f['day']}")
    print(f"with {f['records']:,} reports stored, processing only (no Telegram I/O)")
    rows = [
        ("overdue, everything", f["overdue_all"], f"{f['pages_all']} pages"),
        ("overdue, one leader", f["overdue_leader"], ""),
        (f"overdue as of {f['past_day']}", f["overdue_past"], "a past day: later reports set aside"),
        ("baseline: rescan history", f["rescan"], ""),
        ("baseline: one pass in memory", f["floor"], ""),
    ]
    for name, t, note in rows:
        print(f"  {name:<30} median {t['median_ms']:8.2f} ms   p95 {t['p95_ms']:8.2f} ms   {note}")
    print(f"  overdue / rescan  = {f['ratio_to_rescan']:.3f}")
    print(f"  overdue / floor   = {f['ratio_to_floor']:.3f}")
    print(f"  past day / today  = {f['ratio_past_to_current']:.3f} (goal <= {PAST_GOAL_RATIO:.0f})")
    verdict = "within" if f["overdue_all"]["median_ms"] <= f["budget_ms"] else "OVER"
    print(f"  budget {f['budget_ms']:.0f} ms: {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
