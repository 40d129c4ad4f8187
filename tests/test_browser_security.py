"""The pages' scripts, htmx, the admin and the API docs run under the Content-Security-Policy
with no violation (the ``phone`` fixture fails a test on any), and the fixture does see one."""

from __future__ import annotations

import pytest

from households.models.imports import ExportJob
from households.tests.factories import HouseholdFactory
from tests.test_browser_archive import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_fixture_sees_an_inline_script_the_policy_refuses(org, live_server, phone):
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.evaluate(
        """() => { const s = document.createElement("script");
                  s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    for _ in range(50):
        if phone.csp_violations:
            break
        phone.wait_for_timeout(100)

    assert any("script-src" in v for v in phone.csp_violations), phone.csp_violations
    assert phone.evaluate("window.injected") is None
    phone.csp_violations.clear()  # seen on purpose: the fixture must not fail this test


def test_the_visit_form_takes_the_position_from_the_phone(org, live_server, phone):
    household = HouseholdFactory(village=org.village_a)
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 27.0042, "longitude": 113.3417})
    sign_in(phone, live_server, "officer_a")

    phone.goto(f"{live_server.url}/households/{household.pk}/visits/new/")
    phone.click("#locate")

    phone.wait_for_selector("#gps-status:has-text('27.00420, 113.34170')")
    assert phone.input_value("#id_latitude") == "27.004200"
    assert phone.input_value("#id_longitude") == "113.341700"


def test_the_unmasked_export_asks_first_and_a_no_exports_nothing(
    org, live_server, phone, eager_celery
):
    HouseholdFactory(village=org.village_a)
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/")
    questions: list[str] = []

    def answer_no(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    phone.once("dialog", answer_no)
    phone.click("button:has-text('导出')")
    phone.click("button:has-text('导出完整信息')")

    phone.wait_for_timeout(300)
    assert questions == ["完整导出包含身份证号和手机号，将记录在审计日志中。确定导出？"]
    assert phone.url == f"{live_server.url}/households/"
    assert not ExportJob.objects.exists()


def test_the_credit_line_filter_applies_when_a_status_is_chosen(org, live_server, phone):
    sign_in(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/credit/")

    with phone.expect_navigation():
        phone.select_option("select[name=status]", "suspended")

    assert "status=suspended" in phone.url


def test_the_api_docs_render_for_staff(org, live_server, phone):
    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/api/docs/")

    phone.wait_for_selector(".swagger-ui .info .title")
    phone.wait_for_selector("text=/api/v1/auth/token/")
    assert "福祥码上贷 API" in phone.inner_text(".swagger-ui .info .title")


def test_the_admin_works_under_the_policy(org, live_server, phone):
    sign_in(phone, live_server, "admin")
    phone.goto(f"{live_server.url}/admin/")
    phone.click("a[href='/admin/accounts/user/']")
    phone.click(f"a[href='/admin/accounts/user/{org.officer_a.pk}/change/']")
    phone.wait_for_selector("#id_username")
    phone.click("a[href='../password/']")
    phone.wait_for_selector("#id_password1")
