"""Benchmark: several counties in one database (a province's cooperative) rated with 1, 2 and 4
real Celery workers, against the raw limit measured in the same run (issue 18 item 6,
docs/scaling.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \
        .venv/bin/python benchmarks/bench_scaling.py [--counties 10] [--households 222200] \
        [--workers 1,2,4] [--reuse]

Seeds ``--counties`` synthetic counties of ``--households`` each (codes 430223, 430224, …;
each with its own organisation and logins) into one database (``fuxiang_bench_scaling``),
then, for each worker count, starts that many ``celery worker`` processes and times a run over
every village of every county (scope "county": the whole database) from start to publish.
Prints each run, its speed-up over one worker, and the raw limit (one feature read of every
village + one COPY of the results) measured after the last run; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from typing import Any

from bench_import import open_database
from bench_rating import bench_raw_copy, bench_raw_read, bench_run, maintain

AS_OF = date(2026, 6, 30)
FIRST_CODE = 430223


def seed_counties(counties: int, households: int) -> list[tuple[str, float]]:
    from django.core.management import call_command

    from households.models import County

    done = []
    for k in range(counties):
        code = str(FIRST_CODE + k)
        if County.objects.filter(code=code, townships__isnull=False).exists():
            continue
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command(
                "seed_county",
                households=households,
                county_code=code,
                county_name=f"合成{k + 1}县",
                seed=2026 + k,
                stdout=quiet,
            )
        done.append((code, time.perf_counter() - started))
        print(f"  county {code}: {done[-1][1]:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--households", type=int, default=222_200, help="per county")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, in order")
    parser.add_argument("--database", default="fuxiang_bench_scaling")
    parser.add_argument("--reuse", action="store_true", help="keep (and complete) the database")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")
    if not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("set CELERY_BROKER_URL (Redis): the runs use real workers")
    open_database(server, args.database, reuse=args.reuse)
    from django.core.management import call_command

    from households.models import BusinessEntity, County, Household, Village

    call_command("migrate", verbosity=0)
    print(f"seeding {args.counties} counties of {args.households:,} households …", flush=True)
    seed_counties(args.counties, args.households)
    households, entities = Household.objects.count(), BusinessEntity.objects.count()
    villages = Village.objects.count()
    print(
        f"{County.objects.count()} counties, {villages:,} villages, {households:,} households, "
        f"{entities:,} entities; database {args.database}; {os.cpu_count()} cores",
        flush=True,
    )
    vacuumed = maintain()
    if vacuumed:
        print(f"  VACUUM ANALYZE first (autovacuum is off): {vacuumed:.1f} s", flush=True)
    from rating.models import RatingRun

    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if not RatingRun.objects.exists():
        # A county's first run inserts every current rating, which later runs update in
        # place: timed, it would make the first worker count look slower than it is. So
        # the counties are rated once first, untimed.
        first = bench_run(max(counts))
        print(f"  first run of the counties, not timed: {first['seconds']:.1f} s", flush=True)
        maintain()
    results: list[dict[str, Any]] = []
    for n in counts:
        load = os.getloadavg()[0]
        run = bench_run(n)
        run["workers"], run["load"] = n, load
        results.append(run)
        print(
            f"  {n} worker(s): {run['seconds']:.1f} s, {run['rated']:,} rated, "
            f"{run['seconds'] / max(run['rated'], 1) * 1e6:.0f} µs per subject "
            f"(load {load:.1f} before)",
            flush=True,
        )
        maintain()
    read = bench_raw_read()
    copy = bench_raw_copy(results[-1]["run"].pk)
    raw = read["seconds"] + copy["seconds"]
    base = results[0]["seconds"]
    print("workers | seconds | speed-up over the first | × raw limit")
    for run in results:
        print(
            f"{run['workers']:>7} | {run['seconds']:7.1f} | {base / run['seconds']:>5.2f}× "
            f"| {run['seconds'] / raw:.1f}×"
        )
    print(
        f"raw limit: {raw:.1f} s = one feature read {read['seconds']:.1f} s ({read['rows']:,} rows)"
        f" + one COPY {copy['seconds']:.1f} s ({copy['rows']:,} rows); load "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
