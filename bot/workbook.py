"""The 督办台账 workbook (.xlsx) written from a ``bot.reports.Report`` with openpyxl.

Four sheets, each a title row (plan and as-of day), a header row with filters, frozen panes, dates
as real Excel dates, widths that fit Chinese text and a landscape, fit-to-width print setup:
汇总 (with a native bar chart, drawn by the spreadsheet, so the server needs no font), 逾期, 台账
and 通报. What goes into the rows is decided in ``bot.reports``; this module only lays them out.

openpyxl is imported by this module alone, and only ``export``, ``/export`` and the monthly 通报
import it, so the rest of the bot starts without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from bot import texts
from bot.assignments import Light
from bot.queries import SummaryRow
from bot.reports import Report

HEADER_ROW = 3
"""Row 1 is the title, row 2 the as-of line, row 3 the column headers; data starts on row 4."""
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 60
WRAP_WIDTH = 40
"""Columns wider than this wrap their text instead of growing."""
LIGHT_FILLS: dict[Light, str] = {"🟢": "C6EFCE", "🟡": "FFEB9C", "🔴": "FFC7CE"}
HEADER_FILL = "DDEBF7"


def write_workbook(report: Report, target: Path | BytesIO) -> None:
    """Write the workbook to a path or an open binary buffer."""
    book = Workbook()
    first = book.active
    assert first is not None
    _summary_sheet(first, report)
    _overdue_sheet(book.create_sheet(texts.RPT_SHEET_OVERDUE), report)
    _ledger_sheet(book.create_sheet(texts.RPT_SHEET_LEDGER), report)
    _ranking_sheet(book.create_sheet(texts.RPT_SHEET_RANKING), report)
    book.save(target)


def workbook_bytes(report: Report) -> bytes:
    buffer = BytesIO()
    write_workbook(report, buffer)
    return buffer.getvalue()


# --- the sheets ---------------------------------------------------------------------------------


def _summary_sheet(sheet: Worksheet, report: Report) -> None:
    sheet.title = texts.RPT_SHEET_SUMMARY
    summary = report.summary
    rows: list[list[Any]] = [_summary_cells(texts.RPT_SUMMARY_TOTAL_SECTION, summary.total)]
    rows += [_summary_cells(texts.RPT_SUMMARY_TOTAL_SECTION, row) for row in summary.annexes]
    rows += [_summary_cells(texts.RPT_SUMMARY_UNIT_SECTION, row) for row in summary.units]
    headers = ["类别", *texts.RPT_SUMMARY_HEADERS]
    _table(sheet, report, headers, rows, percent_columns={10})
    lights = [summary.total.light] + [r.light for r in summary.annexes] + [r.light for r in summary.units]
    _light_fills(sheet, len(headers), lights)
    if summary.annexes:
        _annex_chart(sheet, len(summary.annexes), len(headers))


def _summary_cells(section: str, row: SummaryRow) -> list[Any]:
    rate = row.complete / row.total if row.total else None
    return [
        section,
        row.label,
        row.total,
        row.complete,
        row.partly_done,
        row.in_progress,
        row.not_started,
        row.blocked,
        row.overdue,
        rate,
        texts.RPT_LIGHT_WORDS[row.light],
    ]


def _annex_chart(sheet: Worksheet, annexes: int, width: int) -> None:
    """Stacked bars per annex: complete, partly done, in progress, not started, blocked."""
    first, last = HEADER_ROW + 2, HEADER_ROW + 1 + annexes  # the annex rows, after the total
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = texts.RPT_SUMMARY_CHART
    chart.y_axis.title = texts.RPT_SUMMARY_CHART_Y
    data = Reference(sheet, min_col=4, max_col=8, min_row=HEADER_ROW, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.height = 7.5 + annexes * 0.8
    chart.width = 22
    sheet.add_chart(chart, f"{get_column_letter(width + 2)}{HEADER_ROW}")


def _overdue_sheet(sheet: Worksheet, report: Report) -> None:
    rows = [
        [
            r.measure,
            r.task,
            r.item_kind,
            r.item_text,
            r.due,
            r.days_overdue,
            r.workdays_overdue,
            r.unit,
            r.role,
            r.leaders,
            r.status,
            _percent(r.percent),
            r.note,
            r.updated,
        ]
        for r in report.overdue_rows
    ]
    _table(sheet, report, texts.RPT_OVERDUE_HEADERS, rows, percent_columns={12})


def _ledger_sheet(sheet: Worksheet, report: Report) -> None:
    rows = [
        [
            r.measure,
            r.annex,
            r.task,
            r.text,
            r.deadline,
            r.unit,
            r.role,
            r.leaders,
            r.status,
            _percent(r.percent),
            r.note,
            r.updated,
            r.evidence,
            texts.RPT_LIGHT_WORDS[r.light],
        ]
        for r in report.ledger
    ]
    _table(sheet, report, texts.RPT_LEDGER_HEADERS, rows, percent_columns={10})
    _light_fills(sheet, len(texts.RPT_LEDGER_HEADERS), [r.light for r in report.ledger])


def _ranking_sheet(sheet: Worksheet, report: Report) -> None:
    rows = [
        [
            s.place,
            s.unit,
            s.due,
            s.completed,
            s.on_time,
            s.overdue,
            *(_rate(rate) for rate in (s.completion_rate, s.on_time_rate, s.reporting_rate)),
        ]
        for s in report.ranking
    ]
    _table(sheet, report, texts.RPT_RANKING_HEADERS, rows, percent_columns={7, 8, 9})
    note_row = HEADER_ROW + len(rows) + 2
    width = len(texts.RPT_RANKING_HEADERS)
    sheet.cell(note_row, 1, texts.RPT_RANKING_NOTE).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=width)
    sheet.row_dimensions[note_row].height = 75


# --- shared layout ------------------------------------------------------------------------------


def _rate(rate: float | None) -> float | str:
    """A rate as a fraction to format as a percentage, or — when there is nothing to divide by."""
    return texts.RPT_NO_RATE if rate is None else rate


def _percent(value: int | None) -> float | None:
    return value / 100 if value is not None else None


def _table(
    sheet: Worksheet,
    report: Report,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    percent_columns: AbstractSet[int] = frozenset(),
) -> None:
    """Title, as-of line, headers and rows, with filters, frozen panes, formats and print setup.

    ``percent_columns`` are 1-based columns holding fractions (0.6 shows as 60.0%).
    """
    width = len(headers)
    title = sheet.cell(1, 1, texts.RPT_TITLE.format(plan=report.plan_title))
    title.font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(2, 1, texts.RPT_AS_OF.format(day=report.today.isoformat(), scope=report.scope.label))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, column, header)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [_text_width(header) for header in headers]
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(HEADER_ROW + offset, column, value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
                widths[column - 1] = max(widths[column - 1], 11)
            elif column in percent_columns and value is not None:
                cell.number_format = PERCENT_FORMAT
                widths[column - 1] = max(widths[column - 1], 8)
            elif isinstance(value, str):
                widths[column - 1] = max(widths[column - 1], _text_width(value))
            elif value is not None:
                widths[column - 1] = max(widths[column - 1], len(str(value)) + 1)
    for column, needed in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(needed + 2, MAX_WIDTH)
        if needed > WRAP_WIDTH:
            for row in range(HEADER_ROW + 1, HEADER_ROW + 1 + len(rows)):
                sheet.cell(row, column).alignment = Alignment(wrap_text=True, vertical="top")
    last_row = HEADER_ROW + max(len(rows), 1)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{last_row}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _light_fills(sheet: Worksheet, column: int, lights: Sequence[Light]) -> None:
    for offset, light in enumerate(lights, start=1):
        sheet.cell(HEADER_ROW + offset, column).fill = PatternFill("solid", fgColor=LIGHT_FILLS[light])


def _text_width(text: str) -> int:
    """Columns a text needs: a Chinese character is two wide, as Excel draws it."""
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if ord(char) > 0x2E7F else 1 for char in longest)
