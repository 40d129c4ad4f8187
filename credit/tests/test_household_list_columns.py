"""The household list as an officer uses it: grade and limit columns, filters by grade, line
status and not yet rated (credit's columns in ``households.listing``), the villages with
registered households not yet archived; and the list of lines read in keyset pages."""

from __future__ import annotations

import re

import pytest

from credit import holds
from credit.models import LineStatus
from credit.selectors import LINE_PAGE_SIZE, household_current_line
from households.models import HouseholdStatus
from households.tests.factories import HouseholdFactory
from rating.models import RunScope
from rating.tests.test_scoring_sql import AS_OF  # noqa: F401  (run_to_end's date)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(org, run_to_end):
    """Two rated households of grid A with lines, and one archived after the run (unrated)."""
    good = HouseholdFactory(
        village=org.village_a, committee_assessment="very_good", payroll_agency=True
    )
    other = HouseholdFactory(village=org.village_a, committee_assessment="good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    later = HouseholdFactory(village=org.village_a)
    return good, other, later


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="household-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)


def _row_of(html: str, household_id: int) -> str:
    for row in _rows(html):
        if f"/households/{household_id}/" in row:
            return row
    raise AssertionError(f"household {household_id} is not listed")


def test_the_list_shows_each_households_grade_and_limit(client, org, rated):
    good, _, later = rated
    line = household_current_line(good.pk)
    client.force_login(org.officer_a)
    html = client.get("/households/").content.decode()
    row = _row_of(html, good.pk)
    assert f">{line.grade}<" in row
    assert f"¥{int(line.amount):,}" in row
    assert "未评级" in _row_of(html, later.pk)
    assert "无授信" in _row_of(html, later.pk)


def test_filters_by_grade_unrated_and_line_status(client, org, rated):
    good, other, later = rated
    line = household_current_line(good.pk)
    for user in (org.head_office, org.officer_a):  # (the county walks its index; a grid sorts)
        client.force_login(user)
        by_grade = client.get("/households/", {"grade": line.grade}).content.decode()
        assert f"/households/{good.pk}/" in by_grade
        assert f"/households/{later.pk}/" not in by_grade
        unrated = client.get("/households/", {"grade": "unrated"}).content.decode()
        assert f"/households/{later.pk}/" in unrated
        assert f"/households/{good.pk}/" not in unrated
        both = client.get("/households/", {"grade": line.grade, "line": "none"}).content.decode()
        assert f"/households/{good.pk}/" not in both  # its grade, but it has a line

    holds.line_set_status(
        actor=org.manager, line=line, status=LineStatus.SUSPENDED, reason="涉诉待查"
    )
    suspended = client.get("/households/", {"line": "suspended"}).content.decode()
    assert f"/households/{good.pk}/" in suspended
    assert f"/households/{other.pk}/" not in suspended
    assert "已冻结" in _row_of(suspended, good.pk)
    no_line = client.get("/households/", {"line": "none"}).content.decode()
    assert f"/households/{later.pk}/" in no_line
    assert f"/households/{good.pk}/" not in no_line


def test_q_searches_by_name(client, org, rated):
    good, *_ = rated
    head = good.members.get(relation="head")
    client.force_login(org.officer_a)
    html = client.get("/households/", {"q": head.name}).content.decode()
    assert f"/households/{good.pk}/" in html


def test_the_villages_missing_archives_are_listed_and_linked_from_the_list(client, org, rated):
    org.village_a.registered_households = 30
    org.village_a.save()
    archived = org.village_a.households.exclude(status=HouseholdStatus.CLOSED).count()
    client.force_login(org.officer_a)
    assert 'href="/households/missing/"' in client.get("/households/").content.decode()
    html = client.get("/households/missing/").content.decode()
    assert org.village_a.name in html
    assert f'data-testid="missing-count">{30 - archived}<' in html
    assert f'data-testid="missing-total">{30 - archived} 户<' in html
    client.force_login(org.officer_b)  # another grid: not its village
    assert org.village_a.name not in client.get("/households/missing/").content.decode()


def test_a_long_list_is_counted_up_to_a_bound_and_its_deep_pages_open(org):
    from fuxiang.pagination import BoundedPaginator
    from households.models import Household

    HouseholdFactory.create_batch(7, village=org.village_a)
    ids = Household.objects.order_by("-id").values_list("pk", flat=True)
    paginator = BoundedPaginator(ids, 2, cap=5)
    assert paginator.capped
    assert paginator.count_label == "5+"
    deep = paginator.get_page(4)  # past the counted rows (5+ → 3 pages counted)
    assert deep.number == 4
    assert len(deep) == 1
    assert not deep.has_next()
    assert BoundedPaginator(ids, 2, cap=50).count_label == "7"


def test_the_line_list_pages_by_cursor(client, org, run_to_end):
    HouseholdFactory.create_batch(
        LINE_PAGE_SIZE + 3, village=org.village_a, committee_assessment="very_good"
    )
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    client.force_login(org.head_office)
    first = client.get("/credit/").content.decode()
    next_link = re.search(r'href="\?after=([^"]+)" data-testid="next-page"', first)
    assert next_link, "the first page links to the next"
    second = client.get("/credit/", {"after": next_link.group(1).replace("%5F", "_")})
    ids_first = set(re.findall(r"/credit/lines/(\d+)/", first))
    ids_second = set(re.findall(r"/credit/lines/(\d+)/", second.content.decode()))
    assert len(ids_first) == LINE_PAGE_SIZE
    assert ids_second
    assert not ids_first & ids_second
    assert "首页" in second.content.decode()


def test_a_grades_pages_hold_its_households_in_the_lists_order(client, org, run_to_end):
    """Deep pages of the grade filter (read from ``current_rating_grade_order``) hold the right
    households: every one of the grade, newest change first, none twice, none missed."""
    from households.models import Household
    from households.views import PAGE_SIZE
    from rating.models import CurrentRating

    for n in range(PAGE_SIZE + 8):
        HouseholdFactory(
            village=org.village_a, committee_assessment="good", payroll_agency=n % 5 == 0
        )
    HouseholdFactory(village=org.village_b, committee_assessment="good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    grades = CurrentRating.objects.filter(household__isnull=False).values_list("grade", flat=True)
    grade = max(set(grades), key=list(grades).count)  # the most common: more than a page
    for user, villages in ((org.head_office, None), (org.officer_a, [org.village_a.pk])):
        expected = list(
            Household.objects.filter(current_rating__grade=grade)
            .filter(**({"village_id__in": villages} if villages else {}))
            .order_by("-updated_at", "-id")
            .values_list("pk", flat=True)
        )
        client.force_login(user)
        listed = []
        for page in (1, 2, 3):
            html = client.get("/households/", {"grade": grade, "page": page}).content.decode()
            found = (re.search(r"/households/(\d+)/", row) for row in _rows(html))
            listed += [int(link.group(1)) for link in found if link]  # (not the header)
            if len(listed) >= len(expected):
                break
        assert listed == expected
