"""Any past grade can be rebuilt (issue 11, item 7): a county is rated on PostgreSQL, its
archives are edited every way an officer, an import or a list re-check edits them, and
``manage.py rating_replay`` rebuilds the run's results from the archive history exactly as
they were; a result tampered with afterwards is caught."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from households.models import (
    BusinessEntity,
    Household,
    HouseholdHistory,
    HouseholdStatus,
    Member,
    MemberHistory,
    WatchlistMatch,
)
from households.synthetic import build_county, demo_plan
from households.tests.factories import MemberFactory
from rating import replay
from rating.models import RatingResult, RatingRun, RunScope, RunStatus
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


@pytest.fixture
def rated_county(eager_celery, approved_cards):  # noqa: F811
    """A small synthetic county (committed, as a real county is), rated and published (the
    cards and the credit policy in force come with ``approved_cards``)."""
    build_county(demo_plan(households=1100, seed=11, as_of=timezone.localdate()))
    from rating import runs

    run = runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=timezone.localdate())
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
    return run


def edit_everything(rng: random.Random) -> set[int]:
    """Change, after the run, what the rating reads — by every kind of writer — and return
    the households touched."""
    ids = list(Household.objects.order_by("pk").values_list("pk", flat=True))
    touched = set(rng.sample(ids, 400))
    richer, poorer, flagged, closed, grown, unlisted = (sorted(touched)[i::6] for i in range(6))
    # a bulk UPDATE (an import's bulk_update is one statement too)
    Household.objects.filter(pk__in=richer).update(
        income_business=F("income_business") + Decimal(180_000),
        deposits=F("deposits") + Decimal(400_000),
        committee_assessment="very_good",
    )
    Household.objects.filter(pk__in=poorer).update(
        income_wages=Decimal(0), private_loans=F("private_loans") + Decimal(900_000)
    )
    # one row at a time, as a service saves
    for household in Household.objects.filter(pk__in=flagged):
        household.is_dishonest_debtor = True
        household.overdue_count_24m = 4
        household.save(update_fields=["is_dishonest_debtor", "overdue_count_24m"])
    Household.objects.filter(pk__in=closed).update(status=HouseholdStatus.CLOSED)
    # members: new ones, heads aged, labour lost
    for household in Household.objects.filter(pk__in=grown):
        MemberFactory(household=household, labour_ability="full", subsistence_allowance=True)
    Member.objects.filter(household_id__in=grown, relation="head").update(
        birth_date=F("birth_date") - timedelta(days=365 * 30), health="poor"
    )
    # the watch lists: matches cleared
    WatchlistMatch.objects.filter(cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_reason="移出名单"
    )
    Member.objects.filter(household_id__in=unlisted).update(labour_ability="none")
    # entities
    BusinessEntity.objects.update(
        annual_revenue=F("annual_revenue") * 3, tax_compliant=False, years_operating=0
    )
    return touched


def test_replay_rebuilds_a_thousand_results_exactly_after_the_archives_changed(
    rated_county, capsys
):
    run = rated_county
    results = RatingResult.objects.filter(run=run)
    assert results.count() > 1000  # households and entities
    touched = edit_everything(random.Random(7))
    # the edits matter: today's archive rates many of those households differently
    from rating import runs

    again = runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=run.as_of)
    before = dict(results.filter(household_id__in=touched).values_list("household_id", "score"))
    after = dict(
        RatingResult.objects.filter(run=again, household_id__in=touched).values_list(
            "household_id", "score"
        )
    )
    changed = [h for h in before if after.get(h) != before[h]]
    assert len(changed) > 250

    sample = replay.results_sample(run_id=run.pk, n=1000, seed=3)
    assert len(sample) == 1000
    sampled = set(results.filter(pk__in=sample).values_list("household_id", flat=True))
    assert len(sampled & set(changed)) > 100  # the sample holds many of the changed ones
    rebuilt = replay.results_replay(result_ids=sample)
    assert [r for r in rebuilt if not r.identical] == []

    # and the command says so, exit code 0
    call_command(
        "rating_replay", "--run", str(run.pk), "--sample", "1000", "--seed", "3", "--quiet"
    )
    assert "重建1000条评级结果：1000条一致，0条不一致" in capsys.readouterr().out


def test_replay_shows_a_tampered_result_and_exits_non_zero(rated_county, capsys):
    run = rated_county
    edit_everything(random.Random(8))
    result = RatingResult.objects.filter(run=run, household__isnull=False, knocked_out=False)
    result = result.exclude(grade="AAA").order_by("pk").first()
    # someone raises a stored grade and one indicator's points behind the engine's back
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rating_ratingresult SET grade = 'AAA', score = score + 10, "
            "points[6] = points[6] + 10 WHERE id = %s",
            [result.pk],
        )
    untouched = RatingResult.objects.filter(run=run).exclude(pk=result.pk).order_by("pk").first()

    with pytest.raises(SystemExit) as exit_code:
        call_command("rating_replay", str(result.pk), str(untouched.pk))
    assert exit_code.value.code == 1
    out = capsys.readouterr().out
    assert f"结果#{result.pk}" in out
    assert "3处不一致" in out  # the grade, the total and the points
    assert "等级：存储 AAA" in out
    assert "得分：家庭年净收入" in out  # the sixth indicator of the household card
    assert f"结果#{untouched.pk}（" in out
    assert "重建2条评级结果：1条一致，1条不一致" in out


def test_history_keeps_no_identifier_and_refuses_to_be_rewritten(rated_county):
    household = Household.objects.order_by("pk").first()
    assert HouseholdHistory.objects.filter(pgh_obj_id=household.pk, pgh_label="insert").exists()
    columns = {f.name for f in MemberHistory._meta.concrete_fields}
    assert not {c for c in columns if "id_number" in c or "phone" in c or c == "name"}
    with pytest.raises(Exception, match=r"append_only|Cannot"), connection.cursor() as cursor:
        cursor.execute("UPDATE households_householdhistory SET income_wages = 0")


def test_a_run_from_before_the_history_cannot_be_rebuilt_and_says_why(rated_county, capsys):
    run = rated_county
    run.chunks.update(archive_reads={})
    result = RatingResult.objects.filter(run=run).first()
    with pytest.raises(SystemExit):
        call_command("rating_replay", str(result.pk))
    assert "没有记录档案读取快照" in capsys.readouterr().out
    assert RatingRun.objects.filter(pk=run.pk).exists()


def test_an_edit_still_uncommitted_while_the_chunk_read_is_left_out(org, approved_cards):  # noqa: F811
    """A long transaction (an import, say) changed a household before the chunk read it but
    committed after: the run did not see the change, and neither does the rebuild — though the
    change was written earlier than the read."""
    import psycopg2

    from households.tests.factories import HouseholdFactory
    from rating import runs

    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    db = connection.settings_dict
    importer = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with importer.cursor() as cursor:
            cursor.execute(
                "UPDATE households_household SET is_dishonest_debtor = TRUE, "
                "committee_assessment = 'poor' WHERE id = %s",
                [household.pk],
            )
        run = runs.rating_household_rerate(household=household, as_of=timezone.localdate())
        importer.commit()
    finally:
        importer.close()
    result = RatingResult.objects.get(run=run, household=household)
    assert not result.knocked_out  # the run did not see the open transaction's change
    assert HouseholdHistory.objects.filter(pgh_obj_id=household.pk, pgh_label="update").exists()

    (rebuilt,) = replay.results_replay(result_ids=[result.pk])

    assert rebuilt.identical, rebuilt.differences
