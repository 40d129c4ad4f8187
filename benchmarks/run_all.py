"""Run every benchmark in ``benchmarks/`` and write their figures to ``docs/benchmarks.md``
(``make bench``; issue 18 item 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 CELERY_RESULT_BACKEND=redis://127.0.0.1:6379/2 \
        .venv/bin/python benchmarks/run_all.py [--only rating,import] [--households N] \
        [--output docs/benchmarks.md]

Each ``bench_*.py`` runs as its own process, one after the other, with the arguments below
(a benchmark not listed runs with none; one listed but missing is noted and skipped). Every
benchmark prints its own raw limit or baseline measured in the same run, so its ratios hold on
a busy machine; this page adds the machine (cores, memory, load before and after each run)
and the versions. A benchmark that fails or cannot run here (``wrk`` missing, no broker) is
recorded with its exit code and its last lines: the page says so rather than leaving it out.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"

# (script, arguments, what it measures) in the order they run: bench_rerate reuses the county
# bench_rating leaves seeded and rated.
PLAN: list[tuple[str, list[str], str]] = [
    ("bench_import.py", [], "synthetic county seeded; 10,000 households imported from .xlsx"),
    ("bench_rating.py", ["--workers", "2"], "county rated, lines written, published (2 workers)"),
    ("bench_rerate.py", [], "one household re-rated (in the rating benchmark's county)"),
    ("bench_lists.py", [], "back-office lists and searches at county scale"),
    ("bench_menu.py", [], "managers' menu badges (in the lists benchmark's county)"),
    ("bench_dashboard.py", [], "coverage dashboards"),
    ("bench_lookup.py", [], "public lookup pages under load"),
    ("bench_whitelist.py", [], "whitelist file and deltas"),
    ("bench_worker_kill.py", [], "a worker killed mid-run"),
    (
        "bench_scaling.py",
        ["--counties", "2", "--workers", "1,2"],
        "two counties in one database, 1 and 2 workers (docs/scaling.md has the 10-county run)",
    ),
]
NOT_BENCHMARKS = {"run_all.py"}
HOUSEHOLD_ARG = "--households"
DATABASE_ARG = "--database"
SHARES_DATABASE = {  # works in another benchmark's database
    "bench_rerate.py": "rating",
    "bench_menu.py": "lists",
}


def _versions() -> list[tuple[str, str]]:
    rows = [("Python", platform.python_version())]
    for module in ("django", "celery", "psycopg2"):
        try:
            rows.append((module, __import__(module).__version__.split(" ")[0]))
        except ImportError:  # pragma: no cover
            continue
    server = os.environ.get("DATABASE_URL", "")
    if server:
        try:
            import psycopg2

            with psycopg2.connect(server) as connection, connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                rows.append(("PostgreSQL", cursor.fetchone()[0]))
                for setting in ("shared_buffers", "work_mem", "autovacuum", "max_wal_size"):
                    cursor.execute(f"SHOW {setting}")
                    rows.append((f"  {setting}", cursor.fetchone()[0]))
        except Exception as exc:  # the page says what it could not read
            rows.append(("PostgreSQL", f"unreadable: {exc}".strip()[:80]))
    redis = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
    if redis:
        try:
            import redis as redis_client

            info = redis_client.Redis.from_url(redis).info("server")
            rows.append(("Redis", str(info.get("redis_version"))))
        except Exception as exc:
            rows.append(("Redis", f"unreadable: {exc}"[:80]))
    return rows


def _machine() -> list[tuple[str, str]]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return [
        ("cores", str(os.cpu_count())),
        ("CPU", cpu or platform.processor() or "?"),
        ("memory", memory or "?"),
        ("system", f"{platform.system()} {platform.release()}"),
    ]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _plan(only: set[str]) -> list[tuple[str, list[str], str, bool]]:
    """(script, arguments, description, present) in order: the listed ones, then any other
    ``bench_*.py`` found."""
    present = {
        p.name for p in HERE.glob("bench_*.py") if '__name__ == "__main__"' in p.read_text()
    } - NOT_BENCHMARKS  # (bench_lookup_settings.py and the like are a benchmark's modules)
    listed = {script for script, _, _ in PLAN}
    rows = [(s, a, d, s in present) for s, a, d in PLAN]
    rows += [(s, [], "", True) for s in sorted(present - listed)]
    if only:
        rows = [r for r in rows if r[0].removeprefix("bench_").removesuffix(".py") in only]
    return rows


def _accepts(script: str, flag: str) -> bool:
    return flag in (HERE / script).read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated names, e.g. rating,import")
    parser.add_argument("--households", type=int, help="passed to benchmarks that take it")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per benchmark")
    parser.add_argument(
        "--database-prefix",
        default="fuxiang_bench",
        help="each benchmark's database is PREFIX_<name> (they drop and re-create it)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (benchmarks make their own)")
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    started_at = datetime.now(UTC)
    sections: list[str] = []
    summary: list[tuple[str, str, str, str]] = []
    for script, extra, description, present in _plan(only):
        name = script.removesuffix(".py")
        if not present:
            print(f"== {script}: not in benchmarks/ — skipped", flush=True)
            summary.append((name, description, "not present", ""))
            continue
        command = [sys.executable, "-u", str(HERE / script), *extra]
        if args.households and _accepts(script, HOUSEHOLD_ARG):
            command += [HOUSEHOLD_ARG, str(args.households)]
        if _accepts(script, DATABASE_ARG):
            short = SHARES_DATABASE.get(script, name.removeprefix("bench_"))
            command += [DATABASE_ARG, f"{args.database_prefix}_{short}"]
        shown = " ".join(["python", f"benchmarks/{script}", *command[3:]])
        print(f"== {shown}", flush=True)
        load_before, clock = _load(), time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603  (our own scripts, fixed arguments)
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=args.timeout,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            output, code = done.stdout, done.returncode
            if code:
                output += "\n" + "\n".join(done.stderr.strip().splitlines()[-15:])
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else ""
            output += f"\n(stopped after {args.timeout} s)"
            code = -1
        seconds = time.perf_counter() - clock
        load_after = _load()
        print(output, flush=True)
        status = "ok" if code == 0 else f"exit code {code}"
        summary.append((name, description, status, f"{seconds:.0f} s"))
        sections.append(
            f"## {name}\n\n{description or ''}\n\n"
            f"`{shown}` — {status}, {seconds:.0f} s in all; load average (1/5/15 min) "
            f"{load_before} before, {load_after} after.\n\n```\n{output.strip()}\n```\n"
        )
        _write_page(args.output, started_at, summary, sections, complete=False)
    _write_page(args.output, started_at, summary, sections, complete=True)
    print(f"wrote {args.output}")
    if shutil.which("wrk") is None:
        print("note: wrk is not installed; bench_lookup needs it (apt-get install wrk)")


def _write_page(
    output: str,
    started_at: datetime,
    summary: list[tuple[str, str, str, str]],
    sections: list[str],
    *,
    complete: bool,
) -> None:
    """The page as it stands (written after every benchmark: an interrupted run leaves the
    figures it measured, and says it is incomplete)."""
    finished_at = datetime.now(UTC)
    state = "" if complete else " — **incomplete: interrupted or still running**"
    machine = "\n".join(f"| {k} | {v} |" for k, v in [*_machine(), *_versions()])
    table = "\n".join(f"| {n} | {d} | {s} | {t} |" for n, d, s, t in summary)
    page = f"""# Benchmarks

Written by `make bench` (`benchmarks/run_all.py`) on {started_at:%Y-%m-%d %H:%M} UTC, finished
{finished_at:%H:%M} UTC{state}. Each benchmark prints the raw limit or baseline it measured in the
same run beside its figure (design §5): on a shared machine absolute times move with the load,
the ratios much less. Targets are in [design.md §5](design.md#5-performance-targets).

## Machine

| | |
|---|---|
{machine}

## Runs

| benchmark | measures | result | took |
|---|---|---|---|
{table}

{chr(10).join(sections)}"""
    Path(output).write_text(page)


if __name__ == "__main__":
    main()
