"""``python -m bench overdue`` runs end to end on a small store and reports its figures as ratios.

Only the shape is checked here; speed is for the benchmark itself to judge (no timed tests).
"""

from __future__ import annotations

import json

import pytest

from bench.__main__ import available, main


def test_the_overdue_benchmark_is_registered() -> None:
    assert "overdue" in available()


def test_a_small_run_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["overdue", "--records", "2000", "--repeat", "2", "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert code == (0 if figures["overdue_all"]["median_ms"] <= figures["budget_ms"] else 1)
    assert figures["records"] == 2000 and figures["pages_all"] > 1
    for name in ("overdue_all", "overdue_leader", "rescan", "floor"):
        assert 0 < figures[name]["median_ms"] <= figures[name]["p95_ms"]
    assert figures["ratio_to_rescan"] > 0 and figures["ratio_to_floor"] > 0


def test_nonsense_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["overdue", "--records", "-5"])
    assert exit_.value.code == 2
    assert "--records" in capsys.readouterr().err
