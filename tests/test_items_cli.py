"""Issue 9's "done when", on the shipped 2023 plan through the real CLI: items close on their own
terms (a milestone reported done stops being overdue while the duty or deadline goes on), windows
end, role words follow each annex, overdue spans count their workdays, and the old database format
still shows its history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runner import run_main
from tests.test_store_migration import write_old_database

WATER = "区水务局"
FOUR_LEADS = ("区发展改革委", "市规划自然资源委通州分局", "区水务局", "区生态环境局")


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run_main(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def report(capsys: pytest.CaptureFixture[str], db: Path, measure: str, unit: str, *argv: str) -> None:
    code, _, err = run_main(
        capsys, "report", measure, "--unit", unit, "--status", "已完成", *argv, "--db", str(db)
    )
    assert code == 0, err


def overdue_measures(capsys: pytest.CaptureFixture[str], db: Path, day: str) -> dict[str, set[str]]:
    """Unit → measures in its overdue list on ``day``."""
    data = cli_json(capsys, "overdue", "--date", day, "--db", str(db))
    return {group["unit"]: {item["measure"] for item in group["items"]} for group in data}


def reminders(capsys: pytest.CaptureFixture[str], db: Path, day: str, unit: str) -> dict[str, dict[str, Any]]:
    records = cli_json(capsys, "remind", "--date", day, "--dry-run", "--db", str(db))
    found = [r["items"] for r in records if r.get("unit") == unit]
    return {item["measure"]: item for item in (found[0] if found else [])}


def test_3_3_1_milestone_closed_on_27_september_is_not_overdue_and_the_duty_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    assert "3-3-1" in overdue_measures(capsys, db, "2023-10-07")[WATER]
    report(capsys, db, "3-3-1", "水务局", "--item", "2023-09-30", "--date", "2023-09-27")
    for day in ("2023-10-07", "2023-10-09"):
        assert "3-3-1" not in overdue_measures(capsys, db, day).get(WATER, set()), day
    # Nor do its 责任单位 or its leader hear of it any more.
    assert not any("3-3-1" in measures for measures in overdue_measures(capsys, db, "2023-10-09").values())
    november = reminders(capsys, db, "2023-11-01", WATER)
    assert (november["3-3-1"]["reason"], november["3-3-1"]["kind"], november["3-3-1"]["item"]) == (
        "checkin",
        "checkin",
        "2023-11",
    )


def test_3_3_1_reported_done_without_an_item_is_this_months_report_not_the_milestone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    report(capsys, db, "3-3-1", "水务局", "--date", "2023-09-27")
    assert "3-3-1" in overdue_measures(capsys, db, "2023-10-09")[WATER]


def test_3_6_4_milestone_closed_by_its_four_lead_units_and_the_deadline_still_reminded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    for unit in FOUR_LEADS:
        report(capsys, db, "3-6-4", unit, "--item", "2023-06-30", "--date", "2023-06-29")
    assert not any("3-6-4" in measures for measures in overdue_measures(capsys, db, "2023-07-03").values())
    # A complete item is done for its 责任单位 too; the deadline is still open for everyone.
    status = cli_json(capsys, "status", "3-6-4", "--date", "2023-07-03", "--db", str(db))
    items = {item["item"]: item for item in status["items"]}
    assert items["2023-06-30"]["complete"] and all(u["done"] for u in items["2023-06-30"]["units"])
    assert not items["2023-12-31"]["complete"]
    december = reminders(capsys, db, "2023-12-01", WATER)
    assert (december["3-6-4"]["item"], december["3-6-4"]["kind"], december["3-6-4"]["due"]) == (
        "2023-12-31",
        "deadline",
        "2023-12-31",
    )


def test_3_6_4_milestone_done_by_three_of_four_leads_stays_overdue_for_the_fourth(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    for unit in FOUR_LEADS[:3]:
        report(capsys, db, "3-6-4", unit, "--item", "2023-06-30", "--date", "2023-06-29")
    late = overdue_measures(capsys, db, "2023-07-03")
    assert "3-6-4" in late["区生态环境局"] and "3-6-4" not in late.get(WATER, set())


def test_2_21_1_summer_window_is_never_overdue(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    for day in ("2023-10-09", "2023-11-06", "2024-01-02"):
        assert not any("2-21-1" in measures for measures in overdue_measures(capsys, db, day).values()), day
    end = reminders(capsys, db, "2023-09-28", "区商务局")["2-21-1"]
    assert (end["reason"], end["kind"], end["item"]) == ("window_end", "window", "2023-09-30")


def test_overdue_counts_the_workdays_of_a_span_over_the_national_day_holiday(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    data = cli_json(capsys, "overdue", "--date", "2023-10-09", "--db", str(db), "--unit", "水务局")
    [late] = [item for item in data[0]["items"] if item["measure"] == "3-3-1"]
    assert (late["item"], late["kind"], late["due"]) == ("2023-09-30", "milestone", "2023-09-30")
    assert (late["days_overdue"], late["workdays_overdue"]) == (9, 3)
    code, out, err = run_main(capsys, "overdue", "--date", "2023-10-09", "--db", str(db), "--unit", "水务局")
    assert code == 0, err
    assert "逾期 9 天（其中工作日 3 天）" in out


def test_status_lists_each_item_with_each_units_state_in_the_annexs_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    report(capsys, db, "3-3-1", "水务局", "--item", "2023-09-30", "--date", "2023-09-27")
    data = cli_json(capsys, "status", "3-3-1", "--date", "2023-10-09", "--db", str(db))
    items = {item["item"]: item for item in data["items"]}
    milestone = items["2023-09-30"]
    assert (milestone["kind"], milestone["complete"], milestone["days_overdue"]) == ("milestone", True, 0)
    assert [(u["unit"], u["done"]) for u in milestone["units"] if u["role"] == "lead"] == [(WATER, True)]
    assert items["2023-10"]["kind"] == "checkin" and not items["2023-10"]["units"][0]["done"]
    assert data["role_words"] == {"lead": "牵头", "co": "责任"}
    code, out, err = run_main(capsys, "status", "3-3-1", "--date", "2023-10-09", "--db", str(db))
    assert code == 0, err
    assert "【牵头】区水务局" in out and "【责任】" in out and "【主责】" not in out and "【协办】" not in out
    code, out, err = run_main(capsys, "status", "2-63-1", "--date", "2023-07-03", "--db", str(db))
    assert code == 0, err
    assert "【主责】区生态环境局" in out and "【协办】" in out


def test_a_database_written_before_items_shows_its_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "old.db"
    write_old_database(db)
    data = cli_json(capsys, "status", "3-6-4", "--date", "2023-07-03", "--db", str(db))
    water = next(u for u in data["units"] if u["unit"] == WATER)
    assert [r["status"] for r in water["recent"]] == ["已完成", "进行中"]
    # Its 已完成 was about the measure as a whole: it closes the 6月底 milestone for 区水务局.
    milestone = next(i for i in data["items"] if i["item"] == "2023-06-30")
    assert next(u for u in milestone["units"] if u["unit"] == WATER)["done"] is True
    # 3-3-1 已完成 (a standing duty, no item) was September's report, not the milestone.
    assert "3-3-1" in overdue_measures(capsys, db, "2023-10-09")[WATER]
