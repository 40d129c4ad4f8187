"""The audit log as an auditor reads it: names, Chinese labels, links, an Excel export of what
is filtered (itself audited); the desktop page's columns never wrap one character a line.
The screenshot of the desktop page is kept in docs/screenshots/."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.audit.services import audit_record
from households import services
from households.tests.factories import next_resident_id
from tests.screenshots import SCREENSHOTS
from tests.test_browser_archive import sign_in


def _events(org):
    household = services.household_create(
        actor=org.officer_a,
        village=org.village_a,
        head={"name": "罗志强", "id_number": next_resident_id()},
        fields={"income_crops": Decimal("30000")},
    )
    services.household_update(
        actor=org.officer_a,
        household=household,
        fields={"income_wages": Decimal("12000"), "rating_consent": True},
    )
    AuditEvent(
        actor=org.head_office, actor_label="admin", action=AuditAction.RATING_RUN_START,
        target_type="rating.ratingrun", target_id="16", target_label="全县 2026-12",
        details={"scope": "county", "dry_run": False},
    ).save()  # fmt: skip
    audit_record(action=AuditAction.LOGIN, actor=org.manager)
    audit_record(action=AuditAction.LOGIN_FAILED, details={"username": "officer_b"})
    return household


@pytest.mark.django_db
def test_the_log_names_people_objects_and_details_in_chinese(org, client):
    household = _events(org)
    client.force_login(org.auditor)
    page = client.get("/audit/").content.decode()
    assert "rating.ratingrun#16" not in page
    assert "households.household#" not in page
    assert "评级任务" in page
    assert 'href="/rating/runs/16/"' in page
    assert f'href="/households/{household.pk}/"' in page
    assert "王行长（manager）" in page  # a login shows who signed in
    assert "登录账号" not in page
    assert "officer_b" in page
    assert "修改的项目：" in page
    assert "工资性收入（元/年）、同意评级授信" in page
    assert "范围：" in page
    assert "全县" in page
    assert "仅校验未写入：" in page
    for raw in ("{'", "'fields'", "income_wages", "dry_run"):
        assert raw not in page


@pytest.mark.django_db
def test_the_filtered_log_exports_to_excel_and_the_export_is_audited(org, client):
    _events(org)
    AuditEvent(actor_label="x", action=AuditAction.LOGIN, target_label="=HYPERLINK(1)").save()
    client.force_login(org.auditor)
    response = client.get("/audit/export/", {"action": AuditAction.HOUSEHOLD_UPDATE})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["时间", "操作人", "操作", "对象类型", "对象", "对象编号", "来源IP", "详情"]
    assert len(rows) == 2
    assert rows[1][2] == "修改农户档案"
    assert rows[1][3] == "农户档案"
    assert "修改的项目：" in rows[1][7]
    export = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORT)
    assert export.actor == org.auditor
    assert export.details == {"rows": 1, "filter": {"action": "household.update"}}
    everything = client.get("/audit/export/")
    cells = [c for row in load_workbook(io.BytesIO(everything.content)).active.iter_rows()
             for c in row]  # fmt: skip
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # text stays text
    assert client.get("/audit/export/").status_code == 200
    client.force_login(org.officer_a)
    assert client.get("/audit/export/").status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_desktop_log_does_not_wrap_one_character_a_line(org, live_server, chromium):
    _events(org)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "auditor")
        page.goto(f"{live_server.url}/audit/")
        page.wait_for_selector("[data-testid=audit-table]")
        narrow = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=audit-table] th, '
                       + '[data-testid=audit-table] td')]
                 .filter(c => c.innerText.trim().length > 1)
                 .filter(c => c.getBoundingClientRect().width < 40)
                 .map(c => c.innerText)"""
        )
        assert narrow == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "audit-log-desktop.png"))
    finally:
        context.close()
