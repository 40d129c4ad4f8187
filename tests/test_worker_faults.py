"""A rating run survives its faults with no operator: a worker SIGKILLed in the middle of a
chunk, the broker (Redis) killed and started again empty, PostgreSQL refusing the worker's
connections for a few seconds. Each time the run publishes every subject once — none lost,
none doubled — on real ``celery worker`` processes the test starts and kills itself.

The faults are made on processes of the test's own (tests/faults.py): its own redis-server,
its own TCP proxy in front of PostgreSQL. The shared servers are never stopped. The workers run
with short timeouts (a claim is stale after 4 s without a heartbeat; they sweep every second)
so the tests take seconds; production's are in fuxiang/settings.py and the benchmark
(benchmarks/bench_worker_kill.py) measures a county with them."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager

import pytest
from django.db import connections, transaction
from django.db.models import Count

from fuxiang.celery import app
from households.models import Household
from households.tests.factories import HouseholdFactory, VillageFactory
from rating import runs
from rating.models import (
    ChunkStatus,
    CurrentRating,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunScope,
    RunStatus,
)
from rating.runs.chunks import enqueue_chunks
from tests.faults import TcpProxy, ThrowawayRedis
from tests.test_rating_worker import AS_OF, approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.services]

FAST = {
    "RATING_CHUNK_STALE_SECONDS": "4",
    "RATING_CHUNK_HEARTBEAT_SECONDS": "1",
    "RATING_SWEEP_SECONDS": "1",
    "RATING_RUN_STALL_SECONDS": "3",
}


@pytest.fixture
def county(org, approved_cards):  # noqa: F811
    """Six villages of households (committed: the workers read them)."""
    villages = [org.village_a, org.village_b] + [
        VillageFactory(township=org.township, grid=org.grid_a, name=f"第{n}村") for n in range(4)
    ]
    for n, village in enumerate(villages):
        for _ in range(3 + n):
            HouseholdFactory(village=village)
    return villages


def wait_for(predicate, what: str, workers, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}\n{workers.logs()}"
        time.sleep(0.2)


def published(run: RatingRun) -> bool:
    run.refresh_from_db()
    assert run.status not in (RunStatus.FAILED, RunStatus.CANCELLED), run.error
    return run.status == RunStatus.PUBLISHED


def assert_every_household_rated_once(run: RatingRun) -> None:
    households = Household.objects.count()
    results = RatingResult.objects.filter(run=run)
    assert results.count() == households
    doubled = results.values("household_id").annotate(n=Count("pk")).filter(n__gt=1)
    assert not doubled.exists()
    assert run.rated == households
    assert CurrentRating.objects.filter(run=run).count() == households
    assert not RatingChunk.objects.filter(run=run).exclude(status=ChunkStatus.DONE).exists()


@contextmanager
def holding(model, pk: int):
    """Hold a row lock on one row (a transaction of the test's own) for the block."""
    with transaction.atomic():
        model.objects.select_for_update().get(pk=pk)
        yield


def test_a_worker_killed_in_the_middle_of_a_chunk_is_taken_over_and_the_run_publishes(
    celery_workers, org, county
):
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
    )  # queued; no worker yet
    # Both workers claim a chunk and then wait on the run's row (each chunk marks the run
    # running, then counts itself done on it), held here: both are in the middle of a chunk.
    with holding(RatingRun, run.pk):
        doomed = celery_workers.start(env=FAST)
        survivor = celery_workers.start(env=FAST)
        claims = RatingChunk.objects.filter(run=run, status=ChunkStatus.RUNNING)
        wait_for(lambda: claims.count() == 2, "two chunks claimed", celery_workers)
        killed = claims.get(claim__contains=f":{doomed.process.pid}:")
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
        killed_at = time.monotonic()
    # no operator from here: the survivor's sweeper sees the dead claim's heartbeat stop
    wait_for(lambda: published(run), "the run publishes", celery_workers)
    seconds = time.monotonic() - killed_at

    assert_every_household_rated_once(run)
    killed.refresh_from_db()
    assert killed.attempts == 2
    assert f":{survivor.process.pid}:" in killed.claim
    assert seconds < 60, seconds
    assert "taken over" in survivor.log.read_text()


@pytest.fixture
def broker(tmp_path, settings):
    """A redis-server of the test's own as broker, result backend and cache of the workers
    and of this process (tasks the test queues go there)."""
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    saved = app.conf.broker_url, app.conf.result_backend
    app.conf.broker_url, app.conf.result_backend = redis.url(1), redis.url(2)
    app._pool = None  # the connection pool was made for the shared broker
    app.amqp._producer_pool = None
    settings.CELERY_BROKER_URL = redis.url(1)
    try:
        yield redis
    finally:
        app.conf.broker_url, app.conf.result_backend = saved
        app._pool = None
        app.amqp._producer_pool = None
        redis.stop()


def test_a_run_completes_after_the_broker_was_killed_and_came_back_empty(
    celery_workers, org, county, broker
):
    env = {
        **FAST,
        "CELERY_BROKER_URL": broker.url(1),
        "CELERY_RESULT_BACKEND": broker.url(2),
        "REDIS_URL": broker.url(0),
    }
    worker = celery_workers.start(env=env)
    chunks = RatingChunk.objects.filter(run__status__in=[RunStatus.PENDING, RunStatus.RUNNING])
    second = None
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF, dispatch=False
    )
    second = RatingChunk.objects.filter(run=run).order_by("pk")[1]
    # The worker rates the first village, then waits on the second (its row held here) while
    # the other villages' messages wait in Redis — which dies and comes back empty.
    with holding(RatingChunk, second.pk):
        enqueue_chunks(list(RatingChunk.objects.filter(run=run).values_list("pk", flat=True)))
        wait_for(
            lambda: chunks.filter(status=ChunkStatus.DONE).count() == 1,
            "the first village rated",
            celery_workers,
        )
        time.sleep(0.5)  # the worker is on the second village's claim
        broker.kill()
        time.sleep(2)
        broker.start()
    wait_for(lambda: published(run), "the run publishes", celery_workers)

    assert_every_household_rated_once(run)
    assert worker.process.poll() is None
    log = worker.log.read_text()
    assert "re-queued" in log  # the lost villages were queued again


def test_a_run_completes_after_postgresql_refused_the_workers_for_a_few_seconds(
    celery_workers, org, county
):
    db = connections["default"].settings_dict
    proxy = TcpProxy(int(db["PORT"] or 5432), db["HOST"] or "127.0.0.1")
    proxy.accept()
    through_proxy = f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    worker = celery_workers.start(env={**FAST, "DATABASE_URL": through_proxy})
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF, dispatch=False
    )
    second = RatingChunk.objects.filter(run=run).order_by("pk")[1]
    try:
        with holding(RatingChunk, second.pk):
            enqueue_chunks(list(RatingChunk.objects.filter(run=run).values_list("pk", flat=True)))
            wait_for(
                lambda: RatingChunk.objects.filter(run=run, status=ChunkStatus.DONE).count() == 1,
                "the first village rated",
                celery_workers,
            )
            time.sleep(0.5)  # the worker waits on the second village's claim
            proxy.refuse()  # its connection drops; new ones are refused
            time.sleep(3)
        proxy.accept()
        wait_for(lambda: published(run), "the run publishes", celery_workers)
    finally:
        proxy.refuse()

    assert_every_household_rated_once(run)
    assert worker.process.poll() is None
    assert proxy.accepted > 1  # the worker connected again
