"""Benchmark: a county-wide rating run on PostgreSQL against the raw limit measured in the same
run (docs/design.md §5, issue 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_rating.py [--households 222200] [--reuse] \
        [--workers N] [--runs 2]   # with CELERY_BROKER_URL=redis://…: N real workers

``DATABASE_URL`` names the server; the benchmark drops and re-creates its own database
(``fuxiang_bench_rating`` unless ``--database`` says otherwise), migrates it and seeds the
synthetic county with ``seed_county`` (``--reuse`` keeps an already seeded database). It then
times ``rating_run_start(actor=None, scope=county)`` end to end (features → scores → results
and credit lines → publish) — with Celery eager, all in this process, or with ``--workers N``
real ``celery worker`` processes — ``--runs`` times one after the other (by default twice: a
county's first run, which inserts every current rating and writes every household's grade
copy, then a re-run of the same county, what a bank does after each archive campaign or
policy change), and the raw limit: one SQL read of the same
features for the whole county (the statements of ``rating/features_sql.py``, executed once
with a plain cursor, every row fetched) plus one COPY of the same number of result rows into a
temporary copy of the results table — no ORM, no Python per row. Prints both, their ratio and
peak RSS; it is not a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench_import import ROOT, _peak_rss_mb, open_database

TARGET_SECONDS = 5  # issue 19 (was 10)
TARGET_RATIO = 2.5  # issue 19 (was 4)
TARGET_RSS_MB = 1024
AS_OF = date(2026, 6, 30)


def seed(households: int) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_county", households=households, stdout=quiet)
    return time.perf_counter() - started


def maintain() -> float:
    """What autovacuum would have done by the time a real county is re-rated: statistics of
    the tables earlier runs filled, and their dead rows removed. Some servers (this project's
    CI machine among them) run with autovacuum off; without this, repeated runs with
    ``--reuse`` plan against stale statistics and slow down run after run. Returns the seconds
    spent, 0 when autovacuum is on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return 0.0
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def bench_run(workers: int) -> dict[str, Any]:
    """One county run. With ``workers=0``, eager: ``rating_run_start`` queues its chunks after
    commit and eager Celery rates them and publishes in this process before the call returns.
    Otherwise ``workers`` real ``celery worker`` processes on the broker of
    ``CELERY_BROKER_URL`` share the chunks, as in production, and the clock stops when the
    run is published."""
    from fuxiang.celery import app
    from rating import runs
    from rating.models import RatingRun, RunScope, RunStatus

    logging.getLogger("celery").setLevel(logging.WARNING)  # a "succeeded" line per chunk
    pool = _start_workers(workers) if workers else None
    try:
        app.conf.task_always_eager = not workers
        cpu_before = _cpu_seconds(pool or [])
        started = time.perf_counter()
        # started "on" AS_OF: a real run may not be dated far from the day it starts
        run = runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF)
        while workers:
            status = RatingRun.objects.values_list("status", flat=True).get(pk=run.pk)
            if status not in (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PUBLISHING):
                break
            time.sleep(0.1)  # a poll costs the workers' CPU too
        seconds = time.perf_counter() - started
        cpu_after = _cpu_seconds(pool or [])
    finally:
        if pool:
            _stop_workers(pool)
    run.refresh_from_db()
    if run.status != RunStatus.PUBLISHED:
        sys.exit(f"run #{run.pk} ended {run.status}: {run.error}")
    return {
        "run": run,
        "seconds": seconds,
        "villages": run.chunks_total,
        "rated": run.rated,
        "skipped": run.skipped,
        "grades": run.grade_counts,
        "rss": _peak_rss_mb()[0],
        "cpu": _cpu_spent(cpu_before, cpu_after),
        "load": os.getloadavg()[0],
    }


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a local process so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _cpu_seconds(pool: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    """CPU seconds so far of this process, of the workers, and of each of the database's
    sessions (a local server: their processes are read from ``/proc``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        backends = [pid for (pid,) in cursor.fetchall()]
    return {
        "bench": time.process_time(),
        "workers": sum(_process_cpu(p.pid) for p in pool),
        "backends": {pid: _process_cpu(pid) for pid in backends},
    }


def _cpu_spent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds between two ``_cpu_seconds``; a database session that ended meanwhile is
    not counted, so the database's figure is a lower bound."""
    database = sum(cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items())
    return {
        "bench": after["bench"] - before["bench"],
        "workers": after["workers"] - before["workers"],
        "database": database,
    }


def _start_workers(n: int) -> list[subprocess.Popen[bytes]]:
    from django.db import connection

    from fuxiang.celery import app

    if not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("--workers needs CELERY_BROKER_URL (Redis), e.g. redis://127.0.0.1:6379/1")
    db = connection.settings_dict
    queue = f"bench-{os.getpid()}"
    app.conf.task_default_queue = queue
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    logs, pool = [], []
    for i in range(n):
        log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        command = [
            sys.executable, "-m", "celery", "-A", "fuxiang", "worker", "--pool=solo",
            "--queues", queue, "--hostname", f"{queue}-{i}@%h", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        pool.append(
            subprocess.Popen(  # noqa: S603  (our own worker, fixed arguments)
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        logs.append(log)
    deadline = time.monotonic() + 180  # a busy machine starts four workers slowly
    for process, log in zip(pool, logs, strict=True):
        while "ready" not in Path(log.name).read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                _stop_workers(pool)
                sys.exit(f"a Celery worker did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.1)
    return pool


def _stop_workers(pool: list[subprocess.Popen[bytes]]) -> None:
    for process in pool:
        process.terminate()
    for process in pool:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    stopped = _backends_stop()
    if stopped:
        print(f"  (stopped {stopped} database session(s) the workers left running)")


def _backends_stop() -> int:
    """End every other session on the benchmark's own database and return how many were
    busy. A publish queues the loan whitelists' rebuild (minutes of a county's work) on the
    workers; a worker stopped in the middle of it leaves its backend running the statement
    on the server, which would load the next run or the raw limit measured after it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE state <> 'idle'), "
            "COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        busy, _ = cursor.fetchone()
    return int(busy)


def _county_wide(sql: str) -> str:
    """A per-village statement of ``features_sql`` made county-wide: each ``village_id = %s``
    becomes ``village_id = ANY(%s)`` over every village (same joins, same columns)."""
    return sql.replace("village_id = %s", "village_id = ANY(%s)")


def bench_raw_read() -> dict[str, Any]:
    """The features of the whole county in one read per subject kind, every row fetched."""
    from django.db import connection

    from households.models import Village
    from rating import features_sql

    villages = list(Village.objects.values_list("pk", flat=True))
    statements = [
        (_county_wide(features_sql._household_sql("")), [villages] * 3),
        (_county_wide(features_sql._entity_sql("")), [villages] * 2),
    ]
    rows = 0
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg2's own cursor
        started = time.perf_counter()
        for sql, params in statements:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
        seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds}


def bench_raw_copy(run_id: int) -> dict[str, Any]:
    """COPY the run's result rows (already encoded by PostgreSQL, so no Python per row) into
    a temporary table like the results table, with its indexes and constraints."""
    from django.db import connection

    from rating.models import RatingResult
    from rating.results_sql import RESULT_COLUMNS

    table = RatingResult._meta.db_table
    columns = ", ".join(RESULT_COLUMNS)
    with connection.cursor() as django_cursor, tempfile.TemporaryFile() as data:
        cursor = django_cursor.cursor
        cursor.copy_expert(
            f"COPY (SELECT {columns} FROM {table} WHERE run_id = {int(run_id)}) TO STDOUT",  # noqa: S608
            data,
        )
        size = data.tell()
        cursor.execute("DROP TABLE IF EXISTS bench_raw_result")
        cursor.execute(f"CREATE TEMPORARY TABLE bench_raw_result (LIKE {table} INCLUDING ALL)")
        data.seek(0)
        started = time.perf_counter()
        cursor.copy_expert(f"COPY bench_raw_result ({columns}) FROM STDIN", data, size=1 << 20)
        seconds = time.perf_counter() - started
        rows = cursor.rowcount
        cursor.execute("DROP TABLE bench_raw_result")
    return {"rows": rows, "bytes": size, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_rating", help="database name")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument(
        "--runs",
        type=int,
        default=2,
        help="county runs one after the other (the first of a fresh county, then re-runs)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="real Celery workers on CELERY_BROKER_URL sharing the run (0: eager, one process)",
    )
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")

    open_database(server, args.database, reuse=args.reuse)
    from django.core.management import call_command

    from households.models import BusinessEntity, Household

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        print(f"seeding {args.households:,} households …", flush=True)
        print(f"  seed_county: {seed(args.households):.1f} s")
    households, entities = Household.objects.count(), BusinessEntity.objects.count()
    print(
        f"county rating run, {households:,} households and {entities:,} entities, "
        f"PostgreSQL database {args.database}"
    )
    busy = _backends_stop()
    if busy:
        print(f"  {busy} session(s) still busy on {args.database} were stopped first")
    vacuumed = maintain()
    if vacuumed:
        print(f"  autovacuum is off on this server: VACUUM ANALYZE first ({vacuumed:.1f} s)")
    from rating.models import RatingRun

    first = not RatingRun.objects.exists()
    runs = [bench_run(args.workers)]
    for _ in range(args.runs - 1):  # the same county again, as a bank re-rates it
        maintain()  # (what autovacuum would have done between two runs)
        runs.append(bench_run(args.workers))
    read = bench_raw_read()
    copy = bench_raw_copy(runs[-1]["run"].pk)
    raw = read["seconds"] + copy["seconds"]
    workers_rss = _peak_rss_mb()[1]
    how = f"{args.workers} Celery workers" if args.workers else "eager, one process"
    for n, run in enumerate(runs):
        what = "first run of the county" if first and n == 0 else "re-run"
        print(
            f"  {what}, end to end ({how}): {run['seconds']:.2f} s  "
            f"(target ≤ {TARGET_SECONDS} s); load {run['load']:.1f}"
        )
        print(
            f"    {run['villages']:,} villages, {run['rated']:,} rated, "
            f"{run['skipped']:,} skipped; "
            f"{run['seconds'] / max(run['rated'], 1) * 1e6:.0f} µs per subject"
        )
        if n == 0:
            print(f"    grades {run['grades']}")
        cpu = run["cpu"]
        print(
            f"    CPU seconds: database ≥ {cpu['database']:.1f}, workers {cpu['workers']:.1f}, "
            f"this process {cpu['bench']:.1f}"
        )
    print(
        f"  raw limit: {raw:.2f} s = one feature read {read['seconds']:.2f} s "
        f"({read['rows']:,} rows) + one COPY {copy['seconds']:.2f} s "
        f"({copy['rows']:,} result rows, {copy['bytes'] / 2**20:.0f} MB); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for n, run in enumerate(runs):
        what = "first run" if first and n == 0 else "re-run"
        print(
            f"  ratio end to end / raw limit, {what}: {run['seconds'] / raw:.1f}×  "
            f"(target ≤ {TARGET_RATIO}×)"
        )
    rss = f"{max(r['rss'] for r in runs):.0f} MB (this process, before the raw read)"
    if args.workers:
        rss += f", {workers_rss:.0f} MB (largest worker)"
    print(f"  peak RSS of the runs: {rss}  (target ≤ {TARGET_RSS_MB} MB)")


if __name__ == "__main__":
    main()
