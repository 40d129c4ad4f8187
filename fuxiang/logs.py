"""Structured logs: one JSON object a line (python-json-logger), with no personal data.

Code logs ids, never a name, ID or phone number (docs/privacy.md). As a second line of
defence, the formatters of every handler replace anything in the finished line that looks like
a resident ID number, a USCC or a mobile number (message, arguments, traceback). The records
themselves are left alone, so a test that reads them (qrlookup's privacy tests) still sees what
the code logged; tests/test_log_privacy.py greps the written logs of real flows.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# 18-character resident IDs and USCCs, 15-digit old IDs, mainland mobiles (+86 or not);
# digits inside longer numbers (a token, an amount in fen) are left alone
_PATTERNS = (
    (re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"), "[身份证号]"),
    (
        re.compile(
            r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"
        ),
        "[信用代码]",
    ),
    (
        re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9])"),
        "[手机号]",
    ),
    (re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])"), "[身份证号]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class TextFormatter(logging.Formatter):
    """The text lines of development (DJANGO_DEBUG=1), redacted the same way."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class Formatter(JsonFormatter):
    """time (UTC, ISO 8601), level, logger, message, and the process that wrote it."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        kwargs.setdefault("timestamp", False)
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # every string of the finished record (message, traceback, extra fields), before it
        # is serialised, so the line stays valid JSON
        return {key: _redacted(value) for key, value in log_data.items()}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """settings.LOGGING: everything to stderr, as JSON lines (production) or text (DEBUG)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "fuxiang.logs.Formatter"},
            "text": {
                "()": "fuxiang.logs.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            # The Tencent Cloud SDK logs whole requests (a phone number, a code) at DEBUG.
            "tencentcloud_sdk_common": {"level": "WARNING"},
            # gunicorn's own loggers go through ours (gunicorn.conf.py)
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
