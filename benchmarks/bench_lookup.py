"""Benchmark: the public lookup pages under load against a bare Django view on the same server,
in the same run (docs/design.md §5: ≥ 25% of the bare view's throughput, p99 ≤ 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/N \
        .venv/bin/python benchmarks/bench_lookup.py [--households 222200] [--reuse] \
        [--seconds 10] [--connections 8] [--rate 100] [--workers N]

``DATABASE_URL`` names the server: the benchmark drops and re-creates its own database
(``fuxiang_bench_lookup`` unless ``--database`` says otherwise), migrates it, seeds the
synthetic county (``seed_county``), rates it, makes the villages' QR codes (``seed_qrcodes``)
and a verified lookup session for each of ``--sessions`` households with a credit line
(``--reuse`` keeps an already prepared database, migrates it and makes new sessions).

It then serves the project as docker-compose.yml's web service does: gunicorn with the
project's ``gunicorn.conf.py`` (its worker class, workers, recycling, JSON access log),
DEBUG off, the cache and event buffer on ``REDIS_URL``, ``PROMETHEUS_MULTIPROC_DIR`` set, and
the requests carrying what nginx adds (``X-Forwarded-Proto: https``, ``X-Forwarded-For``; the
server trusts one proxy, ``DJANGO_BEHIND_PROXY=1``). Only the address (``GUNICORN_BIND``, on
127.0.0.1) and the bench's settings module (the bare view's URL, a throw-away STATIC_ROOT)
differ; ``--workers`` sets ``GUNICORN_WORKERS`` as an operator would. The server's log (JSON
lines, one per request) goes to a file, as Docker's log driver takes it — never to this
terminal, which would slow or stall the workers writing to it.

Three URLs are loaded with ``wrk`` (Debian: ``apt-get install wrk``), one after the other:

- a bare Django view (``HttpResponse("ok")`` through the same middleware),
- the landing page of the villages' codes (``/q/<token>``: counts a scan),
- the verified result page (``/q/me/`` with the cookies of verified browsers in turn — the
  session's and the CSRF cookie the forms before it set: the household's grade, line and
  explanation, one event). Its pages are prepared just before each run, as confirming the
  SMS code does (``--cold``: not prepared; a page is kept for 60 seconds).

Each URL is measured two ways, the same for all three:

- **saturation**: ``--connections`` connections send requests back to back for ``--seconds``;
  requests/s is the throughput compared with the bare view, and p50/p99 are those of a
  server kept 100% busy (queueing included);
- **paced** (``--rate`` requests/s offered in all, 0 to skip): each connection waits
  ``connections / rate`` seconds (randomised ±50%) after a response before its next request.
  This is wrk's closed loop with a pause, not an open-loop generator (wrk2 is not packaged):
  a slow response delays the requests behind it instead of piling them up, so its p99 is a
  lower bound of what clients arriving at that rate would see.

Each URL is first loaded for two seconds unmeasured (a server in service has served it
before), then ``--rounds`` times, the rounds in alternating order; the best run of each counts
(a shared machine's slow spells hit every URL alike). The machine's load average is printed
with every figure. Traffic goes to 127.0.0.1 only and every run is bounded in time.
Not a test.
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
from collections.abc import Iterator
from contextlib import contextmanager
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


def sessions(count: int) -> tuple[list[str], list[tuple[int, int]]]:
    """The cookies of verified lookups of ``count`` households with an active line (a session
    valid for a day in the project's session store, as confirming the SMS code leaves it, and
    a CSRF cookie), and the (household, member) of each."""
    from dataclasses import astuple
    from importlib import import_module

    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    from credit.selectors import current_lines
    from households.models import Member, Relation
    from qrlookup.models import QrCode
    from qrlookup.qrcode_selectors import code_attribution

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    token = QrCode.objects.filter(revoked_at__isnull=True).values_list("token", flat=True)[0]
    attribution = list(astuple(code_attribution(token)))
    heads = list(
        Member.objects.filter(
            relation=Relation.HEAD,
            household_id__in=current_lines()
            .filter(household__isnull=False, status="active")
            .values("household_id"),
        )
        .order_by("?")
        .values_list("household_id", "pk")[:count]
    )
    keys = []
    for household_id, member_id in heads:
        store = store_class()
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
        # the cookies of a browser that has been verified: the session's, and the CSRF cookie
        # it got with the identity and code forms it posted
        csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
        session = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
        keys.append(f"{session}; {settings.CSRF_COOKIE_NAME}={csrf}")
    return keys, heads


def prepare_pages(heads: list[tuple[int, int]]) -> None:
    """Prepare each household's result page, as confirming the SMS code does (it is kept for
    ``lookup_selectors.PAGE_SECONDS``)."""
    from django.db import connections
    from django.utils import timezone

    from qrlookup.lookup_selectors import household_page_cached

    for household_id, member_id in heads:
        household_page_cached(
            household_id=household_id, member_id=member_id, as_of=timezone.localdate()
        )
    connections.close_all()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


@contextmanager
def serve(database_url: str, workers: int | None, scratch: Path) -> Iterator[str]:
    """docker-compose.yml's web service on 127.0.0.1: ``gunicorn fuxiang.wsgi:application
    --config gunicorn.conf.py``, its log written to ``scratch/server.log``."""
    static_root, metrics = scratch / "static", scratch / "prometheus"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench_lookup_settings",
        "BENCH_STATIC_ROOT": str(static_root),
        "DJANGO_DEBUG": "0",
        # nginx in front: https is said by X-Forwarded-Proto, the client by X-Forwarded-For
        "DJANGO_BEHIND_PROXY": "1",
        "DJANGO_PROXY_COUNT": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}",
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    command = [
        sys.executable, "-m", "gunicorn", "fuxiang.wsgi:application",
        "--config", str(ROOT / "gunicorn.conf.py"),
    ]  # fmt: skip
    log_path = scratch / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        _log_summary(log_path)


def _wait_until_up(base: str, process: Any, log_path: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 90
    request = urllib.request.Request(f"{base}/bench/bare", headers=PROXY_HEADERS)  # noqa: S310
    while True:
        try:
            urllib.request.urlopen(request, timeout=2).read()  # noqa: S310
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                sys.exit("gunicorn did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)


def _log_summary(log_path: Path) -> None:
    """What the server's own log says about the run: requests logged, workers recycled."""
    text = log_path.read_text(errors="replace")
    print(
        f"  server log: {text.count('gunicorn.access'):,} requests logged, "
        f"{text.count('Autorestarting worker'):,} workers recycled (max_requests), "
        f"{text.count('WORKER TIMEOUT'):,} timed out, "
        f"{text.count('Internal Server Error'):,} errors"
    )


# what nginx adds to every request it forwards (deploy/nginx.conf)
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def _lua(paths: list[str], cookies: list[str], pause_ms: float) -> str:
    quoted = ", ".join(f'"{p}"' for p in paths)
    jar = ", ".join(f'"{c}"' for c in cookies) or '""'
    fixed = "".join(f'  headers["{k}"] = "{v}"\n' for k, v in PROXY_HEADERS.items())
    pacing = (
        f"delay = function()\n  return {pause_ms:.3f} * (0.5 + math.random())\nend\n"
        if pause_ms
        else ""
    )
    return (
        f"local paths = {{{quoted}}}\nlocal cookies = {{{jar}}}\nlocal n = 0\n{pacing}"
        "request = function()\n  n = n + 1\n"
        f"  local headers = {{}}\n{fixed}"
        "  local c = cookies[(n % #cookies) + 1]\n"
        '  if c ~= "" then headers["Cookie"] = c end\n'
        '  return wrk.format("GET", paths[(n % #paths) + 1], headers)\nend\n'
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def load(
    base: str, paths: list[str], cookies: list[str], args: Any, label: str, *, rate: float = 0
) -> dict[str, Any]:
    """One wrk run: back to back (``rate`` 0: saturation) or paced at ``rate`` requests/s."""
    pause_ms = args.connections * 1000 / rate if rate else 0
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(paths, cookies, pause_ms))
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
    timeouts = re.search(r"timeout (\d+)", output)
    result = {"label": label, "rps": rps, "p50": p50, "p99": p99,
              "non_2xx": int(errors.group(1)) if errors else 0,
              "timeouts": int(timeouts.group(1)) if timeouts else 0}  # fmt: skip
    mode = f"paced {rate:g}/s" if rate else "saturation"
    print(
        f"  {label:<20} {mode:<13} {rps:>7.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:7.1f} ms"
        f"   {_load()}"
        + (f"   non-2xx {result['non_2xx']}" if result["non_2xx"] else "")
        + (f"   timeouts {result['timeouts']}" if result["timeouts"] else ""),
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_lookup")
    parser.add_argument("--reuse", action="store_true", help="keep a prepared database")
    parser.add_argument("--seconds", type=int, default=10, help="per URL and mode (bounded)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--rate", type=float, default=100, help="paced runs: requests/s offered (0: none)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="GUNICORN_WORKERS (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each URL (best counts)")
    parser.add_argument(
        "--cold", action="store_true", help="result pages not prepared before their runs"
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
    print(f"  {_load()} at the start")
    if args.reuse:  # the code may have moved on since the database was prepared
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        prepare(args.households)
    from django.db import connections

    from qrlookup.models import QrCode

    tokens = list(QrCode.objects.filter(revoked_at__isnull=True).values_list("token", flat=True))
    keys, heads = sessions(args.sessions)
    print(f"  {len(tokens)} village codes, {len(keys)} verified sessions")
    connections.close_all()
    targets = {
        "bare": (["/bench/bare"], [], "bare Django view"),
        "landing": ([f"/q/{t}" for t in tokens], [], "landing /q/<token>"),
        "result": (["/q/me/"], keys, "result /q/me/"),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    paced: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    scratch = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    try:
        with serve(database_url, args.workers, scratch) as base:
            print(
                f"  gunicorn --config gunicorn.conf.py at {base} ({_workers(scratch)}); "
                f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.seconds}s each"
            )
            # a server in service has served each URL before: the first requests of fresh
            # workers (connections, translations, templates) are not what is measured
            for paths, cookies, _label in targets.values():
                _warm_up(base, paths, cookies, args)
            for round_number in range(args.rounds):
                # each round in the other order, so a slow spell of a shared machine falls on
                # every URL alike; the best run of each URL counts
                order = list(targets) if round_number % 2 == 0 else list(reversed(targets))
                for name in order:
                    paths, cookies, label = targets[name]
                    if name == "result" and not args.cold:
                        prepare_pages(heads)
                    runs[name].append(load(base, paths, cookies, args, label))
                    if args.rate:
                        paced[name].append(load(base, paths, cookies, args, label, rate=args.rate))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _summary(args, runs, paced)


def _warm_up(base: str, paths: list[str], cookies: list[str], args: Any) -> None:
    """Two seconds of every URL before the measured runs (not measured, the same for all)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(paths, cookies, 0))
    command = [
        "wrk",
        "-t1",
        f"-c{args.connections}",
        "-d2s",
        "--timeout",
        "5s",
        "-s",
        script.name,
        base,
    ]
    subprocess.run(command, capture_output=True, check=True)  # noqa: S603
    os.unlink(script.name)


def _workers(scratch: Path) -> str:
    """The worker class and count the server logged (the configuration's, not ours)."""
    text = (scratch / "server.log").read_text(errors="replace")
    kind = re.search(r"Using worker: (\w+)", text)
    return f"{kind.group(1) if kind else '?'} workers ×{text.count('Booting worker')}"


def _summary(args: Any, runs: dict[str, list[dict]], paced: dict[str, list[dict]]) -> None:
    best = {name: max(results, key=lambda r: r["rps"]) for name, results in runs.items()}
    calm = {
        name: min(results, key=lambda r: r["p99"]) for name, results in paced.items() if results
    }
    print(f"  best of {args.rounds} rounds ({_load()}):")
    bare = best["bare"]
    for name in ("landing", "result"):
        page = best[name]
        ratio = page["rps"] / bare["rps"]
        ok = ratio >= TARGET_RATIO and page["p99"] <= TARGET_P99_MS
        line = (
            f"  {page['label']:<20} {ratio:6.1%} of the bare view's throughput "
            f"(target ≥ {TARGET_RATIO:.0%}); p99 at saturation {page['p99']:.1f} ms"
        )
        if name in calm:
            line += f", at {args.rate:g}/s offered {calm[name]['p99']:.1f} ms"
        print(
            f"{line} (target ≤ {TARGET_P99_MS:.0f} ms; bare view: {bare['p99']:.1f} ms"
            + (f" / {calm['bare']['p99']:.1f} ms" if "bare" in calm else "")
            + f") {'OK' if ok else 'MISSED'} at saturation"
        )


if __name__ == "__main__":
    main()
