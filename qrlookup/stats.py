"""The nightly roll-up of scan and lookup events into ``LookupDailyStat`` (one row per day and
attribution: village, grid, officer). Idempotent: a day rolled up again is replaced."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from qrlookup.events import events_flush
from qrlookup.models import LookupDailyStat, LookupEvent, LookupEventKind, ScanEvent

_KIND_COLUMN = {
    LookupEventKind.VERIFIED: "verified",
    LookupEventKind.WECHAT: "verified",
    LookupEventKind.RESULT: "results",
    LookupEventKind.REQUEST: "requests",
}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def day_counts(day: date) -> dict[tuple[int | None, int | None, int | None], dict[str, int]]:
    """{(village, grid, officer): {"scans", "verified", "results", "requests"}} for one day
    (buffered events are written first, so the figures are up to the moment)."""
    events_flush()
    start, end = day_bounds(day)
    counts: dict[tuple[int | None, int | None, int | None], dict[str, int]] = defaultdict(
        lambda: {"scans": 0, "verified": 0, "results": 0, "requests": 0}
    )
    scans = (
        ScanEvent.objects.filter(at__gte=start, at__lt=end)
        .values_list("village_id", "grid_id", "officer_id")
        .annotate(n=Count("id"))
    )
    for village, grid, officer, n in scans:
        counts[(village, grid, officer)]["scans"] += n
    events = (
        LookupEvent.objects.filter(at__gte=start, at__lt=end, kind__in=list(_KIND_COLUMN))
        .values_list("village_id", "grid_id", "officer_id", "kind")
        .annotate(n=Count("id"))
    )
    for village, grid, officer, kind, n in events:
        counts[(village, grid, officer)][_KIND_COLUMN[LookupEventKind(kind)]] += n
    return counts


@transaction.atomic
def lookup_stats_roll_up(*, day: date) -> int:
    """Replace ``day``'s summary rows; returns how many were written."""
    LookupDailyStat.objects.filter(day=day).delete()
    rows = [
        LookupDailyStat(day=day, village_id=v, grid_id=g, officer_id=o, **figures)
        for (v, g, o), figures in day_counts(day).items()
    ]
    LookupDailyStat.objects.bulk_create(rows)
    return len(rows)
