"""``python -m bot report``: a phone report entered by an operator, checked as the bot checks reports.

Run in-process through ``bot.cli.main`` on the shipped plan and directory, with a real database
file in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Status
from bot.store import Store


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["report", *argv])
    except SystemExit as exc:  # argparse rejects bad arguments this way
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_unit_and_its_role_are_named_as_the_views_name_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    code, out, err = report(
        capsys, "２－６３－１", "--unit", "生态环境局", "--status", "进行中", "--db", str(db)
    )
    assert code == 0, err
    assert out.startswith("✅ 已记录 2-63-1 区生态环境局（主责）：进行中 · 命令行录入 ")
    assert out.rstrip().endswith("记录 #1") and out.count("\n") == 1
    code, out, err = report(capsys, "2-63-1", "--unit", "宋庄", "--status", "已完成", "--db", str(db))
    assert code == 0, err
    assert out.startswith("✅ 已记录 2-63-1 宋庄镇（协办）：已完成 · 命令行录入 ")
    with Store.open(db) as store:
        assert [(e.unit, e.status, e.source) for e in store.history("2-63-1")] == [
            ("区生态环境局", Status.IN_PROGRESS, "cli"),
            ("宋庄镇", Status.DONE, "cli"),
        ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["2-63-1", "--unit", "区水务局", "--status", "进行中"], "区水务局 is not responsible for 2-63-1"),
        # Annex 3's table says 牵头部门 / 责任单位, and so does the refusal.
        (["3-6-4", "--unit", "宋庄镇", "--status", "进行中"], "区水务局（牵头）"),
        (["3-6-4", "--unit", "宋庄镇", "--status", "进行中"], "马驹桥镇（责任）"),
        (["2-63-1", "--unit", "相关乡镇", "--status", "进行中"], "no units yet"),
        (["2-63-1", "--unit", "区生态环竟局", "--status", "进行中"], "did you mean 区生态环境局"),
        (["2-63", "--unit", "区生态环境局", "--status", "进行中"], "did you mean 2-63-1"),
        (["2-63-1", "--unit", "区生态环境局", "--status", "已完成", "--percent", "60"], "contradicts"),
        (
            ["2-63-1", "--unit", "区生态环境局", "--status", "进行中", "--date", "2023-03-19"],
            "before the plan was issued (2023-03-20)",
        ),
    ],
)
def test_a_refused_report_exits_2_and_records_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    db = tmp_path / "bot.db"
    code, out, err = report(capsys, *argv, "--db", str(db))
    assert (code, out) == (2, "")
    assert message in err and "nothing recorded" in err
    assert not db.exists()


def test_a_database_in_a_folder_that_does_not_exist_is_a_typo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "stat" / "bot.db"
    code, out, err = report(capsys, "2-63-1", "--unit", "区生态环境局", "--status", "进行中", "--db", str(db))
    assert (code, out) == (2, "")
    assert f"folder {db.parent} does not exist" in err
    assert not db.parent.exists()


def test_the_confirmation_reads_like_the_chats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["3-6-4", "--unit", "水务局", "--status", "进行中", "--percent", "80", "--note", "管网已铺设"]
    code, out, err = report(capsys, *argv, "--date", "2023-06-27", "--db", str(tmp_path / "bot.db"))
    assert code == 0, err
    # The chat says "✅ 已记录 3-6-4 区水务局：进行中 80%（管网已铺设） · 姓名"; the CLI, who and when.
    assert out.startswith(
        "✅ 已记录 3-6-4 区水务局（牵头）：进行中 80%（管网已铺设） · 命令行录入 2023-06-27 "
    )
    assert "recorded" not in out


def test_a_long_note_is_stored_whole_and_echoed_cut(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    note = "管网铺设" * 7500  # 30,000 characters, as a pasted report might be
    code, out, err = report(
        capsys, "3-6-4", "--unit", "水务局", "--status", "进行中", "--note", note, "--db", str(db)
    )
    assert code == 0, err
    assert len(out) < 400 and "…） · 命令行录入" in out
    with Store.open(db, read_only=True) as store:
        latest = store.latest("3-6-4", "区水务局")
    assert latest is not None and latest.note == note


def test_a_report_may_name_its_item_by_due_date(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    code, out, err = report(
        capsys, "3-3-1", "--unit", "水务局", "--status", "已完成", "--item", "2023-09-30", "--db", str(db)
    )
    assert code == 0, err
    # Annex 3 heads its columns 牵头部门 / 责任单位: the confirmation says 牵头.
    assert out.startswith("✅ 已记录 3-3-1 节点 2023-09-30 区水务局（牵头）：已完成 · 命令行录入 ")
    with Store.open(db) as store:
        entry = store.latest("3-3-1", "区水务局")
    assert entry is not None and entry.item == "2023-09-30"


def test_an_item_the_measure_does_not_have_is_refused_with_its_items(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    code, out, err = report(
        capsys, "3-6-4", "--unit", "水务局", "--status", "已完成", "--item", "2023-09-30", "--db", str(db)
    )
    assert code == 2 and out == ""
    assert "3-6-4 has no item 2023-09-30" in err
    assert "2023-06-30 节点、2023-12-31 截止" in err and "nothing recorded" in err
    assert not db.exists()


def test_without_an_item_a_report_is_about_the_measure_as_a_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    code, _, err = report(capsys, "3-6-4", "--unit", "水务局", "--status", "进行中", "--db", str(db))
    assert code == 0, err
    with Store.open(db) as store:
        entry = store.latest("3-6-4", "区水务局")
    assert entry is not None and entry.item is None
