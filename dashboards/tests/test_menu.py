"""The managers' menu (issue 16 item 5): 待审批 counts the overrides waiting for them, 逾期 the
villagers' requests past their deadline and the loans past due — each in their own scope, each
linked to the list where they act on it; nothing for a role that approves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credit import override_reviews
from credit.overrides import override_propose
from credit.selectors import household_current_line
from dashboards.menu_selectors import MenuCounts, menu_counts, menu_counts_now
from fuxiang.accounts.models import Role
from households.tests.factories import (
    BranchFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    VillageFactory,
)
from loans.models import Loan
from loans.tests.conftest import (  # noqa: F401  (fixtures)
    RICH,
    e_loan,
    make_borrower,
    products,
    rate_household,
)
from loans.tests.test_services import apply, draw, sign
from qrlookup import officer_requests
from qrlookup.models import OfficerRequest, RequestKind

pytestmark = pytest.mark.django_db


def overdue_loan(household, product):
    loan = draw(sign(apply(household, product, amount=50000)), 50000).loan
    Loan.objects.filter(pk=loan.pk).update(  # as the nightly job leaves it
        status="overdue", days_past_due=5, overdue_since=timezone.localdate() - timedelta(days=5)
    )
    return loan


def overdue_request(household, *, hours: int = 1):
    request = officer_requests.request_create_for_household(
        household_id=household.pk, kind=RequestKind.CORRECTION, note="家里新盖了房"
    )
    OfficerRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(hours=hours)
    )
    return request


def propose(officer, household):
    return override_propose(
        actor=officer,
        household=household,
        kind="limit",
        amount=household_current_line(household.pk).amount - 10000,
        reason="走访核实收入下降",
        valid_until=timezone.localdate() + timedelta(days=60),
    )


@pytest.fixture
def waiting(org, make_borrower, rate_household, e_loan):  # noqa: F811
    """In the manager's branch: one override waiting, one request overdue and one not yet, one
    loan overdue and one on time. In another branch: one of each waiting or overdue."""
    ours = make_borrower()
    overdue_loan(ours, e_loan)
    on_time = make_borrower()
    draw(sign(apply(on_time, e_loan, amount=60000)), 60000)
    overdue_request(ours)
    officer_requests.request_create_for_household(
        household_id=on_time.pk, kind=RequestKind.CORRECTION
    )
    propose(org.officer_a, ours)

    branch = BranchFactory(name="城关支行")
    grid = GridFactory(branch=branch, name="城关网格")
    village = VillageFactory(township=org.township, grid=grid, name="城关村")
    theirs = rate_household(HouseholdFactory(village=village, **RICH))
    officer = UserFactory(role=Role.OFFICER)
    grid.officers.add(officer)
    overdue_loan(theirs, e_loan)
    overdue_request(theirs)
    propose(officer, theirs)
    return ours, theirs


def test_a_branch_manager_counts_what_waits_in_their_branch_and_head_office_the_county(
    org, waiting
):
    assert menu_counts(org.manager) == MenuCounts(overrides=1, overdue_requests=1, overdue_loans=1)
    assert menu_counts(org.head_office) == MenuCounts(
        overrides=2, overdue_requests=2, overdue_loans=2
    )
    for user in (org.officer_a, org.auditor):
        assert menu_counts(user) == MenuCounts()


def test_the_menu_links_each_count_to_the_list_where_the_manager_acts(
    client, org, waiting, django_assert_max_num_queries
):
    client.force_login(org.manager)
    with django_assert_max_num_queries(8):  # session, user, scope, three counts
        html = client.get(reverse("dashboards:menu")).content.decode()

    assert 'data-testid="override-badge">1<' in html
    assert 'data-testid="overdue-badge">2<' in html
    assert "逾期村民申请1件，逾期借据1笔" in html
    requests = client.get("/qrlookup/requests/?status=open&overdue=1").content.decode()
    assert 'href="/qrlookup/requests/?status=open&amp;overdue=1"' in html
    assert "信息有误" in requests
    loans = client.get("/loans/loans/?status=overdue").content.decode()
    assert 'href="/loans/loans/?status=overdue"' in html
    ours, _ = waiting
    number = Loan.objects.get(household=ours, status="overdue").number
    assert number in loans
    assert Loan.objects.get(status="active").number not in loans  # on time


def test_nothing_waits_no_overdue_item_and_no_count(client, org):
    client.force_login(org.manager)
    html = client.get(reverse("dashboards:menu")).content.decode()
    assert "待审批" in html  # the way to the inbox stays
    assert "badge" not in html
    assert "逾期" not in html


def test_roles_that_approve_nothing_get_no_menu_items(client, org):
    for user in (org.officer_a, org.auditor):
        client.force_login(user)
        assert client.get(reverse("dashboards:menu")).content.decode().strip() == ""
        page = client.get("/").content.decode()
        assert reverse("dashboards:menu") not in page
    client.force_login(org.manager)
    assert reverse("dashboards:menu") in client.get("/").content.decode()


def test_the_counts_are_kept_and_forgotten_when_anything_they_count_changes(
    org, waiting, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert menu_counts(org.manager).overrides == 1
    with django_assert_num_queries(0):  # kept: a page costs one cache read
        assert menu_counts(org.manager).overrides == 1

    ours, _ = waiting
    override = ours.credit_overrides.get()
    with django_capture_on_commit_callbacks(execute=True):
        override_reviews.override_reject(actor=org.manager, override=override, note="材料不足")

    assert menu_counts(org.manager).overrides == 0  # the next page is right
    with django_capture_on_commit_callbacks(execute=True):
        OfficerRequest.objects.get(household=ours).save()  # any change of a counted row
    assert menu_counts(org.manager) == menu_counts_now(org.manager)
