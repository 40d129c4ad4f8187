"""The drill-down: a village's page (its figures and its households by stage) and the
households of any scope at a stage, with the Excel list for the grid's officer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards import exports, scopes
from dashboards.dashboard_views import (
    crumbs,
    dashboard_context,
    resolve_scope,
    scope_url,
    xlsx_response,
)
from dashboards.figures_selectors import latest_snapshot
from dashboards.household_selectors import (
    STAGE_FILTERS,
    STAGE_LABELS,
    all_households,
    household_page,
    stage_counts,
)
from dashboards.scopes import COUNTY, Scope
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record

EXPORTABLE = (scopes.VILLAGE, scopes.GRID, scopes.OFFICER)


def _stage(request: HttpRequest) -> str:
    stage = request.GET.get("stage", "all")
    return stage if stage in STAGE_LABELS else "all"


def _after(request: HttpRequest) -> int | None:
    value = request.GET.get("after", "")
    return int(value) if value.isdigit() else None


def list_context(request: HttpRequest, scope: Scope) -> dict[str, Any]:
    """The stage tabs with their counts and one page of the stage's households."""
    snapshot = latest_snapshot()
    stage = _stage(request)
    context: dict[str, Any] = {
        "stage": stage,
        "stage_label": STAGE_LABELS[stage],
        "list_url": scope_url(scope.kind, scope.pk, "households"),
        "exportable": scope.kind in EXPORTABLE,
        "export_url": (
            scope_url(scope.kind, scope.pk, "households_export")
            if scope.kind in EXPORTABLE
            else None
        ),
        "export_max": settings.DASHBOARDS_EXPORT_MAX_ROWS,
    }
    if snapshot is None:
        return {**context, "listing": None, "tabs": []}
    counts = stage_counts(scope, as_of=snapshot.as_of)
    page = household_page(
        scope, stage, as_of=snapshot.as_of, after=_after(request), count=counts[stage]
    )
    context["tabs"] = [(f.key, f.label, counts[f.key]) for f in STAGE_FILTERS]
    context["listing"] = page
    context["first_page"] = _after(request) is None
    return context


def village_page(request: HttpRequest, scope: Scope) -> HttpResponse:
    """A village: its figures (registered but not archived among them) and its households
    by stage."""
    context = dashboard_context(request, scope)
    context.update(list_context(request, scope))
    context["list_url"] = scope_url(scope.kind, scope.pk)
    return render(request, "dashboards/village.html", context)


@login_required
@require_GET
def households(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    scope = resolve_scope(request, kind, pk)
    context = {
        "scope": scope,
        "snapshot": latest_snapshot(),
        "crumbs": [*crumbs(request.user, scope), (scope.title, scope_url(scope.kind, scope.pk))],
        **list_context(request, scope),
    }
    return render(request, "dashboards/households.html", context)


@login_required
@require_GET
def households_export(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The stage's households of a village, a grid or an officer's grids as an Excel list
    (names masked), for the officer who will call on them. Audited as an export."""
    scope = resolve_scope(request, kind, pk)
    snapshot = latest_snapshot()
    stage = _stage(request)
    limit = settings.DASHBOARDS_EXPORT_MAX_ROWS
    rows = (
        all_households(scope, stage, as_of=snapshot.as_of, limit=limit + 1)
        if snapshot and scope.kind in EXPORTABLE
        else []
    )
    if scope.kind not in EXPORTABLE or len(rows) > limit:
        return render(
            request,
            "dashboards/export_refused.html",
            {"scope": scope, "limit": limit, "back": scope_url(scope.kind, scope.pk, "households")},
            status=400,
        )
    title = f"{scope.title} · {STAGE_LABELS[stage]}"
    book = exports.households_workbook(
        title=title, as_of=snapshot.as_of if snapshot else None, rows=rows
    )
    audit_record(
        action=AuditAction.EXPORT,
        actor=request.user,
        target_label=f"统计看板农户名单：{title}（{len(rows)}户，姓名已脱敏）",
        audit=AuditContext.from_request(request),
        details={"scope": scope.kind, "scope_id": scope.pk, "stage": stage, "rows": len(rows)},
    )
    return xlsx_response(book, f"households-{scope.kind}-{scope.pk}-{stage}")
