"""``python -m bench plan`` runs and reports its figures next to their baselines."""

from __future__ import annotations

import json

import pytest

from bench.plan import main


def test_the_plan_benchmark_reports_lookups_and_import_with_baselines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--repeat", "1", "--json"])
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"names", "expand_all_ms", "scan_ms", "import_ms", "load_ms"}
    assert figures["names"] > 199  # every lead and co-operating unit name of every measure
    assert all(figures[key] > 0 for key in ("expand_all_ms", "scan_ms", "import_ms", "load_ms"))
    assert code in (0, 1)  # 1 only means over budget on this machine; speed is the benchmark's job


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--repeat", "0"])
    assert exited.value.code == 2
    assert "--repeat must be >= 1" in capsys.readouterr().err
