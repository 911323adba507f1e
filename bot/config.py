"""The bot's settings: environment variables, or a ``.env`` file beside the project (see ``.env.example``).

The token is a ``SecretStr`` so that printing or logging the settings never shows it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import paths
from bot.clock import check_day

# Every deadline of the plan, every "today" and REMIND_AT are Shanghai time; the clock
# module hard-codes it, so any other TZ would silently shift reminders by hours.
SUPPORTED_TZ = "Asia/Shanghai"
SHANGHAI_OFFSET = timedelta(hours=8)
TELEGRAM_API_ROOT = "https://api.telegram.org"

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=paths.ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # Tests and load_settings' overrides pass field names; the environment uses ENV_NAMES.
        validate_by_name=True,
        validate_by_alias=True,
    )

    # Every name is the bot's own (TELEGRAM_… or BOT_…), so that no system variable (TZ, a
    # DB_PATH of another program) is mistaken for a setting. ENV_NAMES lists them.
    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias="BOT_ADMIN_IDS"
    )
    db_path: Path = Field(default=paths.DB, validation_alias="BOT_DB_PATH")
    plan_path: Path = Field(default=paths.PLAN, validation_alias="BOT_PLAN_PATH")
    units_path: Path = Field(default=paths.UNITS, validation_alias="BOT_UNITS_PATH")
    remind_at: time = Field(default=time(9, 0), validation_alias="BOT_REMIND_AT")
    timezone: str = Field(default=SUPPORTED_TZ, validation_alias="BOT_TIMEZONE")
    telegram_api_base_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_BASE_URL")
    proxy_url: str | None = Field(default=None, validation_alias="BOT_PROXY_URL")
    webhook_url: str | None = Field(default=None, validation_alias="BOT_WEBHOOK_URL")
    # A webhook must accept Telegram's connections.
    webhook_listen: str = Field(default="0.0.0.0", validation_alias="BOT_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, validation_alias="BOT_WEBHOOK_PORT")
    webhook_path: str = Field(default="telegram", validation_alias="BOT_WEBHOOK_PATH")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="BOT_WEBHOOK_SECRET")
    bot_today: date | None = Field(default=None, validation_alias="BOT_TODAY")
    backup_dir: Path | None = Field(default=None, validation_alias="BOT_BACKUP_DIR")
    backup_keep: int = Field(default=14, ge=1, validation_alias="BOT_BACKUP_KEEP")
    completion_review: bool = Field(default=False, validation_alias="BOT_COMPLETION_REVIEW")
    """on: a 已完成 waits for review (办结审核, 待审核) before it closes an item."""
    monthly_progress: bool = Field(default=True, validation_alias="BOT_MONTHLY_PROGRESS")
    """off: no 月调度 section on the first workday of each month."""

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `TELEGRAM_BOT_TOKEN=` in a copied .env.example means "no token", not an empty token.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "telegram_api_base_url", "proxy_url", "webhook_url", "bot_today", "backup_dir", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("bot_today")
    @classmethod
    def _plausible_today(cls, value: date | None) -> date | None:
        return check_day(value) if value is not None else None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: Any) -> Any:
        """``ADMIN_IDS=123, 456`` (commas or spaces); a list is accepted as is."""
        if not isinstance(value, str):
            return value
        parts = value.replace(",", " ").replace("，", " ").split()
        bad = [part for part in parts if not part.lstrip("-").isdigit()]
        if bad:
            raise ValueError(f"must be numeric Telegram user ids, got {', '.join(bad)}")
        return frozenset(int(part) for part in parts)

    @field_validator("db_path", "plan_path", "units_path", "backup_dir")
    @classmethod
    def _relative_to_project(cls, value: Path | None) -> Path | None:
        # `make run` and a service manager may start the bot from different folders.
        return value if value is None or value.is_absolute() else paths.ROOT / value

    @field_validator("remind_at")
    @classmethod
    def _remind_at_on_shanghai_time(cls, value: time) -> time:
        # The daily job runs at this wall-clock time in Asia/Shanghai; another offset would be
        # silently dropped, sending the reminders at the wrong hour.
        offset = value.utcoffset()
        if offset is not None and offset != timedelta(hours=8):
            raise ValueError(
                f"is a time of day in Asia/Shanghai (e.g. 09:00); the offset {value:%z} is not used"
            )
        return value.replace(tzinfo=None)

    @field_validator("webhook_listen")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value.strip())
        except ValueError:
            raise ValueError(
                f"must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1, not {value!r}"
            ) from None
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _shanghai_time(cls, value: str) -> str:
        """Asia/Shanghai, or a zone that keeps the same clock all year (PRC, Asia/Chongqing …)."""
        try:
            zone = ZoneInfo(value)
            same = all(
                datetime.combine(day, time(12), zone).utcoffset() == SHANGHAI_OFFSET
                for day in (date(2023, 1, 15), date(2023, 7, 15))
            )
        except (ValueError, ZoneInfoNotFoundError):
            same = False
        if not same:
            raise ValueError(
                f"{value!r} is not supported: the plan's deadlines are Shanghai time; "
                f"set BOT_TIMEZONE={SUPPORTED_TZ} or leave it unset"
            )
        return value

    @field_validator("telegram_api_base_url", "proxy_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _path_without_slashes(cls, value: str) -> str:
        # The URL is built as WEBHOOK_URL/WEBHOOK_PATH: "/telegram/" would register //telegram/,
        # which the bot's own server (listening on telegram) answers with 404.
        path = value.strip().strip("/")
        if not path:
            raise ValueError("must name a path, e.g. telegram")
        return path

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("may only use A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_https_and_a_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError("BOT_WEBHOOK_URL must be https:// (Telegram only calls HTTPS webhooks)")
        if self.webhook_secret is None:
            # Without it anyone who finds the URL can post forged updates (fake /report, /bind).
            raise ValueError("BOT_WEBHOOK_URL needs BOT_WEBHOOK_SECRET, so forged webhook calls are refused")
        return self

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def api_base_url(self) -> str:
        """PTB's ``base_url``: the token is appended to it, so it ends in ``/bot``."""
        return f"{self.telegram_api_base_url or TELEGRAM_API_ROOT}/bot"

    @property
    def api_base_file_url(self) -> str:
        return f"{self.telegram_api_base_url or TELEGRAM_API_ROOT}/file/bot"

    @property
    def uses_webhook(self) -> bool:
        return self.webhook_url is not None


ENV_NAMES: dict[str, str] = {
    name: str(field.validation_alias) for name, field in Settings.model_fields.items()
}
"""Each setting's environment variable (and .env) name, by field."""

DEPRECATED_NAMES: dict[str, str] = {
    "ADMIN_IDS": "admin_ids",
    "DB_PATH": "db_path",
    "PLAN_PATH": "plan_path",
    "UNITS_PATH": "units_path",
    "REMIND_AT": "remind_at",
    "WEBHOOK_URL": "webhook_url",
    "WEBHOOK_LISTEN": "webhook_listen",
    "WEBHOOK_PORT": "webhook_port",
    "WEBHOOK_PATH": "webhook_path",
    "WEBHOOK_SECRET": "webhook_secret",
    # The supervision issue (10) named these before the prefix.
    "COMPLETION_REVIEW": "completion_review",
    "MONTHLY_PROGRESS": "monthly_progress",
}
"""The names documented before the BOT_ prefix: still read, with a warning, when the new name is unset."""

DEPRECATED_IN_DOTENV_ONLY: dict[str, str] = {"TZ": "timezone"}
"""TZ was the time-zone setting's name. In the environment it is the system's own variable (often
UTC on servers and in containers), so it is read only from the bot's own .env file."""


def _dotenv(env_file: Path | None) -> dict[str, str]:
    if env_file is None or not env_file.is_file():
        return {}
    return {name.upper(): value for name, value in dotenv_values(env_file, encoding="utf-8").items() if value}


def _deprecated_settings(env_file: Path | None) -> tuple[dict[str, str], list[str]]:
    """Values given under an old name whose new name is set nowhere, and a warning for each."""
    environment = {name.upper(): value for name, value in os.environ.items()}
    dotenv = _dotenv(env_file)
    given = {**dotenv, **environment}  # the environment wins, as for the settings themselves
    candidates = {
        **{old: (field, given) for old, field in DEPRECATED_NAMES.items()},
        **{old: (field, dotenv) for old, field in DEPRECATED_IN_DOTENV_ONLY.items()},
    }
    values: dict[str, str] = {}
    warnings: list[str] = []
    for old, (field, source) in candidates.items():
        new = ENV_NAMES[field]
        if old in source and new not in given and field not in values:
            values[field] = source[old]
            warnings.append(f"{old} is deprecated: rename it {new} (the old name will stop working)")
    return values, warnings


def load_settings(env_file: Path | None = paths.ROOT / ".env", **overrides: Any) -> Settings:
    """Read the settings; raises ConfigError naming the bad variable (never echoing a secret).

    Old setting names (DEPRECATED_NAMES) still work, each with one warning in the log.
    """
    deprecated, warnings = _deprecated_settings(env_file)
    for warning in warnings:
        log.warning("%s", warning)
    try:
        return Settings(_env_file=env_file, **{**deprecated, **overrides})  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = str(error["loc"][0]) if error["loc"] else ""
            name = ENV_NAMES.get(where, where.upper()) or "settings"
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
