"""The monthly report compares the month's last refresh with the month before's, and says so
when a month has none."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dashboards.models import Period, VillageFigures
from dashboards.reports import Month, monthly_report_pdf, report_tables
from dashboards.scopes import BRANCH, scope_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def row(org, day, village, **figures):
    VillageFigures.objects.create(
        period=Period.DAY,
        day=day,
        as_of=datetime(day.year, day.month, day.day, 23, 50, tzinfo=SHANGHAI),
        village=village,
        grid=village.grid,
        township=village.township,
        registered=100,
        **figures,
    )


def test_the_month_end_against_the_month_before(org):
    for village in (org.village_a, org.village_b):
        row(org, date(2026, 10, 31), village, archived=50, rated=40)
        row(org, date(2026, 11, 15), village, archived=60, rated=45)  # not the month's end
        row(org, date(2026, 11, 30), village, archived=70, rated=60)
    scope = scope_for(org.manager, BRANCH, org.branch.pk)
    tables = report_tables(scope, Month(2026, 11))
    archived = next(r for r in tables["funnel"] if r[0] == "已建档")
    assert archived == ["已建档", "140", "70.0%", "100", "+40"]
    assert tables["as_of"].date() == date(2026, 11, 30)
    assert [r[0] for r in tables["children"][1:]] == ["罗家坪网格", "丫江桥网格"]
    assert monthly_report_pdf(scope, Month(2026, 11)).startswith(b"%PDF")


def test_a_month_without_a_refresh_reports_no_data(org):
    row(org, date(2026, 10, 31), org.village_a, archived=50)
    scope = scope_for(org.manager, BRANCH, org.branch.pk)
    tables = report_tables(scope, Month(2026, 12))
    assert tables["as_of"] is None
    assert next(r for r in tables["funnel"] if r[0] == "已建档")[1] == "0"
    assert len(tables["children"]) == 1  # the header alone: "本月没有数据" in the PDF
    assert monthly_report_pdf(scope, Month(2026, 12)).startswith(b"%PDF")
