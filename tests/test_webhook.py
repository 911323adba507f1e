"""``python -m bot run`` in webhook mode: the real bot, as a subprocess, serves its webhook behind the local
Bot API stand-in, which plays both Telegram and the TLS-terminating reverse proxy in front of the bot.

WEBHOOK_URL is the public HTTPS address (the configuration insists on https://, as Telegram does);
``route_webhook`` maps it to the port the bot listens on, 127.0.0.1:WEBHOOK_PORT.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.sandbox.botapi import SECRET_TOKEN_HEADER, BotApiServer, FakeChat, FakeUser
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_URL = "https://bot.example.test"
WEBHOOK_PATH = "telegram"
SECRET = "webhook-secret_2023"
ADMIN_ID = 77
STARTUP_SECONDS = 30.0
"""Generous: a loaded 2-core CI box may take a while to import the bot; a healthy run takes about a second."""

Process = asyncio.subprocess.Process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def webhook_env(fake_api: BotApiServer, tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_BASE_URL": f"http://{fake_api.host}:{fake_api.port}",
        "BOT_WEBHOOK_URL": PUBLIC_URL,
        "BOT_WEBHOOK_LISTEN": "127.0.0.1",
        "BOT_WEBHOOK_PORT": str(port),
        "BOT_WEBHOOK_PATH": WEBHOOK_PATH,
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_DB_PATH": str(tmp_path / "state" / "bot.db"),
        "BOT_ADMIN_IDS": str(ADMIN_ID),
        "BOT_TODAY": "2023-06-27",
    }


async def start_bot(env: dict[str, str]) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_bot(process: Process) -> str:
    """SIGTERM, as a service manager stops the bot; returns what it logged."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=STARTUP_SECONDS)
    return stderr.decode()


async def until(fake_api: BotApiServer, process: Process, condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (re-checked whenever the stand-in's state changes), failing at once if the
    bot exits instead."""
    waiting = asyncio.ensure_future(fake_api.wait_until(condition, timeout=STARTUP_SECONDS))
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
    if waiting.done():
        exited.cancel()
        waiting.result()
        return
    waiting.cancel()
    stderr = await process.stderr.read() if process.stderr is not None else b""
    raise AssertionError(f"the bot exited with {process.returncode} before {what}:\n{stderr.decode()}")


def webhook_is_set(fake_api: BotApiServer) -> Callable[[], bool]:
    return lambda: fake_api.webhook_info()["url"] != ""


def forged_bind(group: FakeChat, admin: FakeUser) -> dict[str, object]:
    """An update as Telegram would send it: an admin binding the group to another unit."""
    return {
        "update_id": 10**6,
        "message": {
            "message_id": 10**5,
            "date": 1_687_833_600,
            "from": admin.to_api(),
            "chat": group.to_api(),
            "text": "/bind 区生态环境局",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_mode_answers_through_the_stand_in_and_refuses_forged_calls(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    port = free_port()
    fake_api.route_webhook(PUBLIC_URL, f"http://127.0.0.1:{port}")
    admin = fake_api.user(ADMIN_ID, "管理员")
    group = fake_api.group(-900, "区水务局工作群")
    process = await start_bot(webhook_env(fake_api, tmp_path, port))
    try:
        await until(fake_api, process, webhook_is_set(fake_api), "setting its webhook")
        info = fake_api.webhook_info()
        assert info["url"] == f"{PUBLIC_URL}/{WEBHOOK_PATH}"
        assert fake_api.calls["getUpdates"] == 0

        bind = await fake_api.user_sends(group, admin, "/bind 区水务局")
        await until(fake_api, process, lambda: len(fake_api.bot_messages(group)) >= 1, "answering /bind")
        [bound] = fake_api.replies_to(group, bind["message_id"])
        assert "已绑定：区水务局" in bound["text"]
        assert fake_api.deliveries[-1].error is None

        hook = f"http://127.0.0.1:{port}/{WEBHOOK_PATH}"
        async with httpx.AsyncClient() as client:
            unsigned = await client.post(hook, json=forged_bind(group, admin))
            wrong = await client.post(
                hook, json=forged_bind(group, admin), headers={SECRET_TOKEN_HEADER: "guess"}
            )
        assert (unsigned.status_code, wrong.status_code) == (403, 403)

        # The bot handles updates one at a time, in order: once /help is answered, a forged update that
        # got through would have been handled (and answered) before it.
        asked = await fake_api.user_sends(group, admin, "/help")
        await until(fake_api, process, lambda: len(fake_api.bot_messages(group)) >= 2, "answering /help")
        assert [message["text"] for message in fake_api.bot_messages(group)][:1] == [bound["text"]]
        [help_text] = fake_api.replies_to(group, asked["message_id"])
        assert "区水务局" in help_text["text"]
        assert "区生态环境局" not in help_text["text"]
        assert len(fake_api.bot_messages(group)) == 2
    finally:
        stderr = await stop_bot(process)
    assert process.returncode == 0, stderr
    assert fake_api.token not in stderr
    assert SECRET not in stderr
    store = Store.open(tmp_path / "state" / "bot.db")
    try:
        binding = store.binding(group.id)
        assert binding is not None and binding.units == ["区水务局"]
    finally:
        store.close()


async def test_messages_sent_while_the_bot_is_down_are_answered_after_a_restart(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    port = free_port()
    fake_api.route_webhook(PUBLIC_URL, f"http://127.0.0.1:{port}")
    env = webhook_env(fake_api, tmp_path, port)
    contact = fake_api.user(501, "王联络员")
    chat = fake_api.private(contact)

    process = await start_bot(env)
    try:
        await fake_api.user_sends(chat, contact, "/start")
        await until(fake_api, process, lambda: len(fake_api.bot_messages(chat)) >= 1, "answering /start")
    finally:
        stderr = await stop_bot(process)
    assert process.returncode == 0, stderr

    # The bot is down and its webhook stays registered: Telegram keeps what arrives meanwhile.
    await fake_api.user_sends(chat, contact, "/help")
    await fake_api.wait_until(
        lambda: fake_api.webhook_info().get("last_error_message") == "Connection refused"
    )
    assert fake_api.webhook_info()["pending_update_count"] == 1
    assert len(fake_api.bot_messages(chat)) == 1

    process = await start_bot(env)
    try:
        await until(
            fake_api, process, lambda: len(fake_api.bot_messages(chat)) >= 2, "answering after a restart"
        )
        await fake_api.idle(timeout=STARTUP_SECONDS)
        assert "本聊天尚未绑定单位" in fake_api.bot_messages(chat)[1]["text"]
        assert len(fake_api.bot_messages(chat)) == 2
        assert fake_api.webhook_info()["pending_update_count"] == 0
    finally:
        stderr = await stop_bot(process)
    assert process.returncode == 0, stderr


# The two tests below pin defects outside this file's owner (bot/commands/run.py, bot/config.py); the
# webhook report gives the exact changes. strict=True: once fixed they pass, and the marker must go.


async def test_a_webhook_telegram_refuses_stops_the_bot_with_a_clear_error(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    # No route_webhook: like Telegram for an address it cannot reach, the stand-in refuses the URL.
    process = await start_bot(webhook_env(fake_api, tmp_path, free_port()))
    _, raw = await asyncio.wait_for(process.communicate(), timeout=STARTUP_SECONDS)
    stderr = raw.decode()
    assert process.returncode == 1
    # PTB logs its own traceback first; what the operator reads last is one clear line, not a crash.
    last_line = stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: ") and "bad webhook" in last_line.lower(), stderr
    assert fake_api.token not in stderr


async def test_a_webhook_path_written_with_slashes_still_gets_updates(
    fake_api: BotApiServer, tmp_path: Path
) -> None:
    port = free_port()
    fake_api.route_webhook(PUBLIC_URL, f"http://127.0.0.1:{port}")
    contact = fake_api.user(501, "王联络员")
    chat = fake_api.private(contact)
    process = await start_bot({**webhook_env(fake_api, tmp_path, port), "BOT_WEBHOOK_PATH": "/telegram/"})
    try:
        await until(fake_api, process, webhook_is_set(fake_api), "setting its webhook")
        await fake_api.user_sends(chat, contact, "/help")

        def answered_or_refused() -> bool:
            error = fake_api.webhook_info().get("last_error_message") or ""
            return bool(fake_api.bot_messages(chat)) or error.startswith("Wrong response")

        await until(fake_api, process, answered_or_refused, "answering /help")
        assert fake_api.bot_messages(chat), fake_api.webhook_info()
    finally:
        stderr = await stop_bot(process)
    assert process.returncode == 0, stderr
