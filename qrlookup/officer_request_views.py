"""The officers' inbox of villagers' requests, the managers' overdue list, closing a request."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError, NotFound
from fuxiang.pagination import BoundedPaginator
from qrlookup import officer_requests
from qrlookup.models import OfficerRequest, RequestOutcome, RequestStatus
from qrlookup.officer_request_selectors import inbox, inbox_counts, requests_visible_to

PAGE_SIZE = 50


def _request(request: AuthenticatedHttpRequest, pk: int) -> OfficerRequest:
    try:
        return (
            requests_visible_to(request.user)
            .select_related("household__village", "village", "grid")
            .get(pk=pk)
        )
    except OfficerRequest.DoesNotExist as exc:
        raise Http404("未找到该申请，或您无权访问") from exc


@login_required
@require_GET
def request_inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", RequestStatus.OPEN)
    overdue = request.GET.get("overdue") == "1"
    page = BoundedPaginator(inbox(request.user, status=status, overdue_only=overdue), PAGE_SIZE)
    return render(
        request,
        "qrlookup/request_inbox.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "status": status,
            "overdue": overdue,
            "counts": inbox_counts(request.user),
            "days": settings.QRLOOKUP_REQUEST_DAYS,
        },
    )


@login_required
@require_GET
def request_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The navigation's badge (loaded by htmx): open requests, overdue ones in red."""
    return render(request, "qrlookup/_request_badge.html", {"counts": inbox_counts(request.user)})


@login_required
@require_GET
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    can_close = roles.can_edit_archives(request.user) or roles.can_approve_override(request.user)
    return render(
        request,
        "qrlookup/request_detail.html",
        {"item": item, "outcomes": RequestOutcome.choices, "can_close": can_close},
    )


@login_required
@require_POST
def request_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    try:
        officer_requests.request_close(
            actor=request.user,
            request=item,
            outcome=request.POST.get("outcome", ""),
            outcome_note=request.POST.get("outcome_note", ""),
            audit=AuditContext.from_request(request),
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("qrlookup:request", pk=pk)
    messages.success(request, "申请已办结，村民下次查询时可看到办理结果")
    return redirect("qrlookup:requests")


@login_required
@require_POST
def request_phone(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Reveal the call-back number an archive request left (audited)."""
    item = _request(request, pk)
    try:
        phone = officer_requests.request_contact_phone(
            actor=request.user, request=item, audit=AuditContext.from_request(request)
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        return HttpResponse(error.message, status=403)
    response = render(request, "qrlookup/_request_phone.html", {"phone": phone})
    response["Cache-Control"] = "no-store, private"
    return response
