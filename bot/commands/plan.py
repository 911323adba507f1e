"""``python -m bot plan import|check``: turn the plan document into data/plan.json and check it.

Examples::

    python -m bot plan import data/source/tongzhou-2023-action-plan.txt -o data/plan.json
    python -m bot plan check
    python -m bot plan check --plan data/plan.json --units data/units.json

``import`` is deterministic: the same source (and directory) gives a byte-identical file. It
stops with a message naming the annex, row and line at anything it cannot interpret, and then
leaves the output file untouched. ``check`` prints per-annex counts and every unit or leader the
directory cannot resolve; it exits 1 if there is any.

Exit status: 0 done; 1 ``check`` found names that do not resolve; 2 the input cannot be used
(a missing or unreadable source, plan or directory, or a document the importer cannot
interpret): ``error: …`` says what and where.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bot import paths
from bot.commands.common import (
    EXIT_PROBLEM_FOUND,
    CommandError,
    add_plan_option,
    load_directory,
    load_plan_and_directory,
)
from bot.plan_import import (
    KnownNames,
    PlanImportError,
    annex_counts,
    open_group_usage,
    parse_plan,
    unresolved_names,
    unstaffed_measures,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="import the plan document, check plan and directory",
        description="Turn the plan document into data/plan.json (import) and check the plan against "
        "the unit directory (check). Run 'python -m bot plan SUBCOMMAND --help' for each one's options.",
    )
    commands = parser.add_subparsers(dest="plan_command", metavar="SUBCOMMAND", required=True)

    importer = commands.add_parser(
        "import",
        help="import the plan document (text conversion of the .docx) into plan.json",
        description="Read SOURCE, the tab-structured text conversion of the action plan's .docx, and "
        "write the plan model as JSON. Names known to the directory (--units) may be used to split "
        "run-together leaders and units. Example: python -m bot plan import "
        "data/source/tongzhou-2023-action-plan.txt -o data/plan.json",
        epilog="exit status: 0 written; 2 the source or directory cannot be read, or the document has "
        "something the importer cannot interpret (the message names annex, row and line; the output "
        "is left untouched)",
    )
    importer.add_argument("source", type=Path, metavar="SOURCE", help="the plan document (.txt, UTF-8)")
    importer.add_argument(
        "-o", "--output", type=Path, default=paths.PLAN, help="where to write the plan (default: %(default)s)"
    )
    importer.add_argument(
        "--units",
        type=Path,
        default=paths.UNITS,
        help="unit directory whose names help split (default: %(default)s)",
    )
    importer.set_defaults(func=run_import)

    checker = commands.add_parser(
        "check",
        help="per-annex counts; every unit or leader that does not resolve (exit 1 if any)",
        description="Print per-annex counts (tasks, measures, deadline kinds, milestones, recurrences) "
        "and list every unit or leader of the plan that the directory does not resolve; exit 1 if "
        "there is any. Open groups that nobody has filled in yet are listed as a reminder.",
        epilog="exit status: 0 everything resolves; 1 names that do not resolve (listed); "
        "2 the plan or directory cannot be read",
    )
    add_plan_option(checker)
    checker.set_defaults(func=run_check)


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so a failed write never leaves half a plan behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _known_names(units: Path) -> KnownNames:
    """The directory's names, or none if the file does not exist yet (a first import)."""
    if not units.exists():
        print(f"note: no unit directory at {units}; using only names found in the document", file=sys.stderr)
        return KnownNames()
    directory = load_directory(units)
    return KnownNames(units=directory.known_names(), leaders=frozenset(directory.leaders))


def run_import(args: argparse.Namespace) -> int:
    try:
        source = args.source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"source {args.source} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.source} as UTF-8 text: {exc}") from None
    known = _known_names(args.units)
    try:
        plan = parse_plan(source, known)
    except PlanImportError as exc:
        raise CommandError(f"{args.source}: {exc}") from None
    if args.output.is_dir():
        raise CommandError(
            f"-o {args.output} is a folder; give the plan file, e.g. {args.output / 'plan.json'}"
        )
    try:
        _write_atomically(args.output, plan.to_json())
    except OSError as exc:
        raise CommandError(
            f"cannot write {args.output}: {exc.strerror or exc}; nothing was changed"
        ) from None
    print(f"wrote {args.output}: {len(plan.annexes)} annexes, {len(plan.measures)} measures")
    return 0


def run_check(args: argparse.Namespace) -> int:
    plan, directory = load_plan_and_directory(args.plan, args.units)
    print(f"{plan.title} ({plan.year}, issued {plan.issued.isoformat()}): {args.plan}")
    open_groups = sum(1 for group in directory.groups if group.open)
    print(
        f"directory {args.units}: {len(directory.units)} units, {len(directory.groups)} groups "
        f"({open_groups} open), {len(directory.leaders)} leaders"
    )
    print()
    header = ("annex", "tasks", "measures", "date", "window", "ongoing", "milestones", "recurrences")
    print("  ".join(f"{name:>{len(name)}}" for name in header) + "  title")
    counts = annex_counts(plan)
    totals = [0] * (len(header) - 1)
    for row in counts:
        values = [
            row.tasks,
            row.measures,
            row.deadline_kinds["date"],
            row.deadline_kinds["window"],
            row.deadline_kinds["ongoing"],
            row.milestones,
            row.recurrences,
        ]
        totals = [total + value for total, value in zip(totals, values, strict=True)]
        cells = [row.annex, *values]
        print(
            "  ".join(f"{value:>{len(name)}}" for value, name in zip(cells, header, strict=True))
            + f"  {row.title}"
        )
    print("  ".join(f"{value:>{len(name)}}" for value, name in zip(["all", *totals], header, strict=True)))
    print()

    usage = open_group_usage(plan, directory)
    if usage:
        print(f'open groups with no members yet (fill them in under "groups" in {args.units}):')
        for label, measures in usage.items():
            print(f"  {label}: {len(measures)} measures")
    unstaffed = unstaffed_measures(plan, directory)
    if unstaffed:
        listed = ", ".join(unstaffed)
        print(f"measures whose lead units stand for nobody until an open group is filled: {listed}")

    unresolved = unresolved_names(plan, directory)
    if not unresolved:
        print("every unit and leader resolves")
        return 0
    print(
        f"{len(unresolved)} names do not resolve (add them, or an alias, to {args.units}):", file=sys.stderr
    )
    for item in unresolved:
        suggestions = (
            directory.suggest(item.name) if item.kind == "unit" else directory.suggest_leader(item.name)
        )
        hint = f" — did you mean {' / '.join(suggestions)}?" if suggestions else ""
        where = ", ".join(item.measures[:5]) + (" …" if len(item.measures) > 5 else "")
        print(f"  {item.kind} {item.name!r} in {where}{hint}", file=sys.stderr)
    return EXIT_PROBLEM_FOUND
