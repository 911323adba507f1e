"""Every bot command is documented: in the command list, in /help, and in README.md; so are every
`python -m bot` command and every setting.

The command list is read from the application itself (every CommandHandler registered), so a
new command cannot slip in undocumented.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from bot import texts
from bot.app import build_application
from bot.cli import COMMANDS as CLI_COMMAND_NAMES
from bot.cli import main
from bot.clock import FakeClock
from bot.config import ENV_NAMES
from bot.sandbox.botapi import DEFAULT_TOKEN
from bot.sandbox.terminal import SANDBOX_COMMANDS, SANDBOX_HELP
from bot.services import Services
from bot.store import Binding, Store
from handlers.help import COMMANDS, help_text, registered_commands
from tests.bot_harness import bot_settings, shipped_plan

README = Path(__file__).resolve().parent.parent / "README.md"


def bot_commands() -> set[str]:
    plan, directory = shipped_plan()
    store = Store.open(None)
    try:
        services = Services(plan, directory, store, FakeClock.at(plan.issued))
        return registered_commands(build_application(bot_settings(DEFAULT_TOKEN), services, reminders=False))
    finally:
        store.close()


ALL_COMMANDS = sorted(bot_commands())


def test_the_command_list_is_what_the_bot_answers() -> None:
    assert set(ALL_COMMANDS) == set(COMMANDS)
    assert set(COMMANDS) == set(texts.BOT_COMMANDS), "every command needs a Chinese description"


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_command_is_in_help(command: str) -> None:
    everything = Binding(chat_id=-1, units=["区水务局"], leader="倪德才")
    assert re.search(rf"/{command}\b", help_text(everything, is_admin=True))


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_command_is_in_the_readme(command: str) -> None:
    assert README.exists(), "README.md is missing"
    assert re.search(rf"/{command}\b", README.read_text(encoding="utf-8")), (
        f"document /{command} in README.md"
    )


@pytest.mark.parametrize("command", SANDBOX_COMMANDS)
def test_sandbox_command_is_in_its_help_and_the_readme(command: str) -> None:
    assert re.search(rf":{command}\b", SANDBOX_HELP)
    assert README.exists(), "README.md is missing"
    assert re.search(rf":{command}\b", README.read_text(encoding="utf-8")), (
        f"document :{command} in README.md"
    )


def help_of(*argv: str) -> str:
    """What ``python -m bot ARGV --help`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*argv, "--help"])
    return out.getvalue()


def subcommands(*argv: str) -> list[str]:
    """The subcommands ``--help`` lists under its positional arguments (argparse has no public list)."""
    _, _, positional = help_of(*argv).partition("positional arguments:\n")
    names = []
    for line in positional.splitlines()[1:]:  # the first line is the metavar, COMMAND or ACTION
        if not line.strip():
            break
        if found := re.match(r"^    (\w+)", line):
            names.append(found.group(1))
    return names


CLI_COMMANDS = [(command, sub) for command in subcommands() for sub in (subcommands(command) or [""])]


def test_the_cli_commands_are_found() -> None:
    assert subcommands() == list(CLI_COMMAND_NAMES)
    assert ("db", "backup") in CLI_COMMANDS and ("plan", "import") in CLI_COMMANDS


@pytest.mark.parametrize(("command", "sub"), CLI_COMMANDS)
def test_cli_command_is_in_the_readme(command: str, sub: str) -> None:
    readme = README.read_text(encoding="utf-8")
    assert re.search(rf"python -m bot {command}\b[^\n]*{sub}", readme), (
        f"document `python -m bot {command} {sub}` in README.md"
    )


@pytest.mark.parametrize("variable", sorted(ENV_NAMES.values()))
def test_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README.read_text(encoding="utf-8"), f"document {variable} in README.md"
