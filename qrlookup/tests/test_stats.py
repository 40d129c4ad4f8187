"""Scans and verified lookups per village, grid, officer and day: live for today, rolled up
nightly for the days before, scoped to the user's grids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qrlookup import qrcodes, stats, tasks
from qrlookup.models import LookupDailyStat, LookupEvent, QrCodeKind, ScanEvent
from qrlookup.stats_selectors import lookup_stats, lookup_totals

pytestmark = pytest.mark.django_db


def test_todays_scans_and_verifications_count_live(client, org, village_code, rated, flow):
    for _ in range(3):
        client.get(f"/q/{village_code.token}")
    flow.verify(village_code.token, rated.head)
    client.get("/q/me/")
    today = timezone.localdate()
    by_village = lookup_stats(user=org.head_office, start=today, end=today, by="village")
    assert by_village == [
        {"key": org.village_a.pk, "scans": 3, "verified": 1, "results": 1, "requests": 0}
    ]
    by_officer = lookup_stats(user=org.manager, start=today, end=today, by="officer")
    assert by_officer[0]["key"] == org.officer_a.pk
    assert lookup_stats(user=org.officer_b, start=today, end=today) == []  # another grid


def test_the_nightly_roll_up_replaces_a_day_and_feeds_the_selectors(org, village_code):
    other = qrcodes.qrcode_create(
        actor=org.officer_b, kind=QrCodeKind.VILLAGE, village=org.village_b
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    noon = timezone.make_aware(timezone.datetime.combine(yesterday, timezone.datetime.min.time()))
    noon += timedelta(hours=12)
    for code, n in ((village_code, 4), (other, 2)):
        for _ in range(n):
            ScanEvent.objects.create(at=noon, code=code, village=code.village, grid=code.grid,
                                     officer=code.officer, ua_class="wechat")  # fmt: skip
    LookupEvent.objects.create(at=noon, kind="verified", code=village_code,
                               village=village_code.village, grid=village_code.grid,
                               officer=village_code.officer, ua_class="wechat")  # fmt: skip
    assert tasks.roll_up_yesterday() == 2
    assert stats.lookup_stats_roll_up(day=yesterday) == 2  # again: replaced, not doubled
    assert LookupDailyStat.objects.filter(day=yesterday).count() == 2
    totals = lookup_totals(user=org.head_office, start=yesterday, end=yesterday)
    assert totals == {"scans": 6, "verified": 1, "results": 0, "requests": 0}
    by_grid = lookup_stats(user=org.head_office, start=yesterday, end=yesterday, by="grid")
    assert [(r["key"], r["scans"]) for r in by_grid] == [(org.grid_a.pk, 4), (org.grid_b.pk, 2)]


def test_the_stats_page(client, org, village_code):
    client.get(f"/q/{village_code.token}")
    client.force_login(org.manager)
    for by in ("village", "grid", "officer", "day"):
        page = client.get(f"/qrlookup/stats/?by={by}")
        assert page.status_code == 200
    html = client.get("/qrlookup/stats/").content.decode()
    assert "罗家坪村" in html
    assert 'data-testid="total-scans">1<' in html
