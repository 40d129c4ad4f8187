"""Benchmark: every back-office list, search and API page on the full county (docs/design.md §5:
any list or search at county scale ≤ 100 ms server time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_lists.py [--households 222200] [--reuse]

``DATABASE_URL`` names the server; the benchmark drops and re-creates its own database
(``fuxiang_bench_lists`` unless ``--database`` says otherwise; ``--reuse`` keeps an already
loaded one), migrates it, seeds the synthetic county (``seed_county``), rates and publishes it
(eager, in this process: ~160,000 credit lines), and loads what officers, villagers and the
loan platform do (visits, scans, requests, loans: ``bench_dashboard``'s loaders). It then
times each page through Django's test client — the first page and a deep one, as head office
and as a branch manager — the median of 5 after one warm-up, and prints each with pass/fail
against 100 ms. As a same-run baseline it prints the time of a bare page (``/healthz``) and of
one ``SELECT count(*)`` over the county's households, the cost every list used to pay once
per page. It is not a test.

Like production it runs with DEBUG off; static URLs are resolved by the plain storage.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from typing import Any

from bench_dashboard import load_activity, load_loans, rate
from bench_import import open_database
from bench_rating import maintain, seed

TARGET_MS = 100
RUNS = 5


def _median_ms(client: Any, url: str) -> tuple[float, int]:
    response = client.get(url)  # warm-up (and the status)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), response.status_code


def pages(deep: dict[str, int]) -> list[tuple[str, str, str]]:
    """(label, first page, deep page); a deep page of "" means the list has no deep page at
    this scale (it is short by nature: a few runs, the waiting overrides). ``deep`` gives the
    deep page of the lists whose depth depends on the user's scope (a branch has fewer rows
    than the county): page 1,000 of the county's households, the last pages of a branch's."""
    h, a, v, n, ln, e = (deep[k] for k in ("households", "api", "visits", "name", "loans", "ent"))
    return [
        ("credit lines /credit/", "/credit/", f"/credit/?after={deep['line_cursor']}"),
        ("credit lines, suspended", "/credit/?status=suspended", ""),
        ("household list /households/", "/households/", f"/households/?page={h}"),
        ("households: grade AA", "/households/?grade=AA", f"/households/?grade=AA&page={h // 5}"),
        ("households: not yet rated", "/households/?grade=unrated", ""),
        ("households: line suspended", "/households/?line=suspended", ""),
        ("name search ?q=张", "/households/?q=张", f"/households/?q=张&page={n}"),
        ("ID suffix search", "/households/?id_suffix=1234", ""),
        ("registered, not archived", "/households/missing/", ""),
        ("business entities", "/households/entities/", f"/households/entities/?page={e}"),
        ("API /api/v1/households/", "/api/v1/households/", f"/api/v1/households/?page={a}"),
        (
            "API ?name=张",
            "/api/v1/households/?name=张",
            f"/api/v1/households/?name=张&page={n // 2}",
        ),
        ("API /api/v1/entities/", "/api/v1/entities/", f"/api/v1/entities/?page={e // 2}"),
        ("API /api/v1/visits/", "/api/v1/visits/", f"/api/v1/visits/?page={v}"),
        ("loans /loans/loans/", "/loans/loans/", f"/loans/loans/?page={ln}"),
        ("loan applications", "/loans/applications/", f"/loans/applications/?page={ln}"),
        ("overrides /credit/overrides/", "/credit/overrides/", ""),
        ("rating runs /rating/", "/rating/", ""),
        ("audit log /audit/", "/audit/", "/audit/?page=1000"),
        ("import jobs /households/import/", "/households/import/", ""),
        ("officer requests", "/qrlookup/requests/", "/qrlookup/requests/?page=20"),
        ("watch lists", "/watchlists/", ""),
    ]  # fmt: skip


def _depths(user: Any) -> dict[str, int]:
    """Deep pages for the user: the county's page 1,000 (API 500), or for a branch the page
    nine tenths down its own list; and a line cursor 50,000 lines down (2,000 for a branch)."""
    from credit.selectors import line_cursor_at
    from households.selectors import households_visible_to

    own = households_visible_to(user).count()
    depth = min(1.0, own / 222_200)

    def page(county_page: int, per_page: int, rows: int) -> int:
        return max(2, min(county_page, int(rows * 0.9) // per_page))

    return {
        "households": page(1000, 25, own),
        "api": page(500, 50, own),
        "visits": page(500, 50, 2 * own),
        "name": page(100, 25, int(own * 0.1)),
        "loans": page(500, 50, int(own * 0.2)),
        "ent": page(100, 25, int(8000 * depth)),
        "line_cursor": line_cursor_at(user, 50_000 if depth == 1.0 else 2_000),
    }


def bench_pages(only: str = "") -> list[tuple[str, str, str, float, int]]:
    from django.test import Client, override_settings

    from fuxiang.accounts.models import Role, User
    from households.models import Branch

    head_office = User.objects.filter(role=Role.HEAD_OFFICE).order_by("pk").first()
    branch = Branch.objects.order_by("code").first()
    manager = branch.managers.order_by("pk").first()
    users = [("head office", head_office), ("branch manager", manager)]
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    logging.getLogger("django.request").setLevel(logging.ERROR)  # no "Not Found" per 404
    results = []
    with override_settings(
        ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False, STORAGES=storages
    ):
        for who, user in users:
            client = Client()
            client.force_login(user)
            for label, first, deep in pages(_depths(user)):
                if only and only not in label:
                    continue
                for url in (first, deep):
                    if not url:
                        continue
                    ms, status = _median_ms(client, url)
                    results.append((who, label, url, ms, status))
                    _print(who, label, url, ms, status)
    return results


def _print(who: str, label: str, url: str, ms: float, status: int) -> None:
    if status == 403:
        mark, extra = "n/a ", "  HTTP 403 (not this role's page)"
    else:
        mark = "pass" if ms <= TARGET_MS and status == 200 else "FAIL"
        extra = "" if status == 200 else f"  HTTP {status}!"
    print(f"    {mark} {who:<15} {label:<32} {ms:7.1f} ms{extra}   {url}", flush=True)


def baseline() -> tuple[float, float]:
    """A bare page through the same client, and one exact count of the county's households."""
    from django.db import connection
    from django.test import Client, override_settings

    with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
        bare, _ = _median_ms(Client(), "/healthz")
    times = []
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM households_household")
            cursor.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return bare, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_lists", help="database name")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--only", default="", help="only the pages whose label contains this")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")
    os.environ["CELERY_BROKER_URL"] = ""  # eager: the rating in this process
    os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")  # not "Not Found" for each 404
    open_database(server, args.database, reuse=args.reuse)
    from django.core.management import call_command

    from credit.models import CreditLine
    from households.models import Household

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        print(f"seeding {args.households:,} households …", flush=True)
        print(f"  seed_county: {seed(args.households):.1f} s", flush=True)
        print(f"  county rating run (eager): {rate():.1f} s", flush=True)
        started = time.perf_counter()
        counts = load_activity()
        counts.update(load_loans())
        counts.pop("borrowers", None)
        loaded = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        print(f"  activity: {loaded} ({time.perf_counter() - started:.1f} s)", flush=True)
    vacuumed = maintain()
    if vacuumed:
        print(f"  autovacuum is off on this server: VACUUM ANALYZE first ({vacuumed:.1f} s)")
    print(
        f"lists, {Household.objects.count():,} households, "
        f"{CreditLine.objects.count():,} credit lines, database {args.database}"
    )
    bare, count_ms = baseline()
    print(f"  baseline: bare page /healthz {bare:.1f} ms;", end=" ")
    print(f"SELECT count(*) of households {count_ms:.1f} ms")
    print(f"  server time per page (median of {RUNS}, Django test client),", end=" ")
    print(f"target ≤ {TARGET_MS} ms:")
    results = bench_pages(args.only)
    failed = [r for r in results if r[4] != 403 and (r[3] > TARGET_MS or r[4] != 200)]
    print(
        f"  {len(failed)} of {len(results)} page(s) over {TARGET_MS} ms or not 200"
        if failed
        else f"  every page passes ({len(results)} pages; 403s are pages the role does not have)"
    )


if __name__ == "__main__":
    main()
