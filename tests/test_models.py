"""The plan file is the contract: a plan that would silently hide a measure does not load."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import paths
from bot.cli import main
from bot.clock import parse_day
from bot.config import ConfigError, load_settings
from bot.models import Plan


def shipped() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(paths.PLAN.read_text(encoding="utf-8"))
    return loaded


def test_the_shipped_plan_loads_with_unique_ids() -> None:
    plan = Plan.load(paths.PLAN)
    assert len({m.id for m in plan.measures}) == len(plan.measures) == 199


def test_a_repeated_measure_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = shipped()
    measures = data["measures"]
    assert isinstance(measures, list)
    measures[1]["id"] = measures[0]["id"]
    with pytest.raises(ValidationError, match="repeated: 1-1-1"):
        Plan.model_validate(data)
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["overdue", "--plan", str(bad), "--db", str(tmp_path / "none.db")]) == 2
    assert "repeated: 1-1-1" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["1999-12-31", "2100-01-01", "9999-12-31", "2023-02-30", "July 3"])
def test_a_today_outside_2000_to_2099_or_impossible_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_day(text)


def test_the_days_at_the_edges_are_accepted() -> None:
    assert parse_day("2000-01-01") == date(2000, 1, 1)
    assert parse_day("2099-12-31") == date(2099, 12, 31)


def test_bot_today_is_checked_like_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TODAY", "1900-01-01")
    with pytest.raises(ConfigError, match="BOT_TODAY"):
        load_settings(None)


def test_far_dates_get_one_error_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["upcoming", "--date", "9999-12-31", "--days", "14"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "outside 2000–2099" in err and "Traceback" not in err
