"""``python -m bench storage`` runs end to end and prints the figures the README quotes.

Small runs (a few hundred records) check the command, what it reports and that its verdicts
follow from its own figures, not the speed: speed is the benchmark's job, not a timed test's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_LINE = re.compile(r"^  (met   |MISSED) (.+?)\s+measured ([\d.]+) ms, limit ([\d.]+) ms$")
STORE_ROW = re.compile(r"^ {10}store\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x / ([\d.]+)x floor")
FLOOR_ROW = re.compile(r"^\s*([\d,]+)  fsync floor\s+([\d.]+)\s+([\d.]+)$")


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def assert_exit_code_follows_the_targets(done: subprocess.CompletedProcess[str], met: list[bool]) -> None:
    assert len(met) == 3, met
    assert done.returncode == (0 if all(met) else 1), (done.returncode, met, done.stderr)


def test_the_json_figures_and_their_verdicts(tmp_path: Path) -> None:
    done = bench(
        "storage",
        "--records",
        "400",
        "--samples",
        "20",
        "--tinydb-samples",
        "3",
        "--dir",
        str(tmp_path),
        "--json",
    )
    assert done.returncode in (0, 1), done.stderr  # 1 only says a speed target was missed
    figures: dict[str, Any] = json.loads(done.stdout)
    for name in ("floor", "store", "tinydb_default"):
        assert figures[name]["records"] == 400
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p99_ms"]
    store, floor = figures["store"], figures["floor"]
    # The headline figures are the largest size's, and the lookup ran over real latest statuses.
    [largest] = figures["sizes"]
    assert largest["records"] == 400
    assert {key: store[key] for key in largest["store"]} == largest["store"]
    assert {key: floor[key] for key in largest["floor"]} == largest["floor"]
    assert store["lookup_ms"] > 0 and store["latest_keys"] > 0
    # Each verdict is what the reported figures say, and the exit code follows the verdicts.
    assert figures["targets"] == {
        "write p99 <= 2.0 ms": store["p99_ms"] <= 2.0,
        "write p99 <= 5.0x floor p99": store["p99_ms"] <= round(5 * floor["p99_ms"], 3),
        "latest_all <= 20.0 ms": store["lookup_ms"] <= 20.0,
    }
    assert_exit_code_follows_the_targets(done, list(figures["targets"].values()))
    assert list(tmp_path.iterdir()) == []  # its files are cleaned up


def test_every_size_has_its_store_figures_and_the_targets_quote_the_largest(tmp_path: Path) -> None:
    done = bench(
        "storage", "--records", "1500", "--samples", "10", "--tinydb-max", "1000", "--dir", str(tmp_path)
    )
    assert done.returncode in (0, 1), done.stderr
    lines = done.stdout.splitlines()
    floors = [(index, FLOOR_ROW.match(line)) for index, line in enumerate(lines) if FLOOR_ROW.match(line)]
    assert [match.group(1) for _, match in floors if match] == ["1,000", "1,500"]
    rows = []
    for index, floor in floors:
        store = STORE_ROW.match(lines[index + 1])
        assert floor is not None and store is not None, lines[index : index + 2]
        floor_p99 = float(floor.group(3))
        p50, p99, lookup = (float(store.group(n)) for n in (1, 2, 3))
        assert 0 < p50 <= p99 and lookup > 0
        # The printed ratio is the printed p99s' (within their rounding to 0.01 and 0.001 ms).
        ratio = float(store.group(5))
        assert abs(ratio - p99 / floor_p99) <= 0.005 + 0.0005 * (1 + ratio) / floor_p99, lines[index + 1]
        rows.append((floor_p99, p99, lookup))
    assert "skipped: every insert rewrites the whole file" in lines[floors[1][0] + 2]
    assert "tinydb default" in lines[floors[0][0] + 2] and "skipped" not in lines[floors[0][0] + 2]

    assert "targets at 1,500 records:" in lines
    checks = [match for line in lines if (match := TARGET_LINE.match(line))]
    floor_p99, p99, lookup = rows[-1]
    expected = {
        "write p99 <= 2.0 ms": (p99, 2.0),
        "write p99 <= 5.0x floor p99": (p99, round(5 * floor_p99, 3)),
        "latest_all <= 20.0 ms": (lookup, 20.0),
    }
    assert [check.group(2) for check in checks] == list(expected)
    for check in checks:
        measured, limit = float(check.group(3)), float(check.group(4))
        assert (measured, limit) == expected[check.group(2)], check.group(0)
        assert (check.group(1) == "met   ") == (measured <= limit), check.group(0)
    assert_exit_code_follows_the_targets(done, [check.group(1) == "met   " for check in checks])


def test_bench_lists_its_benchmarks_and_refuses_unknown_ones() -> None:
    bare = bench()
    assert bare.returncode == 2 and "storage" in bare.stderr
    unknown = bench("nonesuch")
    assert unknown.returncode == 2 and "no benchmark named 'nonesuch'" in unknown.stderr
    bad = bench("storage", "--records", "0")
    assert bad.returncode == 2 and "--records" in bad.stderr
