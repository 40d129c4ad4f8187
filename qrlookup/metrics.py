"""The lookup's metrics for /metrics (fuxiang.monitoring): today's steps of the public flow by
kind (scans, identities submitted, codes failed, verifications, results, limits), counted from
the event tables (indexed by time) once the buffer has been flushed into them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from django.db.models import Count
from django.utils import timezone
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from qrlookup.models import LookupEvent, ScanEvent


def collect() -> Iterable[Metric]:
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    today = GaugeMetricFamily(
        "fuxiang_lookup_events_today",
        "Steps of the public lookup since local midnight (flushed from the buffer)",
        labels=["kind"],
    )
    counts = dict(
        LookupEvent.objects.filter(at__gte=midnight)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    for kind, _label in LookupEvent._meta.get_field("kind").choices or ():
        today.add_metric([kind], counts.get(kind, 0))
    today.add_metric(["scan"], ScanEvent.objects.filter(at__gte=midnight).count())
    yield today
