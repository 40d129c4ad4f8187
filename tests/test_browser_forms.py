"""The long household form on a phone: errors are summed up at the top with a link to each
field, the page opens at the first error, and the 村民小组 list holds only the chosen
village's groups (htmx). The screenshot of the form with errors is kept in docs/screenshots/."""

from __future__ import annotations

import pytest

from households.models import Household, VillageGroup
from households.tests.factories import VillageFactory, next_resident_id
from tests.screenshots import SCREENSHOTS
from tests.test_browser_archive import fits_the_screen, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
                           return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        selector,
    )


def options(page) -> list[str]:
    return page.eval_on_selector_all("#id_village_group option", "els => els.map(e => e.text)")


def test_errors_are_summed_up_at_the_top_and_the_page_opens_at_the_first(org, live_server, phone):
    VillageGroup.objects.create(village=org.village_a, name="3组")
    VillageGroup.objects.create(village=org.village_a, name="5组")
    other = VillageFactory(township=org.township, grid=org.grid_a, name="罗家冲村")
    VillageGroup.objects.create(village=other, name="1组")
    VillageGroup.objects.create(village=org.village_b, name="9组")  # another grid's village

    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/new/")
    assert options(phone) == ["请先选择村"]  # no village chosen yet: no groups to choose from
    phone.select_option("#id_village", label="罗家冲村")
    phone.wait_for_selector("#id_village_group option:text-is('1组')", state="attached")
    assert options(phone) == ["请选择村民小组", "1组"]
    phone.select_option("#id_village", label="罗家坪村")
    phone.wait_for_selector("#id_village_group option:text-is('5组')", state="attached")
    assert options(phone) == ["请选择村民小组", "3组", "5组"]
    phone.select_option("#id_village_group", label="5组")

    # one error, far down the long form
    phone.fill("#id_head-name", "罗志强")
    phone.fill("#id_head-id_number", next_resident_id())
    phone.fill("#id_income_wages", "-500")
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("[data-testid=error-summary][data-scrolled]", state="attached")
    assert phone.evaluate("window.scrollY") > 1000
    assert in_view(phone, "#id_income_wages")
    summary = phone.inner_text("[data-testid=error-summary]")
    assert "有1处需要修改" in summary
    assert "工资性收入（元/年）不能为负数" in summary
    # the group chosen stays chosen, among its village's groups only
    assert options(phone) == ["请选择村民小组", "3组", "5组"]
    assert phone.eval_on_selector("#id_village_group", "e => e.selectedOptions[0].text") == "5组"

    # two errors: the summary lists both in page order and each link leads to its field
    phone.fill("#id_head-name", "王😀强")
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("[data-testid=error-summary][data-scrolled]", state="attached")
    links = phone.locator("[data-testid=error-summary] a")
    assert links.count() == 2
    assert "姓名含有不能用于姓名的字符“😀”" in links.nth(0).inner_text()
    assert "工资性收入" in links.nth(1).inner_text()
    phone.evaluate("window.scrollTo(0, 0)")
    assert fits_the_screen(phone)
    phone.set_viewport_size({"width": 390, "height": 844})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "household-form-errors-phone.png"))
    links.nth(1).click()
    assert phone.evaluate("document.activeElement.id") == "id_income_wages"
    assert in_view(phone, "#id_income_wages")

    phone.fill("#id_head-name", "罗志强")
    phone.fill("#id_income_wages", "500")
    phone.click("button:has-text('保存')")
    phone.wait_for_selector("text=农户档案已建立")
    assert Household.objects.get().village_group.name == "5组"


def test_the_groups_endpoint_lists_only_groups_of_a_village_the_officer_edits(org, client):
    VillageGroup.objects.create(village=org.village_b, name="9组")
    client.force_login(org.officer_a)
    page = client.get("/households/village-groups/", {"village": org.village_b.pk})
    assert "9组" not in page.content.decode()
