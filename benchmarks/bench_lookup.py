"""Benchmark: the public lookup pages under load against a bare Django view on the same server,
in the same run (docs/design.md §5: ≥ 25% of the bare view's throughput, p99 ≤ 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python benchmarks/bench_lookup.py [--households 222200] [--reuse] \
        [--seconds 10] [--connections 8] [--workers 2] [--threads 4]

``DATABASE_URL`` names the server: the benchmark drops and re-creates its own database
(``fuxiang_bench_lookup`` unless ``--database`` says otherwise), migrates it, seeds the
synthetic county (``seed_county``), rates it, makes the villages' QR codes (``seed_qrcodes``)
and a verified lookup session for each of ``--sessions`` households with a credit line
(``--reuse`` keeps an already prepared database and makes new sessions).

It then serves the project with gunicorn on 127.0.0.1 (DEBUG off, static files collected, the
cache on ``REDIS_URL``) and loads three URLs with ``wrk`` (Debian: ``apt-get install wrk``), one
after the other, each for ``--seconds``:

- a bare Django view (``HttpResponse("ok")`` through the same middleware),
- the landing page of the villages' codes (``/q/<token>``: counts a scan, one INSERT),
- the verified result page (``/q/me/`` with the sessions' cookies in turn: the household's
  grade, line and explanation, one event INSERT).

Each URL is loaded ``--rounds`` times, the rounds in alternating order; the best run of each
counts (a shared machine's slow spells hit every URL alike). Prints requests/s, p50 and p99 of
every run and the ratios of the best runs to the bare view. Traffic goes to
127.0.0.1 only and every run is bounded in time. Not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_import import ROOT, fresh_database, setup_django

TARGET_RATIO = 0.25
TARGET_P99_MS = 50.0
HERE = Path(__file__).resolve().parent


def prepare(households: int) -> None:
    from django.core.management import call_command

    from rating import runs
    from rating.models import RunScope

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_county", households=households, stdout=quiet)
    print(f"  seeded {households:,} households in {time.perf_counter() - started:.1f} s")
    from django.utils import timezone

    from fuxiang.celery import app

    app.conf.task_always_eager = True
    started = time.perf_counter()
    runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=timezone.localdate())
    print(f"  rated the county in {time.perf_counter() - started:.1f} s")
    with open(os.devnull, "w") as quiet:
        call_command("seed_qrcodes", stdout=quiet)


def sessions(count: int, *, warm: bool = True) -> list[str]:
    """Session keys of verified lookups of ``count`` households with an active line, valid for
    a day — as the code page leaves them, which also prepares each household's page in the
    cache (``warm``; ``--cold`` measures pages built on their first view instead)."""
    from dataclasses import astuple

    from django.contrib.sessions.backends.db import SessionStore

    from credit.selectors import current_lines
    from households.models import Member, Relation
    from qrlookup.models import QrCode
    from qrlookup.qrcode_selectors import code_attribution

    token = QrCode.objects.filter(revoked_at__isnull=True).values_list("token", flat=True)[0]
    attribution = list(astuple(code_attribution(token)))
    heads = (
        Member.objects.filter(
            relation=Relation.HEAD,
            household_id__in=current_lines()
            .filter(household__isnull=False, status="active")
            .values("household_id"),
        )
        .order_by("?")
        .values_list("pk", "household_id")[:count]
    )
    keys = []
    for member_id, household_id in heads:
        store = SessionStore()
        store.update(
            {
                "qrl_token": token,
                "qrl_household": household_id,
                "qrl_member": member_id,
                "qrl_until": int(time.time()) + 86400,
                "qrl_attribution": attribution,
            }
        )
        store.create()
        keys.append(store.session_key)
        if warm:
            from django.utils import timezone

            from qrlookup.lookup_selectors import household_page_cached

            household_page_cached(
                household_id=household_id, member_id=member_id, as_of=timezone.localdate()
            )
    return keys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database_url: str, workers: int, threads: int, static_root: Path) -> tuple[Any, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench_lookup_settings",
        "BENCH_STATIC_ROOT": str(static_root),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "fuxiang.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(f"{base}/bench/bare", timeout=2).read()  # noqa: S310
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                sys.exit("gunicorn did not start")
            time.sleep(0.3)
    return process, base


def _lua(paths: list[str], cookies: list[str]) -> str:
    quoted = ", ".join(f'"{p}"' for p in paths)
    jar = ", ".join(f'"{c}"' for c in cookies) or '""'
    return (
        f"local paths = {{{quoted}}}\nlocal cookies = {{{jar}}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        "  local headers = {}\n"
        "  local c = cookies[(n % #cookies) + 1]\n"
        '  if c ~= "" then headers["Cookie"] = "sessionid=" .. c end\n'
        '  return wrk.format("GET", paths[(n % #paths) + 1], headers)\nend\n'
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def load(base: str, paths: list[str], cookies: list[str], args: Any, label: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(paths, cookies))
    command = [
        "wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds}s",
        "--latency", "--timeout", "5s", "-s", script.name, base,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result = {"label": label, "rps": rps, "p50": p50, "p99": p99,
              "non_2xx": int(errors.group(1)) if errors else 0}  # fmt: skip
    print(
        f"  {label:<22} {rps:>8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
        + (f"   non-2xx {result['non_2xx']}" if result["non_2xx"] else "")
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_lookup")
    parser.add_argument("--reuse", action="store_true", help="keep a prepared database")
    parser.add_argument("--seconds", type=int, default=10, help="per URL (bounded)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each URL (best counts)")
    parser.add_argument(
        "--cold", action="store_true", help="result pages not prepared at verification"
    )
    args = parser.parse_args()
    if args.seconds > 120 or args.rounds > 5:
        sys.exit("bounded: --seconds at most 120 per URL, --rounds at most 5")
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL=redis://127.0.0.1:6379/N (the cache and the event buffer)")
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    from urllib.parse import urlparse, urlunparse

    if args.reuse:
        database_url = urlunparse(urlparse(server)._replace(path=f"/{args.database}"))
    else:
        database_url = fresh_database(server, args.database)
    setup_django(database_url)
    print(f"码上查 under load: {args.households:,} households, database {args.database}")
    if not args.reuse:
        prepare(args.households)
    from qrlookup.models import QrCode

    tokens = list(QrCode.objects.filter(revoked_at__isnull=True).values_list("token", flat=True))
    keys = sessions(args.sessions, warm=not args.cold)
    print(f"  {len(tokens)} village codes, {len(keys)} verified sessions")
    from django.db import connections

    connections.close_all()
    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    process, base = serve(database_url, args.workers, args.threads, static_root)
    try:
        print(
            f"  gunicorn {args.workers}×{args.threads} threads at {base}; wrk -t{args.wrk_threads} "
            f"-c{args.connections} -d{args.seconds}s each"
        )
        targets = {
            "bare": (["/bench/bare"], [], "bare Django view"),
            "landing": ([f"/q/{t}" for t in tokens], [], "landing /q/<token>"),
            "result": (["/q/me/"], keys, "result /q/me/"),
        }
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for round_number in range(args.rounds):
            # each round in the other order, so a slow spell of a shared machine falls on
            # every URL alike; the best run of each URL counts
            order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
            for name in order:
                paths, cookies, label = targets[name]
                runs[name].append(load(base, paths, cookies, args, label))
        bare, landing, result = (max(runs[n], key=lambda r: r["rps"]) for n in targets)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
    print(f"  best of {args.rounds} rounds:")
    for page in (landing, result):
        ratio = page["rps"] / bare["rps"]
        ok = ratio >= TARGET_RATIO and page["p99"] <= TARGET_P99_MS
        print(
            f"  {page['label']:<22} {ratio:6.1%} of the bare view "
            f"(target ≥ {TARGET_RATIO:.0%}), p99 {page['p99']:.1f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f} ms) {'OK' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
