"""Pages of credit lines: the household's line with its trace, lists of lines by status, one
line with the manager's actions (suspend, restore, revoke)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from credit import engine, holds, override_selectors, selectors
from credit.models import CreditLine, CreditOverride, LineStatus
from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from fuxiang.refusals import refusal_raise
from households.selectors import business_entities_visible_to, households_visible_to

PAGE_SIZE = 50


@login_required
@require_GET
def household_card(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """A fragment for the household page: the current line, what produced its limit and rate
    (in full for staff), the words the villager sees, and the exposure of the household with
    its businesses."""
    if not households_visible_to(request.user).filter(pk=household_id).exists():
        raise Http404("未找到该农户，或您无权访问")
    exposure = selectors.household_exposure(household_id)
    line = exposure.rows[0].line
    return _card(request, line, {"exposure": exposure}, household_id=household_id)


@login_required
@require_GET
def entity_card(request: AuthenticatedHttpRequest, entity_id: int) -> HttpResponse:
    """The same fragment for an enterprise's or agricultural entity's own line — or, for one
    that draws on its owner household's line, that household's line; without a line, why."""
    entity = business_entities_visible_to(request.user).filter(pk=entity_id).first()
    if entity is None:
        raise Http404("未找到该经营主体，或您无权访问")
    shared = selectors.entity_shared_line(entity)
    if shared is not None:
        return _card(request, None, {"shared": shared}, entity_id=entity_id)
    line = selectors.entity_current_line(entity_id)
    extra = {"no_line_reason": selectors.entity_no_line_reason(entity) if line is None else ""}
    return _card(request, line, extra, entity_id=entity_id)


def _card(
    request: AuthenticatedHttpRequest,
    line: CreditLine | None,
    extra: Mapping[str, object] | None = None,
    **subject: int,
) -> HttpResponse:
    context: dict[str, object] = {
        "line": line,
        **subject,
        **(extra or {}),
        "can_propose": roles.can_propose_override(request.user) and line is not None,
        "in_review": _in_review(
            household_id=subject.get("household_id"), entity_id=subject.get("entity_id")
        ),
    }
    if line is not None:
        limit, rate = selectors.line_explain(line)
        context.update(
            limit=limit, rate=rate, words=engine.plain_words(limit, rate, status=line.status)
        )
    return render(request, "credit/_household_card.html", context)


@login_required
@require_GET
def line_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in LineStatus.values:
        status = ""
    page = selectors.line_page(request.user, status=status, after=request.GET.get("after", ""))
    in_review = override_selectors.overrides_in_review_of(
        household_ids=[line.household_id for line in page.lines if line.household_id],
        entity_ids=[line.business_entity_id for line in page.lines if line.business_entity_id],
    )
    for line in page.lines:
        key = (
            ("household", line.household_id)
            if line.household_id
            else ("entity", line.business_entity_id)
        )
        # one subject per line (a constraint): an entity id where there is no household
        line.override_in_review = in_review.get(cast(tuple[str, int], key))  # type: ignore[attr-defined]
    names = selectors.subject_names(page.lines)
    for line in page.lines:
        line.subject_name = names[line.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "credit/line_list.html",
        {
            "page": page,
            "status": status,
            "statuses": LineStatus.choices,
            "query": urlencode({"status": status}) if status else "",
        },
    )


@login_required
@require_GET
def line_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    line = _line_or_404(request, pk)
    limit, rate = selectors.line_explain(line)
    return render(
        request,
        "credit/line_detail.html",
        {
            "line": line,
            "limit": limit,
            "rate": rate,
            "words": engine.plain_words(limit, rate, status=line.status),
            "is_current": selectors.current_lines().filter(pk=line.pk).exists(),
            "subject_name": selectors.subject_names([line])[line.pk],
            "can_change": roles.can_suspend_line(request.user),
            "in_review": _in_review(
                household_id=line.household_id, entity_id=line.business_entity_id
            ),
        },
    )


@login_required
@require_POST
def line_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    line = _line_or_404(request, pk)
    try:
        holds.line_set_status(
            actor=request.user,
            line=line,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
            audit=AuditContext.from_request(request),
        )
    except DomainError as exc:
        refusal_raise(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, "授信额度状态已更新")
    return redirect("credit:line", pk=line.pk)


def _in_review(*, household_id: int | None, entity_id: int | None) -> CreditOverride | None:
    """The subject's override a later rating sent back for review (待复核), if any."""
    found = override_selectors.overrides_in_review_of(
        household_ids=[household_id] if household_id else [],
        entity_ids=[entity_id] if entity_id else [],
    )
    return next(iter(found.values()), None)


def _line_or_404(request: AuthenticatedHttpRequest, pk: int) -> CreditLine:
    visible = households_visible_to(request.user).values("pk")
    line = (
        CreditLine.objects.select_related(
            "household", "business_entity", "policy", "override", "village"
        )
        .filter(pk=pk)
        .first()
    )
    if line is None:
        raise Http404("未找到该授信额度，或您无权访问")
    if line.household_id is not None and not visible.filter(pk=line.household_id).exists():
        raise Http404("未找到该授信额度，或您无权访问")
    # a business's line, current or superseded, is seen by whoever sees the business
    if (
        line.household_id is None
        and not business_entities_visible_to(request.user)
        .filter(pk=cast(int, line.business_entity_id))  # one subject per line
        .exists()
    ):
        raise Http404("未找到该授信额度，或您无权访问")
    return line


urlpatterns: list[URLPattern] = [
    path("", line_list, name="lines"),
    path("lines/<int:pk>/", line_detail, name="line"),
    path("lines/<int:pk>/status/", line_status, name="line_status"),
    path("households/<int:household_id>/", household_card, name="household_card"),
    path("entities/<int:entity_id>/", entity_card, name="entity_card"),
]
