"""Small, strict readers of environment variables for settings.

Each raises ``ImproperlyConfigured`` on a value it cannot read, so a typo in a deployment's
environment stops the process at start instead of silently meaning "off".
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


# What .env.example ships with: a deployment still holding one of these was never configured.
_PLACEHOLDER_VALUES = {"change-me", "changeme"}
_PLACEHOLDER_MARK = "REPLACE_WITH_"


def refuse_placeholder(name: str, value: str | None) -> None:
    """Stop the start when ``value`` is still the .env.example placeholder for ``name``."""
    if value and (value.strip().lower() in _PLACEHOLDER_VALUES or _PLACEHOLDER_MARK in value):
        raise ImproperlyConfigured(
            f"{name} still holds the placeholder from .env.example; set a real value "
            "(.env.example says how to generate one)"
        )
