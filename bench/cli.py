"""``python -m bench cli``: how long a CLI view takes to start, answer and exit.

``python -m bot overdue --date 2023-07-03 --json`` (the whole plan, an empty database) is timed
as a fresh process, in rounds paired with two baselines started the same way in the same round:
``python -c pass`` (the interpreter alone) and ``python -c 'import telegram'`` (what importing
python-telegram-bot alone costs). Rounds alternate the order, so drift on a busy machine falls
on every figure alike. The goal: the view within 1.5× ``import telegram``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_RATIO = 1.5


def _run(argv: list[str]) -> float:
    """Seconds from starting ``argv`` to its exit; a failing run is an error, not a figure."""
    began = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cli", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="paired rounds (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")

    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        db = str(Path(folder) / "absent.db")  # not created: a view never writes
        commands = {
            "overdue": [python, "-m", "bot", "overdue", "--date", "2023-07-03", "--json", "--db", db],
            "import_telegram": [python, "-c", "import telegram"],
            "python": [python, "-c", "pass"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for each in commands.values():
            _run(each)  # warm the file cache and the bytecode
        for round_ in range(args.rounds):
            names = list(commands) if round_ % 2 == 0 else list(reversed(commands))
            for name in names:
                samples[name].append(_run(commands[name]))
    figures: dict[str, Any] = {name: round(statistics.median(s) * 1000, 1) for name, s in samples.items()}
    figures = {f"{name}_ms": value for name, value in figures.items()}
    figures["rounds"] = args.rounds
    figures["ratio_to_import_telegram"] = round(figures["overdue_ms"] / figures["import_telegram_ms"], 2)
    figures["ratio_to_python"] = round(figures["overdue_ms"] / figures["python_ms"], 2)
    figures["goal_ratio"] = GOAL_RATIO
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"python -m bot overdue --date 2023-07-03 --json, median of {args.rounds} paired rounds")
        print(f"  overdue view              {figures['overdue_ms']:8.1f} ms")
        print(f"  python -c 'import telegram' {figures['import_telegram_ms']:6.1f} ms")
        print(f"  python -c pass            {figures['python_ms']:8.1f} ms")
        print(
            f"  overdue / import telegram = {figures['ratio_to_import_telegram']:.2f} (goal <= {GOAL_RATIO})"
        )
        print(f"  overdue / python          = {figures['ratio_to_python']:.2f}")
    return 0 if figures["ratio_to_import_telegram"] <= GOAL_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
