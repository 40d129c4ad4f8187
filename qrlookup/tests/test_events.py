"""Buffered events: a scan is one RPUSH to Redis; the minute's flush (and the statistics)
move the buffer into the tables, each event once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import require_service
from qrlookup import events, tasks
from qrlookup.models import LookupEvent, ScanEvent
from qrlookup.stats_selectors import lookup_totals

pytestmark = pytest.mark.django_db


@pytest.fixture
def buffered(settings):
    require_service("REDIS_URL", "Redis")
    settings.QRLOOKUP_EVENT_BUFFER = True


def test_scans_wait_in_redis_until_the_flush(client, org, village_code, buffered):
    for _ in range(3):
        assert client.get(f"/q/{village_code.token}").status_code == 200
    assert not ScanEvent.objects.exists()  # the landing page wrote nothing to the database
    assert tasks.flush_events() == 3
    assert ScanEvent.objects.filter(code=village_code, village=org.village_a).count() == 3
    assert events.events_flush() == 0  # moved once


def test_the_statistics_flush_before_they_count(client, org, village_code, rated, flow, buffered):
    client.get(f"/q/{village_code.token}")
    flow.verify(village_code.token, rated.head)
    today = timezone.localdate()
    totals = lookup_totals(user=org.head_office, start=today, end=today)
    assert totals["scans"] == 1
    assert totals["verified"] == 1
    assert LookupEvent.objects.filter(kind="identity").count() == 1


def test_without_redis_each_event_is_written_at_once(client, settings, village_code):
    settings.QRLOOKUP_EVENT_BUFFER = False
    client.get(f"/q/{village_code.token}")
    assert ScanEvent.objects.count() == 1


def test_the_landing_page_is_served_from_the_cache_for_a_new_browser(
    client, village_code, django_assert_num_queries
):
    client.get(f"/q/{village_code.token}")  # first: rendered and kept
    with django_assert_num_queries(1):  # the scan's INSERT, nothing else
        again = client.get(f"/q/{village_code.token}")
    assert again.status_code == 200
    assert "开始查询" in again.content.decode()


def test_a_result_view_records_its_event_in_the_buffer(
    client, org, village_code, rated, flow, buffered
):
    flow.verify(village_code.token, rated.head)
    events.events_flush()
    assert client.get("/q/me/").status_code == 200
    assert not LookupEvent.objects.filter(kind="result").exists()
    assert events.events_flush() == 1
    assert LookupEvent.objects.get(kind="result").household == rated.household
