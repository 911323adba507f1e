"""``python -m bench storage`` runs end to end and prints the figures the README quotes.

A small run (a few hundred records) checks the command and its JSON shape, not the speed:
speed is the benchmark's job, not a timed test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_storage_benchmark_reports_store_tinydb_and_floor(tmp_path: Path) -> None:
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
    figures = json.loads(done.stdout)
    for name in ("floor", "store", "tinydb_default"):
        assert figures[name]["records"] == 400
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p99_ms"]
    assert figures["store"]["ratio_p99"] == round(figures["store"]["p99_ms"] / figures["floor"]["p99_ms"], 2)
    assert figures["store"]["lookup_ms"] >= 0
    assert [row["records"] for row in figures["sizes"]] == [400]
    assert list(tmp_path.iterdir()) == []  # its files are cleaned up


def test_the_ladder_of_sizes_stops_at_the_records_asked_for(tmp_path: Path) -> None:
    done = bench(
        "storage", "--records", "1500", "--samples", "10", "--tinydb-max", "1000", "--dir", str(tmp_path)
    )
    assert done.returncode in (0, 1), done.stderr
    assert "   1,000  fsync floor" in done.stdout
    assert "   1,500  fsync floor" in done.stdout
    assert "skipped: every insert rewrites the whole file" in done.stdout
    assert "targets at 1,500 records" in done.stdout


def test_bench_lists_its_benchmarks_and_refuses_unknown_ones() -> None:
    bare = bench()
    assert bare.returncode == 2 and "storage" in bare.stderr
    unknown = bench("nonesuch")
    assert unknown.returncode == 2 and "no benchmark named 'nonesuch'" in unknown.stderr
    bad = bench("storage", "--records", "0")
    assert bad.returncode == 2 and "--records" in bad.stderr
