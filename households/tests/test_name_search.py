"""The name search finds exactly the households with a member whose name contains the text, in
the list's order and the user's scope, at any page (docs/lists.md)."""

from __future__ import annotations

import re

import pytest

from households import selectors
from households.models import Member, Relation
from households.tests.factories import HouseholdFactory, MemberFactory
from households.views import PAGE_SIZE

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
