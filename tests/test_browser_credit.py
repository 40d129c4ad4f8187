"""Credit on a phone: an officer reads a household's line and its trace and opens the override
form; a branch manager finds the line and suspends it with a reason."""

from __future__ import annotations

import pytest
from django.utils import timezone

from credit import engine
from credit.models import CreditPolicyVersion, LineStatus
from credit.selectors import household_current_line
from fuxiang.formatting import format_rmb
from households.tests.factories import HouseholdFactory
from rating import runs
from rating.models import RunScope
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rated_household(org, eager_celery, approved_cards):  # noqa: F811
    """A household rated and granted a line (committed: the browser's server reads it). The
    policy migration's row is gone after an earlier transactional test, like the cards."""
    if not CreditPolicyVersion.objects.filter(status="approved").exists():
        data = engine.DEFAULT_POLICY_JSON
        CreditPolicyVersion.objects.create(
            version=data["version"],
            effective_from=data["effective_from"],
            status="approved",
            data=data,
            reviewed_at=timezone.now(),
        )
    household = HouseholdFactory(
        village=org.village_a, committee_assessment="very_good", payroll_agency=True
    )
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    line = household_current_line(household.pk)
    assert line is not None
    return household, line


def test_an_officer_reads_the_line_and_opens_the_override_form(
    live_server, phone, screenshot, rated_household
):
    household, line = rated_household
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/{household.pk}/")
    card = phone.wait_for_selector("[data-testid=credit-card]")
    assert format_rmb(line.amount) in card.inner_text()
    assert line.rate_percent in card.inner_text()
    phone.click("text=测算过程")
    assert "代发工资优惠" in phone.inner_text("[data-testid=rate-trace]")
    assert fits_the_screen(phone)
    screenshot(phone, "household-credit")
    phone.click("text=提议人工调整")
    phone.wait_for_selector("text=调整理由")
    assert fits_the_screen(phone)


def test_a_manager_suspends_a_line_from_the_list_on_a_phone(
    live_server, phone, screenshot, rated_household
):
    _, line = rated_household
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/credit/")
    phone.click(f"a[href='/credit/lines/{line.pk}/']")
    phone.select_option("select[name=status]", "suspended")
    phone.fill("input[name=reason]", "涉诉待查")
    phone.click("button:has-text('确认')")
    phone.wait_for_selector("text=授信额度状态已更新")
    assert phone.inner_text("[data-testid=line-status]") == "已冻结"
    assert fits_the_screen(phone)
    screenshot(phone, "line-suspended")
    line.refresh_from_db()
    assert (line.status, line.status_reason) == (LineStatus.SUSPENDED, "涉诉待查")


def test_head_office_runs_a_what_if_and_reads_its_chart_on_a_phone(
    live_server, phone, screenshot, rated_household
):
    sign_in(phone, live_server, "admin")
    phone.goto(f"{live_server.url}/credit/simulations/")
    phone.select_option("#id_scope", "county")
    phone.click("button:has-text('开始测算')")
    phone.wait_for_selector("[data-testid=township-table]")
    assert phone.inner_text("[data-testid=grade-changed]") == "0"  # same cards, same grades
    # ECharts drew the comparison (a canvas inside the chart's box)
    phone.wait_for_selector("#simulation-chart canvas")
    assert fits_the_screen(phone)
    screenshot(phone, "what-if")


def wrapped(page, selector: str) -> list[str]:
    """The texts of the elements in which a run of text broke onto more than one line."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(e => {
             const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
             for (let node = walker.nextNode(); node; node = walker.nextNode()) {
               if (!node.textContent.trim()) continue;
               const range = document.createRange();
               range.selectNodeContents(node);
               const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
               if (tops.size > 1) return true;
             }
             return false;
           }).map(e => e.innerText)""",
    )


def test_on_a_phone_lines_name_people_and_dates_badges_and_headers_keep_to_one_line(
    live_server, phone, rated_household, org
):
    household, old = rated_household
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    current = household_current_line(household.pk)
    assert current.pk != old.pk
    head = household.members.get(relation="head")
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/credit/")
    subject = phone.inner_text("[data-testid=line-subject]")
    assert subject == f"{org.village_a.name} {head.masked_name}户"
    assert format_rmb(current.amount) == phone.inner_text("[data-testid=list-amount]")
    assert wrapped(phone, "[data-testid=line-list] th, [data-testid=line-list] .badge") == []
    assert wrapped(phone, "[data-testid=line-list] td.text-nowrap") == []
    assert fits_the_screen(phone) or phone.is_visible(".table-responsive")

    phone.goto(f"{live_server.url}/credit/lines/{old.pk}/")
    assert "已被新的评级结果取代" in phone.inner_text("[data-testid=superseded]")
    badge = phone.wait_for_selector("[data-testid=line-status]")
    assert badge.inner_text() == "已被取代"
    assert "text-bg-success" not in badge.get_attribute("class")
    assert wrapped(phone, ".badge, .text-nowrap") == []
    assert fits_the_screen(phone)


def test_each_role_sees_only_what_it_can_use_and_managers_a_badge_for_what_waits(
    live_server, phone, rated_household, org
):
    """An officer with no proposals: no 模拟测算 (a 403), their own empty list with what to do
    next, not the managers' 待审批（ ）. A manager: a badge counting what waits for them."""
    household, line = rated_household
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/credit/")
    assert phone.locator("text=模拟测算").count() == 0
    assert phone.locator("[data-testid=override-badge]").count() == 0
    phone.click("text=我的调整提议")
    phone.wait_for_selector("[data-testid=empty-state]")
    main = phone.inner_text("main")
    assert "待审批" not in main
    assert "提议人工调整" in phone.inner_text("[data-testid=empty-state]")
    assert fits_the_screen(phone)

    from datetime import timedelta
    from decimal import Decimal

    from credit.overrides import override_propose

    override_propose(
        actor=org.officer_a, household=household, kind="limit", amount=Decimal(line.amount) + 10000,
        reason="新增经营收入", valid_until=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    phone.context.clear_cookies()  # signed out
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/credit/")
    phone.click(".navbar-toggler")
    badge = phone.wait_for_selector("[data-testid=override-badge]")
    assert badge.inner_text() == "1"
    assert phone.locator("text=模拟测算").count() == 1


PHONE_390 = {"width": 390, "height": 844}


def test_on_a_phone_an_officer_proposes_and_a_manager_approves_seeing_a_masked_name_and_money(
    live_server, phone, screenshot, rated_household, org
):
    """Issue 16 item 6 on a 390×844 phone: the override pages name the household by its village
    and its head's masked name (never "12号户", never the full name), amounts as ¥136,000, and
    no date, badge or heading breaks onto a second line."""
    from datetime import timedelta
    from decimal import Decimal

    from credit.models import CreditOverride, OverrideStatus

    phone.set_viewport_size(PHONE_390)
    household, line = rated_household
    head = household.members.get(relation="head")
    name = f"{org.village_a.name} {head.masked_name}户"
    amount = Decimal(line.amount) + 10000
    nowrap = ".badge, .text-nowrap, h1, h2, dt, [data-testid=subject-name]"

    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/credit/overrides/new/?household={household.pk}")
    assert phone.inner_text("[data-testid=subject-name]") == name
    assert phone.inner_text("[data-testid=current-amount]") == format_rmb(line.amount)
    assert wrapped(phone, nowrap) == []
    phone.select_option("#id_kind", "limit")
    phone.fill("#id_amount", str(int(amount)))
    phone.fill("#id_reason", "走访核实养殖规模扩大，收入被低估")
    phone.fill("#id_evidence", "养殖场照片、销售单据")
    phone.fill("#id_valid_until", (timezone.localdate() + timedelta(days=90)).isoformat())
    phone.click("button:has-text('提交审批')")
    phone.wait_for_selector("text=人工调整已提交")
    override = CreditOverride.objects.get(household=household)
    assert phone.inner_text("[data-testid=override-amount]") == format_rmb(amount)
    assert name in phone.inner_text("main")
    assert wrapped(phone, nowrap) == []
    assert fits_the_screen(phone)
    screenshot(phone, "override-proposed")

    phone.context.clear_cookies()  # signed out
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/credit/")
    phone.click(".navbar-toggler")
    phone.click("nav a:has-text('待审批')")
    card = phone.wait_for_selector(f"[data-override='{override.pk}']")
    text = card.inner_text()
    assert name in text
    assert format_rmb(amount) in text
    assert head.name not in phone.inner_text("main")
    assert f"{household.pk}号户" not in phone.inner_text("main")
    assert wrapped(phone, nowrap) == []
    assert fits_the_screen(phone)
    screenshot(phone, "override-inbox")

    card.query_selector("a.fw-bold").click()
    phone.wait_for_selector("[data-testid=review]")
    assert phone.inner_text("[data-testid=subject-name]") == name
    assert phone.inner_text("[data-testid=override-amount]") == format_rmb(amount)
    assert wrapped(phone, nowrap) == []
    assert fits_the_screen(phone)
    phone.fill("#id_note", "同意，材料齐全")
    phone.click("button:has-text('批准并重新评级')")
    phone.wait_for_selector("text=已批准")
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED
    assert wrapped(phone, nowrap) == []
    assert fits_the_screen(phone)
    screenshot(phone, "override-approved")
