"""``python -m bench plan``: directory lookups over the whole plan, and the plan import itself.

Figures, each next to a baseline measured in the same run so they read as ratios:

* ``expand_all``: ``Directory.expand`` for every unit name of every measure (what the reminder
  policy and the views do per pass), against ``scan``: the same answers found by scanning the
  directory's units, aliases and groups for each name, as code without the lookup tables would.
* ``import``: ``parse_plan`` on the shipped source, against ``load``: ``Plan.load`` of the
  committed data/plan.json, the cheapest way to get the same plan into memory.

Targets: expanding every name of the plan takes under 1 ms; an import under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot import paths
from bot.directory import Directory, normalize
from bot.models import Plan
from bot.plan_import import KnownNames, parse_plan

EXPAND_BUDGET_MS = 1.0
IMPORT_BUDGET_MS = 1000.0


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _scan_expand(directory: Directory, name: str) -> list[str]:
    """The lookup without tables: walk units, aliases and groups for every name."""
    key = normalize(name)
    for unit in directory.units:
        if key == normalize(unit.name) or any(key == normalize(alias) for alias in unit.aliases):
            return [unit.name]
    for group in directory.groups:
        if key == normalize(group.label) or any(key == normalize(alias) for alias in group.aliases):
            return [_scan_expand(directory, member)[0] for member in group.members]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench plan", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs of each figure (default: %(default)s)"
    )
    parser.add_argument("--source", type=Path, default=paths.SOURCE_PLAN)
    parser.add_argument("--plan", type=Path, default=paths.PLAN)
    parser.add_argument("--units", type=Path, default=paths.UNITS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    plan, directory = Plan.load(args.plan), Directory.load(args.units)
    names = [name for m in plan.measures for name in [*m.lead_units, *m.co_units]]
    tables = [directory.expand(name) for name in names]
    if tables != [_scan_expand(directory, name) for name in names]:
        print("error: the scanning baseline disagrees with Directory.expand", flush=True)
        return 1
    source = args.source.read_text(encoding="utf-8")
    known = KnownNames(units=directory.known_names(), leaders=frozenset(directory.leaders))

    figures = {
        "names": len(names),
        "expand_all_ms": _median_ms(lambda: [directory.expand(name) for name in names], args.repeat),
        "scan_ms": _median_ms(lambda: [_scan_expand(directory, name) for name in names], args.repeat),
        "import_ms": _median_ms(lambda: parse_plan(source, known), args.repeat),
        "load_ms": _median_ms(lambda: Plan.load(args.plan), args.repeat),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['names']} unit names in the plan")
        print(
            f"expand_all {figures['expand_all_ms']:8.3f} ms   scan {figures['scan_ms']:8.3f} ms   "
            f"ratio {figures['expand_all_ms'] / figures['scan_ms']:.3f}   (budget {EXPAND_BUDGET_MS} ms)"
        )
        print(
            f"import     {figures['import_ms']:8.3f} ms   load {figures['load_ms']:8.3f} ms   "
            f"ratio {figures['import_ms'] / figures['load_ms']:.1f}   (budget {IMPORT_BUDGET_MS:.0f} ms)"
        )
    within = figures["expand_all_ms"] <= EXPAND_BUDGET_MS and figures["import_ms"] <= IMPORT_BUDGET_MS
    return 0 if within else 1
