"""Benchmark: the coverage dashboards on a county with ratings, lines, visits, lookups and
requests loaded (docs/design.md §5: the county dashboard ≤ 150 ms server time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_dashboard.py [--households 222200] [--reuse]

``DATABASE_URL`` names the server; the benchmark drops and re-creates its own database
(``fuxiang_bench_dashboard`` unless ``--database`` says otherwise), migrates it, seeds the
synthetic county (``seed_county``), rates and publishes it (eager, in this process), then
loads, set-based, what officers and villagers do: visits (about nine in ten archives, some
twice), QR scans (3.3 per household, as the bank's 72.93万 for 22.22万 households; 15% on
officers' own codes), verified lookups and result views (half the households), and requests
(1%, some overdue, some answered late), and loans (about 18% of households signed, two in
three drew, a third of them online — as the bank's 3.93万 signed of 22.22万). It times
the summary refresh (the first, which writes every household's stage, and a second with
nothing changed), then each view through Django's test client as head office and a branch
manager — the median of 5 after one warm-up — and prints them. It is not a test.

Like production it runs with DEBUG off; static URLs are resolved by the plain storage (the
manifest needs ``collectstatic``), which costs the same dictionary lookup.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from bench_import import open_database
from bench_rating import maintain, seed

TARGET_MS = 150
RUNS = 5


def rate() -> float:
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


def load_activity() -> dict[str, int]:
    """Visits, scans, lookups and requests for the whole county, in a few statements."""
    from django.db import connection

    statements = {
        "visits": """
            INSERT INTO households_visit (officer_id, household_id, village_id, visited_at,
                place, met_person, outcome, notes, created_at, photo)
            SELECT o.user_id, h.id, h.village_id, now() - random() * interval '200 days',
                '村部', '', 'archived', '', now(), ''
            FROM households_household h
            JOIN households_village v ON v.id = h.village_id
            JOIN LATERAL (SELECT MIN(user_id) AS user_id FROM households_grid_officers
                          WHERE grid_id = v.grid_id) o ON o.user_id IS NOT NULL
            CROSS JOIN generate_series(1, 2) n
            WHERE (n = 1 AND random() < 0.87) OR (n = 2 AND random() < 0.3)""",
        "scans": """
            INSERT INTO qrlookup_scanevent (at, village_id, grid_id, ua_class)
            SELECT now() - random() * interval '365 days',
                CASE WHEN random() < 0.15 THEN NULL ELSE h.village_id END, v.grid_id, 'wechat'
            FROM households_household h
            JOIN households_village v ON v.id = h.village_id
            CROSS JOIN generate_series(1, 4) n
            WHERE n <= 3 OR random() < 0.28""",
        "lookups": """
            INSERT INTO qrlookup_lookupevent (at, kind, village_id, grid_id, household_id, ua_class)
            SELECT now() - random() * interval '365 days', k.kind, h.village_id, v.grid_id,
                CASE WHEN k.kind = 'identity' THEN NULL ELSE h.id END, 'wechat'
            FROM households_household h
            JOIN households_village v ON v.id = h.village_id
            CROSS JOIN (VALUES ('identity'), ('verified'), ('result')) k(kind)
            WHERE h.id % 2 = 0""",
        "requests": """
            INSERT INTO qrlookup_officerrequest (kind, household_id, grid_id, village_id, note,
                contact_name, contact_phone_encrypted, contact_phone_masked, status, outcome,
                outcome_note, created_at, due_at, closed_at)
            SELECT 'rating', h.id, v.grid_id, h.village_id, '', '', '', '',
                CASE WHEN h.id % 3 = 0 THEN 'open' ELSE 'done' END,
                CASE WHEN h.id % 3 = 0 THEN '' ELSE 'contacted' END, '',
                now() - (h.id % 60) * interval '1 day',
                now() - (h.id % 60) * interval '1 day' + interval '7 days',
                CASE WHEN h.id % 3 = 0 THEN NULL
                     ELSE now() - (h.id % 60) * interval '1 day' + (h.id % 10) * interval '1 day'
                END
            FROM households_household h
            JOIN households_village v ON v.id = h.village_id
            WHERE h.id % 100 = 7 AND v.grid_id IS NOT NULL""",
    }
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for name, sql in statements.items():
            cursor.execute(sql)
            counts[name] = cursor.rowcount
    return counts


def load_loans() -> dict[str, int]:
    """Loans as the bank reports them, scaled to the county: about 18% of households (those
    with an online-eligible line) signed 福祥e贷 (~137,700 each, at most their line), two in three
    of them drew about two thirds of it and owe nine tenths of that; a third signed online
    (码上贷), the rest with their officer. Written straight into the ledger's tables (the
    services would take hours for 40,000 borrowers); every check constraint holds."""
    from django.db import connection

    from loans.models import ContractTemplate, LoanProduct

    product = LoanProduct.objects.get(code="fuxiang_e_loan")
    version = product.versions.filter(status="approved").order_by("-pk").first()
    template = ContractTemplate.objects.order_by("-pk").first()
    statements = {
        "borrowers": """
            CREATE TEMPORARY TABLE bench_borrower AS
            SELECT h.id AS household_id, h.village_id, l.rate_bp, l.grade,
                LEAST(l.amount, 137700.00) AS amount,
                CASE WHEN h.id %% 3 = 0 THEN 'villager' ELSE 'branch' END AS channel,
                h.id %% 3 <> 1 AS drawn
            FROM households_household h
            JOIN rating_currentrating cr ON cr.household_id = h.id
            JOIN credit_creditline l ON l.rating_result_id = cr.result_id
            WHERE l.status = 'active' AND l.online_eligible AND h.status <> 'closed'
              AND random() < 0.45""",
        "applications": """
            INSERT INTO loans_loanapplication (amount, term_months, repayment_method, purpose,
                collateral_description, channel, verification_method, verified_at, user_agent,
                submitted_at, status, reasons, grade, rate_bp, decided_at, review_note,
                expires_at, closed_at, household_id, product_id, product_version_id)
            SELECT amount, 12, 'revolving', '种植', '', channel,
                CASE WHEN channel = 'villager' THEN 'sms' ELSE 'in_person' END, now(), '',
                now(), 'signed', '[]', grade, rate_bp, now(), '', now() + interval '7 days',
                now(), household_id, %(product)s, %(version)s
            FROM bench_borrower""",
        "contracts": """
            INSERT INTO loans_loancontract (number, amount, rate_bp, term_months,
                repayment_method, start_date, maturity_date, status, occupied, drawn_total,
                rendered_text, text_sha256, borrower_name_masked, borrower_id_masked, signed_at,
                signing_channel, signing_method, verification_ref, verified_at,
                signed_user_agent, application_id, household_id, template_id,
                product_version_id)
            SELECT 'B' || a.id, a.amount, a.rate_bp, 12, 'revolving', current_date,
                current_date + 365, CASE WHEN b.drawn THEN 'active' ELSE 'signed' END, a.amount,
                CASE WHEN b.drawn THEN round(a.amount * 0.66, 2) ELSE 0 END, '', '', '', '',
                now(), a.channel, a.verification_method, 'bench-' || a.id, now(), '', a.id,
                a.household_id, %(template)s, %(version)s
            FROM loans_loanapplication a JOIN bench_borrower b USING (household_id)""",
        "loans": """
            INSERT INTO loans_loan (number, repayment_method, rate_bp, principal,
                principal_outstanding, interest_accrued, accrued_to, start_date, maturity_date,
                status, days_past_due, household_id, village_id, contract_id)
            SELECT 'L' || c.id, 'revolving', c.rate_bp, c.drawn_total,
                round(c.drawn_total * 0.9, 2), 0, current_date, current_date - 30,
                current_date + 335, 'active', 0, c.household_id, b.village_id, c.id
            FROM loans_loancontract c JOIN bench_borrower b USING (household_id)
            WHERE c.drawn_total > 0""",
        "drawdowns": """
            INSERT INTO loans_drawdown (amount, value_date, drawn_at, channel, user_agent,
                loan_id, contract_id)
            SELECT l.principal, l.start_date, now() - interval '30 days', c.signing_channel, '',
                l.id, c.id
            FROM loans_loan l JOIN loans_loancontract c ON c.id = l.contract_id""",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, sql in statements.items():
            cursor.execute(
                sql, {"product": product.pk, "version": version.pk, "template": template.pk}
            )
            counts[name] = cursor.rowcount
        cursor.execute("DROP TABLE bench_borrower")
    return counts


def bench_refresh() -> dict[str, Any]:
    from dashboards.figures import figures_refresh

    first = figures_refresh()
    second = figures_refresh()
    return {"as loaded": first, "again, nothing changed": second}


def _median_ms(client: Any, url: str) -> tuple[float, int]:
    response = client.get(url)  # warm-up (and the status)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), response.status_code


def bench_views() -> list[tuple[str, str, float, int]]:
    from django.test import Client, override_settings

    from fuxiang.accounts.models import Role, User
    from households.models import Branch, Village

    head_office = User.objects.filter(role=Role.HEAD_OFFICE).order_by("pk").first()
    branch = Branch.objects.order_by("code").first()
    manager = branch.managers.order_by("pk").first()
    village = Village.objects.filter(grid__branch=branch).order_by("code").first()
    views = [
        ("county dashboard (home)", head_office, "/"),
        ("branch dashboard (home)", manager, "/"),
        ("branch dashboard, head office", head_office, f"/dashboards/branch/{branch.pk}/"),
        ("headline panel", head_office, "/dashboards/headline/"),
        ("village drill-down", manager, f"/dashboards/village/{village.pk}/?stage=not_rated"),
        ("county list: granted, never looked up", head_office,
         "/dashboards/county/households/?stage=granted_not_looked_up"),
        ("county trends", head_office, "/dashboards/county/trends/"),
        ("county Excel export", head_office, "/dashboards/county/export.xlsx"),
    ]  # fmt: skip
    results = []
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False, STORAGES=storages
    ):
        for label, user, url in views:
            client = Client()
            client.force_login(user)
            ms, status = _median_ms(client, url)
            results.append((label, url, ms, status))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--households", type=int, default=222_200)
    parser.add_argument("--database", default="fuxiang_bench_dashboard", help="database name")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (the benchmark makes its own)")
    os.environ["CELERY_BROKER_URL"] = ""  # eager: the rating and the refresh in this process
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    open_database(server, args.database, reuse=args.reuse)
    from django.core.management import call_command

    from households.models import Household

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        print(f"seeding {args.households:,} households …", flush=True)
        print(f"  seed_county: {seed(args.households):.1f} s")
        print(f"  county rating run (eager): {rate():.1f} s")
        started = time.perf_counter()
        counts = load_activity()
        counts.update(load_loans())
        counts.pop("borrowers", None)
        loaded = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        print(f"  activity: {loaded} ({time.perf_counter() - started:.1f} s)")
    vacuumed = maintain()
    if vacuumed:
        print(f"  autovacuum is off on this server: VACUUM ANALYZE first ({vacuumed:.1f} s)")
    print(f"dashboards, {Household.objects.count():,} households, database {args.database}")
    refresh = bench_refresh()
    for name, result in refresh.items():
        steps = ", ".join(f"{step} {s:.2f} s" for step, s in result.seconds.items())
        print(f"  summary refresh ({name}): {result.total_seconds:.2f} s  ({steps})")
    print(f"  server time per view (median of {RUNS}, Django test client):")
    for label, url, ms, status in bench_views():
        mark = "" if status == 200 else f"  HTTP {status}!"
        target = f"  (target ≤ {TARGET_MS} ms)" if "dashboard" in label else ""
        print(f"    {label:<40} {ms:7.1f} ms{target}{mark}   {url}")


if __name__ == "__main__":
    main()
