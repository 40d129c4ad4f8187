"""HMAC-SHA256 signatures of the platform link, both directions (pure Python, no Django).

The signed message is ``timestamp + "." + body`` (the raw bytes), the signature is sent as
``X-FX-Signature: sha256=<hex>`` beside ``X-FX-Timestamp`` (Unix seconds). A receiver checks
the timestamp is within the window first, then the signature in constant time; the body is
read as JSON only after both passed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

PLATFORM_HEADER = "X-FX-Platform"
TIMESTAMP_HEADER = "X-FX-Timestamp"
SIGNATURE_HEADER = "X-FX-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
WINDOW_SECONDS = 300


class SignatureError(Exception):
    """Why a signed message was not accepted (``code``: missing, stale, bad)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return "fxp_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign ``body`` now (or at ``timestamp``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float | None = None,
    window: int = WINDOW_SECONDS,
) -> None:
    """Raise ``SignatureError`` unless ``signature`` signs ``body`` at a fresh ``timestamp``."""
    if not timestamp or not signature:
        raise SignatureError("signature_missing", "缺少签名或时间戳")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("signature_stale", "时间戳格式错误") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > window:
        message = f"时间戳超出{window // 60}分钟有效窗口（可能为重放）"
        raise SignatureError("signature_stale", message)
    expected = sign(secret, body, ts)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature.strip()):
        raise SignatureError("signature_bad", "签名校验失败")
