"""Rating runs: chunks per village, idempotent reruns, atomic publish, no overlap, re-rating.

These run on SQLite and PostgreSQL with eager Celery; the real worker on Redis is exercised
in ``tests/test_rating_worker.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households.models import HouseholdStatus, Relation, WatchlistEntry, WatchlistMatch
from households.tests.factories import (
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
    VillageFactory,
    next_resident_id,
)
from rating import batch, engine, hooks, runs
from rating.models import (
    ChunkStatus,
    CurrentRating,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunScope,
    RunStatus,
)
from rating.results_sql import breakdown_order, result_row, results_write
from rating.selectors import result_breakdown, result_explain, scorecard_active

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def eager_retries(eager_celery):
    """Eager Celery that retries a failing task in-process, as a worker would, instead of
    raising at the caller (``task_eager_propagates`` off)."""
    from fuxiang.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def household(village, **kwargs):
    return HouseholdFactory(village=village, committee_assessment="good", **kwargs)


def current_grade(h):
    return CurrentRating.objects.get(household=h).grade


# --- a whole run ------------------------------------------------------------------------------


def test_a_county_run_rates_every_village_and_publishes_once(org, run_to_end):
    in_a = [household(org.village_a) for _ in range(3)]
    in_b = [household(org.village_b) for _ in range(2)]
    entity = BusinessEntityFactory(village=org.village_b)

    run = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)

    assert run.status == RunStatus.PUBLISHED
    assert (run.chunks_done, run.chunks_total, run.progress) == (2, 2, 1.0)
    assert set(run.chunks.values_list("village_id", "status", "subjects")) == {
        (org.village_a.pk, ChunkStatus.DONE, 3),
        (org.village_b.pk, ChunkStatus.DONE, 3),
    }
    assert (run.subjects, run.rated, run.skipped) == (6, 6, 0)
    assert sum(run.grade_counts["household"].values()) == 5
    assert sum(run.grade_counts["enterprise"].values()) == 1
    rated = set(RatingResult.objects.filter(run=run).values_list("household_id", flat=True))
    assert rated == {h.pk for h in in_a + in_b} | {None}
    assert CurrentRating.objects.filter(run=run).count() == 6
    assert CurrentRating.objects.get(business_entity=entity).kind == "enterprise"
    assert AuditEvent.objects.filter(action=AuditAction.RATING_RUN_START).count() == 1
    published = AuditEvent.objects.get(action=AuditAction.RATING_PUBLISH)
    assert published.details["rated"] == 6
    assert run.started_at <= run.finished_at <= run.published_at


def test_the_breakdown_of_a_known_household_matches_the_hand_calculation(org, run_to_end):
    h = HouseholdFactory(
        village=org.village_a,
        committee_assessment="good",
        avg_daily_deposit_here=20_000,
        honours_count=1,
        head__id_number=next_resident_id(date(1980, 5, 1)),
        head__education="junior",
    )
    MemberFactory(household=h, relation=Relation.SPOUSE, labour_ability="full")
    MemberFactory(household=h, relation=Relation.CHILD, labour_ability="none")

    run = run_to_end(actor=org.head_office, scope=RunScope.VILLAGE, scope_ids=[org.village_a.pk])

    result = RatingResult.objects.get(run=run, household=h)
    # docs/design.md §4.5 by hand: head 46 years old on 2026-06-30 → 8; health good → 6; junior
    # school → 2; two full labourers → 4; owns the house → 6; net income 30,000 + 40,000 −
    # 20,000 = 50,000 (5–10万) → 9; net assets 350,000 (30–60万) → 9; no debt → 10; no overdue
    # → 12; 20,000 deposited here (1–5万) → 2; no other lender → 4; committee "good" → 7;
    # one honour → +2. Total 81 → AA.
    values, points = result_breakdown(result)
    points = {k: Decimal(v) for k, v in points.items()}
    assert points == {
        "head_age": 8,
        "head_health": 6,
        "head_education": 2,
        "labour_force": 4,
        "house_ownership": 6,
        "net_annual_income": 9,
        "net_assets": 9,
        "debt_ratio": 10,
        "overdue_class": 12,
        "avg_daily_deposit_here": 2,
        "other_lenders_count": 4,
        "committee_assessment": 7,
        "honours_count": 2,
        "public_record_deductions": 0,
    }
    assert (result.score, result.grade, result.knocked_out, result.incomplete) == (
        Decimal(81),
        "AA",
        False,
        False,
    )
    assert values["head_age"] == 46
    assert Decimal(values["net_annual_income"]) == 50_000
    assert values["is_dibao"] is False
    explained = result_explain(result)
    assert explained.score == Decimal(81)
    assert explained.hints  # the full explanation comes back from the stored values
    assert current_grade(h) == "AA"


def test_an_incomplete_archive_is_rated_and_flagged(org, run_to_end):
    no_head = HouseholdFactory(village=org.village_a, head=False, committee_assessment="")
    complete = household(org.village_a)

    run = run_to_end(actor=org.head_office, scope=RunScope.VILLAGE, scope_ids=[org.village_a.pk])

    assert run.status == RunStatus.PUBLISHED
    result = RatingResult.objects.get(run=run, household=no_head)
    assert result.incomplete
    assert {"head_age", "head_health", "committee_assessment"} <= set(result.missing)
    assert result_breakdown(result)[1]["head_age"] == "0"
    assert not RatingResult.objects.get(run=run, household=complete).incomplete
    assert run.incomplete == 1


def test_households_without_consent_or_closed_are_not_rated(org, run_to_end):
    rated = household(org.village_a)
    withdrawn = household(org.village_a)
    closed = household(org.village_a, status=HouseholdStatus.CLOSED)
    first = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    assert CurrentRating.objects.filter(household=withdrawn).exists()
    assert not RatingResult.objects.filter(run=first, household=closed).exists()
    withdrawn.rating_consent = False
    withdrawn.save(update_fields=["rating_consent"])

    second = run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(1))

    assert (second.rated, second.skipped, second.subjects) == (1, 2, 3)
    # a village whose only household closed: its current rating is withdrawn too
    lone = household(org.village_b)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(2))
    assert CurrentRating.objects.filter(household=lone).exists()
    lone.status = HouseholdStatus.CLOSED
    lone.save(update_fields=["status"])
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(3))
    assert not CurrentRating.objects.filter(household=lone).exists()
    assert list(RatingResult.objects.filter(run=second).values_list("household_id", flat=True))
    assert set(CurrentRating.objects.values_list("household_id", flat=True)) == {rated.pk}


def test_watch_list_matches_and_the_run_date_decide_knock_outs(org, run_to_end):
    listed = household(org.village_a)
    entry = WatchlistEntry.objects.create(
        kind="dishonest_debtor",
        name="张三",
        id_number_encrypted="x",
        id_number_index="i1",
        id_number_masked="430***********0001",
        source="法院",
        listed_on=date(2025, 1, 1),
    )
    WatchlistMatch.objects.create(
        entry=entry, member=listed.members.get(), household=listed, kind="dishonest_debtor"
    )
    old = HouseholdFactory(
        village=org.village_a,
        committee_assessment="good",
        head__id_number=next_resident_id(date(1960, 12, 1)),
    )
    on_allowance = household(org.village_a)
    MemberFactory(household=on_allowance, subsistence_allowance=True)

    # 65 on 30 June 2026 (born in December 1960): not yet outside 18–65.
    run = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    results = {r.household_id: r for r in RatingResult.objects.filter(run=run)}
    assert results[listed.pk].knock_outs == ["dishonest_debtor"]
    assert results[listed.pk].grade == "B"
    assert not results[old.pk].knocked_out
    assert results[on_allowance.pk].flags == ["dibao"]
    assert not results[on_allowance.pk].knocked_out

    later = run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=date(2027, 1, 31))
    assert RatingResult.objects.get(run=later, household=old).knock_outs == ["head_age"]


def test_an_entity_is_rated_with_its_own_card(org, run_to_end):
    farm = BusinessEntityFactory(
        village=org.village_a, kind="family_farm", category="agricultural", land_mu=120
    )
    run = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    result = RatingResult.objects.get(run=run, business_entity=farm)
    assert result.kind == "agricultural"
    assert result.breakdown["card"] == scorecard_active("agricultural").version


# --- refusals ---------------------------------------------------------------------------------


def test_a_run_over_an_empty_scope_is_refused(org):
    empty = VillageFactory(township=org.township, grid=org.grid_a)
    household(org.village_a, status=HouseholdStatus.CLOSED)
    for scope, ids in ((RunScope.VILLAGE, [empty.pk]), (RunScope.VILLAGE, [org.village_a.pk])):
        with pytest.raises(DomainError, match="范围内没有已建档的农户或经营主体"):
            runs.rating_run_start(
                actor=org.head_office, scope=scope, scope_ids=ids, as_of=AS_OF, today=AS_OF
            )
    assert not RatingRun.objects.exists()


def test_overlapping_runs_are_refused(org):
    household(org.village_a)
    first = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    with pytest.raises(DomainError, match="已有评级任务正在进行"):
        runs.rating_run_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
        )
    with pytest.raises(DomainError, match="已有评级任务正在进行"):
        runs.rating_household_rerate(household=org.village_a.households.get())
    # the database itself holds the line, whatever two starters race
    second = RatingRun(
        scope=RunScope.COUNTY,
        as_of=AS_OF,
        household_card=first.household_card,
        enterprise_card=first.enterprise_card,
        agricultural_card=first.agricultural_card,
        status=RunStatus.RUNNING,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    runs.rating_run_cancel(actor=org.head_office, run=first)
    assert runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
    )


def test_who_may_start_a_run(org):
    household(org.village_a)
    with pytest.raises(DomainError, match="只有总行"):
        runs.rating_run_start(actor=org.officer_a, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF)
    with pytest.raises(DomainError, match="只有总行"):
        runs.rating_run_start(actor=org.manager, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF)
    other = VillageFactory()
    household(other)
    with pytest.raises(DomainError, match="本支行"):
        runs.rating_run_start(
            actor=org.manager,
            scope=RunScope.VILLAGE,
            scope_ids=[other.pk],
            as_of=AS_OF,
            today=AS_OF,
        )
    run = runs.rating_run_start(
        actor=org.manager, scope=RunScope.GRID, scope_ids=[org.grid_a.pk], as_of=AS_OF, today=AS_OF
    )
    assert run.started_by == org.manager
    assert list(run.chunks.values_list("village_id", flat=True)) == [org.village_a.pk]


# --- chunks: failures, crashes, reruns ----------------------------------------------------------


def test_a_stale_chunk_of_a_dead_worker_is_rerun_to_a_complete_result(org, run_to_end):
    households = [household(org.village_a) for _ in range(3)]
    household(org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    chunk_a, chunk_b = run.chunks.order_by("village__code")
    # A worker claimed village A an hour ago, wrote part of it in a transaction that never
    # committed... and a bogus partial row is there anyway; then it died.
    RatingChunk.objects.filter(pk=chunk_a.pk).update(
        status=ChunkStatus.RUNNING,
        claim="dead-host:1:deadbeef",
        claimed_at=timezone.now() - timedelta(hours=1),
        attempts=1,
    )
    rows, _ = batch.rate_village(run, org.village_a.pk)
    results_write(rows[:1])
    assert runs.rating_chunk_run(chunk_id=chunk_b.pk, queue_publish=False) == "done"
    assert runs.rating_chunk_run(chunk_id=chunk_b.pk, queue_publish=False) == "skipped"

    assert runs.rating_chunk_run(chunk_id=chunk_a.pk, queue_publish=False) == "last"
    runs.rating_run_publish(run_id=run.pk)

    run.refresh_from_db()
    chunk_a.refresh_from_db()
    assert (run.status, run.rated) == (RunStatus.PUBLISHED, 4)
    assert (chunk_a.status, chunk_a.attempts) == (ChunkStatus.DONE, 2)
    assert RatingResult.objects.filter(run=run, village=org.village_a).count() == 3
    assert {c.household_id for c in CurrentRating.objects.filter(run=run)} >= {
        h.pk for h in households
    }


def test_a_run_whose_messages_were_lost_is_resumed_to_publish(
    org, eager_celery, django_capture_on_commit_callbacks
):
    household(org.village_a)
    household(org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    runs.rating_chunk_run(chunk_id=run.chunks.first().pk, queue_publish=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert runs.rating_run_resume(run_id=run.pk) == 1

    run.refresh_from_db()
    assert (run.status, run.rated) == (RunStatus.PUBLISHED, 2)
    assert runs.rating_run_resume(run_id=run.pk) == 0


def test_a_freshly_claimed_chunk_is_left_to_its_worker(org):
    household(org.village_a)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    chunk = run.chunks.get()
    RatingChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, claim="busy-host:2:cafe", claimed_at=timezone.now()
    )
    assert runs.rating_chunk_run(chunk_id=chunk.pk) == "busy"
    assert not RatingResult.objects.exists()


def test_a_chunk_that_fails_once_is_retried_and_the_run_publishes(
    org, eager_retries, run_to_end, monkeypatch
):
    for _ in range(2):
        household(org.village_a)
    household(org.village_b)
    real = batch.village_rate
    calls = []

    def flaky(run, village_id):
        calls.append(village_id)
        if village_id == org.village_a.pk and calls.count(village_id) == 1:
            raise OSError("database connection lost")
        return real(run, village_id)

    monkeypatch.setattr(batch, "village_rate", flaky)
    run = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)

    assert run.status == RunStatus.PUBLISHED
    assert run.rated == 3
    chunk = run.chunks.get(village=org.village_a)
    assert (chunk.status, chunk.attempts) == (ChunkStatus.DONE, 2)


def test_a_chunk_that_keeps_failing_fails_the_run_and_publishes_nothing(
    org, eager_retries, run_to_end, monkeypatch
):
    h = household(org.village_a)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    before = CurrentRating.objects.get(household=h).result_id

    def broken(run, village_id):
        raise ValueError("bad data")

    monkeypatch.setattr(batch, "village_rate", broken)
    failed = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)

    assert failed.status == RunStatus.FAILED
    assert "bad data" in failed.error
    assert failed.chunks.get().attempts == 4  # the first try and three retries
    assert CurrentRating.objects.get(household=h).result_id == before
    assert AuditEvent.objects.filter(action=AuditAction.RATING_RUN_FAIL).exists()


def test_the_chunk_query_count_does_not_grow_with_households(org, django_assert_max_num_queries):
    household(org.village_a)
    for _ in range(25):
        household(org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    for chunk in run.chunks.all():  # 1 household, then 25: the same queries
        batch.engine_card.cache_clear()
        # 3 of them read the cards; credit's chunk step (lines beside the results) reads its
        # policy and writes — none per household (on PostgreSQL a warm chunk takes 6 round
        # trips in all: test_a_chunk_takes_six_round_trips_on_postgresql)
        with django_assert_max_num_queries(25):
            runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    assert RatingResult.objects.filter(run=run).count() == 26


# --- publish ----------------------------------------------------------------------------------


def test_nobody_sees_a_half_rated_run(org, run_to_end):
    a, b = household(org.village_a), household(org.village_b)
    first = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    first_score = CurrentRating.objects.get(household=a).score
    for h in (a, b):
        h.income_wages, h.income_crops, h.house_value = 0, 0, 0
        h.save()
    second = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    chunk_a = second.chunks.get(village=org.village_a)
    runs.rating_chunk_run(chunk_id=chunk_a.pk, queue_publish=False)

    # village A is rated in the new run, but nothing switched: both still show the first run
    assert RatingResult.objects.filter(run=second, household=a).exists()
    assert set(CurrentRating.objects.values_list("run_id", flat=True)) == {first.pk}
    with pytest.raises(DomainError, match="不能发布"):
        runs.rating_run_publish(run_id=second.pk)

    chunk_b = second.chunks.get(village=org.village_b)
    assert runs.rating_chunk_run(chunk_id=chunk_b.pk, queue_publish=False) == "last"
    runs.rating_run_publish(run_id=second.pk)
    assert set(CurrentRating.objects.values_list("run_id", flat=True)) == {second.pk}
    assert CurrentRating.objects.get(household=a).score < first_score


def test_a_failing_publish_hook_rolls_the_whole_publish_back(org):
    h = household(org.village_a)
    seen = []

    def credit_step(run):
        seen.append(CurrentRating.objects.get(household=h).run_id)
        raise RuntimeError("credit lines could not be created")

    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    runs.rating_chunk_run(chunk_id=run.chunks.get().pk, queue_publish=False)
    hooks.register(credit_step)
    try:
        with pytest.raises(RuntimeError):
            runs.rating_run_publish(run_id=run.pk)
    finally:
        hooks.unregister(credit_step)

    assert seen == [run.pk]  # the hook ran inside the publish, after the switch
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHING
    assert not CurrentRating.objects.exists()
    assert runs.rating_run_publish(run_id=run.pk).status == RunStatus.PUBLISHED
    assert CurrentRating.objects.get(household=h).run_id == run.pk


def test_a_run_with_missing_results_fails_its_publish_check_and_publishes_nothing(org):
    household(org.village_a)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    runs.rating_chunk_run(chunk_id=run.chunks.get().pk, queue_publish=False)
    RatingResult.objects.filter(run=run).delete()

    run = runs.rating_run_publish(run_id=run.pk)

    assert run.status == RunStatus.FAILED
    assert "农户0条结果可切换为当前评级，分片评级1条" in run.error
    assert not CurrentRating.objects.exists()


def test_chunks_done_by_an_earlier_release_are_counted_from_their_results(org):
    household(org.village_a)
    household(org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    for chunk in run.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    run.chunks.filter(village=org.village_b).update(counts=[])  # a worker without counts

    run = runs.rating_run_publish(run_id=run.pk)

    assert run.status == RunStatus.PUBLISHED
    assert run.rated == 2
    assert sum(run.grade_counts["household"].values()) == 2
    assert CurrentRating.objects.filter(run=run).count() == 2


PLANNER_SETTINGS = ("jit", "plan_cache_mode", "random_page_cost", "work_mem", "enable_nestloop")


@pytest.mark.usefixtures("postgres")
def test_runs_inside_a_callers_transaction_leave_its_settings_alone(org, run_to_end):
    # the test's own transaction is the caller's: eager runs and re-ratings happen inside it
    def settings() -> list[str]:
        with connection.cursor() as cursor:
            values = []
            for name in (
                "jit",
                "plan_cache_mode",
                "random_page_cost",
                "work_mem",
                "enable_nestloop",
            ):
                cursor.execute(f"SHOW {name}")
                values.append(cursor.fetchone()[0])
            return values

    before = settings()
    h = household(org.village_a)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    assert settings() == before
    with transaction.atomic():
        run = runs.rating_household_rerate(
            household=h, actor=org.officer_a, as_of=AS_OF, today=AS_OF
        )
        assert settings() == before
    assert run.status == RunStatus.PUBLISHED


# --- one household ----------------------------------------------------------------------------


def test_an_officer_re_rates_a_household_of_their_grid_at_once(org, run_to_end):
    h = household(org.village_a)
    first = run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    h.committee_assessment = "poor"
    h.save()

    run = runs.rating_household_rerate(household=h, actor=org.officer_a, as_of=AS_OF, today=AS_OF)

    assert run.status == RunStatus.PUBLISHED
    assert (run.scope, run.household_ids, run.rated) == (RunScope.SUBJECTS, [h.pk], 1)
    assert run.started_by == org.officer_a
    current = CurrentRating.objects.get(household=h)
    assert current.run_id == run.pk
    assert current.score == RatingResult.objects.get(run=first, household=h).score - 7
    with pytest.raises(DomainError):
        runs.rating_household_rerate(household=h, actor=org.officer_b)


def test_a_household_without_consent_is_not_re_rated(org):
    h = household(org.village_a, rating_consent=False)
    with pytest.raises(DomainError, match="未同意评级授信"):
        runs.rating_household_rerate(household=h)
    assert not RatingRun.objects.exists()


def test_results_are_unique_per_run_and_subject(org):
    h = household(org.village_a)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    card = scorecard_active("household").card
    features = engine.household_features(engine.HouseholdArchive(as_of=AS_OF))
    row = result_row(
        run_id=run.pk,
        village_id=org.village_a.pk,
        household_id=h.pk,
        entity_id=None,
        result=engine.score(card, features, explain=False),
        features=features,
        value_order=breakdown_order(card)[0],
        card=card,
    )
    results_write([row])
    with pytest.raises(IntegrityError), transaction.atomic():
        results_write([row])


# --- the as-of date of a real run (issue 11) -------------------------------------------------

TODAY = date(2026, 7, 10)  # the day the runs below are started


def start(org, as_of, *, scope=RunScope.COUNTY, scope_ids=(), today=TODAY):
    return runs.rating_run_start(
        actor=org.head_office, scope=scope, scope_ids=scope_ids, as_of=as_of, today=today
    )


@pytest.mark.parametrize("as_of", [TODAY + timedelta(days=1), date(2031, 7, 10)])
def test_a_real_run_dated_in_the_future_is_refused_and_nothing_is_created(org, as_of):
    household(org.village_a)
    with pytest.raises(DomainError) as refused:
        start(org, as_of)
    assert refused.value.code == "as_of"
    assert refused.value.errors == {
        "as_of": [
            f"评级基准日{as_of:%Y-%m-%d}晚于今天（2026-07-10）：正式评级不能预先评级，"
            "其他日期只能用于模拟测算"
        ]
    }
    assert not RatingRun.objects.exists()
    assert not RatingChunk.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RATING_RUN_START).exists()


def test_a_real_run_may_be_dated_back_only_within_the_window(org, run_to_end, settings):
    household(org.village_a)
    settings.RATING_AS_OF_MAX_DAYS_BACK = 3
    with pytest.raises(DomainError, match="早于2026-07-07：正式评级的基准日只能是今天或此前3天内"):
        start(org, TODAY - timedelta(days=4))
    assert not RatingRun.objects.exists()

    run = run_to_end(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=TODAY - timedelta(3), today=TODAY
    )
    assert (run.status, run.as_of) == (RunStatus.PUBLISHED, TODAY - timedelta(days=3))


def test_a_real_run_never_takes_a_rating_in_force_back_in_time(org, run_to_end):
    in_a, in_b = household(org.village_a), household(org.village_b)
    village_a = {"scope": RunScope.VILLAGE, "scope_ids": [org.village_a.pk]}
    run_to_end(actor=org.head_office, as_of=TODAY - timedelta(days=1), today=TODAY, **village_a)

    # the same scope, the county around it: refused, naming the run it would go behind
    for scope in (village_a, {"scope": RunScope.COUNTY}):
        with pytest.raises(DomainError, match="早于该范围内已发布的评级任务#") as refused:
            start(org, TODAY - timedelta(days=2), **scope)
        assert "基准日（2026-07-09）：正式评级不能让已生效的评级倒退到更早的日期" in (
            refused.value.message
        )
    # a household of village A re-rated today: village A may no longer be rated yesterday
    runs.rating_household_rerate(household=in_a, today=TODAY)
    with pytest.raises(DomainError, match="基准日（2026-07-10）"):
        start(org, TODAY - timedelta(days=1), **village_a)
    assert RatingRun.objects.count() == 2
    # village B was never rated after that date, and the same date again is no step back
    run_to_end(
        actor=org.head_office,
        scope=RunScope.VILLAGE,
        scope_ids=[org.village_b.pk],
        as_of=TODAY - timedelta(days=2),
        today=TODAY,
    )
    county = run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=TODAY, today=TODAY)
    assert county.status == RunStatus.PUBLISHED
    assert CurrentRating.objects.get(household=in_b).run == county


def test_a_re_rating_is_bounded_like_any_real_run(org):
    h = household(org.village_a)
    with pytest.raises(DomainError, match="晚于今天"):
        runs.rating_household_rerate(
            household=h, actor=org.officer_a, as_of=TODAY + timedelta(days=365), today=TODAY
        )
    assert not RatingRun.objects.exists()


def test_a_what_if_may_be_dated_in_the_future_or_long_ago(org, eager_celery):
    household(org.village_a)
    for as_of in (date(2031, 7, 10), date(2025, 6, 30)):
        run = runs.rating_simulation_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=as_of, dispatch=False
        )
        for chunk in run.chunks.all():
            runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
        assert runs.rating_run_publish(run_id=run.pk).status == RunStatus.SIMULATED
    assert not CurrentRating.objects.exists()


# --- the command ------------------------------------------------------------------------------


def test_the_rate_command_runs_a_village_with_a_progress_line(org, eager_celery, capsys):
    household(org.village_a)
    household(org.village_b)
    call_command("rate", "--scope", "village", "--code", org.village_a.code)
    out = capsys.readouterr().out
    assert "1/1个村（100%）" in out
    assert "已发布：评级1个对象" in out
    run = RatingRun.objects.get()
    assert (run.status, run.as_of, run.scope_label) == (
        RunStatus.PUBLISHED,
        timezone.localdate(),
        org.village_a.name,
    )


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (1, "晚于今天"),
        (5 * 365, "晚于今天"),  # the 2031 run that aged every head of household by five years
        (-8, "正式评级的基准日只能是今天或此前7天内"),
        (-300, "正式评级的基准日只能是今天或此前7天内"),
    ],
)
def test_the_rate_command_refuses_a_date_out_of_bounds_and_creates_nothing(
    org, eager_celery, days, message
):
    household(org.village_a)
    as_of = timezone.localdate() + timedelta(days=days)
    with pytest.raises(CommandError, match=message) as refused:
        call_command("rate", "--scope", "county", "--as-of", as_of.isoformat())
    assert "其他日期只能用于模拟测算" in str(refused.value)
    assert not RatingRun.objects.exists()
    assert not CurrentRating.objects.exists()


@pytest.mark.usefixtures("postgres")
def test_a_chunk_takes_six_round_trips_on_postgresql(org):
    """Claim, read, lock and clear, rate (every kind of subject, the counts and the skipped
    households in one statement), credit's lines, done — whatever the village's size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        household(org.village_a)
        household(org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    first, second = run.chunks.order_by("village__code")
    runs.rating_chunk_run(chunk_id=first.pk, queue_publish=False)  # (cards and policy read)
    with CaptureQueriesContext(connection) as queries:
        assert runs.rating_chunk_run(chunk_id=second.pk, queue_publish=False) == "last"
    # inside the test's transaction the chunk's is a savepoint, which gives its settings back
    own = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL jit TO DEFAULT"))
    ]
    assert len(own) == 6, own
    assert RatingResult.objects.filter(run=run).count() == 6
