"""Benchmark: one household's archive edited, and its new grade and credit line visible, with
a real Celery worker running (docs/design.md §5, issue 19: ≤ 1 s after the save).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/2 \
        .venv/bin/python benchmarks/bench_rerate.py [--database fuxiang_bench_rating] \
        [--households 222200] [--edits 10]

Uses the rating benchmark's database (``bench_rating.py`` leaves it seeded and rated; with
neither it seeds ``--households`` and rates the county first). Starts one real worker, then
``--edits`` times: a head-office user changes a rated household's wage income through
``households.services.household_update`` (committed, as a page would), and the clock runs
until the household's current rating is a newer run's and its current credit line is that
result's — what the household page and the villager's lookup read. Baseline in the same run:
the round trip of an empty re-rating task (queue → worker → result), the least any re-rating
on a worker can take. Prints each figure, the median and the ratio; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench_import import fresh_database, setup_django
from bench_rating import _start_workers, _stop_workers, seed

TARGET_SECONDS = 1.0
AS_OF = date(2026, 6, 30)


def _ensure_rated(households: int) -> None:
    from django.core.management import call_command

    from fuxiang.celery import app
    from households.models import Household
    from rating import runs
    from rating.models import RatingRun, RunScope, RunStatus

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        print(f"seeding {households:,} households …", flush=True)
        print(f"  seed_county: {seed(households):.1f} s", flush=True)
    if not RatingRun.objects.filter(status=RunStatus.PUBLISHED, scope=RunScope.COUNTY).exists():
        print("rating the county (eager) …", flush=True)
        app.conf.task_always_eager = True
        runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF)
        app.conf.task_always_eager = False


def _visible(household_id: int, after_run: int) -> bool:
    """The household's current rating is a run newer than ``after_run``, and its current line
    what the pages read with it: that result's line, or none for a grade that grants none
    (the publish switches both in one transaction)."""
    from credit.selectors import household_current_line
    from rating.models import CurrentRating

    current = CurrentRating.objects.filter(household_id=household_id).first()
    if current is None or current.run_id <= after_run:
        return False
    line = household_current_line(household_id)
    return line is None or line.rating_result_id == current.result_id


def bench_edit(household: Any, actor: Any, rng: random.Random) -> float:
    from households import services
    from rating.models import CurrentRating

    before = CurrentRating.objects.get(household_id=household.pk).run_id
    wages = Decimal(rng.randrange(20, 400) * 1000)
    started = time.perf_counter()
    services.household_update(actor=actor, household=household, fields={"income_wages": wages})
    deadline = started + 120
    while not _visible(household.pk, before):
        if time.perf_counter() > deadline:
            sys.exit(f"household {household.pk}: no new rating 120 s after the save")
        time.sleep(0.01)
    return time.perf_counter() - started


def bench_empty_task() -> float:
    """Queue → worker → result of a re-rating task with nothing to rate."""
    from rating import tasks

    started = time.perf_counter()
    tasks.rerate_households.delay([], "bench").get(timeout=60)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", default="fuxiang_bench_rating", help="database name")
    parser.add_argument("--households", type=int, default=222_200, help="if it must seed")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="drop and seed the database")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark uses its own)")
    if not os.environ.get("CELERY_RESULT_BACKEND"):
        sys.exit("set CELERY_BROKER_URL and CELERY_RESULT_BACKEND (Redis)")
    if args.fresh:
        setup_django(fresh_database(server, args.database))
    else:
        setup_django(urlunparse(urlparse(server)._replace(path=f"/{args.database}")))
    from django.conf import settings

    from fuxiang.accounts.models import Role, User
    from households.models import Household
    from rating.models import CurrentRating

    _ensure_rated(args.households)
    if not settings.RATING_AUTO_RERATE:
        sys.exit("RATING_AUTO_RERATE is off: nothing re-rates an edited household")
    actor = User.objects.filter(role=Role.HEAD_OFFICE, is_active=True).first()
    rng = random.Random(19)
    rated = list(
        CurrentRating.objects.filter(household__isnull=False)
        .order_by("household_id")
        .values_list("household_id", flat=True)[:50_000]
    )
    chosen = Household.objects.in_bulk(rng.sample(rated, min(args.edits, len(rated))))
    print(
        f"one household re-rated after an edit, {Household.objects.count():,} households, "
        f"database {args.database}, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    pool = _start_workers(1)
    try:
        bench_empty_task()  # the worker's first task opens its connection
        baselines, edits = [], []
        for household in chosen.values():
            baselines.append(bench_empty_task())
            edits.append(bench_edit(household, actor, rng))
    finally:
        _stop_workers(pool)
    median, base = statistics.median(edits), statistics.median(baselines)
    print(f"  save → grade and line visible: {', '.join(f'{s:.2f}' for s in edits)} s")
    print(
        f"  median {median:.2f} s, worst {max(edits):.2f} s  (target ≤ {TARGET_SECONDS:.0f} s); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  baseline, an empty re-rating task's round trip: median {base * 1000:.0f} ms; "
        f"ratio {median / base:.1f}×"
    )


if __name__ == "__main__":
    main()
