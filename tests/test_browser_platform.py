"""Head office on a phone: the loan platform's deliveries — one delivered, one dead-lettered
after the platform answered 500 — and the re-send button, which delivers it (the platform is
the local fake, over real HTTP). The screenshot of the page is kept in docs/screenshots/."""

from __future__ import annotations

import pytest

from households.tests.factories import HouseholdFactory
from loans.models import Delivery, DeliveryStatus, LoanProduct
from loans.platform import deliveries
from loans.platform.fake import FakePlatform
from loans.tests.conftest import RICH, rate_household, seeded  # noqa: F401  (fixtures)
from tests.screenshots import SCREENSHOTS
from tests.test_browser_archive import fits_the_screen, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake():
    platform = FakePlatform(code="prov", secret="").start()
    yield platform
    platform.stop()


def test_head_office_sees_the_deliveries_on_a_phone_and_resends_a_dead_one(
    org,
    seeded,  # noqa: F811
    rate_household,  # noqa: F811
    fake,
    live_server,
    phone,
    django_capture_on_commit_callbacks,
):
    rate_household(HouseholdFactory(village=org.village_a, **RICH))
    e_loan = LoanProduct.objects.get(code="fuxiang_e_loan")
    platform, fake.token, fake.secret = deliveries.platform_register(
        actor=org.head_office,
        code=fake.code,
        name="省联社线上贷款平台",
        products=[e_loan],
        webhook_url=fake.webhook_url,
        retry_base_seconds=0,
        max_attempts=2,
    )
    fake.base_url = live_server.url
    fake.pull("fuxiang_e_loan")  # a pull, recorded as delivered
    fake.fail_next("500", "500")
    with django_capture_on_commit_callbacks(execute=True):
        dead = deliveries.delivery_push_create(platform=platform, product=e_loan)
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DEAD

    sign_in(phone, live_server, org.head_office.username)
    phone.goto(f"{live_server.url}/loans/platform/")
    assert "1 笔推送失败待重发" in phone.inner_text("[data-testid=platform-alerts]")
    card = phone.locator(f"[data-testid=delivery-{dead.pk}]")
    assert card.locator("[data-testid=delivery-status]").inner_text() == "失败待重发"
    assert fits_the_screen(phone)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "platform-deliveries.png"), full_page=True)

    card.locator("[data-testid=resend]").click()
    phone.wait_for_selector("[data-testid=attempts]")
    assert "已送达" in phone.inner_text("[data-testid=delivery-status]")
    assert "人工重发" in phone.inner_text("[data-testid=attempts]")
    assert Delivery.objects.get(pk=dead.pk).status == DeliveryStatus.DELIVERED
    assert list(fake.accepted) == [dead.idempotency_key]
