"""The whitelists: built in SQL when a run publishes and when lines change, as temporal rows
(a re-rating writes only what changed), snapshots and deltas by version, and the SQL agrees
with the engine's admission rules."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from credit import holds as credit_holds
from credit.selectors import household_current_line
from households.tests.factories import HouseholdFactory, MemberFactory
from loans.applications import applicant_facts
from loans.borrowers import Borrower
from loans.engine import rules
from loans.models import LoanProduct, LoanProductVersion, WhitelistEntry, WhitelistVersion
from loans.tests.conftest import RICH
from loans.whitelist_selectors import whitelist_delta, whitelist_snapshot
from loans.whitelists import Scope, whitelists_rebuild
from rating.models import RunScope

pytestmark = pytest.mark.django_db
AS_OF = timezone.localdate()


def members_of(product_code: str) -> set[int]:
    return set(
        WhitelistEntry.objects.filter(
            product__code=product_code, valid_to__isnull=True
        ).values_list("household_id", flat=True)
    )


@pytest.fixture
def village(org, run_to_end, django_capture_on_commit_callbacks):
    farmer = HouseholdFactory(village=org.village_a, **RICH)
    teacher = HouseholdFactory(village=org.village_a, **{**RICH, "income_crops": 0,
                                                          "income_livestock": 0,
                                                          "land_contracted_mu": 0})  # fmt: skip
    MemberFactory(household=teacher, is_public_employee=True)
    poor = HouseholdFactory(village=org.village_b, income_wages=5000, house_value=0, deposits=0)
    neighbour = HouseholdFactory(village=org.village_b, **RICH)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    return {"farmer": farmer, "teacher": teacher, "poor": poor, "neighbour": neighbour}


def test_a_published_run_builds_each_products_whitelist(village):
    farmer, teacher, poor = village["farmer"].pk, village["teacher"].pk, village["poor"].pk
    assert {farmer, teacher, village["neighbour"].pk} <= members_of("fuxiang_e_loan")
    assert poor not in members_of("fuxiang_e_loan")
    assert farmer in members_of("huinong_quick_loan")
    assert teacher not in members_of("huinong_quick_loan")
    assert members_of("gongxin_loan") == {teacher}
    assert WhitelistVersion.objects.filter(number=1).count() == 4
    entry = WhitelistEntry.objects.get(product__code="fuxiang_e_loan", household_id=farmer)
    line = household_current_line(farmer)
    assert (entry.grade, entry.amount, entry.rate_bp, entry.line_valid_to) == (
        line.grade,
        line.amount,
        line.rate_bp,
        line.valid_to,
    )


def test_a_county_run_with_the_same_results_writes_nothing(village, org, run_to_end):
    rows = WhitelistEntry.objects.count()
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    assert WhitelistEntry.objects.count() == rows
    assert not WhitelistVersion.objects.filter(number=2).exists()


def test_a_re_rating_writes_only_the_rows_that_changed(village, rate_household):
    neighbour = village["neighbour"]
    neighbour.income_wages, neighbour.house_value = 20000, 200000  # a smaller line
    neighbour.save()
    untouched = set(
        WhitelistEntry.objects.exclude(household=neighbour).values_list("pk", "valid_from")
    )
    rate_household(neighbour)
    version = WhitelistVersion.objects.get(product__code="fuxiang_e_loan", number=2)
    assert (version.added, version.changed, version.removed) == (0, 1, 0)
    assert version.reason.startswith("评级任务#")
    assert (
        set(WhitelistEntry.objects.exclude(household=neighbour).values_list("pk", "valid_from"))
        == untouched
    )
    delta = whitelist_delta(version.product_id, 1, 2)
    assert [e.household_id for e in delta.changed] == [neighbour.pk]
    assert delta.changed[0].amount == household_current_line(neighbour.pk).amount
    # the snapshot of version 1 still has the old figures
    old = whitelist_snapshot(version.product_id, 1).get(household=neighbour)
    assert old.amount == Decimal(500000)
    assert old.valid_to == 2


def test_a_suspended_line_leaves_the_whitelists_and_comes_back_when_restored(
    village, org, django_capture_on_commit_callbacks, eager_celery
):
    farmer = village["farmer"]
    line = household_current_line(farmer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        credit_holds.line_set_status(
            actor=org.manager, line=line, status="suspended", reason="核查"
        )
    assert farmer.pk not in members_of("fuxiang_e_loan")
    product = LoanProduct.objects.get(code="fuxiang_e_loan")
    assert whitelist_delta(product.pk, 1, 2).counts() == {"added": 0, "changed": 0, "removed": 1}
    with django_capture_on_commit_callbacks(execute=True):
        credit_holds.line_set_status(actor=org.manager, line=line, status="active", reason="完毕")
    assert farmer.pk in members_of("fuxiang_e_loan")
    assert whitelist_delta(product.pk, 2, 3).counts() == {"added": 1, "changed": 0, "removed": 0}
    assert whitelist_delta(product.pk, 1, 3).counts() == {"added": 0, "changed": 0, "removed": 0}


def test_a_rebuild_renews_a_snapshot_only_when_asked(village):
    assert whitelists_rebuild(scope=Scope(everything=True), reason="无变化") == []
    renewed = whitelists_rebuild(scope=Scope(everything=True), reason="每日刷新", renew=True)
    assert len(renewed) == 4
    assert all(
        v.total == v.__class__.objects.get(product=v.product, number=1).total for v in renewed
    )


def test_the_sql_admits_exactly_whom_the_engine_admits(org, run_to_end):
    """Random households (farming or not, teachers or not, rich or poor, closed): each
    product's whitelist equals the engine's verdict on each one's current line."""
    rng = random.Random(14)
    households = []
    for i in range(40):
        h = HouseholdFactory(
            village=org.village_a if i % 2 else org.village_b,
            income_crops=rng.choice([0, 10000, 60000]),
            income_livestock=rng.choice([0, 20000]),
            income_wages=rng.choice([0, 30000, 120000]),
            annual_costs=rng.choice([5000, 20000]),
            land_contracted_mu=rng.choice([0, 2, 3, 8]),
            house_value=rng.choice([0, 200000, 900000]),
            deposits=rng.choice([0, 100000, 300000]),
            committee_assessment=rng.choice(["very_good", "good", "fair"]),
        )
        if rng.random() < 0.3:
            MemberFactory(household=h, is_public_employee=True)
        households.append(h)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    today = timezone.localdate()
    seen = set()
    for version in LoanProductVersion.objects.filter(status="approved").select_related("product"):
        terms = version.terms
        expected = set()
        for h in households:
            line = household_current_line(h.pk)
            if line is None:
                continue
            facts = rules.LineFacts(
                line.grade, line.amount, line.status, line.valid_to, line.online_eligible,
                line.amount,
            )  # fmt: skip
            applicant = applicant_facts(Borrower(household_id=h.pk))
            reasons = rules.eligibility_reasons(terms, applicant, line.grade)
            reasons += rules.line_reasons(terms, facts, terms.min_amount, today)
            if not reasons:
                expected.add(h.pk)
        assert members_of(version.product.code) == expected, version.product.name
        seen.add(len(expected))
    assert len(seen) > 2  # the products admitted different households


def test_a_build_plans_with_the_entries_it_wrote(postgres, org, run_to_end):
    """The next product's build reads the entries the one before wrote: without an analyse it
    is planned for the empty table it started from, a scan of the entries per eligible line."""
    table = WhitelistEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = CAST(%s AS regclass)", [table])
        assert cursor.fetchone()[0] == 0
    for _ in range(3):
        HouseholdFactory(village=org.village_a, **RICH)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = CAST(%s AS regclass)", [table])
        assert cursor.fetchone()[0] > 0  # (a few rows: then on, changes under 50 wait)
