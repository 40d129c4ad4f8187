"""Celery tasks of rating: thin wrappers around ``rating.runs``; arguments are ids.

One ``rate_chunk`` task per village of a run, so any number of workers share a run. A chunk
that raises is retried with backoff; one that still fails after its retries fails the run
(nothing is published). A chunk held by a worker that died is retried after the stale-claim
timeout, when it may be claimed again.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from rating import runs


class _ChunkTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        chunk_id = kwargs.get("chunk_id", args[0] if args else None)
        if chunk_id is not None:
            runs.rating_chunk_give_up(chunk_id=chunk_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=_ChunkTask,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=3,
)
def rate_chunk(self: Task, chunk_id: int) -> str:
    """Rate one village of a run (``runs.rating_chunk_run``); idempotent."""
    outcome = runs.rating_chunk_run(chunk_id=chunk_id)
    if outcome == runs.ChunkOutcome.BUSY:
        # Someone holds a fresh claim (perhaps a worker that died): look again once it is stale.
        countdown = int(runs.stale_after().total_seconds()) + 5
        raise self.retry(countdown=countdown, max_retries=None)
    return str(outcome)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def publish_run(run_id: int) -> str:
    """Publish a run whose chunks are all done (``runs.rating_run_publish``); idempotent."""
    return str(runs.rating_run_publish(run_id=run_id).status)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rerate_household(household_id: int, as_of: str | None = None) -> int:
    """Re-rate one household (archive changed, villager's request); returns the run id."""
    from datetime import date

    from households.models import Household

    household = Household.objects.get(pk=household_id)
    run = runs.rating_household_rerate(
        household=household, as_of=date.fromisoformat(as_of) if as_of else None
    )
    return run.pk
