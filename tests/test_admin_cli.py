"""Admins kept in the database: granted on the command line, honoured by the bot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox.botapi import BotApiServer
from bot.store import Store
from tests.bot_harness import running_bot

DEPUTY = 4242


async def test_a_user_granted_on_the_command_line_can_bind_chats(
    fake_api: BotApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    Store.open(db).close()
    group = fake_api.group(-100, "区水务局工作群")
    deputy = fake_api.user(DEPUTY, "副主任")

    async with running_bot(fake_api, db, date(2023, 7, 3)) as bot:
        refused = await bot.says(group, deputy, "/bind 区水务局")
    assert "管理员" in refused[-1]["text"]
    assert bot.services.store.binding(group.id) is None

    assert main(["admin", "grant", str(DEPUTY), "--db", str(db)]) == 0
    assert main(["admin", "list", "--db", str(db)]) == 0
    assert f"granted in the database: {DEPUTY}" in capsys.readouterr().out

    async with running_bot(fake_api, db, date(2023, 7, 3)) as bot:
        await bot.says(group, deputy, "/bind 区水务局")
        binding = bot.services.store.binding(group.id)
    assert binding is not None and binding.units == ["区水务局"]

    assert main(["admin", "revoke", str(DEPUTY), "--db", str(db)]) == 0
    assert main(["admin", "revoke", str(DEPUTY), "--db", str(db)]) == 0
    assert "was not an admin" in capsys.readouterr().out
    async with running_bot(fake_api, db, date(2023, 7, 3)) as bot:
        refused = await bot.says(group, deputy, "/unbind")
        assert bot.services.store.binding(group.id) is not None
    assert "管理员" in refused[-1]["text"]


def test_granting_while_the_bot_holds_the_database_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    with Store.open(db):
        assert main(["admin", "grant", str(DEPUTY), "--db", str(db)]) == 2
    error = capsys.readouterr().err
    assert "in use" in error and "stop the bot" in error
    with Store.open(db) as store:
        assert not store.has_role(DEPUTY)


def test_a_user_id_must_be_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["admin", "grant", "alice"])
    assert exited.value.code == 2
    assert "positive number" in capsys.readouterr().err
