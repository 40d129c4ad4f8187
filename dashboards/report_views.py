"""The printable monthly report (PDF) of a branch, or of the county for head office."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards import scopes
from dashboards.dashboard_views import resolve_scope
from dashboards.reports import Month, monthly_report_pdf
from dashboards.scopes import COUNTY

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _month(request: HttpRequest) -> Month:
    """``?month=2026-11``; this month when absent or not a month (a report is never an
    error page)."""
    today = timezone.localdate()
    match = MONTH.match(request.GET.get("month", ""))
    if match and 2000 <= int(match[1]) <= today.year + 1 and 1 <= int(match[2]) <= 12:
        return Month(int(match[1]), int(match[2]))
    return Month(today.year, today.month)


@login_required
@require_GET
def report(request: HttpRequest, kind: str = COUNTY, pk: int | None = None) -> HttpResponse:
    scope = resolve_scope(request, kind, pk)
    if scope.kind not in (COUNTY, scopes.BRANCH):
        raise Http404("月报按支行或全县出具")
    month = _month(request)
    response = HttpResponse(monthly_report_pdf(scope, month), content_type="application/pdf")
    name = f"report-{scope.kind}-{scope.pk or 0}-{month.year}-{month.month:02d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
