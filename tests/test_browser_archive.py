"""The archive form on a phone: a wrong check digit explained, a locked account. (The officer's
whole day — archive, members, reveal, visit, rating, poster — is a journey in test_journeys.)"""

from __future__ import annotations

import pytest

from households.models import Household
from households.tests.factories import DEFAULT_PASSWORD, next_resident_id
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def sign_in(page, live_server, username, password=DEFAULT_PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_a_wrong_check_digit_is_explained_next_to_the_field(org, live_server, phone):
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/new/")
    valid = next_resident_id()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    phone.fill("#id_head-name", "罗志强")
    phone.fill("#id_head-id_number", wrong)
    phone.select_option("#id_village", label="罗家坪村")
    phone.click("button:has-text('保存')")
    error = phone.wait_for_selector("[data-field=id_number]")
    assert "身份证号码校验码不正确" in error.inner_text()
    assert not Household.objects.exists()


def test_five_wrong_passwords_lock_the_account(org, live_server, phone):
    for _ in range(5):
        sign_in(phone, live_server, "officer_b", "not-the-password")
    sign_in(phone, live_server, "officer_b")
    assert "账号已暂时锁定" in phone.inner_text("main")
    assert "请30分钟后再试" in phone.inner_text("main")
    assert "PT30M" not in phone.content()
