"""The name search finds exactly the households with a member whose name contains the text, in
the list's order and the user's scope, at any page, on the pages and in the API; a scope's
search reads its members by their copy of the household's village, which moves with it
(docs/lists.md)."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from fuxiang.accounts.models import Role
from households import selectors, services
from households.models import Household, Member, Relation
from households.tests.factories import (
    BranchFactory,
    GridFactory,
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    VillageFactory,
)
from households.views import PAGE_SIZE

API = "/api/v1"

pytestmark = pytest.mark.django_db


def _expected(user, text: str) -> list[int]:
    matching = Member.objects.filter(name__contains=text).values("household_id")
    return list(
        selectors.households_visible_to(user)
        .filter(pk__in=matching)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)
    )


def test_the_search_finds_the_households_of_members_whose_name_holds_the_text(client, org):
    for n in range(PAGE_SIZE * 3):
        household = HouseholdFactory(
            village=org.village_a if n % 4 else org.village_b,
            head__name=("张" if n % 3 else "李") + "丙丁戊"[n % 3],
        )
        if n % 5 == 0:
            MemberFactory(household=household, relation=Relation.SPOUSE, name="王张氏")
    searches = {"张": 0, "李丁": 0, "王张": 0, "张丙": 0, "赵": 0}
    for user in (org.head_office, org.manager, org.officer_a):
        client.force_login(user)
        for text in searches:
            expected = _expected(user, text)
            listed: list[int] = []
            for page in range(1, 5):
                html = client.get("/households/", {"q": text, "page": page}).content.decode()
                table = html.split('data-testid="household-table"', 1)[-1].split("</table>")[0]
                rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
                found = (re.search(r"/households/(\d+)/", row) for row in rows)
                listed += [int(link.group(1)) for link in found if link]
                if len(listed) >= len(expected):
                    break
            assert listed == expected, (user.username, text)
            searches[text] = max(searches[text], len(expected))
    assert searches["张"] > 2 * PAGE_SIZE  # deep pages were read
    assert searches["赵"] == 0


@pytest.fixture
def other_branch(org):
    """A second branch with one village and its manager."""
    branch = BranchFactory(name="石门支行")
    grid = GridFactory(branch=branch, name="石门网格")
    village = VillageFactory(township=org.township, grid=grid, name="石门村")
    manager = UserFactory(username="manager_c", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    return village, manager


def _api_listed(user, text: str) -> list[int]:
    client = APIClient()
    client.force_login(user)
    listed: list[int] = []
    url, params = f"{API}/households/", {"name": text}
    while url:
        response = client.get(url, params)
        assert response.status_code == 200
        listed += [row["id"] for row in response.data["results"]]
        url, params = response.data["next"], None
    return listed


def test_the_api_search_keeps_each_scope_and_the_order_to_its_last_page(org, other_branch):
    village, their_manager = other_branch
    for n in range(130):
        where = (org.village_a, org.village_b, village)[n % 3]
        household = HouseholdFactory(village=where, head__name=("张" if n % 2 else "李") + "丙")
        if n % 7 == 0:
            MemberFactory(household=household, relation=Relation.SPOUSE, name="王张氏")
    ours = {org.village_a.pk, org.village_b.pk}
    for user in (org.head_office, org.manager, their_manager, org.officer_a):
        for text in ("张", "张丙", "王张", "赵"):
            listed = _api_listed(user, text)
            assert listed == _expected(user, text), (user.username, text)
            villages = set(
                Household.objects.filter(pk__in=listed).values_list("village_id", flat=True)
            )
            if user == org.manager:
                assert villages <= ours
            if user == their_manager:
                assert villages <= {village.pk}
    assert len(_api_listed(org.manager, "张")) > 50  # past the API's first page
    assert len(_api_listed(org.head_office, "张")) > len(_api_listed(org.manager, "张"))


def test_a_moved_household_is_found_by_name_in_its_new_branch_only(org, other_branch):
    village, their_manager = other_branch
    household = HouseholdFactory(village=org.village_a, head__name="欧阳明")
    MemberFactory(household=household, relation=Relation.SPOUSE, name="司马兰")
    assert [_api_listed(u, "司马") for u in (org.manager, their_manager)] == [[household.pk], []]

    services.household_update(
        actor=org.head_office, household=household, fields={}, village=village
    )

    assert set(household.members.values_list("village_id", flat=True)) == {village.pk}
    for text in ("欧阳", "司马"):
        assert _api_listed(org.manager, text) == []
        assert _api_listed(their_manager, text) == [household.pk]


def test_postgresql_moves_the_members_with_their_household_and_refuses_another_village(
    org, other_branch, postgres
):
    village, _ = other_branch
    household = HouseholdFactory(village=org.village_a)
    member = MemberFactory(household=household)
    # a move written past the services (a raw UPDATE) carries the members along
    Household.objects.filter(pk=household.pk).update(village=village)
    assert set(household.members.values_list("village_id", flat=True)) == {village.pk}
    # a member whose village is not its household's is refused
    with pytest.raises(IntegrityError):
        _written_and_checked(Member.objects.filter(pk=member.pk), village=org.village_a)


def _written_and_checked(rows, **values) -> None:
    """Update ``rows`` and check the deferred constraints now rather than at commit."""
    with transaction.atomic(), connection.cursor() as cursor:
        rows.update(**values)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
