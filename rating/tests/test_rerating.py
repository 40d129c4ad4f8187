"""Re-rating households when their archives change (through the households services, after
the commit) and when a villager asks; the ``rate --resume`` command.

Eager Celery: the queued re-rating runs in-process when the on-commit callbacks run. The wait
for an active run through a real worker is in ``tests/test_rerating_worker.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households import services
from households.models import HouseholdStatus
from households.tests.factories import HouseholdFactory, next_resident_id
from households.tests.test_imports import family
from households.tests.test_imports import run as import_rows
from households.tests.test_watchlists import do_import, row
from rating import rerating, runs, tasks
from rating.models import CurrentRating, RatingResult, RatingRun, RunScope, RunStatus
from rating.selectors import result_breakdown

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def committed(eager_celery, django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks as a commit would: the announcement, then the
    queued re-rating (eager Celery, so in this process)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def rated(org, committed):
    """A household of grid A with a current rating from a county run."""
    household = HouseholdFactory(
        village=org.village_a, committee_assessment="good", income_wages=Decimal(20000)
    )
    with committed():
        runs.rating_run_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
        )
    assert CurrentRating.objects.filter(household=household).exists()
    return household


def current(household):
    return CurrentRating.objects.filter(household=household).first()


def reratings():
    return RatingRun.objects.filter(scope=RunScope.SUBJECTS)


# --- archive changes --------------------------------------------------------------------------


def test_raising_the_income_through_the_archive_raises_the_current_score(org, rated, committed):
    before = current(rated)

    with committed():
        services.household_update(
            actor=org.officer_a, household=rated, fields={"income_wages": Decimal(150000)}
        )

    after = current(rated)
    assert after.run_id != before.run_id
    assert after.score > before.score
    run = RatingRun.objects.get(pk=after.run_id)
    assert (run.status, run.scope, run.household_ids) == (
        RunStatus.PUBLISHED,
        RunScope.SUBJECTS,
        [rated.pk],
    )
    assert run.scope_label.startswith(rerating.PURPOSE_ARCHIVE_CHANGED)
    result = RatingResult.objects.get(pk=after.result_id)
    assert Decimal(result_breakdown(result)[0]["net_annual_income"]) == 150000 + 30000 - 20000


def test_a_new_household_is_rated_once_archived(org, committed):
    with committed():
        household = services.household_create(
            actor=org.officer_a,
            village=org.village_a,
            head={"name": "张建国", "id_number": next_resident_id(), "health": "good"},
            fields={"income_crops": Decimal(60000), "rating_consent": True},
        )
    assert current(household) is not None
    assert reratings().count() == 1


def test_five_changes_in_one_transaction_lead_to_one_re_rating(org, rated, committed):
    with committed(), transaction.atomic():
        for income in (30000, 40000, 50000):
            services.household_update(
                actor=org.officer_a, household=rated, fields={"income_wages": Decimal(income)}
            )
        member = services.member_create(
            actor=org.officer_a,
            household=rated,
            fields={"relation": "spouse", "name": "李桂花", "id_number": next_resident_id()},
        )
        services.member_update(
            actor=org.officer_a, member=member, fields={"labour_ability": "full"}
        )

    assert reratings().count() == 1
    result = RatingResult.objects.get(pk=current(rated).result_id)
    assert Decimal(result_breakdown(result)[0]["net_annual_income"]) == 50000 + 30000 - 20000


def test_a_rolled_back_edit_queues_no_re_rating(org, rated, committed):
    before = current(rated)

    @transaction.atomic
    def edit_then_fail():
        services.household_update(
            actor=org.officer_a, household=rated, fields={"income_wages": Decimal(150000)}
        )
        raise RuntimeError("the rest of the request failed")

    with committed() as callbacks, pytest.raises(RuntimeError):
        edit_then_fail()
    assert callbacks == []
    assert not reratings().exists()
    assert current(rated).result_id == before.result_id


@pytest.mark.parametrize(
    "change", [{"status": HouseholdStatus.CLOSED}, {"rating_consent": False}], ids=str
)
def test_a_closed_household_or_withdrawn_consent_loses_its_current_rating(
    org, rated, committed, change
):
    with committed():
        services.household_update(actor=org.officer_a, household=rated, fields=change)

    assert current(rated) is None
    run = reratings().get()
    assert (run.status, run.rated, run.skipped) == (RunStatus.PUBLISHED, 0, 1)


def test_a_household_never_rated_and_not_ratable_starts_no_run(org, committed):
    household = HouseholdFactory(village=org.village_a, rating_consent=False)
    with committed():
        services.household_update(
            actor=org.officer_a, household=household, fields={"income_wages": Decimal(9000)}
        )
    assert not RatingRun.objects.exists()


def test_an_import_rates_all_its_households_in_one_run(org, committed):
    with committed():
        import_rows([r for _ in range(4) for r in family(org.village_a)], org.officer_a)

    run = reratings().get()
    households = set(org.village_a.households.values_list("pk", flat=True))
    assert (run.status, set(run.household_ids), run.rated) == (RunStatus.PUBLISHED, households, 4)
    assert set(CurrentRating.objects.values_list("household_id", flat=True)) == households


def test_a_watch_list_match_knocks_the_household_out_at_once(org, committed):
    listed_id = next_resident_id(date(1975, 3, 9))
    household = HouseholdFactory(
        village=org.village_a, committee_assessment="good", head__id_number=listed_id
    )
    with committed():
        runs.rating_run_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF
        )
    assert not current(household).knocked_out

    with committed():
        do_import(org.head_office, [row(listed_id)], as_of=timezone.localdate())

    assert (current(household).knocked_out, current(household).grade) == (True, "B")


def test_automatic_re_rating_can_be_turned_off(org, rated, committed, settings):
    settings.RATING_AUTO_RERATE = False
    with committed():
        services.household_update(
            actor=org.officer_a, household=rated, fields={"income_wages": Decimal(150000)}
        )
    assert not reratings().exists()


def test_many_households_are_rated_in_batches_of_one_run_each(org, committed, monkeypatch):
    households = [HouseholdFactory(village=org.village_a) for _ in range(5)]
    monkeypatch.setattr(rerating, "RERATE_BATCH", 2)
    with committed():
        assert (
            rerating.rating_rerate_queue(household_ids=[h.pk for h in households], purpose="") == 3
        )
    assert sorted(len(r.household_ids) for r in reratings()) == [1, 2, 2]
    assert CurrentRating.objects.count() == 5


def test_in_development_a_re_rating_refused_by_an_active_run_is_raised_not_spun(org, rated):
    runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    result = tasks.rerate_households.apply(args=[[rated.pk], ""], throw=False)
    assert result.failed()
    assert isinstance(result.result, DomainError)
    assert result.result.code == "busy"
    assert not reratings().exists()


# --- a villager asks --------------------------------------------------------------------------


def test_a_villager_request_is_audited_and_re_rates_the_household(org, rated, committed):
    rated.income_wages = Decimal(150000)  # the archive was corrected outside the services
    rated.save(update_fields=["income_wages"])
    before = current(rated)

    with committed():
        rerating.rating_rerate_request(household=rated, requested_by_channel="villager")

    event = AuditEvent.objects.get(action=AuditAction.RATING_RERATE_REQUEST)
    assert (event.target_id, event.actor, event.details) == (
        str(rated.pk),
        None,
        {"channel": "villager"},
    )
    after = current(rated)
    assert after.score > before.score
    assert RatingRun.objects.get(pk=after.run_id).scope_label.startswith(rerating.PURPOSE_REQUESTED)


def test_a_villager_may_ask_once_a_day(org, rated, committed, monkeypatch):
    with committed():
        rerating.rating_rerate_request(household=rated)
    with committed(), pytest.raises(DomainError, match="今天已申请过") as refused:
        rerating.rating_rerate_request(household=rated)
    assert refused.value.code == "rate_limited"
    assert AuditEvent.objects.filter(action=AuditAction.RATING_RERATE_REQUEST).count() == 1
    assert reratings().count() == 1

    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    with committed():
        rerating.rating_rerate_request(household=rated)
    assert AuditEvent.objects.filter(action=AuditAction.RATING_RERATE_REQUEST).count() == 2
    assert reratings().count() == 2


def test_a_villager_request_for_another_household_is_not_limited_by_this_one(org, rated, committed):
    neighbour = HouseholdFactory(village=org.village_a)
    with committed():
        rerating.rating_rerate_request(household=rated)
        rerating.rating_rerate_request(household=neighbour)
    assert current(neighbour) is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"status": HouseholdStatus.CLOSED}, "已销户"), ({"rating_consent": False}, "未同意评级授信")],
)
def test_a_villager_request_for_a_closed_or_unconsented_household_is_refused(
    org, committed, fields, message
):
    household = HouseholdFactory(village=org.village_a, **fields)
    with committed(), pytest.raises(DomainError, match=message):
        rerating.rating_rerate_request(household=household)
    assert not AuditEvent.objects.filter(action=AuditAction.RATING_RERATE_REQUEST).exists()
    assert not RatingRun.objects.exists()


# --- rate --resume ----------------------------------------------------------------------------


def test_rate_resume_queues_the_unfinished_villages_and_the_run_publishes(
    org, eager_celery, django_capture_on_commit_callbacks, capsys
):
    HouseholdFactory(village=org.village_a)
    HouseholdFactory(village=org.village_b)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    runs.rating_chunk_run(chunk_id=run.chunks.first().pk, queue_publish=False)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("rate", "--resume", str(run.pk))

    out = capsys.readouterr().out
    assert f"已重新排队评级任务#{run.pk}未完成的1个村" in out
    run.refresh_from_db()
    assert (run.status, run.rated) == (RunStatus.PUBLISHED, 2)


def test_rate_resume_of_a_run_stuck_publishing_queues_its_publish(
    org, eager_celery, django_capture_on_commit_callbacks, capsys
):
    HouseholdFactory(village=org.village_a)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    runs.rating_chunk_run(chunk_id=run.chunks.get().pk, queue_publish=False)

    call_command("rate", "--resume", str(run.pk))

    assert f"已重新排队评级任务#{run.pk}的发布" in capsys.readouterr().out
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED


def test_rate_resume_refuses_an_unknown_or_finished_run(org, rated):
    with pytest.raises(CommandError, match="找不到评级任务#999999"):
        call_command("rate", "--resume", "999999")
    finished = RatingRun.objects.get()
    with pytest.raises(CommandError, match=r"已发布.*不是进行中的任务"):
        call_command("rate", "--resume", str(finished.pk))
    with pytest.raises(CommandError):
        call_command("rate", "--resume", "7", "--scope", "county")
