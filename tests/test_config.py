"""Settings from .env and the environment; the token is never shown, in settings or in logs."""

from __future__ import annotations

import io
import logging
import re
from datetime import date, time
from pathlib import Path

import pytest

from bot import paths
from bot.commands.run import TokenRedactor
from bot.config import DEPRECATED_NAMES, ENV_NAMES, ConfigError, Settings, load_settings

TOKEN = "123456:AAH-very-secret-token"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*ENV_NAMES.values(), *DEPRECATED_NAMES, "TZ"]:
        monkeypatch.delenv(name, raising=False)


def write_env(tmp_path: Path, text: str) -> Path:
    env = tmp_path / ".env"
    env.write_text(text, encoding="utf-8")
    return env


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    env = write_env(
        tmp_path,
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nBOT_ADMIN_IDS=111, 222，333\nBOT_REMIND_AT=08:30\n"
        "BOT_DB_PATH=data/state/other.db\nBOT_TODAY=2023-07-03\nBOT_BACKUP_DIR=data/backups\n",
    )
    settings = load_settings(env)
    assert settings.token == TOKEN
    assert settings.admin_ids == {111, 222, 333}
    assert settings.remind_at == time(8, 30)
    assert settings.db_path == paths.ROOT / "data/state/other.db"
    assert settings.bot_today == date(2023, 7, 3)
    assert settings.backup_dir == paths.ROOT / "data/backups" and settings.backup_keep == 14
    assert not settings.uses_webhook
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_the_copied_example_means_the_sandbox(tmp_path: Path) -> None:
    example = (paths.ROOT / ".env.example").read_text(encoding="utf-8")
    settings = load_settings(write_env(tmp_path, example))
    assert settings.token is None and settings.admin_ids == frozenset()
    assert settings.remind_at == time(9, 0) and settings.timezone == "Asia/Shanghai"


def test_every_setting_is_in_the_example_with_a_comment() -> None:
    example = (paths.ROOT / ".env.example").read_text(encoding="utf-8")
    assert set(ENV_NAMES) == set(Settings.model_fields)
    for name in ENV_NAMES.values():
        # A setting the service files set themselves is shown commented out, with its example value.
        line = re.search(rf"\n(# )?{name}=", example)
        assert line is not None, f"{name} is not in .env.example"
        before = example[: line.start()].rsplit("\n\n", 1)[-1]
        assert "# " in before, f"{name} in .env.example has no comment above it"


def test_every_setting_has_the_bots_own_name() -> None:
    # A system variable (TZ, another program's DB_PATH) must never be taken for a setting.
    assert all(name.startswith(("BOT_", "TELEGRAM_")) for name in ENV_NAMES.values())


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "PRC", "Asia/Chongqing"])
def test_zones_on_shanghai_time_are_accepted(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("BOT_TIMEZONE", zone)
    assert load_settings(None).timezone == zone


@pytest.mark.parametrize("system_zone", ["UTC", "Europe/Berlin", "Mars/Olympus"])
def test_the_systems_tz_is_not_a_setting(monkeypatch: pytest.MonkeyPatch, system_zone: str) -> None:
    monkeypatch.setenv("TZ", system_zone)
    assert load_settings(None).timezone == "Asia/Shanghai"


def test_old_names_still_work_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A .env written before the BOT_ prefix (the old .env.example had TZ in it), and an old
    # name in the environment.
    env = write_env(tmp_path, "ADMIN_IDS=111\nTZ=PRC\nREMIND_AT=08:30\nBOT_DB_PATH=new.db\nDB_PATH=old.db\n")
    monkeypatch.setenv("WEBHOOK_PORT", "9443")
    with caplog.at_level(logging.WARNING, logger="bot.config"):
        settings = load_settings(env)
    assert settings.admin_ids == {111} and settings.timezone == "PRC"
    assert settings.remind_at == time(8, 30) and settings.webhook_port == 9443
    assert settings.db_path == paths.ROOT / "new.db", "the new name wins over the old one"
    warned = "\n".join(record.getMessage() for record in caplog.records)
    for old, new in [
        ("ADMIN_IDS", "BOT_ADMIN_IDS"),
        ("TZ", "BOT_TIMEZONE"),
        ("REMIND_AT", "BOT_REMIND_AT"),
        ("WEBHOOK_PORT", "BOT_WEBHOOK_PORT"),
    ]:
        assert f"{old} is deprecated: rename it {new}" in warned
    assert "DB_PATH is deprecated" not in warned


def test_self_hosted_api_and_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("BOT_WEBHOOK_URL", "https://bot.example.org")
    monkeypatch.setenv("BOT_WEBHOOK_SECRET", "s3cret-Token_1")
    monkeypatch.setenv("BOT_WEBHOOK_PATH", " /telegram/hook/ ")
    settings = load_settings(None)
    # The bot listens on the path as given, and registers WEBHOOK_URL/WEBHOOK_PATH: one slash between.
    assert settings.webhook_path == "telegram/hook"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.uses_webhook


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("BOT_ADMIN_IDS", "12, alice", "BOT_ADMIN_IDS"),
        ("ADMIN_IDS", "12, alice", "BOT_ADMIN_IDS"),
        ("BOT_TIMEZONE", "UTC", "BOT_TIMEZONE"),
        ("BOT_TIMEZONE", "Mars/Olympus", "BOT_TIMEZONE"),
        ("BOT_REMIND_AT", "9点", "BOT_REMIND_AT"),
        ("BOT_WEBHOOK_URL", "http://bot.example.org", "BOT_WEBHOOK_URL"),
        ("BOT_TODAY", "2023-02-30", "BOT_TODAY"),
        ("BOT_WEBHOOK_SECRET", "has spaces!", "BOT_WEBHOOK_SECRET"),
        ("BOT_WEBHOOK_PATH", "/", "BOT_WEBHOOK_PATH"),
        ("BOT_PROXY_URL", "127.0.0.1:3128", "BOT_PROXY_URL"),
        ("BOT_BACKUP_KEEP", "0", "BOT_BACKUP_KEEP"),
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
    monkeypatch.setenv("BOT_WEBHOOK_URL", "https://bot.example.org")
    with pytest.raises(ConfigError) as raised:
        load_settings(None)
    assert "BOT_WEBHOOK_SECRET" in str(raised.value)


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
