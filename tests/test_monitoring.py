"""Health and metrics as the bank's monitoring reads them: hidden from everyone else, every
check passing with a real worker and beat's heartbeat, a failing check named with 503, and the
metrics a dashboard needs (request latency, task durations from the worker, run progress,
lookups)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from fuxiang.celery import beat_heartbeat
from qrlookup.models import LookupEvent, LookupEventKind

TOKEN = "monitoring-test-token-0123456789abcdef"


@pytest.fixture
def monitoring(settings):
    settings.FUXIANG_MONITORING_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.mark.django_db
def test_health_and_metrics_are_hidden_from_the_public_and_from_officers(client, org, monitoring):
    for path in ("/health/", "/metrics"):
        assert client.get(path).status_code == 404
        assert client.get(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        client.force_login(org.officer_a)
        assert client.get(path).status_code == 404
        client.logout()
    client.force_login(org.head_office)
    assert client.get("/metrics").status_code == 200


@pytest.mark.services
def test_every_check_passes_with_a_worker_and_beats_heartbeat(client, celery_worker, monitoring):
    beat_heartbeat.delay().get(timeout=30)  # what beat sends every 30 s, run by the worker

    response = client.get("/health/", **monitoring)

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "workers", "beat", "disk"}
    assert all(check["ok"] for check in body["checks"].values()), body
    assert "worker" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_a_failing_check_is_named_and_answers_503(client, settings, monitoring):
    settings.HEALTH_DISK_MIN_FREE_PERCENT = 101  # no disk is that empty
    settings.HEALTH_BEAT_STALE_SECONDS = 0

    response = client.get("/health/", **monitoring)

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert not body["checks"]["disk"]["ok"]
    assert "free" in body["checks"]["disk"]["detail"]
    assert body["checks"]["database"]["ok"]


@pytest.mark.services
def test_metrics_show_requests_task_durations_run_progress_and_lookups(
    client, org, celery_worker, monitoring
):
    client.force_login(org.officer_a)
    assert client.get("/households/").status_code == 200
    client.logout()
    beat_heartbeat.delay().get(timeout=30)
    LookupEvent.objects.create(at=timezone.now(), kind=LookupEventKind.VERIFIED, ua_class="wechat")
    deadline = time.monotonic() + 10
    while True:  # the worker records the duration just after the result is stored
        text = client.get("/metrics", **monitoring).content.decode()
        if 'task="fuxiang.beat_heartbeat"' in text or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert (
        'fuxiang_celery_task_duration_seconds_count{state="SUCCESS",task="fuxiang.beat_heartbeat"}'
        in text
    )
    assert 'fuxiang_lookup_events_today{kind="verified"} 1.0' in text
    assert "fuxiang_rating_last_published_timestamp_seconds" in text
    assert 'fuxiang_health_check_ok{check="database"} 1.0' in text
