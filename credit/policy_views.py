"""Credit policy pages (授信政策): the versions with the one in force today, a version's every
parameter and its diff against the version it follows, the structured editor, JSON import and
export, and the maker-checker actions. Every staff role reads; head office drafts and
approves. Thin: permission, form, service, render. Routes: see credit/urls.py."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from credit import engine, policies
from credit.engine.formatting import plain_number, rate_percent, share_percent
from credit.models import CreditPolicyVersion, PolicyStatus
from credit.policy_forms import (
    GROUPS,
    PolicyApproveForm,
    PolicyForm,
    PolicyImportForm,
    PolicyRejectForm,
)
from credit.policy_selectors import (
    policy_in_force,
    policy_latest_approved,
    policy_previous_approved,
    policy_touched_by,
    policy_versions,
)
from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.errors import DomainError
from fuxiang.formatting import format_rmb
from fuxiang.makerchecker import makers
from households.forms import apply_domain_error


def _require_reader(user: Any) -> None:
    if not roles.can_view_credit(user):
        raise PermissionDenied("只有本行员工可以查看授信政策")


def _require_editor(user: Any) -> None:
    if not roles.can_approve_policy(user):
        raise PermissionDenied("只有总行可以维护和审批授信政策")


# --- reading ----------------------------------------------------------------------------------


@login_required
@require_GET
def policy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every version, latest date first; the one in force today is marked, approved versions
    not yet in force are "scheduled", older ones "superseded"."""
    _require_reader(request.user)
    today = timezone.localdate()
    in_force = policy_in_force(today)
    versions = list(policy_versions())
    for version in versions:
        version.standing = _standing(version, in_force, today)  # type: ignore[attr-defined]
    context = {
        "versions": versions,
        "in_force": in_force,
        "in_force_rates": _rates(in_force.policy) if in_force is not None else None,
        "today": today,
        "may_edit": roles.can_approve_policy(request.user),
    }
    return render(request, "credit/policy_list.html", context)


def _rates(policy: engine.CreditPolicy) -> dict[str, Any]:
    return {
        "lpr": rate_percent(policy.lpr_bp),
        "floor": rate_percent(policy.floor_bp),
        "ceiling": rate_percent(policy.ceiling_bp),
        "validity_months": policy.validity_months,
    }


def _standing(
    version: CreditPolicyVersion, in_force: CreditPolicyVersion | None, today: date
) -> str:
    if version.status != PolicyStatus.APPROVED:
        return ""
    if in_force is not None and version.pk == in_force.pk:
        return "in_force"
    return "scheduled" if version.effective_from > today else "superseded"


@login_required
@require_GET
def policy_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Every parameter in Chinese, the changes against the version it follows (or another one
    picked with ``?compare=<id>``), and the actions the user may take."""
    _require_reader(request.user)
    version = get_object_or_404(policy_versions(), pk=pk)
    policy = version.policy
    others = [v for v in policy_versions() if v.pk != version.pk]
    compare = _compared(request, version, others)
    today = timezone.localdate()
    may_edit = roles.can_approve_policy(request.user)
    editable = version.status in policies.EDITABLE_STATUSES
    context = {
        "version": version,
        "policy": policy,
        "parameters": policy_parameters(policy),
        "standing": _standing(version, policy_in_force(today), today),
        "compare": compare,
        "changes": engine.policy_diff(compare.policy, policy) if compare is not None else None,
        "others": others,
        "may_edit": may_edit and editable,
        "may_review": may_edit and version.status == PolicyStatus.SUBMITTED,
        "is_maker": request.user.pk in makers(policy_touched_by(version)),
        "approve_form": PolicyApproveForm(auto_id="id_approve_%s"),
        "reject_form": PolicyRejectForm(auto_id="id_reject_%s"),
    }
    return render(request, "credit/policy_detail.html", context)


def _compared(
    request: AuthenticatedHttpRequest,
    version: CreditPolicyVersion,
    others: list[CreditPolicyVersion],
) -> CreditPolicyVersion | None:
    wanted = request.GET.get("compare", "")
    if wanted.isdigit():
        for other in others:
            if other.pk == int(wanted):
                return other
    return policy_previous_approved(version)


def policy_parameters(policy: engine.CreditPolicy) -> list[dict[str, Any]]:
    """The policy as (group, [(label, value), ...]) rows for the page, in the bank's units."""
    caps = [
        (
            f"{grade}级",
            format_rmb(policy.grade_caps[grade]) if grade in policy.grade_caps else "不授信",
        )
        for grade in engine.GRADES
    ]
    spreads = [
        (f"{grade}级", f"+{policy.grade_spreads_bp[grade]}基点")
        for grade in engine.GRADES
        if grade in policy.grade_spreads_bp
    ]
    tiers = [
        (f"第{number}档", f"存款占额度≥{share_percent(share)}，减{bp}基点")
        for number, (share, bp) in enumerate(policy.deposit_discounts, start=1)
    ] or [("—", "无")]
    labels = engine.FIELD_LABELS
    return [
        {
            "title": "额度",
            "rows": [
                (labels["income_multiple"], f"{plain_number(policy.income_multiple)}倍"),
                (labels["asset_multiple"], f"{plain_number(policy.asset_multiple)}倍"),
                (labels["rounding_unit"], f"向下取整到{format_rmb(policy.rounding_unit)}"),
                (labels["online_min"], format_rmb(policy.online_min)),
                (labels["online_max"], format_rmb(policy.online_max)),
                (labels["validity_months"], f"{policy.validity_months}个月"),
            ],
        },
        {"title": labels["grade_caps"], "rows": caps},
        {
            "title": "利率",
            "rows": [
                (labels["lpr_bp"], rate_percent(policy.lpr_bp)),
                (labels["floor_bp"], rate_percent(policy.floor_bp)),
                (
                    labels["ceiling_spread_bp"],
                    f"+{policy.ceiling_spread_bp}基点（上限{rate_percent(policy.ceiling_bp)}）",
                ),
            ],
        },
        {"title": labels["grade_spreads_bp"], "rows": spreads},
        {"title": "经营主体授信", "rows": _entity_rows(policy)},
        {"title": labels["deposit_discounts"], "rows": tiers},
        {
            "title": "其他优惠",
            "rows": [
                (labels["payroll_bp"], f"减{policy.payroll_bp}基点"),
                (labels["mobile_banking_bp"], f"减{policy.mobile_banking_bp}基点"),
                (labels["clean_history_bp"], f"减{policy.clean_history_bp}基点"),
                (labels["contribution_cap_bp"], f"最多减{policy.contribution_cap_bp}基点"),
                (labels["low_income_bp"], f"另减{policy.low_income_bp}基点"),
            ],
        },
    ]


def _entity_rows(policy: engine.CreditPolicy) -> list[tuple[str, str]]:
    labels = engine.FIELD_LABELS
    if not policy.has_entity_rules:
        return [("经营主体授信规则", "未设置：本版本不为经营主体授信")]
    caps = policy.entity_grade_caps or {}
    margins = policy.entity_margins or {}
    return [
        *(
            (f"{labels['entity_grade_caps']}（{grade}级）", format_rmb(caps[grade]))
            for grade in engine.GRADES
            if grade in caps
        ),
        (
            labels["entity_profit_multiple"],
            f"{plain_number(policy.entity_profit_multiple or Decimal(0))}倍",
        ),
        (
            labels["entity_asset_multiple"],
            f"{plain_number(policy.entity_asset_multiple or Decimal(0))}倍",
        ),
        *(
            (f"{labels['entity_margins']}（{label}）", share_percent(margins[kind]))
            for kind, label in engine.ENTITY_KINDS.items()
            if kind in margins
        ),
    ]


@login_required
@require_GET
def policy_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    version = get_object_or_404(CreditPolicyVersion, pk=pk)
    body = json.dumps(version.data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"授信政策-{version.version}.json"
    response["Content-Disposition"] = (
        f'attachment; filename="credit-policy-{version.version}.json"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


# --- drafting ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new draft: the structured form, filled with the policy in force today (or the version
    picked with ``?from=<id>``), or an exported JSON file."""
    _require_editor(request.user)
    form: PolicyForm | None = None
    import_form = PolicyImportForm()
    if request.method == "POST" and request.POST.get("source") == "json":
        import_form = PolicyImportForm(request.POST, request.FILES)
        if import_form.is_valid():
            data = import_form.cleaned_data
            try:
                version = policies.policy_import_json(
                    actor=request.user,
                    data=data["file"].read(),
                    version=data["version"].strip() or None,
                    effective_from=data["effective_from"],
                    note=data["note"],
                )
            except DomainError as error:
                apply_domain_error(import_form, _flattened(error))
            else:
                messages.success(request, f"已导入为草稿：{version}")
                return redirect("credit:policy", pk=version.pk)
    elif request.method == "POST":
        form = PolicyForm(request.POST, tier_rows=PolicyForm.tier_rows_posted(request.POST))
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = policies.policy_draft_create(
                    actor=request.user,
                    version=data["version"],
                    effective_from=data["effective_from"],
                    data=form.policy_data(),
                    note=data["note"],
                )
            except DomainError as error:
                form.apply_domain_error(error)
            else:
                messages.success(request, f"已保存草稿：{version}，请检查后提交审批")
                return redirect("credit:policy", pk=version.pk)
    if form is None:
        form = _copy_form(request)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "import_form": import_form, "version": None, "groups": GROUPS}
    return render(request, "credit/policy_form.html", context, status=status)


def _copy_form(request: AuthenticatedHttpRequest) -> PolicyForm:
    """The form filled with the source version's numbers, a blank label and the first date a
    new version may take."""
    today = timezone.localdate()
    wanted = request.GET.get("from", "")
    source = None
    if wanted.isdigit():
        source = CreditPolicyVersion.objects.filter(pk=int(wanted)).first()
    source = source or policy_in_force(today) or policy_latest_approved()
    data = source.data if source is not None else engine.DEFAULT_POLICY_JSON
    latest = policy_latest_approved()
    first_free = latest.effective_from + timedelta(days=1) if latest is not None else today
    initial = {"version": "", "effective_from": max(today, first_free)}
    return PolicyForm.for_policy(data, initial=initial)


def _flattened(error: DomainError) -> DomainError:
    """A refused import names the engine's fields, which the import form lacks: keep the
    version and date on their fields and put the rest at the top, labelled."""
    errors: dict[str, list[str]] = {}
    for name, messages_ in error.errors.items():
        if name in ("version", "effective_from", "file"):
            errors.setdefault(name, []).extend(messages_)
        else:
            label = engine.FIELD_LABELS.get(name)
            errors.setdefault("__all__", []).extend(
                f"{label}：{m}" if label else m for m in messages_
            )
    return DomainError(errors)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    version = get_object_or_404(CreditPolicyVersion, pk=pk)
    if version.status not in policies.EDITABLE_STATUSES:
        messages.error(
            request,
            f"授信政策{version.version}为“{version.get_status_display()}”，不能修改；"
            "如需调整请起草新版本",
        )
        return redirect("credit:policy", pk=version.pk)
    if request.method == "POST":
        form = PolicyForm(request.POST, tier_rows=PolicyForm.tier_rows_posted(request.POST))
        if form.is_valid():
            data = form.cleaned_data
            try:
                policies.policy_update_draft(
                    actor=request.user,
                    policy=version,
                    data=form.policy_data(),
                    version=data["version"],
                    effective_from=data["effective_from"],
                    note=data["note"],
                )
            except DomainError as error:
                form.apply_domain_error(error)
            else:
                messages.success(request, "草稿已保存")
                return redirect("credit:policy", pk=version.pk)
        status = 400
    else:
        form = PolicyForm.for_policy(version.data, note=version.note)
        status = 200
    context = {"form": form, "import_form": None, "version": version, "groups": GROUPS}
    return render(request, "credit/policy_form.html", context, status=status)


# --- maker-checker ----------------------------------------------------------------------------


def _policy_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    _require_editor(request.user)
    version = get_object_or_404(CreditPolicyVersion, pk=pk)
    note = request.POST.get("review_note", "")
    try:
        if action == "submit":
            policies.policy_submit(actor=request.user, policy=version)
            messages.success(request, "已提交审批，需由另一位总行用户批准")
        elif action == "approve":
            version = policies.policy_approve(actor=request.user, policy=version, note=note)
            messages.success(
                request,
                f"授信政策{version.version}已批准，自{version.effective_from:%Y-%m-%d}起生效；"
                "此前已发放的授信额度仍按原政策执行",
            )
        else:
            policies.policy_reject(actor=request.user, policy=version, note=note)
            messages.success(request, "授信政策已退回起草人")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("credit:policy", pk=version.pk)


@login_required
@require_POST
def policy_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _policy_action(request, pk, "submit")


@login_required
@require_POST
def policy_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _policy_action(request, pk, "approve")


@login_required
@require_POST
def policy_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _policy_action(request, pk, "reject")


urlpatterns: list[URLPattern] = [
    path("policies/", policy_list, name="policies"),
    path("policies/new/", policy_new, name="policy_new"),
    path("policies/<int:pk>/", policy_detail, name="policy"),
    path("policies/<int:pk>/edit/", policy_edit, name="policy_edit"),
    path("policies/<int:pk>/submit/", policy_submit, name="policy_submit"),
    path("policies/<int:pk>/approve/", policy_approve, name="policy_approve"),
    path("policies/<int:pk>/reject/", policy_reject, name="policy_reject"),
    path("policies/<int:pk>/export/", policy_export, name="policy_export"),
]
