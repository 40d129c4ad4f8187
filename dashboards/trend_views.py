"""Trends and alerts of a scope: the weekly series of every stage, the officers' weekly work
and the stalled items, for a date range; its Excel export says what the page says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards import exports
from dashboards.dashboard_views import (
    crumbs,
    resolve_scope,
    scope_url,
    stalled_items,
    xlsx_response,
)
from dashboards.engine import stage
from dashboards.engine.tables import AMOUNT, PERCENT, TEXT, Column, Table
from dashboards.figures_selectors import latest_snapshot, scope_total
from dashboards.scopes import COUNTY, Scope
from dashboards.trend_selectors import officer_activity, weekly_activity, weekly_series

DEFAULT_WEEKS = 12
MAX_DAYS = 731
SERIES = (
    "archived",
    "visited",
    "rated",
    "granted",
    "online_eligible",
    "looked_up",
    "applied",
    "signed",
    "drawn",
)
SERIES_AMOUNTS = ("granted_amount", "signed_amount", "drawn_amount", "balance")


def date_range(request: HttpRequest) -> tuple[date, date, str]:
    """``?start=&end=`` (YYYY-MM-DD), or the last twelve weeks; a message instead of an error
    for dates that do not parse, run backwards or span more than two years."""
    today = timezone.localdate()
    default = (today - timedelta(weeks=DEFAULT_WEEKS - 1), today)
    raw_start, raw_end = request.GET.get("start", ""), request.GET.get("end", "")
    if not raw_start and not raw_end:
        return (*default, "")
    try:
        start = date.fromisoformat(raw_start) if raw_start else default[0]
        end = date.fromisoformat(raw_end) if raw_end else today
    except ValueError:
        return (*default, "日期格式应为 年-月-日（例如 2026-01-31），已显示最近12周。")
    if end < start:
        return (*default, "开始日期不能晚于结束日期，已显示最近12周。")
    if (end - start).days > MAX_DAYS:
        return (end - timedelta(days=MAX_DAYS), end, "时间段最长两年，已从结束日期往前取两年。")
    return start, end, ""


def trend_tables(scope: Scope, start: date, end: date) -> list[Table]:
    series = weekly_series(scope, start=start, end=end)
    columns = (
        Column("周（周一）", TEXT),
        *(Column(stage(key).label) for key in SERIES),
        *(Column(f"{stage(key).label}（元）", AMOUNT) for key in SERIES_AMOUNTS),
    )
    series_rows: list[list[Any]] = []
    for week, figures in series:
        series_rows.append(
            [week.isoformat()]
            + [getattr(figures, key) if figures else None for key in (*SERIES, *SERIES_AMOUNTS)]
        )
    activity = weekly_activity(scope, start=start, end=end)
    activity_rows = [
        [week.isoformat(), a.visits, a.requests_due, a.requests_on_time, a.on_time_rate]
        for week, a in activity
    ]
    officers = officer_activity(scope, start=start, end=end)
    officer_rows = [
        [
            o.name,
            o.grids,
            o.activity.visits,
            o.visits_per_week,
            o.activity.requests_due,
            o.activity.requests_on_time,
            o.activity.on_time_rate,
        ]
        for o in officers
    ]
    weekly = (
        Column("周（周一）", TEXT),
        Column("走访次数"),
        Column("到期申请"),
        Column("按时办结"),
        Column("按时办结率", PERCENT),
    )
    per_officer = (
        Column("客户经理", TEXT),
        Column("网格", TEXT),
        Column("走访次数"),
        Column("周均走访", "number"),
        Column("到期申请"),
        Column("按时办结"),
        Column("按时办结率", PERCENT),
    )
    return [
        Table(
            "series",
            "各环节周走势",
            columns,
            series_rows,
            note="每周最后一次统计时的数；没有统计的周为“—”",
        ),
        Table(
            "activity",
            "每周工作量",
            weekly,
            activity_rows,
            note="到期申请：办理期限落在该周且已过期限的申请",
        ),
        Table("officer_activity", "客户经理工作量", per_officer, officer_rows),
    ]


def _charts(tables: list[Table]) -> dict[str, Any]:
    series, activity = tables[0], tables[1]
    return {
        "lines": {
            "weeks": [row[0] for row in series.rows],
            "series": [
                {"name": stage(key).label, "data": [row[1 + n] for row in series.rows]}
                for n, key in enumerate(SERIES)
            ],
        },
        "activity": {
            "weeks": [row[0] for row in activity.rows],
            "visits": [row[1] for row in activity.rows],
            "on_time": [None if row[4] is None else float(row[4]) for row in activity.rows],
        },
    }


@login_required
@require_GET
def trends(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    scope = resolve_scope(request, kind, pk)
    start, end, message = date_range(request)
    tables = trend_tables(scope, start, end)
    snapshot = latest_snapshot()
    has_data = any(row[1] is not None for row in tables[0].rows) or any(
        row[1] or row[2] for row in tables[1].rows
    )
    return render(
        request,
        "dashboards/trends.html",
        {
            "scope": scope,
            "snapshot": snapshot,
            "start": start,
            "end": end,
            "message": message,
            "tables": tables,
            "has_data": has_data,
            "charts": _charts(tables),
            "stalled": stalled_items(scope, scope_total(scope, snapshot)),
            "crumbs": [
                *crumbs(request.user, scope),
                (scope.title, scope_url(scope.kind, scope.pk)),
            ],
            "export_url": scope_url(scope.kind, scope.pk, "trends_export"),
        },
    )


@login_required
@require_GET
def trends_export(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    scope = resolve_scope(request, kind, pk)
    start, end, _ = date_range(request)
    snapshot = latest_snapshot()
    book = exports.tables_workbook(
        title=f"{scope.title}（{scope.level}）趋势 {start} 至 {end}",
        as_of=snapshot.as_of if snapshot else None,
        tables=trend_tables(scope, start, end),
    )
    return xlsx_response(book, f"trends-{scope.kind}-{scope.pk or 0}")
