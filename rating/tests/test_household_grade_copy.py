"""The households' grade rows (``HouseholdGrade``, the household list's grade filter:
docs/lists.md) are kept by the publish, whatever the run's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from households.models import Household, HouseholdGrade, HouseholdStatus
from households.tests.factories import HouseholdFactory
from rating.models import CurrentRating, RunScope
from rating.tests.test_scoring_sql import AS_OF  # run_to_end's date

pytestmark = pytest.mark.django_db


def _copies_match() -> dict[int, str]:
    current = dict(
        CurrentRating.objects.filter(household__isnull=False).values_list("household_id", "grade")
    )
    copies = dict(HouseholdGrade.objects.values_list("household_id", "grade"))
    assert set(copies) == set(Household.objects.values_list("pk", flat=True))  # one each
    assert copies == {pk: current.get(pk, "") for pk in copies}
    return copies


def test_the_publish_keeps_each_households_grade_copy(org, run_to_end):
    good = HouseholdFactory(village=org.village_a, committee_assessment="very_good")
    withdrawn = HouseholdFactory(village=org.village_a, committee_assessment="good")
    closing = HouseholdFactory(village=org.village_b, committee_assessment="good")
    assert set(_copies_match().values()) == {""}  # not rated yet

    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    copies = _copies_match()
    assert all(copies[h.pk] for h in (good, withdrawn, closing))

    withdrawn.rating_consent = False
    withdrawn.save(update_fields=["rating_consent"])
    good.committee_assessment = "poor"
    good.save(update_fields=["committee_assessment"])
    run_to_end(
        actor=org.head_office,
        scope=RunScope.VILLAGE,
        scope_ids=[org.village_a.pk],
        as_of=AS_OF + timedelta(1),
    )
    copies = _copies_match()
    assert copies[withdrawn.pk] == ""
    assert copies[closing.pk]  # another village: untouched

    closing.status = HouseholdStatus.CLOSED
    closing.save(update_fields=["status"])
    later = HouseholdFactory(village=org.village_b, committee_assessment="good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(2))
    copies = _copies_match()
    assert copies[closing.pk] == ""
    assert copies[later.pk]


def test_a_county_run_mends_copies_left_behind(org, run_to_end):
    """A household locked by another transaction during a publish keeps its old copy (the
    publish skips it rather than wait); the next run whose scope holds it mends it."""
    rated = HouseholdFactory(village=org.village_a, committee_assessment="good")
    unrated = HouseholdFactory(village=org.village_a, committee_assessment="good")
    unrated.rating_consent = False
    unrated.save(update_fields=["rating_consent"])
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    HouseholdGrade.objects.filter(household=rated).update(grade="X")
    HouseholdGrade.objects.filter(household=unrated).update(grade="AAA")

    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF + timedelta(1))
    copies = _copies_match()
    assert copies[rated.pk] != "X"
    assert copies[unrated.pk] == ""
