"""``python -m bench storage``: a durable progress write and the /overdue lookup, against history size.

At each history size (1k, 10k, 100k reports already stored) it measures, in one run:

* ``store``: ``Store.record_progress`` on a real file store (returns after fsync), the latest-status
  lookup ``latest_all()`` that /overdue reads, one measure's ``history()``, and the time to open
  the file (after a restart);
* ``tinydb_default``: TinyDB with its default ``JSONStorage`` (insert, and a scan for the latest
  status), only up to ``--tinydb-max`` reports because each insert rewrites the whole file;
* ``floor``: appending one JSON line of the same size to a file and fsyncing it, the least any
  durable write can cost on this disk.

Store and floor writes are interleaved in blocks, so background load hits both alike; ratios
store/floor are printed. Targets (at the largest size): store write p99 <= 2 ms and <= 5x the
floor's p99; ``latest_all()`` <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as day_time
from functools import partial
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.clock import TZ
from bot.models import Status
from bot.store import Store

LADDER = (1_000, 10_000, 100_000)
WRITE_P99_MS = 2.0
FLOOR_RATIO = 5.0
LOOKUP_MS = 20.0
BLOCK = 50

UNITS = [
    "区生态环境局",
    "区水务局",
    "区城市管理委",
    "区住房城乡建设委",
    "区交通局",
    "区农业农村局",
    "通州公安分局",
    "永顺镇",
    "梨园镇",
    "宋庄镇",
]
MEASURES = [
    f"{annex}-{section}-{task}" for annex in (1, 2, 3) for section in range(1, 8) for task in range(1, 8)
]
STATUSES = [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.NOT_STARTED, Status.BLOCKED, Status.DONE]
START = datetime.combine(date(2023, 3, 1), day_time(9, 0), tzinfo=TZ)


def report(i: int) -> dict[str, Any]:
    """The i-th synthetic report: a realistic spread of measures, units, statuses and note lengths."""
    return {
        "measure": MEASURES[i % len(MEASURES)],
        "unit": UNITS[(i // len(MEASURES)) % len(UNITS)],
        "status": STATUSES[i % len(STATUSES)],
        "at": START + timedelta(minutes=3 * i),
        "percent": (i * 13) % 101,
        "note": "已完成现场检查，整改问题" + str(i % 17) + "项" * (i % 5),
        "user_id": 10_000 + i % 300,
        "user_name": "张三",
        "chat_id": -1_000_000 - i % 40,
        "source": "reply",
    }


def record(store: Store, i: int) -> None:
    fields = report(i)
    store.record_progress(
        fields.pop("measure"), fields.pop("unit"), fields.pop("status"), fields.pop("at"), **fields
    )


def document(i: int) -> dict[str, Any]:
    """The same report as a plain JSON document, for TinyDB's default storage and the floor."""
    fields = report(i)
    return {"seq": i + 1, **fields, "status": str(fields["status"]), "at": fields["at"].isoformat()}


def ms(nanoseconds: list[int]) -> list[float]:
    return sorted(value / 1e6 for value in nanoseconds)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(at(0.99), 3)}


def timed(run: Callable[[], object], repeat: int) -> float:
    """The slowest of ``repeat`` runs, in ms: the lookup figure a user would notice."""
    worst = 0
    for _ in range(repeat):
        began = time.perf_counter_ns()
        run()
        worst = max(worst, time.perf_counter_ns() - began)
    return round(worst / 1e6, 3)


class Floor:
    """Append one JSON line and fsync: what every durable write pays at least."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def append(self, line: bytes) -> None:
        os.write(self._fd, line)
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def interleaved(store: Store, floor: Floor, first: int, samples: int) -> tuple[list[float], list[float]]:
    """Time ``samples`` store writes and as many floor appends, alternating in blocks."""
    store_ns: list[int] = []
    floor_ns: list[int] = []
    lines = [(json.dumps(document(first + i), ensure_ascii=False) + "\n").encode() for i in range(samples)]
    for block in range(0, samples, BLOCK):
        for i in range(block, min(samples, block + BLOCK)):
            began = time.perf_counter_ns()
            record(store, first + i)
            store_ns.append(time.perf_counter_ns() - began)
        for i in range(block, min(samples, block + BLOCK)):
            began = time.perf_counter_ns()
            floor.append(lines[i])
            floor_ns.append(time.perf_counter_ns() - began)
    return ms(store_ns), ms(floor_ns)


def store_rounds(folder: Path, sizes: list[int], samples: int) -> Iterator[dict[str, Any]]:
    """Grow one history through ``sizes``; at each, reopen it from a file and measure."""
    builder = Store.open(None)
    filled = 0
    for size in sizes:
        with builder.transaction():
            for i in range(filled, size):
                record(builder, i)
        filled = size
        path = folder / f"store-{size}.db"
        builder.backup(path)
        began = time.perf_counter_ns()
        store = Store.open(path)
        open_ms = (time.perf_counter_ns() - began) / 1e6
        floor = Floor(folder / f"floor-{size}.log")
        try:
            for i in range(20):  # warm up: first writes of a table build its id counter
                record(store, size + i)
            store_ms, floor_ms = interleaved(store, floor, size + 20, samples)
            lookup = timed(store.latest_all, 50)
            history = timed(partial(store.history, MEASURES[0]), 10)
            keys = len(store.latest_all())
        finally:
            floor.close()
            store.close()
            path.unlink()
        yield {
            "records": size,
            "store": {
                **percentiles(store_ms),
                "lookup_ms": lookup,
                "history_ms": history,
                "open_ms": round(open_ms, 1),
                "latest_keys": keys,
            },
            "floor": percentiles(floor_ms),
        }
    builder.close()


def tinydb_round(folder: Path, size: int, samples: int) -> dict[str, Any]:
    """TinyDB's default JSONStorage holding ``size`` reports: insert (an fsynced rewrite), latest scan."""
    path = folder / f"tinydb-{size}.json"
    with TinyDB(path) as db:
        db.storage.write({"progress": {str(i + 1): document(i) for i in range(size)}})
        table = db.table("progress")
        table.insert(document(size))  # warm up
        inserts: list[int] = []
        for i in range(samples):
            began = time.perf_counter_ns()
            table.insert(document(size + 1 + i))
            inserts.append(time.perf_counter_ns() - began)

        def latest() -> dict[tuple[str, str], Any]:
            found: dict[tuple[str, str], Any] = {}
            for doc in table.all():
                found[(doc["measure"], doc["unit"])] = doc
            return found

        lookup = timed(latest, 3)
    path.unlink()
    return {**percentiles(ms(inserts)), "lookup_ms": lookup}


def run(records: int, samples: int, tinydb_max: int, tinydb_samples: int, folder: Path) -> dict[str, Any]:
    sizes = [size for size in LADDER if size < records] + [records]
    rows = list(store_rounds(folder, sizes, samples))
    for row in rows:
        if row["records"] <= tinydb_max:
            row["tinydb_default"] = tinydb_round(folder, row["records"], tinydb_samples)
        row["ratio_p50"] = round(row["store"]["p50_ms"] / row["floor"]["p50_ms"], 2)
        row["ratio_p99"] = round(row["store"]["p99_ms"] / row["floor"]["p99_ms"], 2)
    largest = rows[-1]
    tinydb_rows = [row for row in rows if "tinydb_default" in row]
    result: dict[str, Any] = {
        "floor": {"records": largest["records"], **largest["floor"]},
        "store": {
            "records": largest["records"],
            **largest["store"],
            "ratio_p50": largest["ratio_p50"],
            "ratio_p99": largest["ratio_p99"],
        },
        "tinydb_default": (
            {"records": tinydb_rows[-1]["records"], **tinydb_rows[-1]["tinydb_default"]}
            if tinydb_rows
            else {}
        ),
        "sizes": rows,
    }
    result["targets"] = targets(result)
    return result


def target_checks(result: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(target, measured ms, limit ms) at the largest size, compared as the figures are reported."""
    store, floor = result["store"], result["floor"]
    return [
        (f"write p99 <= {WRITE_P99_MS} ms", store["p99_ms"], WRITE_P99_MS),
        (f"write p99 <= {FLOOR_RATIO}x floor p99", store["p99_ms"], round(FLOOR_RATIO * floor["p99_ms"], 3)),
        (f"latest_all <= {LOOKUP_MS} ms", store["lookup_ms"], LOOKUP_MS),
    ]


def targets(result: dict[str, Any]) -> dict[str, bool]:
    return {target: measured <= limit for target, measured, limit in target_checks(result)}


def show(result: dict[str, Any]) -> None:
    print("Durable progress write and /overdue lookup vs stored history (times in ms)")
    print(f"{'records':>8}  {'':<15} {'p50':>8} {'p99':>8} {'lookup':>9}  notes")
    for row in result["sizes"]:
        store, floor = row["store"], row["floor"]
        print(f"{row['records']:>8,}  {'fsync floor':<15} {floor['p50_ms']:>8.3f} {floor['p99_ms']:>8.3f}")
        figures = f"{store['p50_ms']:>8.3f} {store['p99_ms']:>8.3f} {store['lookup_ms']:>9.3f}"
        print(
            f"{'':>8}  {'store':<15} {figures}  {row['ratio_p50']:.2f}x / {row['ratio_p99']:.2f}x floor"
            f" (p50/p99); open {store['open_ms']:.0f} ms, history of 1 measure {store['history_ms']:.1f} ms"
        )
        if "tinydb_default" in row:
            plain = row["tinydb_default"]
            figures = f"{plain['p50_ms']:>8.3f} {plain['p99_ms']:>8.3f} {plain['lookup_ms']:>9.3f}"
            slower = plain["p50_ms"] / store["p50_ms"]
            print(f"{'':>8}  {'tinydb default':<15} {figures}  {slower:.0f}x the store's p50")
        else:
            print(f"{'':>8}  {'tinydb default':<15} skipped: every insert rewrites the whole file")
    print(f"targets at {result['store']['records']:,} records:")
    for target, measured, limit in target_checks(result):
        verdict = "met   " if result["targets"][target] else "MISSED"
        print(f"  {verdict} {target:<28} measured {measured:.3f} ms, limit {limit:.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench storage", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records", type=int, default=100_000, help="largest history size (default: %(default)s)"
    )
    parser.add_argument(
        "--samples", type=int, default=1000, help="timed writes per size (default: %(default)s)"
    )
    parser.add_argument(
        "--tinydb-max",
        type=int,
        default=10_000,
        help="largest size for default TinyDB (default: %(default)s)",
    )
    parser.add_argument(
        "--tinydb-samples",
        type=int,
        default=30,
        help="timed default-TinyDB inserts per size (default: %(default)s)",
    )
    parser.add_argument("--dir", type=Path, help="where to put the files (default: a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.records < 1 or args.samples < 10 or args.tinydb_samples < 1:
        parser.error("--records must be >= 1, --samples >= 10 and --tinydb-samples >= 1")
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-storage-", dir=args.dir) as folder:
        result = run(args.records, args.samples, args.tinydb_max, args.tinydb_samples, Path(folder))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        show(result)
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
