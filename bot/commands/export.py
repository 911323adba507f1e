"""``python -m bot export``: the supervision office's 督办台账 workbook, or the 通报 as a Word file.

Example::

    python -m bot export --date 2023-07-03 -o 督办台账-2023-07-03.xlsx
    python -m bot export --date 2023-07-03 --leader 倪德才 -o 倪德才.xlsx
    python -m bot export --date 2023-10-09 --format docx -o 通报-2023-10.docx

Read as of ``--date`` like the views (reports dated later are not seen), for the scope that
``--unit`` / ``--leader`` / ``--annex`` give (everything when none is given). The sheets and their
columns are described in the README (督办台账). XlsxWriter and python-docx are imported only here,
when the command runs, so the other commands do not pay for them.

Exit codes: 0 written; 2 bad input (unknown scope, unreadable plan, units or db, a file that
cannot be written).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot import queries, reports
from bot.clock import SystemClock
from bot.commands.common import (
    CommandError,
    add_date_option,
    add_db_option,
    add_plan_option,
    load_plan_and_directory,
    open_store_for_reading,
)
from bot.commands.views import _add_scope_options, _scope
from schedules.calendar import WorkCalendar

FORMATS = ("xlsx", "docx")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the 督办台账 workbook (.xlsx) or the 通报 (.docx) as of a day",
        description="Write the supervision office's workbook: sheets 汇总, 逾期, 台账 and 通报 "
        "(or, with --format docx, the 通报 as an editable Word document).",
        epilog="example: python -m bot export --date 2023-07-03 -o 督办台账-2023-07-03.xlsx\n"
        "exit status: 0 written; 2 bad input (unknown scope; unreadable plan, units or db; unwritable file)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_date_option(parser)
    add_db_option(parser)
    add_plan_option(parser)
    _add_scope_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the file to write (default: 督办台账-DATE.xlsx or .docx in the current folder)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, help="xlsx or docx (default: from the -o suffix, else xlsx)"
    )
    parser.set_defaults(func=_export)


def export_format(output: Path | None, asked: str | None) -> str:
    if asked is not None:
        return asked
    if output is not None and output.suffix.lower() == ".docx":
        return "docx"
    return "xlsx"


def _export(args: argparse.Namespace) -> int:
    day = args.date or SystemClock().now().date()
    kind = export_format(args.output, args.format)
    output: Path = args.output or Path(reports.export_filename(day, kind))
    plan, directory = load_plan_and_directory(args.plan, args.units)
    calendar = WorkCalendar()
    with open_store_for_reading(args.db) as store:
        scope = _scope(args, queries.Snapshot.take(plan, directory, store, day))
        report = reports.report_for(plan, directory, store, scope, day, calendar)
    try:
        if kind == "docx":
            from bot.worddoc import write_document

            write_document(report, output)
        else:
            from bot.workbook import write_workbook

            write_workbook(report, output)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    print(
        f"{output}: {len(report.overdue_rows)} overdue rows, {len(report.ledger)} ledger rows, "
        f"{len(report.ranking)} units ranked, as of {day.isoformat()}"
    )
    return 0
