"""Benchmark: building the synthetic county, then importing a 10,000-household workbook into it,
on PostgreSQL (docs/design.md §5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_import.py [--households 222200]

``DATABASE_URL`` names the server (any database on it); the benchmark drops and re-creates its
own database (``fuxiang_bench`` unless ``--database`` says otherwise), migrates it, then times
``manage.py seed_county`` end to end. As a same-run baseline (the raw limit) it COPYs the rows
just written to the five bulk tables into empty copies of them and builds the same indexes (no
Python generation, no encryption, no history rows), so the ratio holds on a noisy machine. The
import is timed with re-rating queued, as in production: with a broker (``CELERY_BROKER_URL``)
the tasks wait in it; without one (eager Celery would re-rate 10,000 households inside the
import call) automatic re-rating is switched off for the import. Like production it runs with
DEBUG off; without FUXIANG_* keys in the environment it uses the development keyring's keys.
Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30  # issue 19 (was 90)
TARGET_IMPORT_SECONDS = 8  # issue 19 (was 20)
TARGET_REIMPORT_SECONDS = 3
TARGET_RSS_MB = 1536
GIVEN = "建国华明丽芳军伟强敏静磊洋艳勇杰娟涛超霞"


def _peak_rss_mb() -> tuple[float, float]:
    """Peak resident set size of this process and of its (waited-for) children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def fresh_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``server_url``; return its URL."""
    import psycopg2

    url = urlparse(server_url)
    admin = psycopg2.connect(urlunparse(url._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunparse(url._replace(path=f"/{name}"))


def open_database(server_url: str, name: str, *, reuse: bool) -> None:
    """Set Django up on the database ``name`` of the server of ``server_url``: as it is
    (``reuse``: a database an earlier run loaded) or dropped and created empty."""
    if reuse:
        setup_django(urlunparse(urlparse(server_url)._replace(path=f"/{name}")))
    else:
        setup_django(fresh_database(server_url, name))


def _production_like_environment() -> None:
    """Benchmarks measure what production runs: DEBUG off (with it on Django keeps every
    query and wraps every cursor, in the workers too). Without keys of one's own, the
    development keyring's (derived from the development secret, as ``fuxiang.crypto`` does
    with DEBUG on) are given explicitly, so databases seeded either way stay readable."""
    development = "django-insecure-development-only-key-never-use-in-production"
    secret = os.environ.get("DJANGO_SECRET_KEY") or development

    def derive(label: str) -> str:
        digest = hashlib.sha256(f"fuxiang-dev-{label}:{secret}".encode()).digest()
        return base64.b64encode(digest).decode()

    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ["DJANGO_SECRET_KEY"] = secret
    os.environ["FUXIANG_DATA_KEYS"] = f"dev:{derive('data')}"
    os.environ["FUXIANG_DATA_KEY_ID"] = "dev"
    os.environ["FUXIANG_BLIND_INDEX_KEY"] = derive("index")


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuxiang.settings")
    if not os.environ.get("FUXIANG_DATA_KEYS"):
        _production_like_environment()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (a local server: /proc);
    NaN when it cannot be read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (seed_county's generating processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_seed(households: int) -> dict[str, Any]:
    """Time ``seed_county --households N`` on the (fresh, migrated) benchmark database."""
    from django.core.management import call_command

    from households.models import BusinessEntity, Household, Member

    server = _server_cpu()
    started, cpu, children_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    with open(os.devnull, "w") as quiet:
        call_command("seed_county", households=households, stdout=quiet)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    children_cpu = _children_cpu() - children_cpu
    server = _server_cpu() - server
    own, children = _peak_rss_mb()
    members = Member.objects.count()
    return {
        "households": Household.objects.count(),
        "members": members,
        "entities": BusinessEntity.objects.count(),
        "seconds": seconds,
        "cpu": cpu,
        "children_cpu": children_cpu,
        "server_cpu": server,
        "households_per_s": households / seconds,
        "members_per_s": members / seconds,
        "peak_rss_mb": own,
        "children_peak_rss_mb": children,
    }


def bench_raw_copy() -> dict[str, Any]:
    """The raw limit: the rows ``seed_county`` wrote to its five bulk tables (households,
    members, entities, their owners, list entries — already generated, encrypted and
    indexed) COPYed into empty copies of those tables, then the same indexes built: what
    loading the county costs the server with no Python at all (and no history rows)."""
    import re

    from django.db import connection

    from households.synthetic.writers import BULK_MODELS

    tables = [m._meta.db_table for m in BULK_MODELS]
    with connection.cursor() as django_cursor, tempfile.TemporaryDirectory() as tmp:
        cursor = django_cursor.cursor  # psycopg2's own cursor, for COPY
        dumps, size, rows = {}, 0, 0
        for table in tables:
            dumps[table] = Path(tmp) / table
            with dumps[table].open("wb") as out:
                cursor.copy_expert(f"COPY {table} TO STDOUT", out)
                size += out.tell()
        cursor.execute(
            "SELECT indrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [tables],
        )
        indexes = [
            re.sub(r"INDEX \S+ ON \S+ USING", f"INDEX ON bench_raw_{table} USING", definition)
            for table, definition in cursor.fetchall()
        ]
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS bench_raw_{table}")
            cursor.execute(
                f"CREATE TABLE bench_raw_{table} (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS)"
            )
        started = time.perf_counter()
        cursor.execute("BEGIN")
        for table in tables:
            with dumps[table].open("rb") as data:
                cursor.copy_expert(f"COPY bench_raw_{table} FROM STDIN", data, size=1 << 20)
                rows += cursor.rowcount
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute("COMMIT")
        seconds = time.perf_counter() - started
        for table in tables:
            cursor.execute(f"DROP TABLE bench_raw_{table}")
    return {"rows": rows, "bytes": size, "seconds": seconds, "rows_per_s": rows / seconds}


def build_household_workbook(households: int, *, seed: int = 7) -> tuple[bytes, int]:
    """A filled-in households template for ``households`` new families spread over the
    county's villages (IDs from another area code, so none is archived yet)."""
    import io
    import random
    from datetime import date

    from openpyxl import Workbook

    from households.identity import make_resident_id
    from households.imports.columns import COLUMNS
    from households.models import Village

    rng = random.Random(seed)
    headers = [c.header for c in COLUMNS["households"]]
    villages = list(Village.objects.values_list("code", flat=True)) or ["?"]
    used: set[tuple[date, int]] = set()

    def new_id(age: int, male: bool) -> str:
        while True:
            birth = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
            if (birth, sequence) not in used:
                used.add((birth, sequence))
                return make_resident_id("430299", birth, sequence)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("数据")
    sheet.append(headers)
    rows = 0
    for n in range(households):
        head = new_id(rng.randint(25, 65), True)
        # names are Chinese characters only (the import refuses digits in a name)
        given = GIVEN[n % len(GIVEN)] + GIVEN[n // len(GIVEN) % len(GIVEN)]
        family = [("户主", head, f"王{given}")]
        family += [
            (
                "配偶" if k == 0 else "子女",
                new_id(rng.randint(1, 60), k % 2 == 1),
                f"王{GIVEN[k]}{given[0]}",
            )
            for k in range(rng.randint(0, 4))
        ]
        for relation, id_number, name in family:
            phone = f"139{rng.randrange(10**8):08d}"
            row = {"户主身份证号码": head, "与户主关系": relation, "姓名": name,
                   "身份证号码": id_number, "手机号码": phone}  # fmt: skip
            if relation == "户主":
                row.update({
                    "村编码": rng.choice(villages), "村民小组": f"{rng.randint(1, 5)}组",
                    "家庭住址": f"{rng.randint(1, 99)}号", "种植业收入（元/年）": "3.5万",
                    "工资性收入（元/年）": "24,000", "年生产生活支出（元/年）": 18000,
                    "房产估值（元）": 300000, "存款（元）": "5万", "同意评级授信": "是",
                    "村两委评议": "好",
                })  # fmt: skip
            sheet.append([row.get(h, "") for h in headers])
            rows += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), rows


def bench_xlsx_import(households: int = 10_000) -> dict[str, Any]:
    """Excel import of ``households`` new families (target ≤ 8 s), then the same file
    again (nothing changes). Baseline in the same run: just reading the workbook's cells."""
    import io

    from households.imports import import_file
    from households.spreadsheets import read_table

    content, rows = build_household_workbook(households)
    started = time.perf_counter()
    table = read_table(io.BytesIO(content), filename="bench.xlsx", required=["姓名"])
    cells = sum(len(row.values) for row in table.rows)
    read_seconds = time.perf_counter() - started
    from django.conf import settings

    from fuxiang.celery import app

    if app.conf.task_always_eager:  # no broker: re-rating would run inside the import call
        settings.RATING_AUTO_RERATE = False
        print("  (no broker: automatic re-rating off for the import)")
    timings = {}
    for attempt in ("import", "re-import"):
        started, cpu = time.perf_counter(), time.process_time()
        result = import_file(
            stream=io.BytesIO(content), filename="bench.xlsx", kind="households", actor=None
        )
        timings[attempt] = (
            time.perf_counter() - started,
            result.summary(),
            time.process_time() - cpu,
        )
    return {
        "households": households,
        "rows": rows,
        "megabytes": len(content) / 2**20,
        "cells": cells,
        "read_seconds": read_seconds,
        "import_seconds": timings["import"][0],
        "import_summary": timings["import"][1],
        "import_cpu": timings["import"][2],
        "reimport_cpu": timings["re-import"][2],
        "reimport_seconds": timings["re-import"][0],
        "reimport_summary": timings["re-import"][1],
        "peak_rss_mb": _peak_rss_mb()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--import-households", type=int, default=10_000)
    parser.add_argument("--database", default="fuxiang_bench", help="benchmark database name")
    parser.add_argument(
        "--seed-only", action="store_true", help="time seed_county and its raw limit, no import"
    )
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")

    setup_django(fresh_database(server, args.database))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"synthetic county, {args.households:,} households, PostgreSQL database "
        f"{args.database}; load {os.getloadavg()[0]:.1f}"
    )
    seed = bench_seed(args.households)
    raw = bench_raw_copy()
    ratio = seed["seconds"] / raw["seconds"]
    print(
        f"  seed_county: {seed['seconds']:.1f} s  (target ≤ {TARGET_SECONDS} s); "
        f"CPU {seed['cpu']:.1f} s in this process, {seed['children_cpu']:.1f} s in its "
        f"generating processes, {seed['server_cpu']:.1f} s in its PostgreSQL backend; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"    {seed['households']:,} households, {seed['members']:,} members, "
        f"{seed['entities']:,} entities"
    )
    print(
        f"    {seed['households_per_s']:,.0f} households/s, {seed['members_per_s']:,.0f} members/s"
    )
    print(
        f"    peak RSS {seed['peak_rss_mb']:.0f} MB "
        f"(children {seed['children_peak_rss_mb']:.0f} MB; target ≤ {TARGET_RSS_MB} MB)"
    )
    print(
        f"  raw limit: COPY of the same {raw['rows']:,} rows ({raw['bytes'] / 2**20:.0f} MB) into "
        f"empty copies of the tables, then their indexes: {raw['seconds']:.1f} s "
        f"= {raw['rows_per_s']:,.0f} rows/s; load {os.getloadavg()[0]:.1f}"
    )
    print(f"  ratio seed_county / raw limit: {ratio:.1f}×")
    if args.seed_only:
        return
    xlsx = bench_xlsx_import(args.import_households)
    print(
        f"xlsx import, {xlsx['households']:,} households = {xlsx['rows']:,} rows "
        f"({xlsx['megabytes']:.1f} MB) into that county"
    )
    print(
        f"  import: {xlsx['import_seconds']:.1f} s  (target ≤ {TARGET_IMPORT_SECONDS} s; "
        f"CPU {xlsx['import_cpu']:.1f} s)  {xlsx['import_summary']}"
    )
    print(
        f"  re-import: {xlsx['reimport_seconds']:.1f} s  (target ≤ {TARGET_REIMPORT_SECONDS} s; "
        f"CPU {xlsx['reimport_cpu']:.1f} s)  {xlsx['reimport_summary']}"
    )
    print(
        f"  baseline, reading the workbook's {xlsx['cells']:,} cells only: "
        f"{xlsx['read_seconds']:.1f} s; import / read = "
        f"{xlsx['import_seconds'] / xlsx['read_seconds']:.1f}×, re-import / read = "
        f"{xlsx['reimport_seconds'] / xlsx['read_seconds']:.1f}×; load {os.getloadavg()[0]:.1f}"
    )
    print(f"  peak RSS of the whole benchmark {xlsx['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
