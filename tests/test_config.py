"""Settings from .env and the environment; the token is never shown, in settings or in logs."""

from __future__ import annotations

import io
import logging
from datetime import date, time
from pathlib import Path

import pytest

from bot import paths
from bot.commands.run import TokenRedactor
from bot.config import ConfigError, load_settings

TOKEN = "123456:AAH-very-secret-token"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "ADMIN_IDS",
        "REMIND_AT",
        "TZ",
        "WEBHOOK_URL",
        "WEBHOOK_PATH",
        "BOT_TODAY",
        "DB_PATH",
    ):
        monkeypatch.delenv(name, raising=False)


def write_env(tmp_path: Path, text: str) -> Path:
    env = tmp_path / ".env"
    env.write_text(text, encoding="utf-8")
    return env


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    env = write_env(
        tmp_path,
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=111, 222，333\nREMIND_AT=08:30\n"
        "DB_PATH=data/state/other.db\nBOT_TODAY=2023-07-03\n",
    )
    settings = load_settings(env)
    assert settings.token == TOKEN
    assert settings.admin_ids == {111, 222, 333}
    assert settings.remind_at == time(8, 30)
    assert settings.db_path == paths.ROOT / "data/state/other.db"
    assert settings.bot_today == date(2023, 7, 3)
    assert not settings.uses_webhook
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_the_copied_example_means_the_sandbox(tmp_path: Path) -> None:
    example = (paths.ROOT / ".env.example").read_text(encoding="utf-8")
    settings = load_settings(write_env(tmp_path, example))
    assert settings.token is None and settings.admin_ids == frozenset()
    assert settings.remind_at == time(9, 0) and settings.tz == "Asia/Shanghai"


def test_every_setting_is_in_the_example() -> None:
    from bot.config import Settings

    example = (paths.ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in example, f"{name.upper()} is not in .env.example"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "PRC", "Asia/Chongqing"])
def test_zones_on_shanghai_time_are_accepted(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("TZ", zone)
    assert load_settings(None).tz == zone


def test_self_hosted_api_and_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-Token_1")
    monkeypatch.setenv("WEBHOOK_PATH", " /telegram/hook/ ")
    settings = load_settings(None)
    # The bot listens on the path as given, and registers WEBHOOK_URL/WEBHOOK_PATH: one slash between.
    assert settings.webhook_path == "telegram/hook"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.uses_webhook


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("ADMIN_IDS", "12, alice", "ADMIN_IDS"),
        ("TZ", "UTC", "TZ"),
        ("TZ", "Mars/Olympus", "TZ"),
        ("REMIND_AT", "9点", "REMIND_AT"),
        ("WEBHOOK_URL", "http://bot.example.org", "WEBHOOK_URL"),
        ("BOT_TODAY", "2023-02-30", "BOT_TODAY"),
        ("WEBHOOK_SECRET", "has spaces!", "WEBHOOK_SECRET"),
        ("WEBHOOK_PATH", "/", "WEBHOOK_PATH"),
    ],
)
def test_bad_values_are_named_and_secrets_not_echoed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(None)
    assert complaint in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_a_webhook_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org")
    with pytest.raises(ConfigError) as raised:
        load_settings(None)
    assert "WEBHOOK_SECRET" in str(raised.value)


def test_the_token_is_redacted_from_log_lines_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TokenRedactor(TOKEN))
    logger = logging.getLogger("test_config.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
        try:
            raise RuntimeError(f"connect to /bot{TOKEN}/getUpdates refused")
        except RuntimeError:
            logger.exception("polling failed")
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "bot<TOKEN>/sendMessage" in logged and "bot<TOKEN>/getUpdates" in logged
    assert TOKEN not in logged
