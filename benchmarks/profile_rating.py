"""Profile of a county rating run, village by village, in one process (issue 19): every
statement of every chunk timed and counted by what it does, with the CPU seconds of this
process and of its PostgreSQL backend (read from ``/proc``, so the figures move little with
the load of a shared machine), then the publish step by step.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a database bench_rating.py seeded> \
        .venv/bin/python benchmarks/profile_rating.py [--villages N] [--publish]

The chunks run as a worker runs them (``rating_chunk_run``: claim, heartbeat, the chunk's
transaction) but one after the other, without Celery; Celery's own cost per task is measured
apart (``--celery``: an empty task's round trip through the broker, on a real worker). Prints
figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import setup_django

AS_OF = date(2026, 6, 30)
_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a local PostgreSQL backend so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


_LABELS: list[tuple[str, str]] = [
    ("INSERT INTO rating_ratingresult", "score+insert results"),
    ("INSERT INTO credit_creditline", "credit lines"),
    ("DELETE FROM rating_ratingresult", "delete earlier results"),
    ("DELETE FROM credit_creditline", "delete earlier lines"),
    ("FROM rating_ratingresult WHERE run_id", "count results"),
    ("COUNT(*) FROM households_household", "count skipped"),
    ("UPDATE rating_ratingrun SET chunks_done", "done on run"),
    ("SELECT status, chunks_done", "done on run"),
    ('UPDATE "rating_ratingchunk" SET "status" = %s, "subjects"', "chunk done mark"),
    ('UPDATE "rating_ratingchunk" SET "status" = %s, "claim"', "claim"),
    ('FROM "rating_ratingchunk" WHERE', "chunk read/lock"),
    ('UPDATE "rating_ratingrun"', "run started"),
    ("SET LOCAL", "settings"),
    ("SELECT set_config", "settings"),
    ("SAVEPOINT", "savepoint"),
    ("RELEASE SAVEPOINT", "savepoint"),
]


def label_of(sql: str, prepared: dict[str, str]) -> str:
    body = sql
    match = re.search(r"EXECUTE (fx_\w+)", sql)
    if match:
        body = prepared.get(match.group(1), sql)
    if sql.lstrip().startswith("PREPARE"):
        return "prepare"
    for needle, label in _LABELS:
        if needle in body:
            return label
    return "other: " + " ".join(body.split())[:70]


class Recorder:
    """An ``execute_wrapper``: wall and backend CPU per statement, by label."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.prepared: dict[str, str] = {}
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        match = re.match(r"\s*PREPARE (fx_\w+).*? AS (.*)", sql, re.S)
        if match:
            self.prepared[match.group(1)] = match.group(2)
        label = label_of(sql, self.prepared)
        cpu, wall = backend_cpu(self.pid), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.wall[label] += time.perf_counter() - wall
            self.cpu[label] += backend_cpu(self.pid) - cpu
            self.count[label] += 1


@contextmanager
def timed(totals: dict[str, float], name: str, pid: int) -> Iterator[None]:
    wall, cpu, db = time.perf_counter(), time.process_time(), backend_cpu(pid)
    try:
        yield
    finally:
        totals[f"{name} wall"] += time.perf_counter() - wall
        totals[f"{name} python cpu"] += time.process_time() - cpu
        totals[f"{name} db cpu"] += backend_cpu(pid) - db


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=0, help="only the first N chunks")
    parser.add_argument("--publish", action="store_true", help="also publish the run, timed")
    parser.add_argument("--no-vacuum", action="store_true")
    args = parser.parse_args()
    setup_django(os.environ["DATABASE_URL"])
    from django.db import connection

    from rating import hooks, runs
    from rating.models import RatingChunk, RatingRun, RunScope, RunStatus

    if not args.no_vacuum:
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            if cursor.fetchone()[0] == "off":
                cursor.execute("VACUUM ANALYZE")
    RatingRun.objects.filter(status__in=(RunStatus.PENDING, RunStatus.RUNNING)).update(
        status=RunStatus.CANCELLED
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    totals: dict[str, float] = defaultdict(float)
    with timed(totals, "start", pid):
        run = runs.rating_run_start(
            actor=None, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF, dispatch=False
        )
    chunk_ids = list(
        RatingChunk.objects.filter(run=run).order_by("pk").values_list("pk", flat=True)
    )
    if args.villages:
        chunk_ids = chunk_ids[: args.villages]
    recorder = Recorder(pid)
    with connection.execute_wrapper(recorder), timed(totals, "chunks", pid):
        for chunk_id in chunk_ids:
            runs.rating_chunk_run(chunk_id=chunk_id, queue_publish=False)
    n = len(chunk_ids)
    print(f"run #{run.pk}: {n} chunks of {run.chunks_total}; load {os.getloadavg()[0]:.1f}")
    for kind in ("wall", "python cpu", "db cpu"):
        total = totals[f"chunks {kind}"]
        print(f"  chunks {kind}: {total:.2f} s ({total / n * 1e3:.1f} ms per village)")
    print(f"  statements per chunk: {sum(recorder.count.values()) / n:.1f}")
    print(f"  {'statement':<40} {'per chunk':>9} {'wall ms':>8} {'db cpu ms':>9}  (per village)")
    for label in sorted(recorder.wall, key=lambda k: -recorder.wall[k]):
        count, wall, cpu = recorder.count[label], recorder.wall[label], recorder.cpu[label]
        print(f"  {label:<40} {count / n:>9.1f} {wall / n * 1e3:>8.2f} {cpu / n * 1e3:>9.2f}")
    if not args.publish or n != run.chunks_total:
        return
    steps = defaultdict(float)
    originals = hooks.steps()
    for step in originals:
        hooks.unregister(step)

        def wrapped(r: Any, step: Any = step) -> None:
            with timed(steps, step.__qualname__, pid):
                step(r)

        hooks.register(wrapped)
    publish = Recorder(pid)
    with connection.execute_wrapper(publish), timed(totals, "publish", pid):
        run = runs.rating_run_publish(run_id=run.pk)
    print(
        f"publish: {run.status}; wall {totals['publish wall']:.2f} s, python cpu "
        f"{totals['publish python cpu']:.2f} s, db cpu {totals['publish db cpu']:.2f} s"
    )
    for name in sorted(k for k in steps if k.endswith(" wall")):
        step = name[: -len(" wall")]
        print(f"  hook {step:<36} wall {steps[name]:.3f} s, db cpu {steps[f'{step} db cpu']:.3f} s")
    for label in sorted(publish.wall, key=lambda k: -publish.wall[k])[:12]:
        count, wall, cpu = publish.count[label], publish.wall[label], publish.cpu[label]
        print(f"  {label[:60]:<60} x{count:<3} {wall:.3f} s  db cpu {cpu:.3f} s")


if __name__ == "__main__":
    main()
