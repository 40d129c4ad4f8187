"""Scans (人次) and verified lookups per village, grid, officer and day — what the dashboards
read. Past days come from the nightly summary (``LookupDailyStat``), today from the events."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from households.selectors import grids_visible_to
from qrlookup.models import LookupDailyStat
from qrlookup.stats import day_counts

GROUPS = {"village": 0, "grid": 1, "officer": 2, "day": None}
FIGURES = ("scans", "verified", "results", "requests")


def lookup_stats(*, user: Any, start: date, end: date, by: str = "village") -> list[dict[str, Any]]:
    """Figures from ``start`` to ``end`` (inclusive) grouped ``by`` village, grid, officer or
    day, for the grids the user sees: ``[{"key": id or date, "scans": n, ...}]``, largest
    first (days in order)."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    grids = set(grids_visible_to(user).values_list("pk", flat=True))
    today = timezone.localdate()
    totals: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    column = "day" if by == "day" else f"{by}_id"
    rows = (
        LookupDailyStat.objects.filter(day__gte=start, day__lte=min(end, today))
        .exclude(day=today)
        .filter(Q(grid_id__in=grids))
        .values(column)
        .annotate(**{f: Sum(f) for f in FIGURES})
    )
    for row in rows:
        for figure in FIGURES:
            totals[row[column]][figure] += row[figure] or 0
    if start <= today <= end:
        for (village, grid, officer), figures in day_counts(today).items():
            if grid not in grids:
                continue
            key = {"village": village, "grid": grid, "officer": officer, "day": today}[by]
            for figure in FIGURES:
                totals[key][figure] += figures[figure]
    result = [{"key": key, **figures} for key, figures in totals.items()]
    if by == "day":
        return sorted(result, key=lambda r: r["key"])
    return sorted(result, key=lambda r: (-r["scans"], -r["verified"], str(r["key"])))


def lookup_totals(*, user: Any, start: date, end: date) -> dict[str, int]:
    """The headline: all figures added up over the period."""
    rows = lookup_stats(user=user, start=start, end=end, by="day")
    return {f: sum(r[f] for r in rows) for f in FIGURES}
