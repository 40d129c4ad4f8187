"""Claims renewed by a heartbeat and taken over when it stops; runs whose messages were lost
queued again — by the sweep every worker runs (``rating.runs.liveness``), here called with a
clock moved forward. Real workers killed mid-chunk: tests/test_worker_faults.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from households.tests.factories import HouseholdFactory
from rating import runs
from rating.models import ChunkStatus, RatingChunk, RatingChunkBeat, RatingRun, RunScope, RunStatus
from rating.runs import liveness

pytestmark = [pytest.mark.django_db]

AS_OF = timezone.localdate()


@pytest.fixture
def run(org, eager_celery):
    """A county run of two villages, queued nowhere (its messages "lost")."""
    HouseholdFactory(village=org.village_a)
    HouseholdFactory(village=org.village_b)
    return runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False
    )


def claimed_by_a_worker(
    chunk: RatingChunk, claim: str = "host:4242:deadbeef", *, ago: float = 0
) -> None:
    RatingChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING,
        claim=claim,
        claimed_at=timezone.now() - timedelta(seconds=ago),
        attempts=1,
    )
    RatingRun.objects.filter(pk=chunk.run_id).update(status=RunStatus.RUNNING)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_a_claim_renewed_by_its_heartbeat_is_left_to_its_worker(run, settings):
    chunk = run.chunks.first()
    claimed_by_a_worker(chunk, ago=3600)  # a long chunk
    stale = settings.RATING_CHUNK_STALE_SECONDS
    liveness.beat({chunk.pk: "host:4242:deadbeef"})

    assert not liveness.rating_runs_sweep(now=later(stale - 1))
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING
    # a beat of another claim (an earlier, taken-over one) does not keep this one alive
    RatingChunkBeat.objects.filter(chunk=chunk).update(claim="host:1:other")
    assert liveness.rating_runs_sweep(now=later(stale - 1)).taken_over == [chunk.pk]


def test_a_claim_whose_heartbeat_stopped_is_taken_over_and_the_run_publishes(
    run, settings, django_capture_on_commit_callbacks
):
    first, second = run.chunks.order_by("pk")
    assert runs.rating_chunk_run(chunk_id=first.pk) == "done"
    claimed_by_a_worker(second)  # ... and the worker was killed
    assert runs.rating_chunk_run(chunk_id=second.pk) == "busy"

    with django_capture_on_commit_callbacks(execute=True):
        swept = liveness.rating_runs_sweep(now=later(settings.RATING_CHUNK_STALE_SECONDS + 1))

    assert swept.taken_over == [second.pk]
    second.refresh_from_db()
    run.refresh_from_db()
    assert (second.status, second.attempts) == (ChunkStatus.DONE, 2)
    assert run.status == RunStatus.PUBLISHED
    assert run.rated == 2


def test_a_run_whose_messages_were_lost_is_queued_again_once(
    run, settings, django_capture_on_commit_callbacks
):
    stall = settings.RATING_RUN_STALL_SECONDS
    assert not liveness.rating_runs_sweep(now=later(stall - 5))  # young: its workers are busy

    with django_capture_on_commit_callbacks(execute=True):
        swept = liveness.rating_runs_sweep(now=later(stall + 1))
    assert swept.requeued == {run.pk: list(run.chunks.order_by("pk").values_list("pk", flat=True))}
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED


def test_a_stalled_run_is_not_queued_again_by_the_next_sweep(run, settings):
    now = later(settings.RATING_RUN_STALL_SECONDS + 1)

    assert liveness.rating_runs_sweep(now=now).requeued
    assert not liveness.rating_runs_sweep(now=now + timedelta(seconds=5))  # swept just now


def test_a_publish_whose_message_was_lost_is_queued_again(
    run, settings, django_capture_on_commit_callbacks
):
    for chunk in run.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHING

    assert not liveness.rating_runs_sweep(now=later(5))
    with django_capture_on_commit_callbacks(execute=True):
        swept = liveness.rating_runs_sweep(now=later(settings.RATING_RUN_STALL_SECONDS + 1))

    assert swept.republished == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
