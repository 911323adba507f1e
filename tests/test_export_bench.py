"""``python -m bench export`` runs end to end on a small store and reports its figures beside the
/overdue baseline. Only the shape is checked; speed is the benchmark's own verdict."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import available, main


def test_a_run_reports_the_workbook_beside_the_overdue_view(capsys: pytest.CaptureFixture[str]) -> None:
    assert "export" in available()
    code = main(["export", "--records", "500", "--repeat", "1", "--json"])
    figures = json.loads(capsys.readouterr().out)
    # The exit code is the benchmark's verdict on its own figure: 1 only when over the 2 s budget.
    assert code == (0 if figures["export"]["median_ms"] <= figures["budget_ms"] else 1)
    assert (figures["day"], figures["records"], figures["budget_ms"]) == ("2024-01-02", 500, 2000.0)
    assert figures["monthly_requests"] > 0 and figures["monthly_requests"] % 9 == 0  # April-December
    assert figures["measures"] == 199 and figures["bytes"] > 10_000
    for name in ("export", "overdue_view"):
        assert 0 < figures[name]["median_ms"] <= figures[name]["p95_ms"]
    assert figures["ratio_to_overdue"] > 0
