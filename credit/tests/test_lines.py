"""Credit lines written beside the rating results and switched with them on publish."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import engine, lines, lines_sql
from credit.models import (
    CreditHold,
    CreditLine,
    CreditOverride,
    CreditPolicyVersion,
    LineStatus,
)
from credit.selectors import household_current_line
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households.models import BusinessEntity, Household
from households.tests.factories import HouseholdFactory
from rating import runs
from rating.features import net_annual_income, net_assets
from rating.models import ChunkStatus, RatingChunk, RatingResult, RatingRun, RunScope, RunStatus
from rating.tests.test_scoring_sql import AS_OF, _random_village

pytestmark = pytest.mark.django_db

COMPARED = [c for c in lines.LINE_COLUMNS if c not in ("status_changed_at",)]


def _line_rows(run, village):
    return {
        row[2]: row
        for row in CreditLine.objects.filter(run=run, village=village).values_list(*COMPARED)
    }


def _figures(h: Household) -> Decimal:
    """The smaller of a household's net income and net assets (what bounds its limit)."""
    income, assets = net_annual_income(h), net_assets(h)
    return min(Decimal(0) if v is None else v for v in (income, assets))


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize("planned", ["for each village", "once per run"])
def test_the_compiled_policy_writes_the_lines_the_engine_computes(
    org, run_to_end, monkeypatch, planned
):
    """The same lines whether the statement is planned for each village (custom plans, as
    while the tables are small) or once for the whole run (as in a county re-run)."""
    once = planned == "once per run"
    monkeypatch.setattr(lines_sql, "_planned_once", lambda run_id: once)
    _random_village(org.village_a, 5)
    rng = random.Random(5)
    for h in Household.objects.filter(village=org.village_a):
        h.payroll_agency, h.mobile_banking_active = rng.random() < 0.4, rng.random() < 0.5
        h.avg_daily_deposit_here = Decimal(rng.choice([0, 5000, 20000, 60000, 250000]))
        h.save()
    first = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    granted = list(CreditLine.objects.filter(run=first, household__isnull=False).order_by("pk"))
    assert len(granted) > 12
    # a suspended line, an old line about to expire, a grade and a limit override
    CreditHold.objects.create(
        household_id=granted[0].household_id,
        business_entity_id=granted[0].business_entity_id,
        status=LineStatus.SUSPENDED,
        source="manual",
        reason="涉诉待查",
        held_at=timezone.now(),
    )
    CreditLine.objects.filter(pk=granted[1].pk).update(valid_to=AS_OF - timedelta(days=1))
    # ... and two limit overrides approved under more than their subjects have now: a better
    # grade (the same cap), and a higher cap (the same grade) — both left out of the lines
    below = [line for line in granted[4:] if line.grade != "AAA"][:2]
    assert len(below) == 2
    # ... and a household rated into a grade that grants nothing, raised by a grade override
    # (the one whose income and assets would grant most: the village is drawn afresh for
    # each test order, its figures with it)
    candidates = list(
        RatingResult.objects.filter(run=first, household__isnull=False, knocked_out=False)
        .exclude(grade__in=lines.granting_grades(first)["household"])
        .select_related("household")
    )
    assert candidates
    ungranted = max(candidates, key=lambda r: _figures(r.household))
    raised = CreditLine(household_id=ungranted.household_id, grade=ungranted.grade, cap=0)
    for line, kind, grade, amount, approved_grade, approved_cap in (
        (raised, "grade", "A", None, ungranted.grade, Decimal(0)),
        (granted[2], "grade", "AAA", None, granted[2].grade, granted[2].cap),
        (granted[3], "limit", "", Decimal("88000"), granted[3].grade, granted[3].cap),
        (below[0], "limit", "", Decimal("99000"), "AAA", below[0].cap),
        (below[1], "limit", "", Decimal("77000"), below[1].grade, below[1].cap + 1),
    ):
        CreditOverride.objects.create(
            household_id=line.household_id,
            business_entity_id=line.business_entity_id,
            kind=kind,
            grade=grade,
            amount=amount,
            reason="测试",
            valid_until=AS_OF + timedelta(days=30),
            status="approved",
            approved_grade=approved_grade,
            approved_cap=approved_cap,
            proposed_by=org.officer_a,
            reviewed_by=org.manager,
        )
    # a stricter policy from the day after: the contribution cap and the floor now bind
    data = {
        **engine.DEFAULT_POLICY_JSON,
        "version": "test.2",
        "effective_from": str(AS_OF + timedelta(days=1)),
        "contribution_cap_bp": 25,
        "lpr_bp": 250,
        "floor_bp": 330,
    }
    engine.policy_from_json(data)  # valid
    CreditPolicyVersion.objects.create(
        version="test.2", effective_from=data["effective_from"], status="approved", data=data
    )
    second = runs.rating_run_start(
        actor=org.head_office,
        scope=RunScope.COUNTY,
        as_of=AS_OF + timedelta(days=1),
        dispatch=False,
        today=AS_OF + timedelta(days=1),
    )
    chunk = second.chunks.get(village=org.village_a)
    assert runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False) in ("done", "last")
    by_sql = _line_rows(second, org.village_a)

    CreditLine.objects.filter(run=second).delete()
    version = lines.policy_for(second)
    assert lines.write_python(second, org.village_a.pk, version) == len(by_sql)
    by_python = _line_rows(second, org.village_a)

    assert by_sql == by_python
    overridden = {
        r[COMPARED.index("household_id")]: r[COMPARED.index("override_id")] for r in by_sql.values()
    }
    assert overridden[raised.household_id] is not None
    assert overridden[granted[2].household_id] is not None
    assert overridden[granted[3].household_id] is not None
    assert overridden.get(below[0].household_id) is None
    assert overridden.get(below[1].household_id) is None
    # entities, on their own basis, except those drawing on their household's line
    entity = COMPARED.index("business_entity_id")
    entity_lines = {r[entity]: r for r in by_sql.values() if r[entity] is not None}
    assert len(entity_lines) >= 3
    for entity_id, row in entity_lines.items():
        e = BusinessEntity.objects.get(pk=entity_id)
        assert not engine.shares_household_line(
            e.kind, has_owner_household=e.owner_households.exists()
        )
        assert row[COMPARED.index("binding")] in ("grade_cap", "profit", "assets")
        assert row[COMPARED.index("cap")] in engine.DEFAULT_POLICY.entity_grade_caps.values()
    owned = BusinessEntity.objects.filter(village=org.village_a, owner_households__isnull=False)
    shared = [e.pk for e in owned if e.kind in engine.SHARED_LINE_KINDS]
    assert shared
    assert not set(shared) & set(entity_lines)
    assert {r[COMPARED.index("status")] for r in by_sql.values()} >= {"active", "suspended"}
    assert any(r[COMPARED.index("binding")] == "override" for r in by_sql.values())
    assert len({r[COMPARED.index("rate_bp")] for r in by_sql.values()}) > 3
    assert any(r[COMPARED.index("cap_back_bp")] > 0 for r in by_sql.values())
    assert any(r[COMPARED.index("floor_bp")] > 0 for r in by_sql.values())


def test_a_new_grade_and_its_new_limit_become_current_together(org, run_to_end):
    h = HouseholdFactory(village=org.village_a, committee_assessment="good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    before = household_current_line(h.pk)
    assert before is not None
    assert before.amount > 0

    h.income_business, h.house_value, h.deposits = 300000, 2000000, 400000
    h.save()
    second = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    for chunk in second.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    # rated, lines written, not yet published: the old line is still the current one
    assert household_current_line(h.pk).pk == before.pk
    runs.rating_run_publish(run_id=second.pk)
    after = household_current_line(h.pk)
    assert after.run_id == second.pk
    assert after.amount > before.amount
    assert after.valid_from == before.valid_from  # the 3-year term goes on


def test_a_line_stores_every_term_of_its_rate_and_they_add_up(org, run_to_end):
    h = HouseholdFactory(
        village=org.village_a,
        committee_assessment="very_good",
        payroll_agency=True,
        avg_daily_deposit_here=90000,
    )
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    line = household_current_line(h.pk)
    assert line is not None
    assert sum(bp for _, bp in line.rate_terms) == line.rate_bp
    policy = line.policy.policy
    expected = engine.credit_rate(
        policy,
        engine.PriceInputs(
            grade=line.grade,
            limit=line.amount,
            avg_daily_deposit=Decimal(90000),
            payroll_agency=True,
            mobile_banking_active=False,
            clean_repayment=True,
            low_income=False,
        ),
    )
    assert line.rate_bp == expected.rate_bp
    assert dict(line.rate_terms) == {t.code: int(t.value) for t in expected.terms}
    assert line.valid_to == lines.add_months(line.valid_from, policy.validity_months)


def test_a_real_run_on_a_date_without_a_policy_in_force_is_refused_before_it_starts(org):
    # Issue 11: such a run published its scope's ratings and withdrew every line in it (a
    # 330,000 line vanished while the household stayed AAA). Two days before the first
    # policy, within the days a run may be back-dated:
    HouseholdFactory(village=org.village_a, committee_assessment="good")
    with pytest.raises(DomainError) as refused:
        runs.rating_run_start(
            actor=org.head_office,
            scope=RunScope.COUNTY,
            as_of=date(2025, 12, 30),
            today=date(2026, 1, 1),
        )
    assert refused.value.code == "no_policy"
    assert refused.value.errors["as_of"][0].startswith(
        "2025-12-30没有生效的已批准授信政策，不能发起正式评级"
    )
    assert not RatingRun.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RATING_RUN_START).exists()
    # on the policy's first day the same run starts
    run = runs.rating_run_start(
        actor=org.head_office,
        scope=RunScope.COUNTY,
        as_of=date(2026, 1, 1),
        dispatch=False,
        today=date(2026, 1, 1),
    )
    assert run.status == "pending"


def test_a_what_if_before_any_policy_still_rates_and_grants_no_line(org, eager_celery):
    h = HouseholdFactory(village=org.village_a, committee_assessment="good")
    run = runs.rating_simulation_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=date(2025, 6, 30), dispatch=False
    )
    for chunk in run.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    run = runs.rating_run_publish(run_id=run.pk)
    assert run.status == "simulated"
    assert RatingResult.objects.filter(run=run, household=h).exists()  # rated, and…
    assert not CreditLine.objects.filter(run=run).exists()  # …granted no line


def test_add_months_clamps_to_the_months_end():
    assert lines.add_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    assert lines.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert lines.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.usefixtures("postgres")
def test_a_chunk_rated_again_leaves_one_result_and_one_line_per_subject(org):
    """A chunk's results and lines are written by one statement each, after one that clears
    what an earlier try left for the same village: rated again (its done mark lost, its claim
    taken over), the village has each subject once, with the same lines."""
    _random_village(org.village_a, 7)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    chunk = run.chunks.get(village=org.village_a)

    def by_subject():
        rows = CreditLine.objects.filter(run=run, village=org.village_a)
        fields = [c for c in COMPARED if c != "rating_result_id"]
        return {(r[2], r[3]): r for r in rows.values_list(*fields)}

    assert runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False) in ("done", "last")
    results = RatingResult.objects.filter(run=run, village=org.village_a).count()
    first = by_subject()
    assert results > 100
    assert len(first) > 10
    chunk.refresh_from_db()
    RatingChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING,
        claim="dead-host:1:deadbeef",
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    RatingRun.objects.filter(pk=run.pk).update(chunks_done=0, status=RunStatus.RUNNING)

    assert runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False) in ("done", "last")

    again = RatingResult.objects.filter(run=run, village=org.village_a)
    assert again.count() == results
    assert len({(r.household_id, r.business_entity_id) for r in again}) == results
    assert by_subject() == first
    assert CreditLine.objects.filter(run=run).count() == len(first)
    chunk_after = RatingChunk.objects.get(pk=chunk.pk)
    assert chunk_after.counts == chunk.counts
    assert sum(n for _, _, n, _, _ in chunk_after.counts) == results
