"""Benchmark: what the managers' menu (待审批, 逾期: ``/dashboards/menu/``) costs on the full
county (issue 16 item 5: a menu must not add more than a few ms per page).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_menu.py [--database fuxiang_bench_lists]

It uses ``bench_lists``' database (the full county rated, with visits, scans, requests and
loans: run ``bench_lists.py`` first; an empty database is seeded the same way, with
``--households``), then makes it look like a county on a bad day, idempotently: one loan in
40 逾期 (the nightly job's state), one household in 700 with an override waiting (待审批); the
loaded requests already run late (a third open, most of them past their 7 days). It times,
through Django's test client as head office and as the first branch's manager, the median of
``RUNS`` after one warm-up: the same request by an auditor, who has no menu (the same-run
baseline: what any signed-in request costs) and the menu, with its counts kept (what a page
costs) and counted afresh (the first page after a change, or a minute); and the counts alone,
and each one. It is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench_import import setup_django

RUNS = 31
TARGET_EXTRA_MS = 5  # the menu over a bare page


def _median_ms(call: Any) -> float:
    call()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _paired_ms(baseline: Any, call: Any) -> tuple[float, float, float]:
    """Medians of the baseline, of the call, and of their difference measured in pairs (one
    right after the other), so a loaded machine's drift falls on both alike."""
    baseline()
    call()
    pairs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        baseline()
        middle = time.perf_counter()
        call()
        pairs.append(((middle - started) * 1000, (time.perf_counter() - middle) * 1000))
    return (
        statistics.median(b for b, _ in pairs),
        statistics.median(c for _, c in pairs),
        statistics.median(c - b for b, c in pairs),
    )


def make_overdue_and_waiting() -> dict[str, int]:
    """One loan in 40 overdue and one household in 700 with a proposal waiting (once)."""
    from django.db import connection

    from fuxiang.accounts.models import Role, User

    officer = User.objects.filter(role=Role.OFFICER).order_by("pk").first()
    statements = {
        "loans made overdue": """
            UPDATE loans_loan SET status = 'overdue', days_past_due = 12,
                overdue_since = current_date - 12
            WHERE id %% 40 = 0 AND status = 'active'""",
        "overrides proposed": """
            INSERT INTO credit_creditoverride (household_id, kind, grade, amount, reason,
                evidence, valid_until, status, approved_grade, review_reason, proposed_by_id,
                proposed_at, review_note)
            SELECT l.household_id, 'limit', '', l.amount + 10000, '走访核实收入被低估', '',
                current_date + 90, 'proposed', '', '', %(officer)s, now(), ''
            FROM credit_creditline l
            JOIN rating_currentrating cr ON cr.result_id = l.rating_result_id
            WHERE l.household_id %% 700 = 0 AND l.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM credit_creditoverride o
                              WHERE o.household_id = l.household_id)""",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, sql in statements.items():
            cursor.execute(sql, {"officer": officer.pk})
            counts[name] = cursor.rowcount
        cursor.execute("ANALYZE loans_loan")
        cursor.execute("ANALYZE credit_creditoverride")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", default="fuxiang_bench_lists", help="database name")
    parser.add_argument("--households", type=int, default=222_200, help="when seeding")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL=postgres://user@host:port/any-db (bench_lists' database)")
    os.environ["CELERY_BROKER_URL"] = ""  # eager, like bench_lists
    os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
    setup_django(urlunparse(urlparse(server)._replace(path=f"/{args.database}")))
    from django.core.management import call_command

    from households.models import Household

    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        from bench_dashboard import load_activity, load_loans, rate
        from bench_rating import seed

        print(f"seeding {args.households:,} households …", flush=True)
        seed(args.households)
        rate()
        load_activity()
        load_loans()
    print(f"  made: {make_overdue_and_waiting()}", flush=True)
    report(args.database)


def report(database: str) -> None:
    from django.test import Client, override_settings

    from credit.models import CreditOverride
    from credit.override_selectors import overrides_waiting_count
    from dashboards.menu_selectors import menu_changed, menu_counts, menu_counts_now
    from fuxiang.accounts.models import Role, User
    from households.models import Branch, Household
    from households.selectors import visible_village_ids
    from loans.ledger_selectors import overdue_loans_count
    from loans.models import Loan
    from qrlookup.models import OfficerRequest
    from qrlookup.officer_request_selectors import overdue_count

    head_office = User.objects.filter(role=Role.HEAD_OFFICE).order_by("pk").first()
    auditor = Client()  # the same request, signed in, for a role with no menu: the baseline
    auditor.force_login(User.objects.filter(role=Role.AUDITOR).order_by("pk").first())
    manager = Branch.objects.order_by("code").first().managers.order_by("pk").first()
    print(
        f"menu, database {database}: {Household.objects.count():,} households, "
        f"{Loan.objects.count():,} loans, {OfficerRequest.objects.count():,} requests, "
        f"{CreditOverride.objects.count():,} overrides"
    )
    print(f"  server time, median of {RUNS} (Django test client; load {os.getloadavg()[0]:.1f})")
    failed = 0
    with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
        for who, user in (("head office", head_office), ("branch manager", manager)):
            counts = menu_counts(user)
            client = Client()
            client.force_login(user)
            bare, kept, extra = _paired_ms(
                lambda: auditor.get("/dashboards/menu/"),
                lambda c=client: c.get("/dashboards/menu/"),
            )
            fresh = _median_ms(lambda c=client: (menu_changed(), c.get("/dashboards/menu/")))
            mark = "pass" if extra <= TARGET_EXTRA_MS else "FAIL"
            failed += mark == "FAIL"
            print(
                f"    {mark} {who:<15} /dashboards/menu/ {kept:6.1f} ms (counts kept), "
                f"{fresh:6.1f} ms (counted afresh); an auditor's (no menu) {bare:5.1f} ms; "
                f"the kept menu's own {extra:5.1f} ms (median of pairs; target ≤ "
                f"{TARGET_EXTRA_MS})  — {counts}"
            )
            afresh = _median_ms(lambda u=user: menu_counts_now(u))
            print(f"         counted afresh     {afresh:5.2f} ms")
            ids = visible_village_ids(user)
            for label, call in (
                ("the scope", lambda u=user: visible_village_ids(u)),
                ("overrides waiting", lambda i=ids: overrides_waiting_count(i)),
                ("requests overdue", lambda u=user: overdue_count(u)),
                ("loans overdue", lambda i=ids: overdue_loans_count(i)),
            ):
                print(f"         {label:<18} {_median_ms(call):5.2f} ms")
    print(f"  {failed} over the target" if failed else "  every figure within the target")


if __name__ == "__main__":
    main()
