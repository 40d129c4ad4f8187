"""The dashboards: each role's home page, a scope's funnel with its children, the county's
headline panel, and the Excel export of a page. Thin: resolve the scope (404 outside the
user's sight), read the summaries, render — the tables the page shows are the export's."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards import exports, scopes
from dashboards.engine import FUNNEL, STAGES, Figures
from dashboards.engine.headline import headline
from dashboards.engine.tables import Table, breakdown_table, funnel_table, totals_table
from dashboards.figures_selectors import (
    Dashboard,
    Row,
    dashboard,
    latest_snapshot,
    scope_total,
)
from dashboards.scopes import COUNTY, Scope
from fuxiang import errors
from fuxiang.accounts import roles

CHILD_TITLES = {
    scopes.TOWNSHIP: ("按乡镇", "乡镇"),
    scopes.VILLAGE: ("按村", "村/社区"),
    scopes.GRID: ("按网格", "网格"),
}


def resolve_scope(request: HttpRequest, kind: str, pk: int | None) -> Scope:
    """The scope of the URL for the signed-in user, or 404 / 403."""
    if kind not in scopes.KINDS:
        raise Http404("未找到该统计范围")
    try:
        return scopes.scope_for(request.user, kind, pk)
    except errors.NotFound as error:
        raise Http404(error.message) from error
    except errors.PermissionDenied as error:
        raise PermissionDenied(error.message) from error


def scope_url(kind: str, pk: int | None, view: str = "page") -> str:
    if kind == COUNTY:
        return reverse(f"dashboards:county_{view}")
    return reverse(f"dashboards:{view}", kwargs={"kind": kind, "pk": pk})


def _row_url(row: Row) -> str | None:
    return scope_url(row.kind, row.pk) if row.kind else None


def crumbs(user: Any, scope: Scope) -> list[tuple[str, str]]:
    """The way back up, as far as the user may go."""
    trail: list[tuple[str, str]] = []
    everything = roles.sees_everything(user)
    if everything and scope.kind != COUNTY:
        trail.append(("全县", scope_url(COUNTY, None)))
    if scope.kind == scopes.VILLAGE:
        village = scope.villages[0]
        if everything:
            trail.append((village.township_name, scope_url(scopes.TOWNSHIP, village.township_id)))
        elif village.branch_id and user.managed_branches.filter(pk=village.branch_id).exists():
            trail.append((village.branch_name, scope_url(scopes.BRANCH, village.branch_id)))
        if village.grid_id:
            trail.append((village.grid_name, scope_url(scopes.GRID, village.grid_id)))
    elif scope.kind == scopes.GRID and scope.villages and scope.villages[0].branch_id:
        village = scope.villages[0]
        if everything or user.managed_branches.filter(pk=village.branch_id).exists():
            trail.append((village.branch_name, scope_url(scopes.BRANCH, village.branch_id)))
    return trail


def page_tables(board: Dashboard) -> list[Table]:
    """The tables of a dashboard page, in the page's order (the export's sheets)."""
    scope = board.scope
    tables = [funnel_table(board.total, FUNNEL), totals_table(board.total, STAGES)]
    if board.children:
        title, first = CHILD_TITLES[board.child_kind]
        extra = None
        if board.child_kind == scopes.VILLAGE and scope.kind in (scopes.TOWNSHIP, scopes.OFFICER):
            extra = ("网格", [row.parent for row in board.children])
        tables.append(
            breakdown_table(
                "children",
                title,
                [(row.name, row.figures) for row in board.children],
                first=first,
                links=[_row_url(row) for row in board.children],
                extra=extra,
            )
        )
    if board.branches:
        tables.append(
            breakdown_table(
                "branches",
                "按支行",
                [(row.name, row.figures) for row in board.branches],
                first="支行",
                links=[_row_url(row) for row in board.branches],
            )
        )
    if board.officers:
        officers = breakdown_table(
            "officers",
            "按客户经理",
            [(row.name, row.figures) for row in board.officers],
            first="客户经理",
            links=[_row_url(row) for row in board.officers],
            extra=("网格", [row.parent for row in board.officers]),
        )
        # an officer's figures are their grids': two officers of a grid both count it
        tables.append(
            Table(
                officers.key,
                officers.title,
                officers.columns,
                officers.rows[: len(board.officers)],
                officers.links[: len(board.officers)],
                note="客户经理的数据为其负责网格的数据；一个网格有两位客户经理时各计一次，故不再合计。",
            )
        )
    return tables


def _chart_data(board: Dashboard, tables: list[Table]) -> dict[str, Any]:
    funnel = {
        "stages": [{"name": row[0], "value": row[1]} for row in tables[0].rows],
    }
    bars = None
    children = [row for row in board.children if row.kind]
    if children:
        bars = {
            "names": [row.name for row in children],
            "series": [
                {"name": label, "data": [_float(row.figures.share(key)) for row in children]}
                for label, key in (
                    ("建档率", "archived"),
                    ("评级率", "rated"),
                    ("授信率", "granted"),
                    ("查询率", "looked_up"),
                )
            ],
        }
    return {"funnel": funnel, "bars": bars}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def dashboard_context(request: HttpRequest, scope: Scope) -> dict[str, Any]:
    board = dashboard(scope)
    tables = page_tables(board)
    return {
        "scope": scope,
        "board": board,
        "snapshot": board.snapshot,
        "tables": tables,
        "charts": _chart_data(board, tables),
        "headline": headline(board.total) if scope.is_county else None,
        "stalled": stalled_items(scope, board.total),
        "crumbs": crumbs(request.user, scope),
        "urls": {
            "page": scope_url(scope.kind, scope.pk),
            "export": scope_url(scope.kind, scope.pk, "export"),
            "trends": scope_url(scope.kind, scope.pk, "trends"),
            "households": scope_url(scope.kind, scope.pk, "households"),
            "report": (
                scope_url(scope.kind, scope.pk, "report")
                if scope.kind in (COUNTY, scopes.BRANCH)
                else None
            ),
            "requests": reverse("qrlookup:requests"),
        },
        "can_edit_archives": roles.can_edit_archives(request.user),
        "branch_switch": (scopes.branches_of(request.user) if scope.kind == scopes.BRANCH else []),
    }


def stalled_items(scope: Scope, figures: Figures) -> list[dict[str, Any]]:
    households = scope_url(scope.kind, scope.pk, "households")
    return [
        {
            "label": "建档超期未评级",
            "count": figures.stalled_unrated,
            "url": f"{households}?stage=stalled_unrated",
            "key": "stalled_unrated",
        },
        {
            "label": "逾期未办结的村民申请",
            "count": figures.requests_overdue,
            "url": f"{reverse('qrlookup:requests')}?overdue=1",
            "key": "requests_overdue",
        },
        {
            "label": "已授信从未查询",
            "count": figures.granted_not_looked_up,
            "url": f"{households}?stage=granted_not_looked_up",
            "key": "granted_not_looked_up",
        },
        {
            "label": "已签约从未用信",
            "count": figures.signed_not_drawn,
            "url": f"{households}?stage=signed_not_drawn",
            "key": "signed_not_drawn",
        },
    ]


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page is its dashboard: the county for head office and auditors, the
    branch for a manager, the grids for an officer."""
    scope = scopes.home_scope(request.user)
    if scope is None:
        return render(
            request,
            "dashboards/unassigned.html",
            {"can_edit_archives": roles.can_edit_archives(request.user)},
        )
    context = dashboard_context(request, scope)
    context["is_home"] = True
    return render(request, "dashboards/dashboard.html", context)


@login_required
@require_GET
def scope_page(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    scope = resolve_scope(request, kind, pk)
    if scope.kind == scopes.VILLAGE:
        from dashboards.household_views import village_page

        return village_page(request, scope)
    return render(request, "dashboards/dashboard.html", dashboard_context(request, scope))


@login_required
@require_GET
def headline_page(request: HttpRequest) -> HttpResponse:
    """The county's figures as the bank reports them, on one panel."""
    scope = resolve_scope(request, COUNTY, None)
    snapshot = latest_snapshot()
    return render(
        request,
        "dashboards/headline.html",
        {
            "scope": scope,
            "snapshot": snapshot,
            "headline": headline(scope_total(scope, snapshot)),
            "urls": {"page": scope_url(COUNTY, None)},
        },
    )


@login_required
@require_GET
def export(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    """The page's tables as an Excel workbook."""
    scope = resolve_scope(request, kind, pk)
    board = dashboard(scope)
    tables = page_tables(board)
    book = exports.tables_workbook(
        title=f"{scope.title}（{scope.level}）统计",
        as_of=board.snapshot.as_of if board.snapshot else None,
        tables=tables,
    )
    return xlsx_response(book, f"dashboard-{scope.kind}-{scope.pk or 0}")


def xlsx_response(book: Any, stem: str) -> HttpResponse:
    response = HttpResponse(content_type=exports.XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    book.save(response)
    return response
