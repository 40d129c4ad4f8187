"""Four whole journeys in Chromium, each from its first page to what the user came for, on the
real stack (PostgreSQL, Redis, a real Celery worker where the journey queues work):

- the loan officer on a phone: archive a household with its members (masked, the reveal
  audited), record the visit with the phone's position, the branch manager rates the grid
  while the progress bar moves, the officer reads the grade and the line, prints the poster;
- the villager in WeChat: scan, WeChat's silent sign-in, verify with the SMS code, see the
  limit, apply, sign with another SMS code, draw (SMS and WeChat stubbed at the HTTP boundary);
- the branch manager: approve an officer's override, and the dashboard's funnel moves;
- the auditor: find an officer's reveal in the audit log.

Screenshots of the key pages go to docs/screenshots/journey-*.png (the README shows them)."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from captcha.models import CaptchaStore
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from credit.models import CreditOverride, OverrideStatus
from credit.selectors import household_current_line
from dashboards import figures as dashboard_figures
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.formatting import format_rmb
from households.models import Household, Visit
from households.tests.factories import HouseholdFactory, VillageFactory, next_resident_id
from loans.models import Loan
from loans.tests.conftest import seeded  # noqa: F401  (a fixture)
from qrlookup import qrcodes, wechat
from qrlookup.models import OfficerContact, QrCodeKind
from qrlookup.tests.conftest import person
from rating import runs
from rating.models import CurrentRating, RatingChunk, RatingRun, RunScope, RunStatus
from tests.screenshots import SCREENSHOTS
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_browser_dashboard import browser_page
from tests.test_browser_lookup import wechat_phone  # noqa: F401  (a fixture)
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def keep(page, name: str, *, full_page: bool = True) -> None:
    """A screenshot for the README (docs/screenshots/journey-NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=full_page)


# --- the loan officer on a phone --------------------------------------------------------------


@pytest.fixture
def officer_grid(org, approved_cards, settings):  # noqa: F811
    """Grid A holds three villages: 罗家坪村 (where the officer archives a household) and two
    more with households already archived (committed: the worker reads them). This journey
    rates through the manager's run, as a bank does after archiving a village; the automatic
    re-rating of one edited household has its own test (test_rerating_worker)."""
    settings.RATING_AUTO_RERATE = False
    others = [
        VillageFactory(township=org.township, grid=org.grid_a, name=name)
        for name in ("石羊塘村", "白竹村")
    ]
    for village in others:
        for _ in range(4):
            HouseholdFactory(village=village)
    OfficerContact.objects.create(officer=org.officer_a, phone="13907330001")
    return others


def progress_until_published(page, seen: list[int], timeout: float = 120) -> None:
    """Add to ``seen`` the percentages the run page's bar shows, in order, until the page
    reloads with the published run."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"the run did not publish; the bar showed {seen}"
        try:
            if page.query_selector("[data-testid=run-summary]"):
                return
            bar = page.query_selector("[role=progressbar]")
            value = bar.get_attribute("aria-valuenow") if bar else None
        except PlaywrightError:  # the page is reloading (the run ended)
            value = None
        if value is not None and seen[-1] != int(value):
            seen.append(int(value))
        page.wait_for_timeout(100)


def test_journey_officer_archives_a_household_and_the_grid_is_rated_and_postered(
    org, live_server, chromium, phone, celery_workers, officer_grid
):
    # 1. a new household: the head on the form, a member, the masked page, one audited reveal
    sign_in(phone, live_server, "officer_a")
    assert "罗家坪网格" in phone.inner_text("main")
    phone.click("text=新建农户档案")
    id_number = next_resident_id()
    phone.fill("#id_head-name", "罗志强")
    phone.fill("#id_head-id_number", id_number.lower())
    phone.fill("#id_head-phone", "13907330088")
    phone.select_option("#id_village", label="罗家坪村")
    phone.select_option("#id_house_ownership", "owned")
    phone.fill("#id_house_value", "300000")
    phone.fill("#id_deposits", "80000")
    phone.fill("#id_income_crops", "60000")
    phone.fill("#id_income_wages", "40000")
    phone.fill("#id_annual_costs", "20000")
    phone.select_option("#id_committee_assessment", "good")
    phone.check("#id_rating_consent")
    assert fits_the_screen(phone)
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("text=农户档案已建立")
    assert phone.inner_text("[data-testid=member-name]") == "罗**"
    assert re.fullmatch(r"430\*{11}\w{4}", phone.inner_text("[data-testid=member-id]"))
    assert id_number not in phone.content()
    assert "¥80,000" in phone.inner_text("[data-testid=net-income]")
    household = Household.objects.get(village=org.village_a)

    phone.click("text=添加成员")
    spouse_id = next_resident_id(male=False)
    phone.select_option("#id_relation", "spouse")
    phone.fill("#id_name", "李秀英")
    phone.fill("#id_id_number", spouse_id)
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("text=家庭成员已添加")
    assert phone.inner_text("[data-testid=member-list]").count("**") >= 2
    assert "家庭成员（2人）" in phone.inner_text("main")
    assert spouse_id not in phone.content()

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.locator("text=查看完整").first.click()
    revealed = phone.wait_for_selector("[data-testid=revealed]")
    assert id_number in revealed.inner_text()
    head = household.members.get(relation="head")
    assert AuditEvent.objects.filter(
        action=AuditAction.REVEAL, actor=org.officer_a, target_id=str(head.pk)
    ).exists()
    # not rated yet: the grid's run rates it
    phone.wait_for_selector("[data-testid=no-rating]")
    assert fits_the_screen(phone)
    keep(phone, "officer-household", full_page=False)

    # 2. the visit, with the phone's position
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 27.0042, "longitude": 113.3417})
    phone.click("text=登记走访")
    phone.fill("#id_place", "罗家坪村3组")
    phone.fill("#id_met_person", "户主本人")
    phone.select_option("#id_outcome", "archived")
    phone.fill("#id_notes", "已建档，讲解了码上查和福祥e贷")
    phone.click("#locate")
    phone.wait_for_selector("#gps-status:has-text('27.00420, 113.34170')")
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("text=走访记录已保存")
    assert "完成建档" in phone.inner_text("[data-testid=visit-list]")
    visit = Visit.objects.get(household=household)
    assert (float(visit.latitude), visit.officer) == (27.0042, org.officer_a)

    # 3. the branch manager rates the grid on a phone; a real worker rates it village by
    # village, and the bar moves. The test holds the last village's chunk (a row lock) until
    # the bar has shown the first villages done, so the moving bar is seen on any machine.
    context, manager, _ = browser_page(chromium, "phone")
    try:
        sign_in(manager, live_server, "manager")
        manager.goto(f"{live_server.url}/rating/")
        manager.select_option("#id_scope", "grid")
        manager.select_option("#id_target", f"grid:{org.grid_a.pk}")
        manager.click("button:has-text('开始评级')")
        bar = manager.wait_for_selector("[role=progressbar]")
        seen = [int(bar.get_attribute("aria-valuenow"))]
        run = RatingRun.objects.get(status__in=(RunStatus.PENDING, RunStatus.RUNNING))
        assert run.chunks_total == 3
        last = RatingChunk.objects.filter(run=run).order_by("-pk").first()
        with transaction.atomic():
            RatingChunk.objects.select_for_update().get(pk=last.pk)
            celery_workers.start()
            manager.wait_for_selector("[role=progressbar][aria-valuenow='67']", timeout=90_000)
            assert "已完成 2 / 3 个村" in manager.inner_text("main")
            assert fits_the_screen(manager)
            keep(manager, "officer-run-progress")
            seen.append(67)
        progress_until_published(manager, seen)
        assert seen[:2] == [0, 67], seen  # it moved, and only forward
        assert seen == sorted(seen), seen
        assert manager.inner_text("[data-testid=rated]") == "9"
        keep(manager, "officer-run-published")
    finally:
        context.close()
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED, celery_workers.logs()

    # 4. the officer reads the household's grade and line
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    current = CurrentRating.objects.get(household=household)
    assert phone.wait_for_selector("[data-testid=grade]").inner_text() == current.grade
    line = household_current_line(household.pk)
    assert line is not None, f"{current.grade} {current.score}"
    amount = phone.wait_for_selector("[data-testid=line-amount]").inner_text()
    assert amount == format_rmb(line.amount)
    assert line.rate_percent in phone.inner_text("[data-testid=line-rate]")
    assert fits_the_screen(phone)
    phone.locator("[data-testid=rating-card]").scroll_into_view_if_needed()
    phone.evaluate("document.getElementById('rating-card').scrollIntoView()")
    keep(phone, "officer-grade-and-line", full_page=False)

    # 5. the village's QR code and its poster, printed from the phone
    phone.goto(f"{live_server.url}/qrlookup/")
    phone.select_option("select[name=village]", label=f"{org.township.name} 罗家坪村")
    phone.locator("form:has(input[value=village]) button").click()
    phone.wait_for_selector("text=已生成二维码")
    phone.click("[data-testid=codes] a:has-text('海报')")
    phone.wait_for_selector("[data-testid=poster]")
    poster = phone.inner_text("[data-testid=poster]")
    assert "罗家坪村" in poster
    assert "刘客户经理" in poster
    assert "13907330001" in poster
    url = phone.get_attribute("img.qr", "data-url")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/q/[\w-]+", url)
    phone.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }")
    phone.click("button:has-text('打印海报')")
    assert phone.evaluate("window.__printed") == 1
    phone.emulate_media(media="print")
    assert not phone.is_visible("text=打印海报")  # the toolbar is not printed
    keep(phone, "officer-poster")
    phone.emulate_media(media="screen")


# --- the villager in WeChat -------------------------------------------------------------------

TENCENT_SMS = "https://sms.tencentcloudapi.com/"
LOOKUP_TEMPLATE = "449739"  # the lookup's code: [code, minutes]
LOAN_TEMPLATES = {
    "loan_sign_code": "449740",  # [product, amount, term, rate, code, minutes]
    "loan_approved": "449741",
    "loan_signed": "449742",
    "loan_drawn": "449743",
}


@pytest.fixture
def villager(org, eager_celery, seeded, settings):  # noqa: F811
    """An AAA household of 罗家坪村 (a 500,000 line) whose head has a phone on file, the
    village's QR code, and the bank's SMS and WeChat accounts configured (their endpoints are
    stubbed in the test at the HTTP boundary). The live server reads committed data (``seeded``
    puts back what the migrations seeded and an earlier transactional test flushed)."""
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False
    # the lookup's code and the signing code reach the same phone within a minute
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "phone": ((10, 60),)}
    settings.QRLOOKUP_SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDexample"
    settings.TENCENT_SMS_SECRET_KEY = "example-secret-key"
    settings.TENCENT_SMS_SDK_APP_ID = "1400006666"
    settings.TENCENT_SMS_SIGN_NAME = "福祥农商银行"
    settings.TENCENT_SMS_TEMPLATE_ID = LOOKUP_TEMPLATE
    settings.TENCENT_SMS_LOAN_TEMPLATES = LOAN_TEMPLATES
    settings.QRLOOKUP_WECHAT_APP_ID = "wx0123456789abcdef"
    settings.QRLOOKUP_WECHAT_APP_SECRET = "wechat-secret"
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


class Providers:
    """Tencent Cloud SMS and WeChat's token endpoint, stubbed with ``responses`` (the server
    calls them with ``requests``): every SMS sent is kept, with its number, template and
    parameters."""

    def __init__(self, stub: responses.RequestsMock) -> None:
        self.sms: list[tuple[str, str, list[str]]] = []
        stub.add_callback(responses.POST, TENCENT_SMS, callback=self._send_sms)
        stub.get(
            wechat.ACCESS_TOKEN_URL,
            json={"access_token": "ACCESS", "expires_in": 7200, "refresh_token": "R",
                  "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "scope": "snsapi_base"},
        )  # fmt: skip

    def _send_sms(self, request):
        body = json.loads(request.body)
        self.sms.append(
            (body["PhoneNumberSet"][0], body["TemplateId"], list(body["TemplateParamSet"]))
        )
        status = {"Code": "Ok", "SerialNo": "2019:1", "PhoneNumber": body["PhoneNumberSet"][0]}
        return 200, {}, json.dumps({"Response": {"SendStatusSet": [status], "RequestId": "r"}})

    def last_code(self, phone: str, template: str = LOOKUP_TEMPLATE) -> str:
        """The code of the last SMS of ``template`` (the lookup's, or the signing code's)."""
        number, _, params = [m for m in self.sms if m[1] == template][-1]
        assert number == f"+86{phone}"
        return params[0] if template == LOOKUP_TEMPLATE else params[4]


def wechat_silent_sign_in(page) -> list[str]:
    """WeChat's browser: its authorisation page sends the person straight back to the bank with
    a one-time code (snsapi_base asks nothing). Returns the authorisation URLs seen."""
    seen: list[str] = []

    def authorize(route):
        url = urlsplit(route.request.url)
        query = parse_qs(url.query)
        seen.append(route.request.url)
        back = f"{query['redirect_uri'][0]}?code=WXCODE&state={query['state'][0]}"
        route.fulfill(status=302, headers={"Location": back})

    page.route(f"{wechat.AUTHORIZE_URL}*", authorize)
    return seen


def test_journey_villager_scans_verifies_sees_the_limit_applies_signs_and_draws(
    live_server,
    phone,
    wechat_phone,  # noqa: F811
    villager,
):
    household, who, code = villager
    page = wechat_phone
    authorizations = wechat_silent_sign_in(page)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        providers = Providers(stub)

        # scan: the village's poster URL, WeChat's silent sign-in, then who they are
        page.goto(f"{live_server.url}/q/{code.token}")
        page.wait_for_selector("text=罗家坪村")
        page.click("[data-testid=start]")
        page.wait_for_selector("[data-testid=identity-form]")
        assert len(authorizations) == 1
        assert "scope=snsapi_base" in authorizations[0]
        page.fill("#id_name", who.name)
        page.fill("#id_id_number", who.id_number)
        key = page.get_attribute("input[name=captcha_0]", "value")
        page.fill("input[name=captcha_1]", CaptchaStore.objects.get(hashkey=key).response)
        assert fits_the_screen(page)
        keep(page, "villager-verify")
        page.click("button[type=submit]")

        # verify: the code the SMS brought
        page.wait_for_selector("[data-testid=neutral-notice]")
        page.fill("#id_code", providers.last_code(who.phone))
        page.click("button[type=submit]")

        # the limit
        page.wait_for_selector("[data-testid=result]")
        line = household_current_line(household.pk)
        assert page.inner_text("[data-testid=limit]") == f"{int(line.amount):,} 元"
        assert page.inner_text("[data-testid=grade]") == line.grade
        page.wait_for_selector("[data-testid=products]")
        assert page.inner_text("[data-testid=available]") == "500,000 元"
        body = page.inner_text("body")
        assert "王**" in body
        for secret in ("王建国", who.id_number, who.phone):
            assert secret not in body
        assert fits_the_screen(page)
        keep(page, "villager-limit")

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

        # sign with a second SMS code
        page.click("[data-testid=send-code]")
        page.wait_for_selector("[data-testid=sign-form]")
        signing = [m for m in providers.sms if m[1] == LOAN_TEMPLATES["loan_sign_code"]]
        assert len(signing) == 1
        assert "100000" in signing[0][2][1].replace(",", "")  # the amount, in the message
        page.fill("#id_code", providers.last_code(who.phone, LOAN_TEMPLATES["loan_sign_code"]))
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
        page.screenshot(path=str(SCREENSHOTS / "loan-drawn.png"), full_page=True)  # docs/loans.md

    # the officer sees the loan and its schedule in the back office
    loan = Loan.objects.get(household=household)
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.wait_for_selector("[data-testid=loans-card] [data-testid=loan]")
    assert loan.number in phone.inner_text("[data-testid=loans-card]")
    assert "400,000" in phone.inner_text("[data-testid=available]")
    phone.goto(f"{live_server.url}/loans/loans/{loan.pk}/")
    rows = phone.query_selector_all("[data-testid=schedule] tbody tr")
    assert len(rows) == 12
    first = loan.instalments.get(number=1)
    assert f"{first.principal:,.2f}" in rows[0].inner_text()
    assert f"{first.interest:,.2f}" in rows[0].inner_text()
    assert "100,000.00" in phone.inner_text("[data-testid=loan-outstanding]")


# --- the branch manager -----------------------------------------------------------------------


@pytest.fixture
def proposed_override(org, eager_celery, approved_cards, settings):  # noqa: F811
    """Village A rated: households granted a line, and one rated B (no credit) for which the
    officer proposed grade A; the dashboards' figures computed (committed: the browser's
    server reads them)."""
    from credit import overrides

    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0  # refresh as soon as a publish commits
    for _ in range(3):
        HouseholdFactory(village=org.village_a, committee_assessment="very_good")
    weak = HouseholdFactory(
        village=org.village_a, committee_assessment="poor", overdue_count_24m=2,
        other_lenders_count=3, house_ownership="rented", deposits=0, income_crops=60000,
        income_wages=0, annual_costs=10000, house_value=0, livestock_value=120000,
    )  # fmt: skip
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    assert CurrentRating.objects.get(household=weak).grade == "B"
    assert household_current_line(weak.pk) is None
    override = overrides.override_propose(
        actor=org.officer_a, household=weak, kind="grade", grade="A",
        reason="村两委评议有误，已核实该户近两年按时还款",
        valid_until=timezone.localdate() + timedelta(days=180),
    )  # fmt: skip
    dashboard_figures.figures_refresh()
    return weak, override


def funnel_count(page, stage: str) -> int:
    """The count on the row of ``stage`` in the dashboard's funnel table."""
    row = page.locator("[data-testid=table-funnel] tr", has_text=stage).first
    return int(row.locator("td").first.inner_text().replace(",", ""))


def test_journey_manager_approves_an_override_and_the_funnel_moves(
    org, live_server, chromium, proposed_override
):
    weak, override = proposed_override
    context, page, violations = browser_page(chromium, "phone")
    try:
        sign_in(page, live_server, "manager")
        # the home page is the branch's dashboard
        page.wait_for_selector("[data-chart=funnel] canvas")
        granted = funnel_count(page, "已授信")
        rated = funnel_count(page, "已评级")
        assert (granted, rated) == (3, 4)

        # the override waiting in the inbox: approve it
        page.goto(f"{live_server.url}/credit/overrides/")
        page.click(f"a[href='/credit/overrides/{override.pk}/']")
        page.wait_for_selector("[data-testid=override-terms]")
        assert page.inner_text("[data-testid=override-grade]") == "A"
        assert fits_the_screen(page)
        keep(page, "manager-override")
        page.fill("#id_note", "核实无误")
        page.click("button:has-text('批准并重新评级')")
        page.wait_for_selector("text=已批准")
        page.wait_for_selector("[data-testid=applied]")

        # the funnel moved: one more household granted a line, none more rated
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("[data-chart=funnel] canvas")
        assert funnel_count(page, "已授信") == granted + 1
        assert funnel_count(page, "已评级") == rated
        assert fits_the_screen(page)
        page.wait_for_timeout(1200)  # the charts' entry animation
        keep(page, "manager-funnel")
    finally:
        context.close()
    assert violations == []
    override.refresh_from_db()
    assert (override.status, override.reviewed_by) == (OverrideStatus.APPROVED, org.manager)
    line = household_current_line(weak.pk)
    assert line is not None
    assert line.grade == "A"
    assert CreditOverride.objects.get().pk == override.pk


# --- the auditor ------------------------------------------------------------------------------


def test_journey_auditor_finds_an_officers_reveal_in_the_log(
    org,
    live_server,
    chromium,
    phone,
    eager_celery,
    approved_cards,  # noqa: F811
):
    household = HouseholdFactory(village=org.village_a)
    head = household.members.get()
    # the officer reveals the head's ID on a phone
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click("text=查看完整")
    phone.wait_for_selector("[data-testid=revealed]")

    context, page, violations = browser_page(chromium, "desktop")
    try:
        sign_in(page, live_server, "auditor")
        # the auditor reads the household but cannot reveal anything
        page.goto(f"{live_server.url}/households/{household.pk}/")
        page.wait_for_selector("[data-testid=member-list]")
        assert page.locator("text=查看完整").count() == 0

        page.click("nav >> text=审计日志")
        page.wait_for_selector("[data-testid=audit-table]")
        page.select_option("#id_action", AuditAction.REVEAL)
        page.fill("#id_actor", "officer_a")
        page.click("button:has-text('筛选')")
        page.wait_for_url(re.compile(r"action=pii\.reveal"))
        rows = page.locator("[data-testid=audit-table] tbody tr")
        assert rows.count() == 1
        row = rows.first
        assert "officer_a" in row.locator("[data-testid=audit-actor]").inner_text()
        # the member by its masked name, linked to its household
        target = row.locator("[data-testid=audit-object] a")
        assert head.masked_name in target.inner_text()
        assert target.get_attribute("href").startswith(f"/households/{household.pk}/")
        assert "127.0.0.1" in row.inner_text()
        keep(page, "auditor-log")
    finally:
        context.close()
    assert violations == []
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert (event.actor, event.target_id) == (org.officer_a, str(head.pk))
