"""An officer's day on a phone: sign in, archive a household, reveal an ID (audited)."""

from __future__ import annotations

import re

import pytest

from fuxiang.audit.models import AuditAction, AuditEvent
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


def test_officer_archives_a_household_on_a_phone_and_reveals_the_id(
    org,
    live_server,
    phone,
    screenshot,
    eager_celery,
    approved_cards,  # noqa: F811
):
    sign_in(phone, live_server, "officer_a")
    assert "罗家坪网格" in phone.inner_text("main")
    phone.click("text=新建农户档案")

    id_number = next_resident_id()
    phone.fill("#id_head-name", "罗志强")
    phone.fill("#id_head-id_number", id_number.lower())
    phone.fill("#id_head-phone", "13907330001")
    phone.select_option("#id_village", label="罗家坪村")
    phone.fill("#id_income_crops", "45000")
    phone.fill("#id_annual_costs", "15000")
    phone.check("#id_rating_consent")
    assert fits_the_screen(phone)
    screenshot(phone, "form")
    phone.click("button:has-text('保存')")

    phone.wait_for_selector("text=农户档案已建立")
    assert phone.inner_text("[data-testid=member-name]") == "罗**"
    masked = phone.inner_text("[data-testid=member-id]")
    assert re.fullmatch(r"430\*{11}\w{4}", masked)
    assert id_number not in phone.content()
    assert "¥30,000" in phone.inner_text("[data-testid=net-income]")
    # rated as soon as it was archived (eager Celery: the re-rating ran in the server)
    assert phone.wait_for_selector("[data-testid=grade]").inner_text() in {"AAA", "AA", "A", "B"}

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click("text=查看完整")
    revealed = phone.wait_for_selector("[data-testid=revealed]")
    assert id_number in revealed.inner_text()
    assert "13907330001" in revealed.inner_text()
    assert fits_the_screen(phone)
    screenshot(phone, "revealed")

    household = Household.objects.get()
    member = household.members.get()
    assert AuditEvent.objects.filter(
        action=AuditAction.REVEAL, actor=org.officer_a, target_id=str(member.pk)
    ).exists()


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
