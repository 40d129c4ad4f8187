"""A rating run through a real Celery worker on Redis against PostgreSQL (not eager): chunks are
queued one per village, the worker rates them, the run publishes once; a chunk left behind by
a dead worker is taken over and the run still publishes a complete, correct result."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from credit.engine import DEFAULT_POLICY_JSON
from credit.models import CreditPolicyVersion, PolicyStatus
from fuxiang.audit.models import AuditAction, AuditEvent
from households.tests.factories import HouseholdFactory, VillageFactory
from rating import runs
from rating.default_cards import agricultural_card, enterprise_card, household_card
from rating.engine import card_to_json
from rating.models import (
    ChunkStatus,
    CurrentRating,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunScope,
    RunStatus,
    Scorecard,
    ScorecardStatus,
    SubjectKind,
)
from rating.selectors import scorecard_active

pytestmark = [pytest.mark.services]

AS_OF = date(2026, 6, 30)


@pytest.fixture
def approved_cards(transactional_db):
    """The default cards and credit policy in force (a real run is refused on a date without
    an approved policy). The migrations seed them, but an earlier transactional test (a real
    worker needs committed data) flushes every table when it ends."""
    if not CreditPolicyVersion.objects.filter(status=PolicyStatus.APPROVED).exists():
        data = DEFAULT_POLICY_JSON
        CreditPolicyVersion.objects.create(
            version=data["version"],
            effective_from=data["effective_from"],
            status=PolicyStatus.APPROVED,
            data=data,
            reviewed_at=timezone.now(),
        )
    for kind, card in (
        (SubjectKind.HOUSEHOLD, household_card()),
        (SubjectKind.ENTERPRISE, enterprise_card()),
        (SubjectKind.AGRICULTURAL, agricultural_card()),
    ):
        if scorecard_active(kind) is None:
            Scorecard.objects.create(
                kind=kind,
                version=card.version,
                status=ScorecardStatus.APPROVED,
                definition=card_to_json(card),
                approved_at=timezone.now(),
            )


@pytest.fixture
def county(org, approved_cards):
    """Three villages with households (committed: the worker reads them)."""
    third = VillageFactory(township=org.township, grid=org.grid_b, name="石羊塘村")
    sizes = {org.village_a: 4, org.village_b: 3, third: 5}
    households = {v.pk: [HouseholdFactory(village=v) for _ in range(n)] for v, n in sizes.items()}
    return households


def wait_for(run: RatingRun, worker, statuses=(RunStatus.PUBLISHED, RunStatus.FAILED)) -> None:
    deadline = time.monotonic() + 90
    while run.status not in statuses:
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.3)
        run.refresh_from_db()


def test_a_county_run_is_rated_by_the_worker_and_published_once(celery_worker, org, county):
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
    )
    wait_for(run, celery_worker)

    assert run.status == RunStatus.PUBLISHED, run.error
    chunks = list(RatingChunk.objects.filter(run=run))
    assert len(chunks) == 3
    for chunk in chunks:
        assert chunk.status == ChunkStatus.DONE
        assert chunk.subjects == len(county[chunk.village_id])
        assert not chunk.claim.endswith(f":{os.getpid()}")  # not this process: the worker
    for village_id, households in county.items():
        rated = RatingResult.objects.filter(run=run, village_id=village_id)
        assert sorted(rated.values_list("household_id", flat=True)) == [h.pk for h in households]
    assert CurrentRating.objects.filter(run=run).count() == 12
    assert run.rated == 12
    assert AuditEvent.objects.filter(action=AuditAction.RATING_PUBLISH).count() == 1
    assert "rating.tasks.publish_run" in celery_worker.log.read_text()


def test_a_chunk_of_a_dead_worker_is_taken_over_and_the_run_publishes_complete(
    celery_worker, org, county
):
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    dead = RatingChunk.objects.get(run=run, village=org.village_a)
    # A worker claimed village A long ago and was killed before it committed anything.
    RatingChunk.objects.filter(pk=dead.pk).update(
        status=ChunkStatus.RUNNING,
        claim="killed-host:4242:deadbeef",
        claimed_at=timezone.now() - timedelta(hours=1),
        attempts=1,
    )
    RatingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    # Celery redelivers the dead worker's unacknowledged message (acks_late); here the
    # operator's resume queues every unfinished chunk, the stale one included.
    assert runs.rating_run_resume(run_id=run.pk) == 3
    wait_for(run, celery_worker)

    assert run.status == RunStatus.PUBLISHED, run.error
    dead.refresh_from_db()
    assert dead.status == ChunkStatus.DONE
    assert dead.attempts == 2
    assert not dead.claim.startswith("killed-host")
    assert RatingResult.objects.filter(run=run).count() == 12
    assert set(CurrentRating.objects.values_list("household_id", flat=True)) == {
        h.pk for households in county.values() for h in households
    }
