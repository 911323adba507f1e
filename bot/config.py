"""The bot's settings: environment variables, or a ``.env`` file beside the project (see ``.env.example``).

The token is a ``SecretStr`` so that printing or logging the settings never shows it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import paths
from bot.clock import check_day

# Every deadline of the plan, every "today" and REMIND_AT are Shanghai time; the clock
# module hard-codes it, so any other TZ would silently shift reminders by hours.
SUPPORTED_TZ = "Asia/Shanghai"
SHANGHAI_OFFSET = timedelta(hours=8)
TELEGRAM_API_ROOT = "https://api.telegram.org"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=paths.ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    db_path: Path = paths.DB
    plan_path: Path = paths.PLAN
    units_path: Path = paths.UNITS
    remind_at: time = time(9, 0)
    tz: str = SUPPORTED_TZ
    telegram_api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"  # a webhook must accept Telegram's connections
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = "telegram"
    webhook_secret: SecretStr | None = None
    bot_today: date | None = None
    completion_review: bool = False
    """COMPLETION_REVIEW=on: a 已完成 waits for review (办结审核) before it closes an item."""
    monthly_progress: bool = True
    """MONTHLY_PROGRESS=off: no 月调度 section on the first workday of the month."""

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `TELEGRAM_BOT_TOKEN=` in a copied .env.example means "no token", not an empty token.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_api_base_url", "webhook_url", "bot_today", mode="before")
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
            raise ValueError(f"ADMIN_IDS must be numeric Telegram user ids, got {', '.join(bad)}")
        return frozenset(int(part) for part in parts)

    @field_validator("db_path", "plan_path", "units_path")
    @classmethod
    def _relative_to_project(cls, value: Path) -> Path:
        # `make run` and a service manager may start the bot from different folders.
        return value if value.is_absolute() else paths.ROOT / value

    @field_validator("tz")
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
                f"TZ={value!r} is not supported: the plan's deadlines are Shanghai time; "
                f"set TZ={SUPPORTED_TZ} or leave it unset"
            )
        return value

    @field_validator("telegram_api_base_url", "webhook_url")
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
            raise ValueError("WEBHOOK_PATH must name a path, e.g. telegram")
        return path

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_https_and_a_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError("WEBHOOK_URL must be https:// (Telegram only calls HTTPS webhooks)")
        if self.webhook_secret is None:
            # Without it anyone who finds the URL can post forged updates (fake /report, /bind).
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET, so forged webhook calls are refused")
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


def load_settings(env_file: Path | None = paths.ROOT / ".env", **overrides: Any) -> Settings:
    """Read the settings; raises ConfigError naming the bad variable (never echoing a secret)."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
