"""Celery tasks of rating: thin wrappers around ``rating.runs``; arguments are ids.

The services import these tasks at the top (``rate_chunk as rate_chunk_task``); a task imports
its service inside its body, so imports between the two point one way.

One ``rate_chunk`` task per village of a run, so any number of workers share a run. A chunk
that raises is retried with backoff; one that still fails after its retries fails the run
(nothing is published). A chunk held by a worker that died is taken over by the sweep of a
live worker once its claim's heartbeat stopped (``rating.runs.liveness``; every worker process
sweeps, from a thread started when the worker is ready).

``rerate_households`` re-rates households and business entities whose archives changed (queued
by ``rating.rerating``); it waits for an active run by retrying with a countdown.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings

from fuxiang.errors import DomainError
from rating import runs
from rating.runs import liveness

# With the default 60 s between tries, a re-rating waits up to an hour for an active run.
RERATE_MAX_RETRIES = 60


class _ChunkTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from rating import runs

        chunk_id = kwargs.get("chunk_id", args[0] if args else None)
        if chunk_id is not None:
            runs.rating_chunk_give_up(chunk_id=chunk_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=_ChunkTask,
    acks_late=True,
    ignore_result=True,  # the chunk's row records its outcome; 250 results a run, never read
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=3,
)
def rate_chunk(self: Task, chunk_id: int) -> str:
    """Rate one village of a run (``runs.rating_chunk_run``); idempotent."""
    # BUSY (another worker holds a live claim) ends here: should that worker die, its claim
    # goes stale and a worker's sweep queues the chunk again (``rating.runs.liveness``).
    return str(runs.rating_chunk_run(chunk_id=chunk_id))


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def publish_run(run_id: int) -> str:
    """Publish a run whose chunks are all done (``runs.rating_run_publish``); idempotent."""
    from rating import runs

    return str(runs.rating_run_publish(run_id=run_id).status)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=RERATE_MAX_RETRIES,
)
def rerate_households(
    self: Task,
    household_ids: list[int],
    purpose: str = "",
    entity_ids: list[int] | None = None,
) -> int | None:
    """Re-rate households (and business entities) as one subjects run
    (``runs.rating_households_rerate``): their archives changed, or a villager asked. Returns
    the run's id, or ``None`` when none of them could be rated or held a rating.

    While another run is active the re-rating waits ``RATING_RERATE_RETRY_SECONDS`` and tries
    again (a run that had read these households before they changed publishes first; this
    one then publishes the change over it), up to ``RERATE_MAX_RETRIES`` times, after which the
    task fails with the refusal. Eager Celery (development, no broker) has no later: the
    refusal is raised at once."""
    from rating import runs

    try:
        run = runs.rating_households_rerate(
            household_ids=household_ids, purpose=purpose, entity_ids=entity_ids or ()
        )
    except DomainError as exc:
        if exc.code != "busy" or self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=settings.RATING_RERATE_RETRY_SECONDS) from exc
    return run.pk if run is not None else None


@worker_ready.connect
def _start_sweeper(**kwargs: Any) -> None:
    """Every worker sweeps for stale claims and stalled runs (``rating.runs.liveness``)."""
    liveness.sweeper_start()
