"""deploy/: the systemd unit, the Dockerfile and the compose file run the real entry point, with
the state where the service may write it. (Neither systemd nor Docker runs in the tests: the unit
is checked with ``systemd-analyze verify`` and the Dockerfile with hadolint by hand, see README.)
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import PurePosixPath

from bot.cli import build_parser
from bot.commands.run import run_command
from bot.paths import ROOT

DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "plan-tracker-bot.service"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"


def unit_service() -> dict[str, list[str]]:
    """The [Service] section; a key given several times (Environment=) keeps every value."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in lines]


def runs_the_live_bot(argv: list[str]) -> None:
    """``argv`` after ``-m bot`` is what the real CLI reads as ``run --live``."""
    args = build_parser(argv).parse_args(argv)
    assert args.func is run_command and args.live, argv


def inside(path: str, folders: list[str]) -> bool:
    return any(PurePosixPath(path).is_relative_to(folder) for folder in folders)


def test_the_unit_runs_the_live_bot_as_its_own_user_with_hardening() -> None:
    service = unit_service()
    [command] = service["ExecStart"]
    python, dash_m, module, *argv = shlex.split(command)
    [workdir] = service["WorkingDirectory"]
    assert python == f"{workdir}/.venv/bin/python" and (dash_m, module) == ("-m", "bot")
    assert (ROOT / "bot" / "__main__.py").is_file()
    runs_the_live_bot(argv)
    assert service["Restart"] == ["on-failure"] and service["RestartPreventExitStatus"] == ["2"]
    assert service["EnvironmentFile"] and service["User"] not in (["root"], [])
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    environment = dict(item.split("=", 1) for value in service["Environment"] for item in shlex.split(value))
    writable = [path for value in service["ReadWritePaths"] for path in value.split()]
    assert inside(str(PurePosixPath(environment["BOT_DB_PATH"]).parent), writable)
    assert inside(environment["BOT_BACKUP_DIR"], writable)


def test_the_image_installs_from_the_lock_and_runs_the_live_bot_as_non_root() -> None:
    steps = dockerfile()
    base = next(arguments for instruction, arguments in steps if instruction == "FROM")
    version = re.fullmatch(r"python:3\.(\d+)-slim\S*", base)
    assert version is not None and int(version.group(1)) >= 11, base
    installs = [
        arguments for instruction, arguments in steps if instruction == "RUN" and "pip install" in arguments
    ]
    assert any("--require-hashes" in run and "-r requirements.lock" in run for run in installs)
    copied = [shlex.split(arguments)[:-1] for instruction, arguments in steps if instruction == "COPY"]
    for sources in copied:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the project"
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    top_level = {pattern.rstrip("*") for pattern in packages["include"]}
    assert top_level <= {source for sources in copied for source in sources}, "copy every package"
    assert {"data/plan.json", "data/units.json"} <= {source for sources in copied for source in sources}
    [user] = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    environment = dict(
        item.split("=", 1)
        for instruction, arguments in steps
        if instruction == "ENV"
        for item in shlex.split(arguments)
    )
    [volume] = [json.loads(arguments) for instruction, arguments in steps if instruction == "VOLUME"]
    assert inside(str(PurePosixPath(environment["BOT_DB_PATH"]).parent), volume)
    assert inside(environment["BOT_BACKUP_DIR"], volume)
    [cmd] = [json.loads(arguments) for instruction, arguments in steps if instruction == "CMD"]
    assert cmd[:3] == ["python", "-m", "bot"]
    runs_the_live_bot(cmd[3:])


def test_compose_builds_that_image_and_keeps_the_state_in_a_volume() -> None:
    compose = COMPOSE.read_text(encoding="utf-8")
    assert "dockerfile: deploy/Dockerfile" in compose and "context: .." in compose
    [volume] = [json.loads(arguments) for instruction, arguments in dockerfile() if instruction == "VOLUME"]
    assert re.search(rf"- \w+:{re.escape(volume[0])}\n", compose)
