"""Rate limits and lockouts of the public lookup, held in the Django cache.

In production the cache is Redis (``REDIS_URL``), so every gunicorn worker and every machine
counts in the same place; ``cache.add`` (SET NX with the window's TTL) followed by
``cache.incr`` (INCR) is atomic there. Windows are fixed: a key per scope, subject and window
number expires with its window.

Subjects are never personal data in clear: an ID number is counted under its blind index, a
phone under its blind index, an openid under its hash, an address as it is (an IP is what
every web log keeps)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, subject: str, seconds: int, window: int) -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:rl:{scope}:{seconds}:{window}:{subject}"


def _count(key: str, seconds: int) -> int:
    cache.add(key, 0, timeout=seconds + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: start the window again
        cache.add(key, 1, timeout=seconds + 1)
        return 1


def hit(scope: str, subject: str, *, now: float | None = None) -> bool:
    """Count one use of ``subject`` in ``scope``; True while every window of the scope's
    limits (``QRLOOKUP_LIMITS[scope]``) is within its count. A refused use is counted too,
    so hammering a closed door keeps it closed."""
    now = time.time() if now is None else now
    allowed = True
    for limit, seconds in settings.QRLOOKUP_LIMITS[scope]:
        window = int(now // seconds)
        if _count(_key(scope, subject, seconds, window), seconds) > limit:
            allowed = False
    return allowed


def exhausted(scope: str, subject: str, *, now: float | None = None) -> bool:
    """True when some window of the scope is already full (without counting a use)."""
    now = time.time() if now is None else now
    for limit, seconds in settings.QRLOOKUP_LIMITS[scope]:
        window = int(now // seconds)
        if int(cache.get(_key(scope, subject, seconds, window)) or 0) >= limit:
            return True
    return False


# --- lockout after failed verifications -------------------------------------------------------


def _fail_key(subject: str) -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:fail:{subject}"


def _lock_key(subject: str) -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:lock:{subject}"


def fail(subject: str) -> bool:
    """Count a failed verification of ``subject`` (an ID number's blind index); at
    ``QRLOOKUP_MAX_FAILED_CODES`` failures within the lock period it is locked for
    ``QRLOOKUP_LOCK_SECONDS``. Returns True when this failure locked it."""
    seconds = settings.QRLOOKUP_LOCK_SECONDS
    failures = _count(_fail_key(subject), seconds)
    if failures >= settings.QRLOOKUP_MAX_FAILED_CODES:
        cache.set(_lock_key(subject), 1, timeout=seconds)
        return True
    return False


def locked(subject: str) -> bool:
    return bool(cache.get(_lock_key(subject)))


def clear_failures(subject: str) -> None:
    cache.delete(_fail_key(subject))
