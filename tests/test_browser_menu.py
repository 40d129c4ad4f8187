"""The managers' menu on a phone (issue 16 item 5): 待审批 with the overrides waiting, 逾期 with
the villagers' requests past their deadline and the loans past due, each leading to the list
where the manager acts on it."""

from __future__ import annotations

import pytest

from dashboards.tests.test_menu import overdue_loan, overdue_request, propose
from loans.models import Loan
from loans.tests.conftest import (  # noqa: F401  (fixtures)
    e_loan,
    make_borrower,
    products,
    rate_household,
    seeded,
)
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_browser_credit import PHONE_390, wrapped

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue(org, seeded, make_borrower, e_loan):  # noqa: F811
    household = make_borrower()
    loan = overdue_loan(household, e_loan)
    request = overdue_request(household)
    propose(org.officer_a, household)
    return loan, request


def open_overdue_menu(phone):
    phone.click(".navbar-toggler")
    phone.click("[data-testid=menu-overdue] .dropdown-toggle")
    phone.wait_for_selector("[data-testid=menu-overdue] .dropdown-menu.show")


def test_a_manager_on_a_phone_sees_what_waits_and_what_is_overdue_and_goes_to_each(
    live_server, phone, screenshot, org, overdue
):
    loan, _ = overdue
    phone.set_viewport_size(PHONE_390)
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/")
    phone.click(".navbar-toggler")
    assert phone.wait_for_selector("[data-testid=override-badge]").inner_text() == "1"
    toggle = phone.wait_for_selector("[data-testid=menu-overdue] .dropdown-toggle")
    assert phone.inner_text("[data-testid=overdue-badge]") == "2"
    assert toggle.get_attribute("title") == "逾期村民申请1件，逾期借据1笔"
    phone.click("[data-testid=menu-overdue] .dropdown-toggle")
    phone.wait_for_selector("[data-testid=menu-overdue] .dropdown-menu.show")
    assert phone.inner_text("[data-testid=overdue-requests]").split() == ["逾期村民申请", "1"]
    assert phone.inner_text("[data-testid=overdue-loans]").split() == ["逾期借据", "1"]
    assert wrapped(phone, "nav .nav-link, nav .dropdown-item, nav .badge") == []
    assert fits_the_screen(phone)
    screenshot(phone, "manager-menu")

    phone.click("[data-testid=overdue-requests]")
    phone.wait_for_selector("[data-testid=overdue-tab].active")
    assert "信息有误" in phone.inner_text("main")
    assert fits_the_screen(phone)

    open_overdue_menu(phone)
    phone.click("[data-testid=overdue-loans]")
    phone.wait_for_selector("[data-testid=loan-list]")
    assert loan.number in phone.inner_text("[data-testid=loan-list]")
    assert phone.input_value("select[name=status]") == "overdue"

    phone.click(".navbar-toggler")
    phone.click("nav a:has-text('待审批')")
    phone.wait_for_selector("[data-testid=pending-overrides]")


def test_an_officer_has_no_manager_menu(live_server, phone, org, overdue):
    phone.set_viewport_size(PHONE_390)
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/")
    phone.click(".navbar-toggler")
    phone.wait_for_selector("[data-testid=request-badge] .badge")  # their own inbox's badge
    assert phone.locator("[data-testid=menu-overdue]").count() == 0
    assert phone.locator("[data-testid=override-badge]").count() == 0
    assert Loan.objects.filter(status="overdue").count() == 1
