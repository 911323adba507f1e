"""Shared pytest fixtures. Each section belongs to one feature; keep sections separate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.botapi import BotApiServer
from bot.store import Store
from tests.leader_views_data import write_small_files

# --- section: fake Bot API (bot/sandbox/botapi.py) ---


@pytest.fixture
async def fake_api() -> AsyncIterator[BotApiServer]:
    """A started local Bot API stand-in on 127.0.0.1; stopped after the test."""
    async with BotApiServer() as server:
        yield server


# --- end section: fake Bot API ---


# --- section: store (bot/store.py) ---


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh Store: once in memory, once on a real journal file (``tmp_path / "bot.db"``)."""
    opened = Store.open(None if request.param == "memory" else tmp_path / "bot.db")
    yield opened
    opened.close()


# --- end section: store ---


# --- section: leader-view CLI files (tests/leader_views_data.py) ---


@pytest.fixture
def small_files(tmp_path: Path) -> dict[str, Path]:
    """The small test plan, its directory and a database with a few reports, as files in ``tmp_path``."""
    return write_small_files(tmp_path)


# --- end section: leader-view CLI files ---
