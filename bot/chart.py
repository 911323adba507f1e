"""A PNG for phones: completion per annex and the units lagging in the ranking, drawn with
matplotlib from a ``bot.reports.Report``.

Chinese text is set in Noto Sans CJK SC from the ``manimgx-fonts-cjk`` package, which the
project's own install brings (pyproject), never in whatever fonts the machine happens to have.
The font is a variable font that matplotlib can only draw at its default, thinnest weight, so
text gets a thin outline of its own colour to read at phone size. Imported only when a chart is
drawn (``/chart``, the monthly 通报): matplotlib takes a while to load.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import manimgx_fonts_cjk
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot import texts
from bot.reports import Report

FONT_FILE = Path(manimgx_fonts_cjk.__file__).resolve().parent / "NotoSansCJK-VF.otf.ttc"
FONT_FAMILY = "Noto Sans CJK SC"
FONT_WEIGHT = 100
"""The variable font's default instance, the only weight matplotlib draws from it."""
LAGGING_UNITS = 8
DPI = 150
BAR_COLOUR = "#4472C4"
LAGGING_COLOUR = "#C0504D"
_TEXT_OUTLINE = [patheffects.Stroke(linewidth=0.6), patheffects.Normal()]

_registered = False
_PLAN_WORDS = re.compile(r"^通州区|[0-9]{4}年行动计划$")


def _font() -> font_manager.FontProperties:
    """The CJK font, registered with matplotlib on first use (every face of the collection)."""
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(FONT_FILE))
        _registered = True
    return font_manager.FontProperties(family=FONT_FAMILY, weight=FONT_WEIGHT)


def chart_png(report: Report) -> bytes:
    """The chart as PNG bytes: completion rate per annex above, the lagging units below."""
    font = _font()
    annexes = report.summary.annexes
    lagging = [s for s in reversed(report.ranked) if s.completion_rate is not None][:LAGGING_UNITS]
    figure = Figure(figsize=(7, 8), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=[max(len(annexes), 1), max(len(lagging), 3)])

    labels = [texts.LV_ANNEX.format(no=no) for no in range(1, len(annexes) + 1)]
    labels = [_annex_label(row.label, fallback) for row, fallback in zip(annexes, labels, strict=True)]
    rates = [row.complete / row.total * 100 if row.total else 0.0 for row in annexes]
    top.barh(labels, rates, color=BAR_COLOUR)
    top.invert_yaxis()
    top.set_xlim(0, 100)
    top.set_xlabel(texts.RPT_CHART_RATE, fontproperties=font)
    top.set_title(texts.RPT_CHART_TITLE.format(day=report.today.isoformat()), fontproperties=font)
    for y, rate in enumerate(rates):
        top.text(min(rate + 1, 90), y, f"{rate:.0f}%", va="center", fontproperties=font)

    bottom.set_title(texts.RPT_CHART_LAGGING, fontproperties=font)
    if lagging:
        names = [s.unit for s in lagging]
        values = [(s.completion_rate or 0.0) * 100 for s in lagging]
        bottom.barh(names, values, color=LAGGING_COLOUR)
        bottom.invert_yaxis()
        bottom.set_xlim(0, 100)
        bottom.set_xlabel(texts.RPT_CHART_RATE, fontproperties=font)
        for y, score in enumerate(lagging):
            bottom.text(
                min(values[y] + 1, 90),
                y,
                texts.RPT_CHART_BAR.format(rate=values[y], overdue=score.overdue),
                va="center",
                fontproperties=font,
            )
    else:
        bottom.text(0.5, 0.5, texts.RPT_CHART_NONE, ha="center", va="center", fontproperties=font)
        bottom.set_axis_off()
    for axes in (top, bottom):
        for label in (*axes.get_yticklabels(), *axes.get_xticklabels()):
            label.set_fontproperties(font)
        for text in (*axes.texts, axes.title, axes.xaxis.label, *axes.get_yticklabels()):
            text.set_path_effects(_TEXT_OUTLINE)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _annex_label(title: str, fallback: str) -> str:
    """附件N and the short name of its plan (大气污染防治), or just 附件N."""
    head, _, rest = title.partition(" ")
    short = _PLAN_WORDS.sub("", rest)
    return f"{head} {short}" if short else fallback
