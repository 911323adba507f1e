"""The 督办台账 workbook (.xlsx) written from a ``bot.reports.Report`` with XlsxWriter.

Four sheets, each a title row (plan and as-of day), a header row with filters, frozen panes, dates
as real Excel dates, widths that fit Chinese text and a landscape, fit-to-width print setup:
汇总 (with a native bar chart, drawn by the spreadsheet, so the server needs no font), 逾期, 台账
and 通报. What goes into the rows is decided in ``bot.reports``; this module only lays them out.

The whole plan is about 55,000 cells. XlsxWriter writes them in about a third of openpyxl's time
(even in its write-only mode): each cell is a value and one of a few shared formats, written
straight into the sheet's XML. The tests read the files back with openpyxl.

XlsxWriter is imported by this module alone, and only ``export``, ``/export`` and the monthly 通报
import it, so the rest of the bot starts without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_range_abs
from xlsxwriter.worksheet import Worksheet

from bot import texts
from bot.assignments import Light
from bot.queries import SummaryRow
from bot.reports import Report

HEADER_ROW = 3
"""Row 1 is the title, row 2 the as-of line, row 3 the column headers; data starts on row 4
(1-based, as Excel shows them; XlsxWriter counts from 0)."""
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 60
WRAP_WIDTH = 40
"""Columns wider than this wrap their text instead of growing."""
LIGHT_FILLS: dict[Light, str] = {"🟢": "#C6EFCE", "🟡": "#FFEB9C", "🔴": "#FFC7CE"}
HEADER_FILL = "#DDEBF7"
NOTE_HEIGHT = 75
A4 = 9
CHART_WIDTH_PX = 830
"""About 22 cm on screen."""
CHART_HEIGHT_PX = 280
CHART_HEIGHT_PER_ANNEX_PX = 30


class Formats:
    """The workbook's few cell formats, made once and shared by every cell that needs one."""

    def __init__(self, book: Workbook) -> None:
        self.title: Format = book.add_format({"bold": True, "font_size": 14})
        self.header: Format = book.add_format(
            {"bold": True, "bg_color": HEADER_FILL, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.date: Format = book.add_format({"num_format": DATE_FORMAT})
        self.percent: Format = book.add_format({"num_format": PERCENT_FORMAT})
        self.wrap: Format = book.add_format({"text_wrap": True, "valign": "top"})
        self.lights: dict[Light, Format] = {
            light: book.add_format({"bg_color": colour}) for light, colour in LIGHT_FILLS.items()
        }


def write_workbook(report: Report, target: Path | BytesIO) -> None:
    """Write the workbook to a path or an open binary buffer."""
    # Text is written as text: a note starting with "=" or holding a link stays what was reported.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    book = Workbook(str(target) if isinstance(target, Path) else target, options)
    formats = Formats(book)
    _summary_sheet(book, formats, report)
    _overdue_sheet(book.add_worksheet(texts.RPT_SHEET_OVERDUE), formats, report)
    _ledger_sheet(book.add_worksheet(texts.RPT_SHEET_LEDGER), formats, report)
    _ranking_sheet(book.add_worksheet(texts.RPT_SHEET_RANKING), formats, report)
    book.close()


def workbook_bytes(report: Report) -> bytes:
    buffer = BytesIO()
    write_workbook(report, buffer)
    return buffer.getvalue()


# --- the sheets ---------------------------------------------------------------------------------


def _summary_sheet(book: Workbook, formats: Formats, report: Report) -> None:
    sheet = book.add_worksheet(texts.RPT_SHEET_SUMMARY)
    summary = report.summary
    rows: list[list[Any]] = [_summary_cells(texts.RPT_SUMMARY_TOTAL_SECTION, summary.total)]
    rows += [_summary_cells(texts.RPT_SUMMARY_TOTAL_SECTION, row) for row in summary.annexes]
    rows += [_summary_cells(texts.RPT_SUMMARY_UNIT_SECTION, row) for row in summary.units]
    headers = ["类别", *texts.RPT_SUMMARY_HEADERS]
    lights = [summary.total.light] + [r.light for r in summary.annexes] + [r.light for r in summary.units]
    _table(sheet, formats, report, headers, rows, percent_columns={12}, lights=lights)
    if summary.annexes:
        _annex_chart(book, sheet, len(summary.annexes), len(headers))


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
        row.period_reported,
        row.period_missing,
        row.overdue,
        rate,
        texts.RPT_LIGHT_WORDS[row.light],
    ]


def _annex_chart(book: Workbook, sheet: Worksheet, annexes: int, width: int) -> None:
    """Stacked bars per annex: complete, partly done, in progress, not started, blocked, and the
    standing duties reported or not this period (columns D-J of the annex rows, which follow the
    total on row 4): each bar is the annex's measures."""
    first, last = HEADER_ROW + 1, HEADER_ROW + annexes  # 0-based rows of the annexes
    name = quote_sheetname(sheet.get_name())
    chart = book.add_chart({"type": "bar", "subtype": "stacked"})
    for column in range(3, 10):
        chart.add_series(
            {
                "name": f"={name}!{xl_range_abs(HEADER_ROW - 1, column, HEADER_ROW - 1, column)}",
                "categories": f"={name}!{xl_range_abs(first, 1, last, 1)}",
                "values": f"={name}!{xl_range_abs(first, column, last, column)}",
                "gap": 80,
                "overlap": 100,
            }
        )
    chart.set_title({"name": texts.RPT_SUMMARY_CHART})
    chart.set_x_axis({"name": texts.RPT_SUMMARY_CHART_Y})  # a bar chart's value axis is its x axis
    chart.set_size({"width": CHART_WIDTH_PX, "height": CHART_HEIGHT_PX + annexes * CHART_HEIGHT_PER_ANNEX_PX})
    sheet.insert_chart(HEADER_ROW - 1, width + 1, chart)


def _overdue_sheet(sheet: Worksheet, formats: Formats, report: Report) -> None:
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
    _table(sheet, formats, report, texts.RPT_OVERDUE_HEADERS, rows, percent_columns={12})


def _ledger_sheet(sheet: Worksheet, formats: Formats, report: Report) -> None:
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
            r.extension or None,
            r.review or None,
            texts.RPT_LIGHT_WORDS[r.light],
        ]
        for r in report.ledger
    ]
    lights = [r.light for r in report.ledger]
    _table(sheet, formats, report, texts.RPT_LEDGER_HEADERS, rows, percent_columns={10}, lights=lights)


def _ranking_sheet(sheet: Worksheet, formats: Formats, report: Report) -> None:
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
    headers = texts.RPT_RANKING_HEADERS
    _table(sheet, formats, report, headers, rows, percent_columns={7, 8, 9})
    note_row = HEADER_ROW + len(rows) + 1  # 0-based: one blank row under the table
    sheet.set_row(note_row, NOTE_HEIGHT)
    sheet.merge_range(note_row, 0, note_row, len(headers) - 1, texts.RPT_RANKING_NOTE, formats.wrap)


# --- shared layout ------------------------------------------------------------------------------


def _rate(rate: float | None) -> float | str:
    """A rate as a fraction to format as a percentage, or — when there is nothing to divide by."""
    return texts.RPT_NO_RATE if rate is None else rate


def _percent(value: int | None) -> float | None:
    return value / 100 if value is not None else None


def _table(
    sheet: Worksheet,
    formats: Formats,
    report: Report,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    percent_columns: AbstractSet[int] = frozenset(),
    lights: Sequence[Light] | None = None,
) -> None:
    """Title, as-of line, headers and rows, with filters, frozen panes, formats and print setup.

    ``percent_columns`` are 1-based columns holding fractions (0.6 shows as 60.0%); ``lights``,
    one per row, fill the last column green, yellow or red.
    """
    last = len(headers) - 1
    sheet.merge_range(0, 0, 0, last, texts.RPT_TITLE.format(plan=report.plan_title), formats.title)
    as_of = texts.RPT_AS_OF.format(day=report.today.isoformat(), scope=report.scope.label)
    sheet.merge_range(1, 0, 1, last, as_of, None)
    for column, header in enumerate(headers):
        sheet.write_string(HEADER_ROW - 1, column, header, formats.header)
    widths = _widths(headers, rows, percent_columns)
    column_formats = [
        formats.percent if column in percent_columns else formats.wrap if needed > WRAP_WIDTH else None
        for column, needed in enumerate(widths, start=1)
    ]
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    for row, values in enumerate(rows, start=HEADER_ROW):
        row_formats = column_formats
        if lights is not None:
            row_formats = [*column_formats[:last], formats.lights[lights[row - HEADER_ROW]]]
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                write_string(row, column, value, row_formats[column])
            elif isinstance(value, date):
                write_datetime(row, column, value, formats.date)
            else:
                write_number(row, column, value, row_formats[column])
    for column, needed in enumerate(widths):
        sheet.set_column(column, column, min(needed + 2, MAX_WIDTH))
    sheet.freeze_panes(HEADER_ROW, 0)
    sheet.autofilter(HEADER_ROW - 1, 0, HEADER_ROW - 1 + max(len(rows), 1), last)
    sheet.repeat_rows(HEADER_ROW - 1)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as it takes


def _widths(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], percent_columns: AbstractSet[int]
) -> list[int]:
    """Columns each column needs for its header and values (a date 11, a percentage 8)."""
    widths = [_text_width(header) for header in headers]
    for values in rows:
        for index, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, date):
                needed = 11
            elif index + 1 in percent_columns:
                needed = 8
            elif isinstance(value, str):
                needed = _text_width(value)
            else:
                needed = len(str(value)) + 1
            if needed > widths[index]:
                widths[index] = needed
    return widths


@lru_cache(maxsize=4096)
def _text_width(text: str) -> int:
    """Columns a text needs: a Chinese character is two wide, as Excel draws it. Cached: the
    台账 repeats a measure's text on every one of its units' rows."""
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if ord(char) > 0x2E7F else 1 for char in longest)
