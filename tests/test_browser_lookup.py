"""码上查 in WeChat's browser on a small phone: a villager opens the URL on a poster, passes the
CAPTCHA, verifies with the code the outbox received, and sees their household's grade and
limit. The screenshot of the result is kept in docs/screenshots/ for the README."""

from __future__ import annotations

import re
import uuid

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from credit import engine
from credit.models import CreditPolicyVersion
from credit.selectors import household_current_line
from households.tests.factories import HouseholdFactory
from qrlookup import qrcodes
from qrlookup.models import OfficerContact, QrCodeKind
from qrlookup.tests.conftest import WECHAT_UA, person
from rating import runs
from rating.models import RunScope
from tests.screenshots import SCREENSHOTS
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False


@pytest.fixture
def wechat_phone(chromium):
    """A small phone (360×740) whose browser says it is WeChat's."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        user_agent=WECHAT_UA,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def villager(org, eager_celery, approved_cards):  # noqa: F811
    """A rated household of village A whose head has a phone on file, and the village's code
    (committed: the browser's server reads them)."""
    if not CreditPolicyVersion.objects.filter(status="approved").exists():
        data = engine.DEFAULT_POLICY_JSON
        CreditPolicyVersion.objects.create(
            version=data["version"], effective_from=data["effective_from"], status="approved",
            data=data, reviewed_at=timezone.now(),
        )  # fmt: skip
    household = HouseholdFactory(
        village=org.village_a, head=False, committee_assessment="very_good",
        payroll_agency=True, income_business=150000, deposits=120000,
    )  # fmt: skip
    who = person(household, name="王建国", phone="13812345678")
    person(household, relation="spouse", name="李秀英", phone="13987654321")
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    line = household_current_line(household.pk)
    assert line is not None
    OfficerContact.objects.create(officer=org.officer_a, phone="13907330001")
    code = qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a
    )
    return who, line, code


def test_a_villager_scans_a_poster_verifies_and_sees_their_grade_and_limit(
    live_server, phone, wechat_phone, villager
):
    who, line, code = villager
    # the officer prints the poster: its code points to the public URL
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/qrlookup/codes/{code.pk}/poster")
    url = phone.get_attribute("img.qr", "data-url")
    assert url == f"{live_server.url}/q/{code.token}"

    villager_page = wechat_phone
    villager_page.goto(url)
    villager_page.wait_for_selector("text=罗家坪村")
    assert fits_the_screen(villager_page)
    villager_page.click("[data-testid=start]")
    villager_page.wait_for_selector("[data-testid=identity-form]")
    villager_page.fill("#id_name", who.name)
    villager_page.fill("#id_id_number", who.id_number)
    key = villager_page.get_attribute("input[name=captcha_0]", "value")
    answer = CaptchaStore.objects.get(hashkey=key).response
    villager_page.fill("input[name=captcha_1]", answer)
    assert fits_the_screen(villager_page)
    villager_page.click("button[type=submit]")
    villager_page.wait_for_selector("[data-testid=neutral-notice]")
    assert "/code" in villager_page.url
    assert who.id_number not in villager_page.url

    # the SMS went to the outbox; staff read it there in the demo
    phone.goto(f"{live_server.url}/qrlookup/outbox/")
    message = phone.inner_text("[data-testid=outbox]")
    assert "138****5678" in message
    assert who.phone not in message
    sms_code = re.search(r"验证码为(\d{6})", message).group(1)

    villager_page.fill("#id_code", sms_code)
    villager_page.click("button[type=submit]")
    villager_page.wait_for_selector("[data-testid=result]")
    assert villager_page.url == f"{live_server.url}/q/me/"
    assert villager_page.inner_text("[data-testid=grade]") == line.grade
    assert villager_page.inner_text("[data-testid=limit]") == f"{int(line.amount):,} 元"
    assert line.rate_percent in villager_page.inner_text("[data-testid=rate]")
    body = villager_page.inner_text("body")
    assert "王**" in body
    assert "王建国" not in body
    assert who.id_number not in body
    assert who.phone not in body
    assert "李" not in body
    for template_text in ("{#", "#}", "{%"):  # no template syntax shows as text
        assert template_text not in body
    assert fits_the_screen(villager_page)
    for button in villager_page.query_selector_all(".btn-lg"):
        assert button.bounding_box()["height"] >= 44  # a thumb's tap target
    assert villager_page.problems == []  # no script error, no blocked resource
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    villager_page.screenshot(path=str(SCREENSHOTS / "lookup-result.png"), full_page=True)
