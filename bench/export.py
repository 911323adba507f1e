"""``python -m bench export``: the whole-plan 督办台账 workbook with 100k reports stored.

What is timed is what ``python -m bot export`` and ``/export`` do after opening the store: read
everyone's progress as of the day, build the report (汇总, 逾期, 台账 with every measure's history
for evidence counts, the ranking) and write the .xlsx into memory. The store is a real file store
filled as for ``python -m bench overdue`` and reopened, as after a restart.

Each unit is also sent a 月调度 on every month's first workday of the plan year, listing all its
measures (the most a month can ask), so the 按时报送率 reads as many answers as it can.

The baseline, measured in the same run, is the ``/overdue`` view of the whole plan on the same
store (``bench.overdue``): the ratio says what a workbook costs in units of one leader view.

The target is under 2 s for the whole plan with 100k reports.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime, time
from pathlib import Path
from typing import Any

from bench.overdue import DAY, _fill, _overdue, _time
from bot import paths, queries, reports, texts
from bot.clock import TZ
from bot.directory import Directory
from bot.models import Plan
from bot.store import Store
from bot.workflow import ask_monthly
from schedules.calendar import WorkCalendar
from schedules.monthly import MonthlyEntry

BUDGET_MS = 2000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench export", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="reports stored (default: %(default)s)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each figure (default: %(default)s)"
    )
    parser.add_argument("--plan", type=Path, default=paths.PLAN)
    parser.add_argument("--units", type=Path, default=paths.UNITS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.records < 0 or args.repeat < 1:
        parser.error("--records must be >= 0 and --repeat >= 1")

    plan, directory = Plan.load(args.plan), Directory.load(args.units)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        db = Path(folder) / "bot.db"
        _fill(Store.open(db), plan, directory, args.records)
        with Store.open(db) as store:
            asked = _ask_monthly(store, plan, directory)
        with Store.open(db) as store:
            figures = _measure(store, plan, directory, args.repeat)
    figures["records"] = args.records
    figures["monthly_requests"] = asked
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _print(figures)
    return 0 if figures["export"]["median_ms"] <= BUDGET_MS else 1


def _ask_monthly(store: Store, plan: Plan, directory: Directory) -> int:
    """Record a 月调度 for every unit on each month's first workday from the plan's first full
    month to December, listing all the unit's measures; the number recorded."""
    index = queries.index_for(plan, directory)
    calendar = WorkCalendar()
    measures_of: dict[str, list[MonthlyEntry]] = {}
    for measure in plan.measures:
        for row in index.responsible[measure.id]:
            if row.assigned:
                measures_of.setdefault(row.unit, []).append(MonthlyEntry(measure.id, measure.id, row.role))
    asked = 0
    for month in range(plan.issued.month + 1, 13):
        day = calendar.first_workday_of_month(plan.issued.year, month)
        for unit, entries in measures_of.items():
            ask_monthly(store, unit, day, entries, datetime.combine(day, time(9, 0), tzinfo=TZ))
            asked += 1
    return asked


def _measure(store: Store, plan: Plan, directory: Directory, repeat: int) -> dict[str, Any]:
    from bot.workbook import workbook_bytes  # XlsxWriter loads here, outside the timed runs

    everything = queries.scope_everything(texts.LV_EVERYTHING)
    calendar = WorkCalendar()

    def export() -> bytes:
        report = reports.report_for(plan, directory, store, everything, DAY, calendar)
        return workbook_bytes(report)

    size = len(export())
    figures: dict[str, Any] = {
        "day": DAY.isoformat(),
        "measures": len(plan.measures),
        "bytes": size,
        "export": _time(export, repeat),
        "overdue_view": _time(lambda: _overdue(store, plan, directory, everything), max(repeat, 10)),
        "budget_ms": BUDGET_MS,
    }
    figures["ratio_to_overdue"] = round(
        figures["export"]["median_ms"] / figures["overdue_view"]["median_ms"], 1
    )
    return figures


def _print(f: dict[str, Any]) -> None:
    print(f"the whole-plan 督办台账 workbook ({f['measures']} measures) on {f['day']}")
    print(f"with {f['records']:,} reports stored, in memory ({f['bytes']:,} bytes), no Telegram I/O")
    print(f"and {f['monthly_requests']:,} 月调度 sent (every unit, every month), read for 按时报送率")
    for name, t in (
        ("export, everything", f["export"]),
        ("baseline: /overdue, everything", f["overdue_view"]),
    ):
        print(f"  {name:<32} median {t['median_ms']:9.2f} ms   p95 {t['p95_ms']:9.2f} ms")
    print(f"  export / overdue = {f['ratio_to_overdue']:.1f}")
    verdict = "within" if f["export"]["median_ms"] <= f["budget_ms"] else "OVER"
    print(f"  budget {f['budget_ms']:.0f} ms: {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
