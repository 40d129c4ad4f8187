"""Benchmark: whitelist delivery to the loan platform on a rated county (issue 17: the
full-county whitelist file streams in ≤ 10 s with flat memory; a delta after re-rating one
village in ≤ 1 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_whitelist.py [--households 222200] [--reuse]

``DATABASE_URL`` names the server; the benchmark drops and re-creates its own database
(``fuxiang_bench_whitelist`` unless ``--database`` says otherwise), migrates it, seeds the
synthetic county (``seed_county``) and rates it (eager, in this process; the publish builds
the whitelists), unless ``--reuse`` finds it rated. Then, for 福祥e贷 (the largest list):

- the **file**: ``delivery_file_create`` (CSV, then XLSX) of the whole snapshot, each in a
  fresh child process so its peak RSS is the file's alone — and the same child streaming
  only a tenth of the rows, so "flat" is a comparison, not a claim;
- the **raw limit** in the same run: one ``COPY (SELECT …) TO STDOUT`` of the same rows and
  columns (the snapshot joined to the head member and the village) into a file — no ORM, no
  Python per row; the ratio file / raw is printed;
- the **delta**: one village's households change (deposits), the village is re-rated (a
  village run, eager), and the delta since the version before is timed three ways: the rows
  (``payloads.delta_rows``, what the pull API and the push send), the pull API page over HTTP
  through Django's test client, and a delta CSV file.

Prints the figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_import import ROOT, _peak_rss_mb, fresh_database, setup_django
from bench_rating import maintain, seed

FILE_TARGET_SECONDS = 10
DELTA_TARGET_SECONDS = 1
PRODUCT = "fuxiang_e_loan"


def rate_county() -> float:
    from django.utils import timezone

    from fuxiang.celery import app
    from rating import runs
    from rating.models import RunScope, RunStatus

    app.conf.task_always_eager = True
    started = time.perf_counter()
    today = timezone.localdate()
    run = runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=today, today=today)
    run.refresh_from_db()
    if run.status != RunStatus.PUBLISHED:
        sys.exit(f"rating run #{run.pk} ended {run.status}: {run.error}")
    return time.perf_counter() - started


def platform() -> Any:
    from loans.models import LoanProduct, Platform
    from loans.platform import deliveries

    existing = Platform.objects.filter(code="bench").first()
    if existing is not None:
        return existing
    made, _token, _secret = deliveries.platform_register(
        actor=None,
        code="bench",
        name="基准测试平台",
        products=list(LoanProduct.objects.all()),
        send_plaintext_ids=False,
    )
    return made


def child(file_format: str, fraction: float) -> None:
    """In a fresh process: write the file (all rows, or the first ``fraction``) and print
    seconds, rows and peak RSS as JSON."""
    from loans.models import LoanProduct
    from loans.platform import deliveries, payloads

    product = LoanProduct.objects.get(code=PRODUCT)
    version = payloads.latest_version(product.pk)
    assert version is not None
    baseline = _peak_rss_mb()[0]
    started = time.perf_counter()
    if fraction >= 1:
        delivery = deliveries.delivery_file_create(
            platform=platform(), product=product, file_format=file_format
        )
        rows, size = delivery.rows, Path(delivery.file_path).stat().st_size
    else:
        limit = int(payloads.snapshot_count(product.pk, version.number) * fraction)
        writer = deliveries.write_csv if file_format == "csv" else deliveries.write_xlsx
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"part.{file_format}"
            rows, _digest = writer(
                path, payloads.snapshot_rows(product.pk, version.number, limit=limit)
            )
            size = path.stat().st_size
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "bytes": size,
                "rss": _peak_rss_mb()[0],
                "rss_at_start": baseline,
            }
        )
    )


def run_child(database_url: str, file_format: str, fraction: float) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url}
    output = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", file_format, str(fraction)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if output.returncode:
        sys.exit(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def raw_copy() -> dict[str, Any]:
    """The same rows and columns by one COPY to a file: the floor for the file."""
    from django.db import connection

    from loans.models import LoanProduct
    from loans.platform import payloads

    product = LoanProduct.objects.get(code=PRODUCT)
    version = payloads.latest_version(product.pk)
    assert version is not None
    sql = f"""
        COPY (
            SELECT e.id, m.id_number_index, m.name, m.id_number_masked, v.code, v.name,
                   e.grade, e.amount, e.rate_bp, e.line_valid_to
            FROM loans_whitelistentry e
            LEFT JOIN households_member m ON m.household_id = e.household_id
                 AND m.relation = 'head'
            JOIN households_village v ON v.id = e.village_id
            WHERE e.product_id = {int(product.pk)} AND e.valid_from <= {int(version.number)}
              AND (e.valid_to IS NULL OR e.valid_to > {int(version.number)})
            ORDER BY e.id
        ) TO STDOUT WITH (FORMAT csv)
    """  # noqa: S608 - integers only
    with tempfile.TemporaryFile() as out, connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.copy_expert(sql, out)
        seconds = time.perf_counter() - started
        size = out.tell()
    return {"seconds": seconds, "bytes": size}


def rerate_one_village() -> dict[str, Any]:
    from django.db.models import Count
    from django.utils import timezone

    from households.models import Household
    from loans.models import LoanProduct
    from loans.platform import payloads
    from rating import runs
    from rating.models import RunScope, RunStatus

    product = LoanProduct.objects.get(code=PRODUCT)
    before = payloads.latest_version(product.pk)
    assert before is not None
    village_id = (
        Household.objects.values("village_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("village_id", flat=True)
        .first()
    )
    households = Household.objects.filter(village_id=village_id)
    changed = households.count()
    # savings up by a half: some grades and lines move
    for household in households.only("pk", "deposits", "avg_daily_deposit_here"):
        household.deposits = (household.deposits or 0) * 3 // 2 + 50_000
        household.avg_daily_deposit_here = (household.avg_daily_deposit_here or 0) * 3 // 2
        household.save(update_fields=["deposits", "avg_daily_deposit_here"])
    today = timezone.localdate()
    started = time.perf_counter()
    run = runs.rating_run_start(
        actor=None, scope=RunScope.VILLAGE, scope_ids=[village_id], as_of=today, today=today
    )
    run.refresh_from_db()
    if run.status != RunStatus.PUBLISHED:
        sys.exit(f"village run #{run.pk} ended {run.status}: {run.error}")
    rerate_seconds = time.perf_counter() - started
    after = payloads.latest_version(product.pk)
    assert after is not None
    return {
        "village": village_id,
        "households": changed,
        "rerate_seconds": rerate_seconds,
        "since": before.number,
        "until": after.number,
    }


def bench_delta(since: int, until: int) -> dict[str, Any]:
    from django.test import Client

    from loans.models import LoanProduct
    from loans.platform import deliveries, payloads, signing

    product = LoanProduct.objects.get(code=PRODUCT)
    started = time.perf_counter()
    rows, counts = payloads.delta_rows(product.pk, since, until)
    rows_seconds = time.perf_counter() - started

    bench = platform()
    token = signing.new_token()
    bench.token_sha256 = signing.token_digest(token)
    bench.save(update_fields=["token_sha256"])
    client = Client()
    client.get(  # warm-up: the first request imports the URL conf and the middleware
        f"/api/v1/loans/platform/whitelists/{PRODUCT}/",
        {"version": since, "limit": 1},
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_HOST="127.0.0.1",
        secure=True,
    )
    started = time.perf_counter()
    response = client.get(
        f"/api/v1/loans/platform/whitelists/{PRODUCT}/",
        {"since": since, "version": until},
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_HOST="127.0.0.1",
        secure=True,
    )
    pull_seconds = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"delta pull answered {response.status_code}: {response.content[:300]!r}")

    started = time.perf_counter()
    delivery = deliveries.delivery_file_create(
        platform=bench, product=product, since=since, version=until
    )
    file_seconds = time.perf_counter() - started
    return {
        "rows": len(rows),
        "counts": counts,
        "rows_seconds": rows_seconds,
        "pull_seconds": pull_seconds,
        "pull_bytes": len(response.content),
        "file_seconds": file_seconds,
        "file_rows": delivery.rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_whitelist", help="database name")
    parser.add_argument("--reuse", action="store_true", help="keep an already rated database")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "FRACTION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")
    from urllib.parse import urlparse, urlunparse

    own = urlunparse(urlparse(server)._replace(path=f"/{args.database}"))
    if args.child:
        setup_django(server)
        child(args.child[0], float(args.child[1]))
        return
    setup_django(own if args.reuse else fresh_database(server, args.database))
    import logging

    from django.conf import settings
    from django.core.management import call_command

    logging.getLogger("celery").setLevel(logging.WARNING)
    media = Path(tempfile.mkdtemp(prefix="bench-whitelist-"))
    settings.MEDIA_ROOT = media
    os.environ["DJANGO_MEDIA_ROOT"] = str(media)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]

    from households.models import Household
    from loans.models import LoanProduct
    from rating.models import RatingRun, RunStatus

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        print(f"seeding {args.households:,} households …", flush=True)
        print(f"  seed_county: {seed(args.households):.1f} s")
    vacuumed = maintain()
    if not RatingRun.objects.filter(status=RunStatus.PUBLISHED).exists():
        print("rating the county (eager; the publish builds the whitelists) …", flush=True)
        print(f"  county run: {rate_county():.1f} s")
        maintain()
    elif vacuumed:
        print(f"  autovacuum is off on this server: VACUUM ANALYZE first ({vacuumed:.1f} s)")
    platform()
    product = LoanProduct.objects.get(code=PRODUCT)
    print(
        f"whitelist delivery, {Household.objects.count():,} households, {product.name} "
        f"(PostgreSQL database {args.database}; {os.cpu_count()} CPUs)"
    )

    raw = raw_copy()
    full_csv = run_child(own, "csv", 1)
    tenth_csv = run_child(own, "csv", 0.1)
    print(
        f"  CSV file, whole snapshot: {full_csv['seconds']:.2f} s for {full_csv['rows']:,} rows "
        f"({full_csv['bytes'] / 2**20:.1f} MB)  (target ≤ {FILE_TARGET_SECONDS} s)"
    )
    print(
        f"    peak RSS {full_csv['rss']:.0f} MB (process at start {full_csv['rss_at_start']:.0f}"
        f" MB); a tenth of the rows: {tenth_csv['seconds']:.2f} s, peak RSS "
        f"{tenth_csv['rss']:.0f} MB — {full_csv['rss'] - tenth_csv['rss']:+.0f} MB for 10× the rows"
    )
    print(
        f"  raw limit: one COPY of the same rows and columns {raw['seconds']:.2f} s "
        f"({raw['bytes'] / 2**20:.1f} MB); "
        f"ratio file / raw {full_csv['seconds'] / raw['seconds']:.1f}×"
    )
    full_xlsx = run_child(own, "xlsx", 1)
    tenth_xlsx = run_child(own, "xlsx", 0.1)
    print(
        f"  XLSX file, whole snapshot: {full_xlsx['seconds']:.2f} s "
        f"({full_xlsx['bytes'] / 2**20:.1f} MB), peak RSS {full_xlsx['rss']:.0f} MB; a tenth: "
        f"{tenth_xlsx['seconds']:.2f} s, peak RSS {tenth_xlsx['rss']:.0f} MB"
    )

    village = rerate_one_village()
    delta = bench_delta(village["since"], village["until"])
    print(
        f"  one village re-rated ({village['households']} households; village run "
        f"{village['rerate_seconds']:.2f} s, whitelists v{village['since']} → v{village['until']})"
    )
    print(
        f"    delta rows: {delta['rows_seconds'] * 1000:.0f} ms for {delta['rows']} rows "
        f"{delta['counts']}  (target ≤ {DELTA_TARGET_SECONDS} s)"
    )
    print(
        f"    delta pull over the API: {delta['pull_seconds'] * 1000:.0f} ms "
        f"({delta['pull_bytes'] / 1024:.0f} KB, signed); delta CSV file "
        f"{delta['file_seconds'] * 1000:.0f} ms ({delta['file_rows']} rows)"
    )
    print(
        f"    ratio delta / whole-snapshot file: "
        f"{delta['rows_seconds'] / full_csv['seconds'] * 100:.1f}%"
    )


if __name__ == "__main__":
    main()
