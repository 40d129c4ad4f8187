"""A branch manager's dashboard in a browser, on a phone (390×844) and on a desktop (1366×900):
the branch's funnel and charts with their tables, then a grid, then a village and its
households by stage — the not-yet-rated ones — masked. No Content-Security-Policy violation
on any page (the charts are static scripts fed by json_script)."""

from __future__ import annotations

import pytest

from dashboards import figures as refresh
from dashboards.tests.county import generated_county
from fuxiang.accounts.models import Role, User
from households.synthetic.plan import CountyPlan
from tests.conftest import CSP_LISTENER
from tests.test_browser_archive import fits_the_screen, sign_in
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}, "is_mobile": False},
}


@pytest.fixture
def county(postgres, eager_celery, approved_cards, settings):  # noqa: F811
    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0
    county = generated_county(households=900, seed=21)
    refresh.figures_refresh()
    return county


def browser_page(chromium, size):
    """A page of the given size that records every CSP violation (as the ``phone`` fixture)."""
    context = chromium.new_context(
        device_scale_factor=2 if size == "phone" else 1,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **SIZES[size],
    )
    violations: list[str] = []
    context.expose_binding("__fxCspViolation", lambda source, text: violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.set_default_timeout(15_000)
    return context, page, violations


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_branch_manager_drills_from_the_branch_to_a_village(
    live_server, chromium, screenshot, county, size
):
    manager = User.objects.filter(role=Role.BRANCH_MANAGER).order_by("username").first()
    branch = manager.managed_branches.get()
    context, page, violations = browser_page(chromium, size)
    try:
        sign_in(page, live_server, manager.username, CountyPlan(households=1).password)
        # the home page is the branch's dashboard: the funnel drawn beside its table
        page.wait_for_selector("[data-chart=funnel] canvas")
        page.wait_for_selector("[data-chart=bars] canvas")
        assert branch.name in page.inner_text("[data-testid=scope-title]")
        funnel = page.inner_text("[data-testid=table-funnel]")
        assert "户籍户数" in funnel
        assert "已评级" in funnel
        assert "数据截至" in page.inner_text("[data-testid=as-of]")
        assert fits_the_screen(page)
        page.wait_for_timeout(1200)  # the charts' entry animation
        # (docs/screenshots/dashboard-*.png are this page, copied from test-artifacts/)
        page.screenshot(path=str(screenshot(page, "branch").with_name(f"dashboard-{size}.png")))

        # a grid, then a village
        page.click("[data-testid=table-children] tbody tr:first-child a")
        page.wait_for_selector("[data-testid=table-children]")
        assert "/dashboards/grid/" in page.url
        page.click("[data-testid=table-children] tbody tr:first-child a")
        page.wait_for_selector("[data-testid=household-list]")
        assert int(page.inner_text("[data-testid=not-archived]").replace(",", "")) > 0
        # who has not been rated yet: the officer's list, masked
        page.select_option("[data-testid=stage-select]", "not_rated")  # the list follows
        page.wait_for_url("**stage=not_rated**")
        assert "未评级" in page.inner_text("[data-testid=listing-count]")
        heads = page.locator("[data-testid=household-list] td.masked").all_inner_texts()
        assert heads
        assert all(len(h) >= 2 and set(h[1:]) == {"*"} for h in heads)
        assert fits_the_screen(page)
        screenshot(page, "village")
        with page.expect_download() as download:
            page.click("[data-testid=households-export]")
        assert download.value.suggested_filename.endswith(".xlsx")
    finally:
        context.close()
    assert violations == []
