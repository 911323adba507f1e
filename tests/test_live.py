"""``python -m bot run --live``, as a service manager runs it: the real bot in a subprocess.

Telegram is the local Bot API stand-in; here it comes up late, or rejects the token, or is
reached through a local HTTP proxy (the district's proxy; an edge fake like the stand-in).
Every run has TZ=UTC in its environment, as servers and containers often do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.commands.run import NO_ADMIN_WARNING, STARTUP_MAX_DELAY, startup_delays
from bot.sandbox.botapi import DEFAULT_TOKEN, BotApiServer
from tests.test_webhook import ROOT, STARTUP_SECONDS, Process, free_port, stop_bot

UNREACHABLE = "cannot reach Telegram"


def live_env(api_url: str, db: Path, **extra: str) -> dict[str, str]:
    """The environment of a service: no .env values leak in, TZ is the server's UTC."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BOT_", "TELEGRAM_")) and not name.endswith(("_PROXY", "_proxy"))
    }
    return {
        **inherited,
        "TZ": "UTC",
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE_URL": api_url,
        "BOT_DB_PATH": str(db),
        "BOT_TODAY": "2023-06-27",
        **extra,
    }


async def start_live(env: dict[str, str]) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--live",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def logged_lines(process: Process, wanted: str, count: int) -> list[str]:
    """The bot's log lines up to the ``count``-th that contains ``wanted``."""
    assert process.stderr is not None
    lines: list[str] = []
    while sum(wanted in line for line in lines) < count:
        line = await asyncio.wait_for(process.stderr.readline(), timeout=STARTUP_SECONDS)
        assert line, f"the bot exited ({await process.wait()}) before logging {wanted!r}:\n" + "".join(lines)
        lines.append(line.decode())
    return lines


def test_start_up_waits_longer_each_time_up_to_a_minute() -> None:
    delays = [delay for _, delay in zip(range(12), startup_delays(), strict=False)]
    assert delays[:3] == [1.0, 2.0, 4.0]
    assert max(delays) == STARTUP_MAX_DELAY == delays[-1] == delays[-2]
    assert delays == sorted(delays)


def test_live_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    import subprocess

    env = live_env("http://127.0.0.1:9", tmp_path / "bot.db", TELEGRAM_BOT_TOKEN="")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--live"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is not set (run --live never starts the sandbox)"
    ]
    assert "沙盒" not in done.stdout and not (tmp_path / "bot.db").exists()


async def test_the_bot_waits_for_telegram_and_answers_once_it_is_up(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet: Telegram is unreachable
    process = await start_live(live_env(f"http://127.0.0.1:{port}", tmp_path / "bot.db"))
    try:
        logged = await logged_lines(process, UNREACHABLE, count=2)
        async with BotApiServer(port=port) as api:
            newcomer = api.user(4242, "新同事")
            chat = api.private(newcomer)
            await api.user_sends(chat, newcomer, "/whoami")
            [answer] = await api.wait_bot_message(chat, timeout=STARTUP_SECONDS)
            assert "您的用户 ID：4242" in answer["text"]
            log = "".join(logged) + await stop_bot(process)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, log
    assert "Traceback" not in log and DEFAULT_TOKEN not in log
    attempts = [line for line in log.splitlines() if UNREACHABLE in line]
    assert len(attempts) >= 2
    assert "attempt 1:" in attempts[0] and "trying again in 1 s" in attempts[0]
    assert "attempt 2:" in attempts[1] and "trying again in 2 s" in attempts[1]
    # No admin configured: said once, with the way to find one's id.
    assert log.count(NO_ADMIN_WARNING) == 1 and "/whoami" in NO_ADMIN_WARNING


async def test_a_rejected_token_is_fatal_in_one_line(fake_api: BotApiServer, tmp_path: Path) -> None:
    wrong = "987654321:not-the-token-botfather-gave"
    env = live_env(
        f"http://{fake_api.host}:{fake_api.port}",
        tmp_path / "bot.db",
        TELEGRAM_BOT_TOKEN=wrong,
        BOT_ADMIN_IDS="77",
    )
    process = await start_live(env)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=STARTUP_SECONDS)
    log = stderr.decode()
    assert process.returncode == 2, log
    assert log.strip().splitlines()[-1] == (
        "error: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token from @BotFather again"
    )
    assert "Traceback" not in log and wrong not in log and UNREACHABLE not in log


class ForwardProxy:
    """A plain HTTP forward proxy on 127.0.0.1, one request per connection; it notes each path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> ForwardProxy:
        self.server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        # A connection the bot opened but never used is still waiting for a request line.
        for connection in self.connections:
            connection.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        await self.server.wait_closed()

    async def _forward(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self.connections.add(connection)
        origin_out: asyncio.StreamWriter | None = None
        try:
            request_line = (await client_in.readline()).decode().split()
            if len(request_line) != 3:
                return  # the client went away
            method, target, _ = request_line
            headers = []
            length = 0
            while (line := await client_in.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                if name.lower() not in ("connection", "proxy-connection", "keep-alive"):
                    headers.append(line)
            body = await client_in.readexactly(length)
            url = urlsplit(target)  # a proxy is sent the absolute URL
            self.paths.append(url.path)
            origin_in, origin_out = await asyncio.open_connection(url.hostname, url.port)
            path = url.path + (f"?{url.query}" if url.query else "")
            origin_out.write(f"{method} {path} HTTP/1.1\r\n".encode() + b"".join(headers))
            origin_out.write(b"Connection: close\r\n\r\n" + body)
            client_out.write(await origin_in.read())
            await client_out.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (origin_out, client_out):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(ConnectionError):
                        await writer.wait_closed()
            self.connections.discard(connection)


async def test_telegram_through_a_proxy(fake_api: BotApiServer, tmp_path: Path) -> None:
    async with ForwardProxy() as proxy:
        env = live_env(
            f"http://{fake_api.host}:{fake_api.port}",
            tmp_path / "bot.db",
            BOT_PROXY_URL=proxy.url,
            BOT_ADMIN_IDS="77",
        )
        process = await start_live(env)
        try:
            user = fake_api.user(77, "管理员")
            chat = fake_api.private(user)
            await fake_api.user_sends(chat, user, "/whoami")
            [answer] = await fake_api.wait_bot_message(chat, timeout=STARTUP_SECONDS)
            log = await stop_bot(process)
        finally:
            if process.returncode is None:
                process.kill()
    assert "您是管理员" in answer["text"]
    assert process.returncode == 0, log
    called = {path.rsplit("/", 1)[-1] for path in proxy.paths}
    assert {"getMe", "getUpdates", "sendMessage"} <= called
    assert NO_ADMIN_WARNING not in log


async def test_a_stop_while_waiting_for_telegram_is_clean(tmp_path: Path) -> None:
    process = await start_live(live_env(f"http://127.0.0.1:{free_port()}", tmp_path / "bot.db"))
    try:
        logged = await logged_lines(process, UNREACHABLE, count=1)
        log = "".join(logged) + await stop_bot(process)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, log
    assert "Traceback" not in log
