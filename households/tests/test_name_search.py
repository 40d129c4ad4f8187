"""The name search reads the members' names each household carries (``Household.member_names``,
kept on PostgreSQL by triggers on the members' table: docs/lists.md) and finds exactly the
households with a member whose name contains the text, in the list's order, at any page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from households import selectors, services
from households.imports.household_rows import _members_insert
from households.models import NAMES_SEPARATOR, Household, Member, Relation
from households.tests.factories import HouseholdFactory, MemberFactory
from households.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def _carried(household: Household) -> list[str]:
    household.refresh_from_db(fields=["member_names"])
    names = household.member_names
    return sorted(names.split(NAMES_SEPARATOR)) if names else []


def _names(household: Household) -> list[str]:
    return sorted(household.members.values_list("name", flat=True))


def test_every_write_of_a_member_keeps_its_households_names(org, postgres):
    household = HouseholdFactory(village=org.village_a, head__name="欧阳娜娜")
    other = HouseholdFactory(village=org.village_a, head__name="罗大")
    assert _carried(household) == ["欧阳娜娜"]

    spouse = services.member_create(
        actor=org.officer_a,
        household=household,
        fields={"name": "张三", "relation": Relation.SPOUSE, "id_number": "110101199003070011"},
    )
    child = MemberFactory(household=household, relation=Relation.CHILD, name="张小明")
    assert _carried(household) == _names(household) == ["张三", "张小明", "欧阳娜娜"]

    services.member_update(actor=org.officer_a, member=spouse, fields={"name": "张三丰"})
    assert _carried(household) == ["张三丰", "张小明", "欧阳娜娜"]

    Member.objects.filter(pk=child.pk).update(household=other)  # a move, as raw as it gets
    assert _carried(household) == ["张三丰", "欧阳娜娜"]
    assert _carried(other) == ["张小明", "罗大"]

    Member.objects.filter(pk=child.pk).delete()
    assert _carried(other) == ["罗大"]

    Member.objects.filter(pk=spouse.pk).update(phone_masked="138****0000")  # not a name
    assert _carried(household) == ["张三丰", "欧阳娜娜"]


def test_an_imports_copy_of_members_is_carried(org, postgres):
    household = HouseholdFactory(village=org.village_a, head__name="李四")
    copied = Member(
        household=household,
        relation=Relation.CHILD,
        name="李小四",
        id_number_encrypted="x",
        id_number_index="copied-index",
        id_number_masked="110***********0011",
        birth_date=timezone.localdate(),
        sex="M",
    )
    _members_insert([copied], timezone.now())
    assert _carried(household) == ["李四", "李小四"]


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


def test_a_search_holding_the_separator_reads_the_members(org):
    HouseholdFactory(village=org.village_a, head__name="张三")
    text = f"张{NAMES_SEPARATOR}三"
    assert list(selectors.households_filtered(user=org.head_office, name=text)) == []
    query = str(selectors.households_filtered(user=org.head_office, name=text).query)
    assert "households_member" in query  # not the carried names
