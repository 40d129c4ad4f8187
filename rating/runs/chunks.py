"""The chunk protocol: claim a village of a run, rate it, count it done, queue the publish."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from fuxiang import pgsettings
from rating import batch, hooks
from rating.models import (
    ChunkStatus,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunStatus,
)
from rating.results_sql import results_delete
from rating.runs import liveness
from rating.runs.liveness import beating, stale_after

__all__ = ["ChunkOutcome", "enqueue_chunks", "enqueue_publish", "rating_chunk_run", "stale_after"]


class ChunkOutcome(StrEnum):
    DONE = "done"  # rated and written
    LAST = "last"  # rated and written, and it was the run's last chunk
    BUSY = "busy"  # another worker holds a live claim (should it die, the sweep takes over)
    SKIPPED = "skipped"  # already done, or the run is no longer active
    LOST = "lost"  # the claim was taken over while this worker was rating; nothing written


# --- one chunk --------------------------------------------------------------------------------


def rating_chunk_run(*, chunk_id: int, queue_publish: bool = True) -> ChunkOutcome:
    """Claim one chunk (a village of a run), rate its subjects and write the results.

    Safe to call any number of times, concurrently or after a crash: see the module's
    guarantees. When this chunk completes the run, the run moves to publishing and (with
    ``queue_publish``) the publish task is queued after commit. An exception marks the chunk
    failed (claimable again by the retry) and propagates."""
    now = timezone.now()
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    # The claim need not wait for the disk, like the chunk's own transaction (see
    # ``_chunk_transaction_settings_sql``): a claim lost in a server crash leaves the chunk
    # claimable again (and every later write of this chunk is lost with it, the WAL being
    # written in order). Waiting cost a WAL flush per chunk — the previous chunk's results
    # and lines, written without waiting, flushed by this commit.
    with pgsettings.unflushed_commits():
        claimed = _claim(chunk_id, token, now)
    if claimed is None:
        active_runs = RatingRun.objects.filter(status__in=(RunStatus.PENDING, RunStatus.RUNNING))
        busy = RatingChunk.objects.filter(
            pk=chunk_id, status=ChunkStatus.RUNNING, run_id__in=active_runs.values("pk")
        ).exists()
        return ChunkOutcome.BUSY if busy else ChunkOutcome.SKIPPED
    with beating(chunk_id, token):  # the claim is renewed until the chunk ends
        run_id, village_id = claimed
        run = RatingRun.objects.get(pk=run_id)
        if run.status == RunStatus.PENDING:  # (the run's first chunks; conditional anyway)
            RatingRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
                status=RunStatus.RUNNING, started_at=now
            )
        try:
            return _rate_claimed_chunk(
                chunk_id, village_id, run, token, queue_publish=queue_publish
            )
        except Exception as exc:
            RatingChunk.objects.filter(pk=chunk_id, claim=token, status=ChunkStatus.RUNNING).update(
                status=ChunkStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
            )
            raise


def _claim(chunk_id: int, token: str, now: datetime) -> tuple[int, int] | None:
    """Claim the chunk for ``token`` if it is claimable — pending, failed, or running under a
    stale claim (``liveness.stale_sql``) — and its run is active: (run, village), or None.
    One plain statement (the ORM's form of it cost a worker more than the database spent on
    it). One table in the UPDATE (the run's status through a subquery, not a join): should the
    row be locked by another worker's chunk transaction, PostgreSQL re-checks the status of
    the row that transaction left — a chunk it just finished is not claimed again."""
    chunks, runs = RatingChunk._meta.db_table, RatingRun._meta.db_table
    stale_sql, stale_params = liveness.stale_sql(now)
    sql = (
        f"UPDATE {chunks} SET status = %s, claim = %s, claimed_at = %s, "  # noqa: S608
        "attempts = attempts + 1, error = '' "
        f"WHERE {chunks}.id = %s "
        f"AND {chunks}.run_id IN (SELECT id FROM {runs} WHERE status IN (%s, %s)) "
        f"AND ({chunks}.status IN (%s, %s) OR {stale_sql}) "
        "RETURNING run_id, village_id"
    )
    params = [
        ChunkStatus.RUNNING, token, connection.ops.adapt_datetimefield_value(now), chunk_id,
        RunStatus.PENDING, RunStatus.RUNNING, ChunkStatus.PENDING, ChunkStatus.FAILED,
        *stale_params,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


def _rate_claimed_chunk(
    chunk_id: int, village_id: int, run: RatingRun, token: str, *, queue_publish: bool
) -> ChunkOutcome:
    started = time.perf_counter()
    fast_commit = not connection.in_atomic_block
    with transaction.atomic():
        if not _hold_and_clear(chunk_id, run.pk, village_id, token, fast_commit=fast_commit):
            return ChunkOutcome.LOST
        rated = batch.village_rate(run, village_id)
        hooks.run_chunk_steps(run, village_id)
        last = _count_chunk_done(chunk_id, run.pk, rated, time.perf_counter() - started)
        if last and queue_publish:
            run_id = run.pk
            transaction.on_commit(lambda: enqueue_publish(run_id))
        if not fast_commit:
            pgsettings.restore_local()
    return ChunkOutcome.LAST if last else ChunkOutcome.DONE


def _count_chunk_done(
    chunk_id: int, run_id: int, rated: batch.VillageRated, seconds: float
) -> bool:
    """The chunk is done — its counts recorded on its row — and counted on the run; when it
    is the run's last, the run moves to publishing (every chunk's transaction ends with this,
    holding the run's row only from here to its commit). One statement on PostgreSQL.
    Returns whether this chunk completed the run."""
    chunks, runs = RatingChunk._meta.db_table, RatingRun._meta.db_table
    done = (
        f"UPDATE {chunks} SET status = %s, subjects = %s, skipped = %s, counts = %s, "  # noqa: S608
        "seconds = %s WHERE id = %s"
    )
    done_params: list[Any] = [
        ChunkStatus.DONE, rated.rated, rated.skipped, json.dumps(rated.counts), seconds, chunk_id
    ]  # fmt: skip
    count = (
        f"UPDATE {runs} SET chunks_done = chunks_done + 1, "  # noqa: S608
        "status = CASE WHEN status = %s AND chunks_done + 1 = chunks_total "
        "THEN %s ELSE status END, "
        "finished_at = CASE WHEN status = %s AND chunks_done + 1 = chunks_total "
        "THEN %s ELSE finished_at END "
        "WHERE id = %s"
    )
    count_params: list[Any] = [
        RunStatus.RUNNING, RunStatus.PUBLISHING, RunStatus.RUNNING, timezone.now(), run_id
    ]  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH done AS ({done}) {count} RETURNING status, chunks_done, chunks_total",
                [*done_params, *count_params],
            )
        else:  # (SQLite before 3.35 has no RETURNING)
            cursor.execute(done, done_params)
            cursor.execute(count, count_params)
            cursor.execute(
                f"SELECT status, chunks_done, chunks_total FROM {runs} WHERE id = %s",  # noqa: S608
                [run_id],
            )
        status, done_n, total = cursor.fetchone()
    return status == RunStatus.PUBLISHING and done_n == total


def _hold_and_clear(
    chunk_id: int, run_id: int, village_id: int, token: str, *, fast_commit: bool
) -> bool:
    """The start of a chunk's transaction: its settings, the chunk's row locked — if this
    claim still holds it — and the chunk's earlier results removed (a rerun replaces them).
    One round trip on PostgreSQL. Returns whether the claim holds (nothing is removed
    otherwise).

    The removal shares the statement's snapshot with the lock: results of (run, village) are
    only ever written by a transaction holding this row's lock under a claim of its own, and
    this claim was made (an UPDATE of the row, waiting for any such transaction) before the
    statement began — so every earlier try's results are visible to it."""
    if connection.vendor != "postgresql":
        held = (
            RatingChunk.objects.select_for_update()
            .filter(pk=chunk_id, claim=token, status=ChunkStatus.RUNNING)
            .exists()
        )
        if held:
            results_delete(run_id=run_id, village_id=village_id)
        return held
    chunks, results = RatingChunk._meta.db_table, RatingResult._meta.db_table
    statement = (
        f"WITH held AS (SELECT id FROM {chunks} "  # noqa: S608
        "WHERE id = %s AND claim = %s AND status = %s FOR UPDATE), "
        f"cleared AS (DELETE FROM {results} WHERE run_id = %s AND village_id = %s "
        "AND EXISTS (SELECT 1 FROM held)) "
        "SELECT COUNT(*) FROM held"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _chunk_transaction_settings_sql(fast_commit=fast_commit) + statement,
            [chunk_id, token, ChunkStatus.RUNNING, run_id, village_id],
        )
        return bool(cursor.fetchone()[0])


def _chunk_transaction_settings_sql(*, fast_commit: bool) -> str:
    """Settings of a chunk's transaction (PostgreSQL; ``SET LOCAL``: they end with it, or,
    inside a caller's transaction, are given back by ``fuxiang.pgsettings.restore_local``).

    - ``synchronous_commit = off`` (only when this is the chunk's own transaction: inside a
      caller's, a one-household re-rating that publishes in the same transaction, it would
      cover the publish too): the commit need not wait for its WAL to reach the disk. Should
      the server crash in the few milliseconds before the flush, the chunk's results *and*
      its "done" mark are lost together, so the chunk is simply rated again (its claim goes
      stale and the sweep takes it over, ``rating.runs.liveness``). The publish keeps the
      server's setting: a published run is durable.
    - ``jit = off``: compiling a village's statements would cost more than running them."""
    values = {"jit": "off"}
    if fast_commit:
        values["synchronous_commit"] = "off"
    return pgsettings.set_local_sql(**values)


def enqueue_publish(run_id: int) -> None:
    from rating.tasks import publish_run as publish_run_task  # rating.tasks imports rating.runs

    publish_run_task.delay(run_id)


def enqueue_chunks(chunk_ids: Sequence[int]) -> None:
    from rating.tasks import rate_chunk as rate_chunk_task  # rating.tasks imports rating.runs

    for chunk_id in chunk_ids:
        rate_chunk_task.delay(chunk_id)
