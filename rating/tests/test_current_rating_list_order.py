"""Each household's current rating carries the household's ``updated_at`` as its publish read
it: the household list's grade filter reads a grade's households in the list's order from the
current ratings (docs/lists.md). Every publish writes it, whatever the run's scope; an archive
edit moves it through the re-rating it queues."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from households import services
from households.models import Household, HouseholdStatus
from households.tests.factories import HouseholdFactory
from rating.models import CurrentRating, RunScope
from rating.tests.test_scoring_sql import AS_OF  # run_to_end's date

pytestmark = pytest.mark.django_db


def _listed() -> dict[int, tuple[str, object]]:
    """Each rated household's (grade, ``updated_at`` its grade filter orders it by), checked
    against the household's own ``updated_at``."""
    listed = {
        pk: (grade, as_of)
        for pk, grade, as_of in CurrentRating.objects.filter(household__isnull=False).values_list(
            "household_id", "grade", "household_updated_at"
        )
    }
    updated = dict(Household.objects.filter(pk__in=listed).values_list("pk", "updated_at"))
    assert {pk: as_of for pk, (_, as_of) in listed.items()} == updated
    return listed


def _edited(household: Household) -> None:
    """An edit that queues no re-rating (a direct write): only ``updated_at`` moves."""
    Household.objects.filter(pk=household.pk).update(updated_at=timezone.now())


def test_every_publish_writes_its_households_updated_at(org, run_to_end):
    good = HouseholdFactory(village=org.village_a, committee_assessment="very_good")
    withdrawn = HouseholdFactory(village=org.village_a, committee_assessment="good")
    closing = HouseholdFactory(village=org.village_b, committee_assessment="good")
    assert _listed() == {}  # not rated yet

    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    listed = _listed()
    assert set(listed) == {good.pk, withdrawn.pk, closing.pk}
    assert all(grade for grade, _ in listed.values())

    Household.objects.filter(pk=withdrawn.pk).update(rating_consent=False)
    for household in (good, closing):
        _edited(household)
    run_to_end(
        actor=org.head_office,
        scope=RunScope.VILLAGE,
        scope_ids=[org.village_a.pk],
        as_of=AS_OF + timedelta(1),
    )
    assert not CurrentRating.objects.filter(household=withdrawn).exists()  # consent withdrawn
    current = CurrentRating.objects.get(household=good)
    assert current.household_updated_at == Household.objects.get(pk=good.pk).updated_at
    stale = CurrentRating.objects.get(household=closing)  # another village: untouched
    assert stale.household_updated_at < Household.objects.get(pk=closing.pk).updated_at

    Household.objects.filter(pk=closing.pk).update(status=HouseholdStatus.CLOSED)
    later = HouseholdFactory(village=org.village_b, committee_assessment="good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(2))
    listed = _listed()  # every one current again
    assert closing.pk not in listed
    assert listed[later.pk][0]


def test_an_edited_household_leads_its_grade_once_its_re_rating_is_published(
    client, org, run_to_end, django_capture_on_commit_callbacks
):
    """Head office's grade page lists the grade's households newest change first: an officer's
    edit queues the household's re-rating, whose publish puts it first on its grade's page."""
    import re

    households = [
        HouseholdFactory(village=org.village_a, committee_assessment="good") for _ in range(4)
    ]
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    grades = _listed()
    edited = min(households, key=lambda h: Household.objects.get(pk=h.pk).updated_at)
    grade = grades[edited.pk][0]

    def first_listed(grade: str) -> int:
        client.force_login(org.head_office)
        html = client.get("/households/", {"grade": grade}).content.decode()
        found = re.search(r'href="/households/(\d+)/"', html)
        assert found, "the grade's page lists households"
        return int(found.group(1))

    assert first_listed(grade) != edited.pk  # the oldest change: not first
    with django_capture_on_commit_callbacks(execute=True):
        services.household_update(
            actor=org.officer_a, household=edited, fields={"address": "新村路 8 号"}
        )
    _listed()  # its copy moved with the re-rating
    assert first_listed(CurrentRating.objects.get(household=edited).grade) == edited.pk
