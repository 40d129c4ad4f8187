"""Verification codes: six random digits, stored only as a keyed hash bound to the challenge."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from qrlookup.engine.inputs import CODE_DIGITS


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_token(nbytes: int = 16) -> str:
    """An unguessable URL-safe token (16 bytes → 22 characters)."""
    return secrets.token_urlsafe(nbytes)


def code_hash(code: str, *, challenge_id: str, key: bytes) -> str:
    """HMAC-SHA256 of the code under ``key``, bound to the challenge: the same code of another
    challenge has another hash, and a leaked table cannot be searched without the key."""
    message = f"{challenge_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_matches(code: str, stored_hash: str, *, challenge_id: str, key: bytes) -> bool:
    """Constant-time comparison; an empty stored hash (nothing was sent) never matches."""
    candidate = code_hash(code, challenge_id=challenge_id, key=key)
    return hmac.compare_digest(candidate, stored_hash or "0" * 64) and bool(stored_hash)
