"""The supervision loop through the command line (issue 10): extensions, completion review, setdue,
assign, as an operator runs them on the shipped 2023 plan, with a real database file.

What a unit owes on a day is read back the way tools read it: ``remind --dry-run --json`` (what
the bot sends) and ``overdue --json`` (what leaders see).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from bot.supervision import EXTENSIONS, Extension
from tests.cli_runner import run_main

UNIT = "区生态环境局"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


def cli(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str, str]:
    return run_main(capsys, *argv, "--db", str(db))


def digest_items(
    capsys: pytest.CaptureFixture[str], db: Path, day: str, unit: str
) -> dict[str, dict[str, Any]]:
    """The unit's digest on ``day``, as ``remind --dry-run --json`` prints it: items by measure."""
    code, out, err = cli(capsys, db, "remind", "--dry-run", "--json", "--date", day)
    assert code == 0, err
    for digest in json.loads(out):
        if digest.get("unit") == unit:
            return {item["measure"]: item for item in digest["items"]}
    return {}


def overdue_for(capsys: pytest.CaptureFixture[str], db: Path, day: str, unit: str) -> list[str]:
    """The measures listed overdue for ``unit`` on ``day`` (``overdue --json``)."""
    code, out, err = cli(capsys, db, "overdue", "--json", "--date", day, "--unit", unit)
    assert code == 0, err
    return [item["measure"] for group in json.loads(out) if group["unit"] == unit for item in group["items"]]


def request(capsys: pytest.CaptureFixture[str], db: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, db, "extension", "request", "2-63-1", "--unit", UNIT, *extra)


def test_an_approved_extension_moves_the_units_reminders_and_overdue(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, out, err = request(
        capsys, db, "--to", "2023-07-31", "--reason", "等待专家评审", "--date", "2023-06-27", "--json"
    )
    assert code == 0, err
    made = json.loads(out)
    assert {k: made[k] for k in ("id", "state", "measure", "unit", "item", "to", "reason")} == {
        "id": 1,
        "state": "pending",
        "measure": "2-63-1",
        "unit": UNIT,
        "item": "2023-06-30",
        "to": "2023-07-31",
        "reason": "等待专家评审",
    }
    code, out, err = cli(
        capsys, db, "extension", "decide", "1", "approve", "--by", "倪德才", "--date", "2023-06-27"
    )
    assert code == 0, err
    assert "2-63-1" not in digest_items(capsys, db, "2023-07-03", UNIT)
    assert "2-63-1" not in overdue_for(capsys, db, "2023-07-03", UNIT)
    reminded = digest_items(capsys, db, "2023-07-28", UNIT)["2-63-1"]
    assert (reminded["reason"], reminded["due"], reminded["item"]) == ("upcoming", "2023-07-31", "2023-06-30")
    assert digest_items(capsys, db, "2023-08-07", UNIT)["2-63-1"]["reason"] == "overdue"
    assert "2-63-1" in overdue_for(capsys, db, "2023-08-01", UNIT)
    # The co-operating streets asked for nothing: they still owe the original date.
    assert "2-63-1" in overdue_for(capsys, db, "2023-07-03", "中仓街道")

    code, out, err = cli(capsys, db, "extension", "list", "--json")
    assert code == 0, err
    (listed,) = json.loads(out)
    assert (listed["state"], listed["decided_by"], listed["from"], listed["to"]) == (
        "approved",
        "倪德才",
        "2023-06-30",
        "2023-07-31",
    )
    code, out, _ = cli(capsys, db, "status", "2-63-1", "--date", "2023-07-03")
    assert "区生态环境局：延期至 2023-07-31（原定 2023-06-30，倪德才 6月27日 同意）" in out
    code, out, _ = cli(capsys, db, "status", "2-63-1", "--date", "2023-07-03", "--json")
    assert [(e["unit"], e["state"], e["to"]) for e in json.loads(out)["extensions"]] == [
        (UNIT, "approved", "2023-07-31")
    ]
    # The request and its decision survive a restart: a new process reads them from the file.
    with Store.open(db, read_only=True) as store:
        assert store.records(EXTENSIONS, Extension)[0].state == "approved"


def test_a_rejected_request_changes_nothing(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert request(capsys, db, "--to", "2023-07-31", "--reason", "等待评审", "--date", "2023-06-27")[0] == 0
    code, _, err = cli(
        capsys, db, "extension", "decide", "1", "reject", "--reason", "不符合延期条件", "--by", "倪德才"
    )
    assert code == 0, err
    assert digest_items(capsys, db, "2023-07-03", UNIT)["2-63-1"]["reason"] == "overdue"
    assert "2-63-1" in overdue_for(capsys, db, "2023-07-03", UNIT)
    code, out, _ = cli(capsys, db, "extension", "list", "--state", "rejected", "--json")
    assert [(e["id"], e["decision_reason"]) for e in json.loads(out)] == [(1, "不符合延期条件")]
    code, _, err = cli(capsys, db, "extension", "decide", "1", "approve")
    assert code == 2 and "already decided (rejected)" in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["2-63-1", "--unit", "区水务局", "--to", "2023-07-31"], "not responsible"),
        (["2-63-1", "--unit", UNIT, "--to", "2023-06-30"], "after the due date in force (2023-06-30)"),
        (["9-99-9", "--unit", UNIT, "--to", "2023-07-31"], "no measure 9-99-9"),
        (["2-63-1", "--unit", UNIT, "--to", "2023-07-31", "--item", "2023-05-31"], "no dated item"),
    ],
)
def test_a_request_that_cannot_be_granted_exits_2_and_records_nothing(
    capsys: pytest.CaptureFixture[str], db: Path, argv: list[str], said: str
) -> None:
    code, out, err = cli(capsys, db, "extension", "request", *argv, "--reason", "理由")
    assert code == 2 and said in err and "nothing recorded" in err
    code, out, _ = cli(capsys, db, "extension", "list", "--json")
    assert json.loads(out) == []


def test_completion_review_keeps_a_claim_open_until_it_is_accepted(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_COMPLETION_REVIEW", "on")
    code, _, err = cli(
        capsys, db, "report", "2-63-1", "--unit", UNIT, "--status", "已完成", "--date", "2023-06-29"
    )
    assert code == 0, err
    code, out, err = cli(capsys, db, "review", "list", "--json")
    assert code == 0, err
    (claim,) = json.loads(out)
    assert {k: claim[k] for k in ("measure", "unit", "item", "claimed")} == {
        "measure": "2-63-1",
        "unit": UNIT,
        "item": None,
        "claimed": "2023-06-29",
    }
    # Claimed in time and waiting for review: not overdue, not chased.
    assert "2-63-1" not in overdue_for(capsys, db, "2023-07-03", UNIT)
    assert "2-63-1" not in digest_items(capsys, db, "2023-07-03", UNIT)
    code, _, err = cli(
        capsys, db, "review", "return", str(claim["id"]), "--reason", "缺少验收材料", "--date", "2023-07-05"
    )
    assert code == 0, err
    assert "2-63-1" in overdue_for(capsys, db, "2023-07-06", UNIT)
    code, out, _ = cli(capsys, db, "status", "2-63-1", "--date", "2023-07-06")
    assert "区生态环境局：6月29日 报已完成，管理员 退回（缺少验收材料）" in out
    assert digest_items(capsys, db, "2023-07-10", UNIT)["2-63-1"]["reason"] == "overdue"
    # Claimed again, late: overdue until it is accepted, then closed for everyone.
    code, _, err = cli(
        capsys, db, "report", "2-63-1", "--unit", UNIT, "--status", "已完成", "--date", "2023-07-07"
    )
    assert code == 0, err
    code, out, _ = cli(capsys, db, "review", "list", "--json")
    (again,) = json.loads(out)
    assert again["claimed"] == "2023-07-07"
    code, _, err = cli(capsys, db, "review", "accept", str(again["id"]), "--date", "2023-07-07")
    assert code == 0, err
    assert overdue_for(capsys, db, "2023-07-10", UNIT).count("2-63-1") == 0
    assert "2-63-1" not in overdue_for(capsys, db, "2023-07-10", "中仓街道")
    assert json.loads(cli(capsys, db, "review", "list", "--json")[1]) == []


def test_review_needs_the_setting(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_COMPLETION_REVIEW", "off")
    code, _, err = cli(capsys, db, "review", "list")
    assert code == 2 and "BOT_COMPLETION_REVIEW=on" in err


def test_without_review_a_claim_closes_at_once(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_COMPLETION_REVIEW", "off")
    cli(capsys, db, "report", "2-63-1", "--unit", UNIT, "--status", "已完成", "--date", "2023-07-05")
    assert "2-63-1" not in overdue_for(capsys, db, "2023-07-06", UNIT)


def test_setdue_gives_a_timed_measure_an_item_and_assign_fills_an_open_group(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, out, err = cli(
        capsys, db, "setdue", "2-10-1", "2023-09-27", "--note", "完成充电设施建设", "--date", "2023-06-27"
    )
    assert code == 0, err
    reminded = digest_items(capsys, db, "2023-09-27", "区交通局")["2-10-1"]
    assert (reminded["reason"], reminded["item"]) == ("due", "2023-09-27")
    code, _, err = cli(
        capsys, db, "report", "2-10-1", "--unit", "区交通局", "--status", "进行中", "--item", "2023-09-27"
    )
    assert code == 0, err
    code, _, err = cli(capsys, db, "setdue", "2-63-1", "2023-09-27")
    assert code == 2 and "按时间节点完成" in err

    assert "5-1-1" not in digest_items(capsys, db, "2023-12-01", "区水务局")
    code, out, err = cli(capsys, db, "assign", "5-1-1", "水务局", "区生态环境局", "--date", "2023-06-27")
    assert code == 0, err
    assert "各相关单位" in out and "区水务局" in out
    assert digest_items(capsys, db, "2023-12-01", "区水务局")["5-1-1"]["reason"] == "upcoming"
    code, _, err = cli(capsys, db, "assign", "5-1-1", "不存在的单位")
    assert code == 2 and "不存在的单位" in err
    code, _, err = cli(capsys, db, "assign", "2-63-1", "区水务局")
    assert code == 2 and "no open group" in err
