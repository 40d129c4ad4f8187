"""Every household has its grade row (``HouseholdGrade``: the list's grade filter), made and
moved by the database however the household is written: one row per household, "" until a
publish grades it, its ``updated_at`` the household's. Runs on whichever database the suite
has (PostgreSQL's statement trigger, SQLite's row triggers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from households.imports.copying import copy_insert
from households.models import Household, HouseholdGrade
from households.tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _rows() -> dict[int, tuple[str, object]]:
    return {g.household_id: (g.grade, g.updated_at) for g in HouseholdGrade.objects.all()}


def _households() -> dict[int, object]:
    return dict(Household.objects.values_list("pk", "updated_at"))


def test_a_household_made_any_way_has_one_ungraded_row_in_its_order(org):
    one = HouseholdFactory(village=org.village_a)
    made = Household.objects.bulk_create(
        [Household(village=org.village_a, address=f"{n}号") for n in range(3)]
    )
    copied = [Household(village=org.village_b, address=f"{n}号") for n in range(4)]
    copy_insert(Household, copied, now=timezone.now(), ids=True)  # (PostgreSQL: a COPY)

    rows = _rows()
    households = _households()
    assert set(rows) == set(households) == {one.pk, *(h.pk for h in made + copied)}
    assert rows == {pk: ("", updated_at) for pk, updated_at in households.items()}


def test_a_households_row_follows_its_changes_and_goes_with_it(org):
    saved, bulk, untouched = (HouseholdFactory(village=org.village_a, head=False) for _ in range(3))
    HouseholdGrade.objects.filter(household=saved).update(grade="AA")  # (as a publish writes)

    saved.deposits += 1000
    saved.save()
    later = timezone.now() + timedelta(minutes=5)
    Household.objects.filter(pk=bulk.pk).update(updated_at=later)
    Household.objects.filter(pk=untouched.pk).update(address="二组3号")  # its order stays

    rows, households = _rows(), _households()
    assert rows[saved.pk] == ("AA", households[saved.pk])  # the grade stays, the order moves
    assert rows[bulk.pk] == ("", later)
    assert rows[untouched.pk] == ("", untouched.updated_at)

    saved.delete()
    assert saved.pk not in _rows()
