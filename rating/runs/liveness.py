"""Claims kept alive by a heartbeat, taken over when it stops; a run's lost work queued again.
No operator is needed when a worker dies in the middle of a chunk or the broker loses messages.

- **Heartbeat.** While a worker rates a chunk, a thread of its process renews the claim every
  ``RATING_CHUNK_HEARTBEAT_SECONDS``: it writes the claim's time in ``RatingChunkBeat``, a row
  of its own (the chunk's row is locked by the chunk's transaction, which a beat must not wait
  for). A chunk shorter than one beat writes none: its claim time is its first beat.
- **Stale.** A running chunk whose claim was neither made nor renewed in the last
  ``RATING_CHUNK_STALE_SECONDS`` belongs to a dead worker (SIGKILL, a lost machine, a dropped
  database connection): another worker may claim it (``chunks.rating_chunk_run``).
- **Sweep.** Every worker process sweeps every ``RATING_SWEEP_SECONDS`` (a thread started when
  the worker is ready; 0 turns it off), so a live worker notices what a dead one left:

  1. stale claims are released (back to pending) and their chunks queued again — except a
     chunk whose row is still locked by its chunk transaction: that worker still talks to the
     database, and the chunk ends with it (done, or rolled back and then stale);
  2. a pending or running run with no claim, beat or sweep for ``RATING_RUN_STALL_SECONDS``
     has lost its messages (the broker restarted empty): its chunks neither done nor running
     are queued again;
  3. a run publishing for ``RATING_RUN_STALL_SECONDS`` since its last chunk, whose row no
     publish holds, is queued for publishing again (its message was lost).

  Sweepers of several workers do not queue the same thing twice: each takes the rows it
  changes with ``FOR UPDATE SKIP LOCKED`` and stamps what it did. Queuing a chunk twice is
  harmless anyway: the claim is a conditional UPDATE and the chunk is idempotent.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import BooleanField, Max, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from rating.models import (
    ChunkStatus,
    RatingChunk,
    RatingChunkBeat,
    RatingRun,
    RunStatus,
)

logger = logging.getLogger(__name__)


def stale_after() -> timedelta:
    """How long a claim stays valid without being renewed."""
    return timedelta(seconds=settings.RATING_CHUNK_STALE_SECONDS)


def heartbeat_seconds() -> float:
    return max(0.2, float(settings.RATING_CHUNK_HEARTBEAT_SECONDS))


def stale(now: datetime) -> Q:
    """Running chunks whose claim was neither made nor renewed since ``now`` − stale (for the
    ORM: ``stale_sql`` as a condition)."""
    sql, params = stale_sql(now)
    return Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611  (no input in it)


def stale_sql(now: datetime) -> tuple[str, list[Any]]:
    """``stale`` as an SQL condition on the chunks' table (its own name as alias) and its
    parameters — the one definition, which the sweep's query and a worker's claim
    (``chunks.rating_chunk_run``, a plain statement) both use."""
    chunks, beats = RatingChunk._meta.db_table, RatingChunkBeat._meta.db_table
    since = connection.ops.adapt_datetimefield_value(now - stale_after())
    sql = (
        f"({chunks}.status = %s AND {chunks}.claimed_at < %s AND NOT EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {beats} b WHERE b.chunk_id = {chunks}.id "
        f"AND b.claim = {chunks}.claim AND b.beat_at >= %s))"
    )
    return sql, [ChunkStatus.RUNNING, since, since]


# --- the heartbeat ----------------------------------------------------------------------------


class _Heart:
    """The process's heartbeat thread: beats every claim the process holds."""

    def __init__(self) -> None:
        self._claims: dict[int, str] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def hold(self, chunk_id: int, claim: str) -> None:
        with self._lock:
            self._claims[chunk_id] = claim
            alive = self._thread is not None and self._thread.is_alive()
            if not alive or self._pid != os.getpid():  # (a forked child starts its own)
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._beat_forever, name="rating-heartbeat", daemon=True
                )
                self._thread.start()

    def release(self, chunk_id: int) -> None:
        with self._lock:
            self._claims.pop(chunk_id, None)

    def _beat_forever(self) -> None:
        while True:
            time.sleep(heartbeat_seconds())
            with self._lock:
                claims = dict(self._claims)
            if not claims:
                continue
            try:
                beat(claims)
            except Exception:  # the database away: the next beat tries again
                logger.warning("rating heartbeat failed", exc_info=True)
            finally:
                connection.close()  # this thread's own; none kept while nothing beats


_heart = _Heart()


def beat(claims: dict[int, str]) -> None:
    """Renew these claims (chunk id → claim) now."""
    now = timezone.now()
    RatingChunkBeat.objects.bulk_create(
        [RatingChunkBeat(chunk_id=pk, claim=claim, beat_at=now) for pk, claim in claims.items()],
        update_conflicts=True,
        unique_fields=["chunk"],
        update_fields=["claim", "beat_at"],
    )


@contextmanager
def beating(chunk_id: int, claim: str) -> Iterator[None]:
    """Renew the claim while the block runs — on PostgreSQL, for a chunk rated in its own
    transactions (not inside a caller's, which publishes it at once)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    _heart.hold(chunk_id, claim)
    try:
        yield
    finally:
        _heart.release(chunk_id)


# --- the sweep --------------------------------------------------------------------------------


@dataclass
class Sweep:
    taken_over: list[int] = field(default_factory=list)  # stale chunks queued again
    requeued: dict[int, list[int]] = field(default_factory=dict)  # stalled run → chunks
    republished: list[int] = field(default_factory=list)  # runs queued for publishing again

    def __bool__(self) -> bool:
        return bool(self.taken_over or self.requeued or self.republished)


def rating_runs_sweep(*, now: datetime | None = None) -> Sweep:
    """Take over stale claims and queue again what stalled runs still need (see the module).
    Safe to run at any time, from any number of processes."""
    from rating.runs.chunks import enqueue_chunks, enqueue_publish

    now = now or timezone.now()
    done = Sweep()
    active = list(
        RatingRun.objects.filter(
            status__in=(RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PUBLISHING)
        ).values_list("pk", "status")
    )
    if not active:
        return done
    rating = [pk for pk, status in active if status != RunStatus.PUBLISHING]
    publishing = [pk for pk, status in active if status == RunStatus.PUBLISHING]

    with transaction.atomic():
        stale_ids = list(
            RatingChunk.objects.select_for_update(skip_locked=True)
            .filter(stale(now), run_id__in=rating)
            .values_list("pk", flat=True)
        )
        if stale_ids:
            RatingChunk.objects.filter(pk__in=stale_ids).update(status=ChunkStatus.PENDING)
            transaction.on_commit(lambda: enqueue_chunks(stale_ids))
    done.taken_over = stale_ids

    stall = timedelta(seconds=settings.RATING_RUN_STALL_SECONDS)
    for run_id in rating:
        chunk_ids = _stalled_run_requeue(run_id, now, now - stall)
        if chunk_ids:
            done.requeued[run_id] = chunk_ids
    for run_id in publishing:
        with transaction.atomic():
            run = (
                RatingRun.objects.select_for_update(skip_locked=True)
                .filter(pk=run_id, status=RunStatus.PUBLISHING, finished_at__lt=now - stall)
                .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=now - stall))
                .first()
            )
            if run is None:  # being published, published, or not stalled
                continue
            RatingRun.objects.filter(pk=run_id).update(swept_at=now)
            transaction.on_commit(functools.partial(enqueue_publish, run_id))
        done.republished.append(run_id)
    if done.taken_over:
        logger.warning("rating sweep: chunks %s taken over (stale claims)", done.taken_over)
    for run_id, chunk_ids in done.requeued.items():
        logger.warning("rating sweep: run %s stalled, chunks %s re-queued", run_id, chunk_ids)
    if done.republished:
        logger.warning("rating sweep: publish of runs %s re-queued", done.republished)
    return done


def _stalled_run_requeue(run_id: int, now: datetime, since: datetime) -> list[int]:
    """Queue again the chunks neither done nor running of a run that made no progress since
    ``since`` (no claim, beat or sweep); returns their ids."""
    last_claim = RatingChunk.objects.filter(run_id=run_id).aggregate(at=Max("claimed_at"))["at"]
    last_beat = RatingChunkBeat.objects.filter(chunk__run_id=run_id).aggregate(at=Max("beat_at"))[
        "at"
    ]
    if any(at is not None and at >= since for at in (last_claim, last_beat)):
        return []
    with transaction.atomic():
        run = (
            RatingRun.objects.select_for_update(skip_locked=True)
            .filter(
                pk=run_id,
                status__in=(RunStatus.PENDING, RunStatus.RUNNING),
                created_at__lt=since,
            )
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=since))
            .first()
        )
        if run is None:  # a chunk is counting itself done on it, or it moved on
            return []
        chunk_ids = list(
            RatingChunk.objects.filter(
                run_id=run_id, status__in=(ChunkStatus.PENDING, ChunkStatus.FAILED)
            ).values_list("pk", flat=True)
        )
        RatingRun.objects.filter(pk=run_id).update(swept_at=now)
        if chunk_ids:
            from rating.runs.chunks import enqueue_chunks

            transaction.on_commit(lambda: enqueue_chunks(chunk_ids))
    return chunk_ids


# --- the sweeper thread of a worker -----------------------------------------------------------

_sweeper: threading.Thread | None = None


def sweeper_start() -> bool:
    """Start this process's sweeper thread (once; ``RATING_SWEEP_SECONDS`` = 0: never)."""
    global _sweeper
    interval = settings.RATING_SWEEP_SECONDS
    if interval <= 0 or (_sweeper is not None and _sweeper.is_alive()):
        return False
    _sweeper = threading.Thread(
        target=_sweep_forever, args=(float(interval),), name="rating-sweeper", daemon=True
    )
    _sweeper.start()
    return True


def _sweep_forever(interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            close_old_connections()
            rating_runs_sweep()
        except Exception:  # the database or the broker away: the next sweep tries again
            logger.warning("rating sweep failed", exc_info=True)
            connection.close()
