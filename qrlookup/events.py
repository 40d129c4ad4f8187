"""Recording scans and lookup steps: no audit log (a county makes hundreds of thousands;
docs/qrlookup.md). Event rows carry only ids and the browser's kind.

With ``QRLOOKUP_EVENT_BUFFER`` on (the default with Redis), an event is one RPUSH onto a Redis
list and ``qrlookup.tasks.flush_events`` (beat, every minute; the statistics also flush before
they count) moves the list into the tables with one bulk INSERT per batch — so the landing page,
the hottest page of the system, makes no database write. Without Redis each event is one
INSERT.

The rows are built from values this app read itself (the code's attribution, the session's
household), so they skip ``full_clean()``, which would look up every foreign key."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils import timezone

from qrlookup.models import LookupEvent, ScanEvent
from qrlookup.qrcode_selectors import Attribution

logger = logging.getLogger(__name__)
FLUSH_BATCH = 5000


@cache
def _redis(url: str) -> Any:

    return redis.Redis.from_url(url)


def _buffer() -> Any:
    if settings.QRLOOKUP_EVENT_BUFFER and settings.REDIS_URL:
        return _redis(settings.REDIS_URL)
    return None


def _key() -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:events"


def _row(kind: str, attribution: Attribution | None, ua_class: str, household_id: int | None):
    return {
        "at": timezone.now().isoformat(),
        "kind": kind,
        "code_id": attribution.code_id if attribution else None,
        "village_id": attribution.village_id if attribution else None,
        "grid_id": attribution.grid_id if attribution else None,
        "officer_id": attribution.officer_id if attribution else None,
        "household_id": household_id,
        "ua_class": ua_class,
    }


def _model_row(row: dict[str, Any]) -> ScanEvent | LookupEvent:
    row = dict(row)
    row["at"] = datetime.fromisoformat(row["at"])
    kind = row.pop("kind")
    if kind == "scan":
        row.pop("household_id", None)
        return ScanEvent(**row)
    return LookupEvent(kind=kind, **row)


def _record(row: dict[str, Any]) -> None:
    buffer = _buffer()
    if buffer is not None:
        try:
            buffer.rpush(_key(), json.dumps(row))
            return
        except Exception:  # Redis away: the event still counts, written at once
            logger.warning("event buffer unavailable; writing the event directly")
    _model_row(row).save(force_insert=True)


def lookup_record_reading(
    *,
    kind: str,
    attribution: Attribution | None,
    ua_class: str,
    household_id: int | None,
    cache_keys: list[str],
) -> dict[str, Any]:
    """Record an event and read ``cache_keys`` (as ``cache.get_many`` does) in ONE round trip
    to Redis when both the cache and the buffer are there — the result page's hot path. Uses
    Django's Redis cache client and serializer (Django 5.2's RedisCache); anywhere else, the
    two operations one after the other."""

    cache = caches["default"]  # the backend itself (``django.core.cache.cache`` is a proxy)
    row = _row(str(kind), attribution, ua_class, household_id)
    if _buffer() is not None and isinstance(cache, RedisCache):
        full = [cache.make_and_validate_key(k) for k in cache_keys]
        try:
            pipe = cache._cache.get_client(None, write=True).pipeline(transaction=False)
            pipe.mget(full)
            pipe.rpush(_key(), json.dumps(row))
            values, _ = pipe.execute()
        except Exception:  # Redis away: as without the buffer
            logger.warning("event buffer unavailable; writing the event directly")
        else:
            loads = cache._cache._serializer.loads  # type: ignore[attr-defined]
            return {k: loads(v) for k, v in zip(cache_keys, values, strict=True) if v is not None}
    _record(row)
    return cache.get_many(cache_keys)


def scan_record(*, attribution: Attribution, ua_class: str) -> None:
    """One scan (人次) of a code."""
    _record(_row("scan", attribution, ua_class, None))


def lookup_record(
    *,
    kind: str,
    attribution: Attribution | None,
    ua_class: str,
    household_id: int | None = None,
) -> None:
    """One step of the flow, attributed to the code the person came through (if any)."""
    _record(_row(str(kind), attribution, ua_class, household_id))


def events_flush(*, batch: int = FLUSH_BATCH) -> int:
    """Move buffered events into their tables; returns how many. Reads a batch, inserts it,
    then trims it off the list: a crash between the two writes the batch again (an event
    counted twice, never lost). Callers do not overlap (beat runs it once a minute)."""
    buffer = _buffer()
    if buffer is None:
        return 0
    moved = 0
    while True:
        raw = buffer.lrange(_key(), 0, batch - 1)
        if not raw:
            return moved
        rows = [_model_row(json.loads(item)) for item in raw]
        with transaction.atomic():
            ScanEvent.objects.bulk_create([r for r in rows if isinstance(r, ScanEvent)])
            LookupEvent.objects.bulk_create([r for r in rows if isinstance(r, LookupEvent)])
        buffer.ltrim(_key(), len(raw), -1)
        moved += len(raw)
