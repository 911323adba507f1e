"""``python -m bench NAME [options]`` runs ``bench/<NAME>.py``; ``python -m bench all`` runs each in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Main = Callable[[list[str]], int]


def available() -> list[str]:
    """Benchmark names: every module in this package except private ones and this entry point."""
    folder = str(Path(__file__).resolve().parent)
    return sorted(
        module.name
        for module in pkgutil.iter_modules([folder])
        if not module.name.startswith("_") and not module.ispkg
    )


def load(name: str) -> Main:
    runner: Main = importlib.import_module(f"bench.{name}").main
    return runner


def usage() -> str:
    names = ", ".join(available())
    return (
        "usage: python -m bench NAME [options]   (NAME: all, " + names + ")\n"
        "       python -m bench NAME --help      options of one benchmark"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(usage(), file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name == "all":
        if rest:
            print("python -m bench all takes no options; run one benchmark to pass options", file=sys.stderr)
            return 2
        worst = 0
        for each in available():
            print(f"== bench {each} ==", flush=True)
            worst = max(worst, load(each)([]))
            print(flush=True)
        return worst
    if name not in available():
        print(f"no benchmark named {name!r}\n{usage()}", file=sys.stderr)
        return 2
    return load(name)(rest)


if __name__ == "__main__":
    raise SystemExit(main())
