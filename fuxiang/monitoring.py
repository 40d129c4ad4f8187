"""Watching the system run: a health check and Prometheus metrics, for the bank's monitoring
only (docs/deploy.md "Monitoring").

``/health/`` checks what a working deployment needs — the database, the cache, the Celery
broker, at least one live worker, beat's heartbeat, free disk — and answers 200 when all are
well, 503 naming the failing check otherwise. ``/metrics`` is Prometheus' text format: request
latency and counts (django-prometheus), Celery task durations (recorded by every worker in
Redis, so one scrape sees all machines), and what the apps register with
``register_collector`` (rating run progress, lookups). ``/healthz`` stays the load balancer's
liveness probe (no detail, no secret).

Both need ``Authorization: Bearer $FUXIANG_MONITORING_TOKEN`` or a signed-in head-office user;
anyone else gets 404, as if they did not exist. The reverse proxy also keeps them off the
public address (deploy/nginx.conf).
"""

from __future__ import annotations

import hmac
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Metric,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from fuxiang.accounts.models import Role

BEAT_HEARTBEAT_KEY = "fuxiang:beat:heartbeat"
TASK_METRICS_KEY = "fuxiang:metrics:celery"
# upper bounds (seconds) of the task-duration histogram
TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

# --- access -------------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "FUXIANG_MONITORING_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and getattr(user, "role", "") == Role.HEAD_OFFICE)


# --- health -------------------------------------------------------------------------------------


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_cache() -> str:
    cache.set("fuxiang:health", "ok", timeout=30)
    if cache.get("fuxiang:health") != "ok":
        raise RuntimeError("the cache did not return what was written")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _eager() -> bool:
    return not settings.CELERY_BROKER_URL


def _check_broker() -> str:
    if _eager():
        return "eager (no broker configured)"
    from fuxiang.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_TIMEOUT_SECONDS)
    return "ok"


def _check_workers() -> str:
    if _eager():
        return "eager (tasks run in the web process)"
    from fuxiang.celery import app

    replies = app.control.ping(timeout=settings.HEALTH_TIMEOUT_SECONDS)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return f"{len(replies)} worker(s)"


def _check_beat() -> str:
    if _eager():
        return "eager (no beat)"
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last is None:
        raise RuntimeError("no heartbeat from beat yet (beat or every worker is down)")
    age = time.time() - float(last)
    if age > settings.HEALTH_BEAT_STALE_SECONDS:
        raise RuntimeError(f"beat's last heartbeat ran {age:.0f} s ago")
    return f"heartbeat {age:.0f} s ago"


def _check_disk() -> str:
    path = Path(settings.MEDIA_ROOT)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    free = 100 * usage.free / usage.total
    if free < settings.HEALTH_DISK_MIN_FREE_PERCENT:
        raise RuntimeError(f"{free:.1f}% free on {path}")
    return f"{free:.1f}% free"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "workers": _check_workers,
    "beat": _check_beat,
    "disk": _check_disk,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as error:  # a failing check is the answer, not an error
            results[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
        results[name]["ms"] = round(1000 * (time.monotonic() - started))
    return all(r["ok"] for r in results.values()), results


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    if not _allowed(request):
        raise Http404
    ok, checks = health_report()
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": checks},
        status=200 if ok else 503,
        json_dumps_params={"ensure_ascii": False},
    )


# --- metrics ------------------------------------------------------------------------------------

Collect = Callable[[], Iterable[Metric]]
_collectors: list[Collect] = []


def register_collector(collect: Collect) -> None:
    """An app adds metrics read at each scrape (from its AppConfig.ready(); fuxiang imports no
    app). ``collect`` yields prometheus_client metric families; it should be cheap (indexed
    reads)."""
    if collect not in _collectors:
        _collectors.append(collect)


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def record_task(name: str, state: str, seconds: float) -> None:
    """A worker's finished task, into Redis (count, sum and histogram buckets per task and
    outcome); nothing without Redis."""
    if not settings.REDIS_URL:
        return
    prefix = f"{name}|{state}"
    pipe = _redis().pipeline(transaction=False)
    pipe.hincrby(TASK_METRICS_KEY, f"{prefix}|count", 1)
    pipe.hincrbyfloat(TASK_METRICS_KEY, f"{prefix}|sum", seconds)
    for bound in TASK_BUCKETS:
        if seconds <= bound:
            pipe.hincrby(TASK_METRICS_KEY, f"{prefix}|le|{bound}", 1)
    pipe.execute()


def _task_durations() -> Iterable[Metric]:
    family = HistogramMetricFamily(
        "fuxiang_celery_task_duration_seconds",
        "Time Celery tasks took, by task and outcome (all workers)",
        labels=["task", "state"],
    )
    if not settings.REDIS_URL:
        yield family
        return
    raw = {k.decode(): v.decode() for k, v in _redis().hgetall(TASK_METRICS_KEY).items()}
    series: dict[tuple[str, str], dict[str, float]] = {}
    for key, value in raw.items():
        name, state, kind, *bound = key.split("|")
        series.setdefault((name, state), {})[bound[0] if bound else kind] = float(value)
    for (name, state), values in sorted(series.items()):
        buckets = [(str(b), values.get(str(b), 0.0)) for b in TASK_BUCKETS]
        buckets.append(("+Inf", values.get("count", 0.0)))
        family.add_metric([name, state], buckets, values.get("sum", 0.0))
    yield family


def _health_gauge() -> Iterable[Metric]:
    family = GaugeMetricFamily(
        "fuxiang_health_check_ok", "1 when the health check passes", labels=["check"]
    )
    _, checks = health_report()
    for name, result in checks.items():
        family.add_metric([name], 1.0 if result["ok"] else 0.0)
    yield family


class _Collector:
    def collect(self) -> Iterable[Metric]:
        yield from _task_durations()
        yield from _health_gauge()
        for collect in _collectors:
            yield from collect()


def _process_registry() -> CollectorRegistry:
    """django-prometheus' request metrics: every gunicorn worker's when they share
    PROMETHEUS_MULTIPROC_DIR (docs/deploy.md), else this process's."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    ours = CollectorRegistry(auto_describe=False)
    ours.register(_Collector())
    body = generate_latest(_process_registry()) + generate_latest(ours)
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
