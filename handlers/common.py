"""Shared plumbing for handlers: reaching the Services from a PTB context."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext

from bot.services import Services

SERVICES_KEY = "services"


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found: Services = context.application.bot_data[SERVICES_KEY]
    return found
