"""The pure core stays pure: no Telegram, no wall clock, no sleeping.

The core is what tests can drive with a fake clock and no chat; this test keeps it that way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The edges: the wiring, the CLI shell, the sandbox and the PTB job glue may touch Telegram.
EDGES = {"bot/app.py", "bot/commands", "bot/sandbox", "schedules/jobs.py"}
CLOCK = "bot/clock.py"
WALL_CLOCK_SUFFIXES = ("datetime.now", "date.today", "datetime.today", "datetime.utcnow")
SLEEPS_AND_TIMERS = {"time.time", "time.sleep", "asyncio.sleep", "time.monotonic"}


def core_files() -> list[Path]:
    found = []
    for package in ("bot", "schedules"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not any(rel == edge or rel.startswith(edge + "/") for edge in EDGES):
                found.append(path)
    return found


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def wall_clock_calls(tree: ast.AST) -> list[str]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target.endswith(WALL_CLOCK_SUFFIXES) or target in SLEEPS_AND_TIMERS:
                calls.append(f"line {node.lineno}: {target}()")
    return calls


def test_the_core_is_found() -> None:
    rels = {p.relative_to(ROOT).as_posix() for p in core_files()}
    assert {"bot/models.py", "bot/store.py", "bot/assignments.py"} <= rels


@pytest.mark.parametrize("path", core_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_module_imports_no_telegram(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    telegram = sorted(m for m in imported_modules(tree) if m == "telegram" or m.startswith("telegram."))
    assert telegram == [], f"{path.name} imports {telegram}: keep Telegram in handlers/ and bot/app.py"


@pytest.mark.parametrize("path", core_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_module_reads_no_wall_clock(path: Path) -> None:
    if path.relative_to(ROOT).as_posix() == CLOCK:
        pytest.skip("the clock module is where the wall clock is read")
    calls = wall_clock_calls(ast.parse(path.read_text(encoding="utf-8")))
    assert calls == [], f"{path.name} reads the clock or sleeps: {calls}; take a Clock or a date instead"
