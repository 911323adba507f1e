"""``python -m bot export``: the 督办台账 workbook and the Word 通报, read back with their libraries.

The 逾期 sheet must hold exactly the rows of ``overdue --json`` for the same day and scope; the
ranking rules are checked on the frozen small plan, where every figure can be worked out by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from bot import paths, texts
from bot.clock import TZ
from bot.models import Status
from bot.store import Store
from bot.workflow import ask_monthly
from schedules.monthly import MonthlyEntry
from tests.cli_runner import data_options, run_main
from tests.leader_views_data import report

HEADER_ROW = 3


def sheet_rows(sheet: Worksheet) -> list[dict[str, Any]]:
    """The sheet's table as dicts by header, the title rows and the note row left out."""
    headers = [str(cell.value) for cell in sheet[HEADER_ROW]]
    rows = []
    for values in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if values[1] is None:
            break  # the blank row before the note
        rows.append(dict(zip(headers, values, strict=True)))
    return rows


def shipped_options(db: Path) -> list[str]:
    return ["--plan", str(paths.PLAN), "--units", str(paths.UNITS), "--db", str(db)]


def overdue_json(capsys: pytest.CaptureFixture[str], db: Path, day: str, *scope: str) -> list[dict[str, Any]]:
    code, out, err = run_main(capsys, "overdue", "--date", day, "--json", *scope, *shipped_options(db))
    assert code == 0, err
    return [dict(item, unit=group["unit"]) for group in json.loads(out) for item in group["items"]]


def export(
    capsys: pytest.CaptureFixture[str], options: list[str], day: str, target: Path, *extra: str
) -> None:
    code, out, err = run_main(capsys, "export", "--date", day, "-o", str(target), *extra, *options)
    assert code == 0, err
    assert target.exists() and str(target) in out


@pytest.mark.parametrize(
    ("day", "scope"), [("2023-07-03", ()), ("2023-10-09", ()), ("2023-10-09", ("--leader", "倪德才"))]
)
def test_the_overdue_sheet_has_exactly_the_rows_of_overdue_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], day: str, scope: tuple[str, ...]
) -> None:
    db = tmp_path / "bot.db"
    first = overdue_json(capsys, db, "2023-07-03")[:2]
    with Store.open(db) as store:
        report(
            store,
            first[0]["measure"],
            first[0]["unit"],
            Status.IN_PROGRESS,
            date(2023, 6, 20),
            percent=60,
            note="方案已起草",
            evidence=["photo:AgAD1", "document:AgAD2"],
        )
        report(
            store, first[1]["measure"], first[1]["unit"], Status.BLOCKED, date(2023, 6, 21), note="资金未到位"
        )
        report(
            store, first[1]["measure"], first[1]["unit"], Status.DONE, date(2023, 11, 1)
        )  # after both days
    expected = overdue_json(capsys, db, day, *scope)
    target = tmp_path / "out.xlsx"
    export(capsys, shipped_options(db), day, target, *scope)

    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["汇总", "逾期", "台账", "通报"]
    rows = sheet_rows(book["逾期"])
    assert expected and len(rows) == len(expected)
    for row, item in zip(rows, expected, strict=True):
        assert (row["编号"], row["单位"], row["到期日"].date().isoformat(), row["逾期天数"]) == (
            item["measure"],
            item["unit"],
            item["due"],
            item["days_overdue"],
        )
        assert row["最新状态"] == (item["status"] or "未报告")
        assert row["进度"] == (item["percent"] / 100 if item["percent"] is not None else None)
        assert row["逾期工作日"] == item["workdays_overdue"] and 0 < row["逾期工作日"] <= row["逾期天数"]
    reported = next(r for r in rows if r["编号"] == first[0]["measure"] and r["单位"] == first[0]["unit"])
    assert (reported["进度"], reported["说明"], reported["更新时间"]) == (
        0.6,
        "方案已起草",
        datetime(2023, 6, 20),
    )

    ledger = sheet_rows(book["台账"])
    noted = next(r for r in ledger if r["编号"] == first[1]["measure"] and r["单位"] == first[1]["unit"])
    assert (noted["最新状态"], noted["说明"]) == ("受阻", "资金未到位")
    documented = next(r for r in ledger if r["编号"] == first[0]["measure"] and r["单位"] == first[0]["unit"])
    assert (documented["佐证材料数"], documented["进度"]) == (2, 0.6)  # the later 已完成 is not seen yet
    states = ["已完成", "部分完成", "进行中", "未开始", "受阻", "本期已报送", "本期未报送"]
    summary = sheet_rows(book["汇总"])
    assert all(sum(r[state] for state in states) == r["措施数"] for r in summary)
    assert summary[0]["本期已报送"] + summary[0]["本期未报送"] > 0  # standing duties, as in /summary
    ranked_units = {r["单位"] for r in sheet_rows(book["通报"])}
    assert {r["单位"] for r in rows} <= ranked_units
    assert {r["单位"] for r in ledger if not r["单位"].endswith(texts.UNASSIGNED)} == ranked_units


def test_the_ranking_follows_its_rules_and_breaks_ties_by_name(
    small_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # July's 月调度 (Monday 7-03, due by its fifth workday, 7-07) asks 区水务局 and 宋庄镇 about
    # 2-1-1; 区水务局 answers on 7-04, 宋庄镇 never. The others are never asked.
    with Store.open(small_files["db"]) as store:
        for unit in ("区水务局", "宋庄镇"):
            asked_at = datetime.combine(date(2023, 7, 3), time(9, 0), tzinfo=TZ)
            ask_monthly(
                store, unit, date(2023, 7, 3), [MonthlyEntry("2-1-1", "2023-06-30", "lead")], asked_at
            )
        report(store, "2-1-1", "区水务局", Status.IN_PROGRESS, date(2023, 7, 4), note="月调度")

    def ranking(day: str) -> list[tuple[Any, ...]]:
        target = tmp_path / f"{day}.xlsx"
        export(capsys, data_options(small_files), day, target)
        return [
            (r["名次"], r["单位"], r["到期事项"], r["已办结"], r["按期完成"], r["逾期项数"], r["按时报送率"])
            for r in sheet_rows(openpyxl.load_workbook(target)["通报"])
        ]

    # 7-03: every unit owes one item past due and has done none; July's 月调度 can still be
    # answered, so no unit has a 按时报送率 yet: equal results go by name.
    assert ranking("2023-07-03") == [
        (1, "区发展改革委", 1, 0, 0, 1, "—"),
        (2, "区水务局", 1, 0, 0, 1, "—"),
        (3, "区生态环境局", 1, 0, 0, 1, "—"),
        (4, "宋庄镇", 1, 0, 0, 1, "—"),
        (5, "张家湾镇", 1, 0, 0, 1, "—"),
    ]
    # 7-10: past July's answer time, 区水务局 answered in time and 宋庄镇 not: they lead the tie
    # in that order, ahead of the units never asked.
    assert [(place, unit, rate) for place, unit, *_, rate in ranking("2023-07-10")] == [
        (1, "区水务局", 1),
        (2, "宋庄镇", 0),
        (3, "区发展改革委", "—"),
        (4, "区生态环境局", "—"),
        (5, "张家湾镇", "—"),
    ]
    # 8-01: 1-1-1 was reported done on 7-20 by its lead unit, after its 6-30 milestone: done, late,
    # for its lead and co unit alike, who now lead; neither was asked a 月调度, so by name.
    assert ranking("2023-08-01")[:2] == [
        (1, "区发展改革委", 1, 1, 0, 0, "—"),
        (2, "区生态环境局", 1, 1, 0, 0, "—"),
    ]


def test_the_workbook_is_formatted_for_an_office(
    small_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.xlsx"
    export(capsys, data_options(small_files), "2023-07-03", target)
    book = openpyxl.load_workbook(target)
    for sheet in book.worksheets:
        assert sheet["A1"].value == "测试计划　督办台账"
        assert "2023-07-03" in sheet["A2"].value
        assert sheet.freeze_panes == "A4"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A3:")
        assert sheet.page_setup.orientation == "landscape"
        fit = sheet.sheet_properties.pageSetUpPr
        assert fit is not None and fit.fitToPage  # fit to one page wide (Excel's default width, 1)
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$3:$3"
    overdue = book["逾期"]
    assert isinstance(overdue["E4"].value, datetime) and overdue["E4"].number_format == "yyyy-mm-dd"
    assert overdue.column_dimensions["B"].width >= 2 * len("重点任务")  # Chinese is two columns wide
    summary = sheet_rows(book["汇总"])
    assert summary[0]["范围"].startswith("合计") and summary[0]["措施数"] == 4
    assert [r["范围"] for r in summary[1:3]] == ["附件1 应对气候变化", "附件2 大气污染防治"]
    lit = book["汇总"].cell(HEADER_ROW + 1, len(summary[0]))
    assert (lit.value, lit.fill.fgColor.rgb[-6:]) == ("逾期", "FFC7CE")
    note = [
        row[0] for row in book["通报"].iter_rows(values_only=True) if row[0] and "办结率 =" in str(row[0])
    ]
    assert note, "the ranking explains its formula in a note row"
    with zipfile.ZipFile(target) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 1  # native: the spreadsheet draws it from the annex rows
        assert "汇总!$B$5:$B$6" in archive.read(charts[0]).decode()


def test_a_bad_scope_is_refused_and_writes_nothing(
    small_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.xlsx"
    code, _, err = run_main(
        capsys,
        "export",
        "--date",
        "2023-07-03",
        "--unit",
        "不存在局",
        "-o",
        str(target),
        *data_options(small_files),
    )
    assert code == 2 and "--unit" in err and not target.exists()


def test_the_word_bulletin_has_the_ranking_and_the_overdue_table(
    small_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "通报.docx"
    export(capsys, data_options(small_files), "2023-07-03", target, "--format", "docx")
    document = docx.Document(str(target))
    ranking, overdue = document.tables
    assert [cell.text for cell in ranking.rows[0].cells] == texts.RPT_RANKING_HEADERS
    assert [row.cells[1].text for row in ranking.rows[1:]][:2] == ["区发展改革委", "区水务局"]
    assert [cell.text for cell in overdue.rows[0].cells] == texts.RPT_DOC_OVERDUE_HEADERS
    assert {row.cells[0].text for row in overdue.rows[1:]} == {"1-1-1", "2-1-1", "2-3-1"}
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "测试计划推进情况通报" and "2023-07-03" in paragraphs[1]
    assert any("共有措施 4 项" in text for text in paragraphs)


def test_the_chart_renders_every_chinese_glyph_from_the_installed_font(small_files: dict[str, Path]) -> None:
    from bot import chart, queries, reports
    from bot.directory import Directory
    from bot.models import Plan

    plan, directory = Plan.load(small_files["plan"]), Directory.load(small_files["units"])
    with Store.open(small_files["db"], read_only=True) as store:
        snapshot = queries.Snapshot.take(plan, directory, store, date(2023, 7, 3))
        built = reports.build_report(snapshot, queries.scope_everything("全部"), store.history_documents)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart.chart_png(built)
    assert not [
        str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    # The font is the project's own dependency, not one this machine happens to have.
    assert "site-packages" in chart.FONT_FILE.parts and chart.FONT_FILE.parent.name == "manimgx_fonts_cjk"


def test_registering_export_loads_none_of_the_report_libraries() -> None:
    """``export --help`` (and so every other command's start) pays nothing for XlsxWriter,
    python-docx or matplotlib: they load only when a report is written."""
    probe = (
        "import sys\nfrom bot.cli import main\n"
        "try:\n    main(['export', '--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = {n.split('.')[0] for n in sys.modules} & {'xlsxwriter', 'openpyxl', 'docx', 'matplotlib'}\n"
        "print(sorted(loaded), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=paths.ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert "export" in done.stdout and done.stderr.strip().splitlines()[-1] == "[]"


def test_the_ledger_shows_extension_and_review_states_as_of_the_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extensions and completion reviews made with the CLI on a real database show on the 台账 as
    the day saw them, and the 逾期 sheet still has exactly the rows of ``overdue --json``."""
    db = tmp_path / "bot.db"

    def cli(*argv: str) -> None:
        code, _, err = run_main(capsys, *argv, "--db", str(db))
        assert code == 0, err

    def extend(unit: str, reason: str) -> None:
        cli(
            "extension",
            "request",
            "2-63-1",
            "--unit",
            unit,
            "--to",
            "2023-07-31",
            "--reason",
            reason,
            "--date",
            "2023-06-27",
        )

    extend("区生态环境局", "等待专家评审")  # 1: approved the next day
    extend("宋庄镇", "人员不足")  # 2: never decided
    extend("张家湾镇", "资金未到位")  # 3: refused
    cli("extension", "decide", "1", "approve", "--by", "倪德才", "--date", "2023-06-28")
    cli(
        "extension",
        "decide",
        "3",
        "reject",
        "--reason",
        "不符合延期条件",
        "--by",
        "倪德才",
        "--date",
        "2023-06-28",
    )
    monkeypatch.setenv("BOT_COMPLETION_REVIEW", "on")
    cli("report", "3-6-4", "--unit", "区水务局", "--status", "已完成", "--date", "2023-06-29")

    def ledger(day: str) -> dict[tuple[str, str], dict[str, Any]]:
        target = tmp_path / f"{day}.xlsx"
        export(capsys, shipped_options(db), day, target)
        book = openpyxl.load_workbook(target)
        expected = overdue_json(capsys, db, day)
        overdue = [(r["编号"], r["单位"], r["到期日"].date().isoformat()) for r in sheet_rows(book["逾期"])]
        assert overdue == [(i["measure"], i["unit"], i["due"]) for i in expected]
        return {(r["编号"], r["单位"]): r for r in sheet_rows(book["台账"])}

    before = ledger("2023-06-27")  # asked that day, decided the next: all still waiting
    assert before[("2-63-1", "区生态环境局")]["延期"] == "申请延期至 2023-07-31（原定 2023-06-30），申请中"
    assert before[("3-6-4", "区水务局")]["办结审核"] is None  # not claimed yet

    rows = ledger("2023-07-03")
    assert rows[("2-63-1", "区生态环境局")]["延期"] == "延期至 2023-07-31（原定 2023-06-30，倪德才 同意）"
    assert rows[("2-63-1", "宋庄镇")]["延期"] == "申请延期至 2023-07-31（原定 2023-06-30），申请中"
    assert rows[("2-63-1", "张家湾镇")]["延期"] == "申请延期至 2023-07-31（原定 2023-06-30），倪德才 不同意"
    assert rows[("2-63-1", "中仓街道")]["延期"] is None
    claimed = rows[("3-6-4", "区水务局")]
    assert (claimed["最新状态"], claimed["办结审核"]) == ("已完成", "2023-06-29 报已完成，待审核")

    cli("review", "return", str(review_id(capsys, db)), "--reason", "缺少验收材料", "--date", "2023-07-05")
    returned = ledger("2023-07-06")[("3-6-4", "区水务局")]
    assert returned["办结审核"] == "2023-06-29 报已完成，管理员 退回（缺少验收材料）"
    assert (returned["最新状态"], returned["说明"]) == ("进行中", "缺少验收材料")


def review_id(capsys: pytest.CaptureFixture[str], db: Path) -> int:
    code, out, err = run_main(capsys, "review", "list", "--json", "--db", str(db))
    assert code == 0, err
    (claim,) = json.loads(out)
    return int(claim["id"])
