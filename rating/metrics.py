"""Rating's metrics for /metrics (fuxiang.monitoring): the progress of active runs and when
the last run was published."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from rating.models import ACTIVE_RUN_STATUSES, RatingRun, RunStatus


def collect() -> Iterable[Metric]:
    chunks = GaugeMetricFamily(
        "fuxiang_rating_run_chunks", "Chunks of an active rating run", labels=["run", "state"]
    )
    subjects = GaugeMetricFamily(
        "fuxiang_rating_run_subjects", "Subjects of an active rating run", labels=["run", "state"]
    )
    active = RatingRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).values_list(
        "pk", "chunks_total", "chunks_done", "subjects", "rated"
    )
    for pk, total, done, count, rated in active:
        run = str(pk)
        chunks.add_metric([run, "total"], total)
        chunks.add_metric([run, "done"], done)
        subjects.add_metric([run, "total"], count)
        subjects.add_metric([run, "rated"], rated)
    yield chunks
    yield subjects
    last = (
        RatingRun.objects.filter(status=RunStatus.PUBLISHED, published_at__isnull=False)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    published = GaugeMetricFamily(
        "fuxiang_rating_last_published_timestamp_seconds",
        "When the last rating run was published (Unix time; 0: never)",
    )
    published.add_metric([], last.timestamp() if last else 0.0)
    yield published
