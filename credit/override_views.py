"""Back-office pages of manual overrides (人工调整, maker-checker): an officer proposes a grade
or limit for a household or entity they serve; the branch manager (or head office) approves or
rejects it from the inbox; the detail page shows the subject masked, its current line and what
happened. Thin: permission, form, service (``credit.overrides``), render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from credit import engine, override_reviews, override_selectors, overrides
from credit.models import CreditLine, CreditOverride, OverrideStatus
from credit.override_forms import OverrideNoteForm, OverrideProposeForm
from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from fuxiang.refusals import refusal_raise
from households.forms import apply_domain_error
from households.models import BusinessEntity, Household
from households.selectors import (
    business_entities_visible_to,
    household_name,
    households_visible_to,
)

PAGE_SIZE = 30


def _require_reader(user: Any) -> None:
    if not roles.can_view_credit(user):
        raise PermissionDenied("您无权查看授信信息")


def _subject(household: Household | None, entity: BusinessEntity | None) -> dict[str, Any]:
    """What the pages show of a subject: masked (docs/design.md §4.4), with its rating and line."""
    line = override_selectors.current_line(household=household, entity=entity)
    result = override_selectors.current_result(household=household, entity=entity)
    subject: dict[str, Any] = {
        "household": household,
        "entity": entity,
        "result": result,
        "line": line,
        "line_rate": engine.rate_percent(line.rate_bp) if line is not None else "",
    }
    if household is not None:
        head = override_selectors.household_head(household.pk)
        subject["head"] = head
        subject["name"] = household_name(
            household.village.name, head.name if head else None, household.pk
        )
    elif entity is not None:
        subject["name"] = entity.name
    return subject


def _subject_from_query(
    request: AuthenticatedHttpRequest,
) -> tuple[Household | None, BusinessEntity | None]:
    household_id, entity_id = request.GET.get("household", ""), request.GET.get("entity", "")
    if household_id.isdigit():
        households = households_visible_to(request.user).select_related("village__township")
        household = households.filter(pk=int(household_id)).first()
        if household is not None:
            return household, None
    elif entity_id.isdigit():
        entity = business_entities_visible_to(request.user).filter(pk=int(entity_id)).first()
        if entity is not None:
            return None, entity
    raise Http404(overrides.NOT_FOUND)


@login_required
def override_propose(request: AuthenticatedHttpRequest) -> HttpResponse:
    """``?household=<id>`` or ``?entity=<id>``: the subject's current grade and line, any open
    override, and the form."""
    if not roles.can_propose_override(request.user):
        raise PermissionDenied("只有客户经理可以提议人工调整")
    household, entity = _subject_from_query(request)
    form = OverrideProposeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                override = overrides.override_propose(
                    actor=request.user,
                    household=household,
                    entity=entity,
                    kind=data["kind"],
                    grade=data["grade"],
                    amount=data["amount"],
                    reason=data["reason"],
                    evidence=data["evidence"],
                    valid_until=data["valid_until"],
                    audit=AuditContext.from_request(request),
                )
            except DomainError as error:
                if error.code == "not_found":
                    raise Http404(error.message) from error
                apply_domain_error(form, error)
            else:
                messages.success(request, "人工调整已提交，待支行行长审批")
                return redirect("credit:override", pk=override.pk)
        status = 400
    subject = _subject(household, entity)
    open_override = (
        CreditOverride.objects.filter(status__in=overrides.OPEN)
        .filter(**({"household": household} if household else {"business_entity": entity}))
        .first()
    )
    return render(
        request,
        "credit/override_propose.html",
        {
            "form": form,
            "subject": subject,
            "subject_label": subject["name"],
            "open_override": open_override,
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def override_inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers (and head office, auditors): proposals awaiting review in their scope, with
    approve and reject forms; overrides a later rating sent back for review (待复核), with
    approve-again and withdraw forms; and the overrides in force. Officers: their own
    proposals."""
    _require_reader(request.user)
    user = request.user
    reviewer = roles.can_approve_override(user)
    context: dict[str, Any] = {"reviewer": reviewer, "today": timezone.localdate()}
    if reviewer or roles.sees_everything(user):
        context["pending"] = Paginator(
            override_selectors.overrides_pending_for(user), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context["page"] = context["pending"]
        context["to_review"] = list(override_selectors.overrides_to_review_for(user)[:PAGE_SIZE])
        context["in_force"] = list(override_selectors.overrides_in_force_for(user)[:PAGE_SIZE])
        context["note_form"] = OverrideNoteForm()
    else:
        context["proposer_view"] = True  # an empty list is still theirs, not the reviewers' page
        context["mine"] = Paginator(
            override_selectors.overrides_proposed_by(user), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context["page"] = context["mine"]
    return render(request, "credit/override_inbox.html", context)


@login_required
def override_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    override = get_object_or_404(override_selectors.overrides_visible_to(request.user), pk=pk)
    user = request.user
    today = timezone.localdate()
    subject = _subject(override.household, override.business_entity)
    line: CreditLine | None = subject["line"]
    is_proposer = override.proposed_by_id == user.pk
    reviewer = roles.can_approve_override(user)
    proposed = override.status == OverrideStatus.PROPOSED
    approved = override.status == OverrideStatus.APPROVED
    in_review = override.status == OverrideStatus.NEEDS_REVIEW
    check = override_selectors.cap_check(override, on=today)
    context = {
        "override": override,
        "subject": subject,
        "subject_label": subject["name"],
        "applied": line is not None and line.override_id == override.pk,
        "expired": override.valid_until < today,
        "cap": check,
        "above_cap": check is not None and check.exceeded_by(override.amount),
        "may_review": reviewer and (proposed or in_review),
        "is_proposer": is_proposer,
        "may_withdraw": (proposed and is_proposer) or ((approved or in_review) and reviewer),
        "note_form": OverrideNoteForm(),
        "history": list(override_selectors.override_history(override).select_related("actor")),
        "others": [o for o in override_selectors.overrides_of_subject(override)[:20] if o.pk != pk],
    }
    return render(request, "credit/override_detail.html", context)


def _act(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    _require_reader(request.user)
    override = get_object_or_404(override_selectors.overrides_visible_to(request.user), pk=pk)
    note = OverrideNoteForm(request.POST).data.get("note", "")
    try:
        if action == "approve":
            again = override.status == OverrideStatus.NEEDS_REVIEW
            override_reviews.override_approve(
                actor=request.user,
                override=override,
                note=note,
                audit=AuditContext.from_request(request),
            )
            messages.success(
                request,
                ("已复核通过" if again else "已批准")
                + "。正在按调整重新评级，新的授信额度即将生效",
            )
        elif action == "reject":
            override_reviews.override_reject(
                actor=request.user,
                override=override,
                note=note,
                audit=AuditContext.from_request(request),
            )
            messages.success(request, "已退回提议人")
        else:
            was_approved = override.status == OverrideStatus.APPROVED
            override_reviews.override_withdraw(
                actor=request.user,
                override=override,
                note=note,
                audit=AuditContext.from_request(request),
            )
            messages.success(
                request,
                "已撤回。正在重新评级，授信额度将恢复按评级结果计算" if was_approved else "已撤回",
            )
    except DomainError as error:
        if error.code == "not_found":
            raise Http404(error.message) from error
        refusal_raise(error)
        messages.error(request, error.message)
    if request.POST.get("next") == "inbox":
        return redirect("credit:override_inbox")
    return redirect("credit:override", pk=override.pk)


@login_required
@require_POST
def override_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "approve")


@login_required
@require_POST
def override_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reject")


@login_required
@require_POST
def override_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "withdraw")


urlpatterns: list[URLPattern] = [
    path("overrides/", override_inbox, name="override_inbox"),
    path("overrides/new/", override_propose, name="override_propose"),
    path("overrides/<int:pk>/", override_detail, name="override"),
    path("overrides/<int:pk>/approve/", override_approve, name="override_approve"),
    path("overrides/<int:pk>/reject/", override_reject, name="override_reject"),
    path("overrides/<int:pk>/withdraw/", override_withdraw, name="override_withdraw"),
]
