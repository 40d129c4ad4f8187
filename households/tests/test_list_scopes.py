"""The lists read at county scale keep their scope and rows (docs/lists.md): a visit is read by
its copy of the subject's village, which follows the subject when it moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from fuxiang.accounts.models import Role
from households import services
from households.models import Visit
from households.tests.factories import (
    BranchFactory,
    BusinessEntityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    VillageFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def other_branch(org):
    """A second branch with its own grid, village, officer and manager."""
    branch = BranchFactory(name="石门支行")
    grid = GridFactory(branch=branch, name="石门网格")
    village = VillageFactory(township=org.township, grid=grid, name="石门村")
    officer = UserFactory(username="officer_c", role=Role.OFFICER)
    grid.officers.add(officer)
    manager = UserFactory(username="manager_c", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    return village, officer, manager


def _visit(officer, **subject):
    fields = {"visited_at": timezone.now() - timedelta(hours=1), "place": "村部"}
    fields["outcome"] = "archived"
    return services.visit_create(actor=officer, fields=fields, **subject)


def _listed(user, **params) -> list[int]:
    client = APIClient()
    client.force_login(user)
    response = client.get(f"{API}/visits/", params)
    assert response.status_code == 200
    return [row["id"] for row in response.data["results"]]


def test_a_visit_carries_its_subjects_village(org):
    household = HouseholdFactory(village=org.village_a)
    entity = BusinessEntityFactory(village=org.village_b)
    to_household = _visit(org.officer_a, household=household)
    to_entity = _visit(org.officer_b, business_entity=entity)
    assert to_household.village_id == org.village_a.pk
    assert to_entity.village_id == org.village_b.pk


def test_a_branch_manager_never_sees_another_branchs_visits(org, other_branch):
    village, officer, manager = other_branch
    ours = _visit(org.officer_a, household=HouseholdFactory(village=org.village_a))
    our_entity = _visit(org.officer_b, business_entity=BusinessEntityFactory(village=org.village_b))
    theirs = _visit(officer, household=HouseholdFactory(village=village))
    their_entity = _visit(officer, business_entity=BusinessEntityFactory(village=village))

    assert set(_listed(org.manager)) == {ours.pk, our_entity.pk}
    assert set(_listed(manager)) == {theirs.pk, their_entity.pk}
    assert _listed(org.officer_a) == [ours.pk]
    assert set(_listed(org.head_office)) == {ours.pk, our_entity.pk, theirs.pk, their_entity.pk}
    # asking for another branch's subject finds nothing
    assert _listed(org.manager, household=theirs.household_id) == []


def test_visits_follow_a_household_and_an_entity_that_move(org, other_branch):
    village, _, manager = other_branch
    household = HouseholdFactory(village=org.village_a)
    entity = BusinessEntityFactory(village=org.village_a)
    visits = [
        _visit(org.officer_a, household=household),
        _visit(org.officer_a, business_entity=entity),
    ]

    services.household_update(
        actor=org.head_office, household=household, fields={}, village=village
    )
    services.business_entity_update(
        actor=org.head_office, entity=entity, fields={"village": village}
    )

    assert set(Visit.objects.values_list("village_id", flat=True)) == {village.pk}
    assert set(_listed(manager)) == {v.pk for v in visits}
    assert _listed(org.manager) == []


def test_the_scoped_visit_list_pages_in_order(org):
    household = HouseholdFactory(village=org.village_a)
    now = timezone.now()
    fields = {"place": "村部", "outcome": "archived"}
    made = [
        services.visit_create(
            actor=org.officer_a,
            household=household,
            fields={**fields, "visited_at": now - timedelta(hours=n % 7, minutes=n)},
        )
        for n in range(120)
    ]
    expected = [v.pk for v in sorted(made, key=lambda v: (v.visited_at, v.pk), reverse=True)]
    pages = [_listed(org.manager, page=n) for n in (1, 2, 3)]
    assert [pk for page in pages for pk in page] == expected


def test_a_visit_takes_the_village_its_subject_is_in_now(org):
    """The subject handed to ``visit_create`` was read before it moved (a form or an API
    request read it; the move committed meanwhile): the visit carries the village the subject
    is in when the visit is written, as if recorded just after the move, not the one read."""
    org.grid_b.officers.add(org.officer_a)  # both villages in the officer's grids
    household = HouseholdFactory(village=org.village_a)
    entity = BusinessEntityFactory(village=org.village_a)
    read_household = type(household).objects.get(pk=household.pk)
    read_entity = type(entity).objects.get(pk=entity.pk)
    services.household_update(
        actor=org.officer_a, household=household, fields={}, village=org.village_b
    )
    services.business_entity_update(
        actor=org.officer_a, entity=entity, fields={"village": org.village_b}
    )

    to_household = _visit(org.officer_a, household=read_household)
    to_entity = _visit(org.officer_a, business_entity=read_entity)

    assert to_household.village_id == org.village_b.pk
    assert to_entity.village_id == org.village_b.pk
    assert set(Visit.objects.values_list("village_id", flat=True)) == {org.village_b.pk}
