"""The 通报 as an editable Word document (.docx), written from a ``bot.reports.Report`` with
python-docx: title, date, summary paragraphs, the ranking table and the overdue table. The office
edits it and issues it. Imported only by ``export --format docx``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from bot import texts
from bot.reports import Report, percent_text, summary_paragraphs

BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def write_document(report: Report, target: Path) -> None:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(12)
    # Word takes East Asian text's font from w:eastAsia, which python-docx does not set.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), BODY_FONT)

    title = document.add_heading(texts.RPT_DOC_TITLE.format(plan=report.plan_title), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    dated = document.add_paragraph(texts.RPT_DOC_DATE.format(day=report.today.isoformat()))
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in summary_paragraphs(report):
        document.add_paragraph(text)

    document.add_heading(texts.RPT_DOC_RANKING_HEADING, level=1)
    _table(
        document,
        texts.RPT_RANKING_HEADERS,
        [
            [
                str(s.place) if s.place is not None else texts.RPT_NO_RATE,
                s.unit,
                str(s.due),
                str(s.completed),
                str(s.on_time),
                str(s.overdue),
                percent_text(s.completion_rate),
                percent_text(s.on_time_rate),
                percent_text(s.reporting_rate),
            ]
            for s in report.ranking
        ],
    )
    document.add_paragraph(texts.RPT_RANKING_NOTE)

    document.add_heading(texts.RPT_DOC_OVERDUE_HEADING, level=1)
    _table(
        document,
        texts.RPT_DOC_OVERDUE_HEADERS,
        [
            [
                r.measure,
                r.task,
                r.item_kind,
                r.due.isoformat() if r.due else "",
                str(r.days_overdue),
                r.unit,
                r.role,
                r.status,
            ]
            for r in report.overdue_rows
        ],
    )
    document.save(str(target))


def _table(document: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
