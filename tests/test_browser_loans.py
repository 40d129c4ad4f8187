"""码上贷 on a small phone in WeChat: from the lookup result a villager applies for 福祥e贷,
reads the contract and signs it with the SMS code the outbox received, draws the money — and
the officer sees the loan and its schedule in the back office. The screenshot of the signed
contract's page is kept in docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from households.services import phone_index
from households.tests.factories import HouseholdFactory
from loans.models import Loan
from loans.tests.conftest import seeded  # noqa: F401  (a fixture)
from qrlookup import qrcodes
from qrlookup.models import OfficerContact, QrCodeKind, SmsOutboxMessage
from qrlookup.tests.conftest import person
from rating import runs
from rating.models import RunScope
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_browser_lookup import wechat_phone  # noqa: F401  (a fixture)

# The live server reads committed data (``seeded`` puts back what the migrations seeded and an
# earlier transactional test flushed).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _lookup_settings(settings):
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False
    # the lookup's code and the signing code reach the same phone within a minute
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "phone": ((10, 60),)}


@pytest.fixture
def villager(org, eager_celery, seeded):  # noqa: F811
    household = HouseholdFactory(
        village=org.village_a, head=False, committee_assessment="very_good",
        income_crops=120000, income_livestock=60000, income_wages=150000, annual_costs=30000,
        house_value=900000, deposits=300000, land_contracted_mu=12,
    )  # fmt: skip
    who = person(household, name="王建国", phone="13812345678")
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    OfficerContact.objects.create(officer=org.officer_a, phone="13907330001")
    code = qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a
    )
    return household, who, code


def latest_code(phone: str) -> str:
    message = SmsOutboxMessage.objects.filter(phone_index=phone_index(phone)).first()
    return re.search(r"(\d{6})", message.text).group(1)


def test_a_villager_applies_signs_with_the_sms_code_and_draws_and_the_officer_sees_the_loan(
    live_server,
    phone,
    wechat_phone,  # noqa: F811
    villager,
):
    household, who, code = villager
    page = wechat_phone
    # the lookup (its own test covers each step): verified, the result page
    page.goto(f"{live_server.url}/q/{code.token}")
    page.click("[data-testid=start]")
    page.fill("#id_name", who.name)
    page.fill("#id_id_number", who.id_number)
    key = page.get_attribute("input[name=captcha_0]", "value")
    page.fill("input[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=neutral-notice]")
    page.fill("#id_code", latest_code(who.phone))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=products]")
    assert page.inner_text("[data-testid=available]") == "500,000 元"

    # apply: 福祥e贷, 100,000, 12 months, equal instalments
    page.click("[data-testid=apply-fuxiang_e_loan]")
    page.wait_for_selector("[data-testid=apply-form]")
    assert fits_the_screen(page)
    page.fill("#id_amount", "100000")
    page.select_option("#id_term_months", "12")
    page.select_option("#id_repayment_method", "equal_instalment")
    page.fill("#id_purpose", "购买化肥和种苗")
    page.click("[data-testid=apply-submit]")
    page.wait_for_selector("[data-testid=approved]")
    preview = page.inner_text("[data-testid=contract-preview]")
    assert "壹拾万元整" in preview
    assert "王**" in preview
    assert who.id_number not in preview
    assert "王建国" not in page.inner_text("body")

    # sign with the SMS code
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=sign-form]")
    page.fill("#id_code", latest_code(who.phone))
    page.click("[data-testid=sign-submit]")
    page.wait_for_selector("[data-testid=draw-form]")
    assert page.inner_text("[data-testid=drawable]") == "100,000 元"

    # draw the money
    page.fill("#id_amount", "100000")
    page.click("[data-testid=draw-submit]")
    page.wait_for_selector("[data-testid=schedule]")
    assert "放款成功" in page.inner_text("[data-testid=flash]")
    assert len(page.query_selector_all("[data-testid=schedule] tbody tr")) == 12
    assert fits_the_screen(page)
    assert page.problems == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "loan-drawn.png"), full_page=True)

    # the officer sees the loan and its schedule in the back office
    loan = Loan.objects.get(household=household)
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.wait_for_selector("[data-testid=loans-card] [data-testid=loan]")
    card = phone.inner_text("[data-testid=loans-card]")
    assert loan.number in card
    assert "400,000" in phone.inner_text("[data-testid=available]")
    phone.goto(f"{live_server.url}/loans/loans/{loan.pk}/")
    rows = phone.query_selector_all("[data-testid=schedule] tbody tr")
    assert len(rows) == 12
    first = loan.instalments.get(number=1)
    assert f"{first.principal:,.2f}" in rows[0].inner_text()
    assert f"{first.interest:,.2f}" in rows[0].inner_text()
    assert "100,000.00" in phone.inner_text("[data-testid=loan-outstanding]")
