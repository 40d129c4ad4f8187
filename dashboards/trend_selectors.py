"""Trends of a scope: the weekly series of every stage (from the weekly rows of the summary),
the officers' weekly work (visits; requests answered on time), and the monthly comparison
the branch report prints."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from dashboards.engine import Figures, on_time_rate, weeks_between
from dashboards.figures_selectors import FIGURE_FIELDS, Snapshot, latest_snapshot, scope_rows
from dashboards.models import Period, VillageFigures, WeeklyActivity
from dashboards.scopes import Scope
from households.models import Grid


def weekly_series(scope: Scope, *, start: date, end: date) -> list[tuple[date, Figures | None]]:
    """Every week from ``start``'s to ``end``'s with the scope's figures at the week's last
    refresh; None for a week without one (a gap in the line, never a made-up zero)."""
    weeks = weeks_between(start, end)
    if not weeks:
        return []
    rows = VillageFigures.objects.filter(period=Period.WEEK, day__gte=weeks[0], day__lte=weeks[-1])
    if not scope.is_county:
        in_scope = Q(village_id__in=scope.village_ids)
        if scope.rest_grids:
            in_scope |= Q(village__isnull=True, grid_id__in=list(scope.rest_grids))
        rows = rows.filter(in_scope)
    totals = {
        row["day"]: Figures.from_mapping(row)
        for row in rows.order_by().values("day").annotate(**{f: Sum(f) for f in FIGURE_FIELDS})
    }
    return [(week, totals.get(week)) for week in weeks]


@dataclass(frozen=True)
class Activity:
    visits: int = 0
    requests_due: int = 0
    requests_on_time: int = 0

    def __add__(self, other: Activity) -> Activity:
        return Activity(
            self.visits + other.visits,
            self.requests_due + other.requests_due,
            self.requests_on_time + other.requests_on_time,
        )

    @property
    def on_time_rate(self) -> Decimal | None:
        return on_time_rate(self.requests_on_time, self.requests_due)


def _activity_rows(scope: Scope, start: date, end: date) -> QuerySet[WeeklyActivity]:
    weeks = weeks_between(start, end)
    if not weeks:
        return WeeklyActivity.objects.none()
    rows = WeeklyActivity.objects.filter(week__gte=weeks[0], week__lte=weeks[-1])
    if not scope.is_county:
        in_scope = Q(village_id__in=scope.village_ids)
        if scope.rest_grids:
            in_scope |= Q(village__isnull=True, grid_id__in=list(scope.rest_grids))
        rows = rows.filter(in_scope)
    return rows.order_by()


ACTIVITY_SUMS = {
    "n_visits": Sum("visits"),
    "n_due": Sum("requests_due"),
    "n_on_time": Sum("requests_on_time"),
}


def _activity(row: Any) -> Activity:
    return Activity(row["n_visits"] or 0, row["n_due"] or 0, row["n_on_time"] or 0)


def weekly_activity(scope: Scope, *, start: date, end: date) -> list[tuple[date, Activity]]:
    """The scope's visits and requests, week by week (weeks with nothing are zeros: work not
    done is a fact, unlike a refresh that did not happen)."""
    by_week = {
        row["week"]: _activity(row)
        for row in _activity_rows(scope, start, end).values("week").annotate(**ACTIVITY_SUMS)
    }
    return [(week, by_week.get(week, Activity())) for week in weeks_between(start, end)]


@dataclass(frozen=True)
class OfficerActivity:
    officer_id: int
    name: str
    grids: str
    activity: Activity
    weeks: int

    @property
    def visits_per_week(self) -> Decimal:
        return (Decimal(self.activity.visits) / max(self.weeks, 1)).quantize(Decimal("0.1"))


def officer_activity(scope: Scope, *, start: date, end: date) -> list[OfficerActivity]:
    """Each officer of the scope's grids with their grids' work in the period (an officer's
    figures are their grids'), busiest first."""
    village_grid = {v.pk: v.grid_id for v in scope.villages}
    by_grid: dict[int, Activity] = defaultdict(Activity)
    rows = _activity_rows(scope, start, end).values("village_id", "grid_id")
    for row in rows.annotate(**ACTIVITY_SUMS):
        grid: int | None = row["grid_id"]
        if row["village_id"] is not None:
            grid = village_grid.get(row["village_id"], grid)
        if grid is not None:
            by_grid[grid] = by_grid[grid] + _activity(row)
    grid_ids = {v.grid_id for v in scope.villages if v.grid_id} | set(scope.rest_grids or ())
    links = (
        Grid.officers.through.objects.filter(grid_id__in=grid_ids)
        .order_by("user_id", "grid__code")
        .values_list("user_id", "user__full_name", "user__username", "grid_id", "grid__name")
    )
    officers: dict[int, tuple[str, list[str], Activity]] = {}
    for user, full_name, username, grid, grid_name in links:
        name, grids, activity = officers.get(user, (full_name or username, [], Activity()))
        officers[user] = (name, [*grids, grid_name], activity + by_grid.get(grid, Activity()))
    weeks = len(weeks_between(start, end))
    result = [
        OfficerActivity(pk, name, "、".join(grids), activity, weeks)
        for pk, (name, grids, activity) in officers.items()
    ]
    return sorted(result, key=lambda o: (-o.activity.visits, o.name))


@dataclass(frozen=True)
class MonthEnd:
    snapshot: Snapshot | None
    figures: Figures


def month_end(scope: Scope, *, last_day: date) -> MonthEnd:
    """The scope's figures at the last refresh on or before ``last_day``."""
    snapshot = latest_snapshot(on_or_before=last_day)
    if snapshot is None:
        return MonthEnd(None, Figures())
    rows = scope_rows(scope, snapshot).aggregate(**{f: Sum(f) for f in FIGURE_FIELDS})
    return MonthEnd(snapshot, Figures.from_mapping(rows))
