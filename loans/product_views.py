"""Back-office pages of the products: the list with signed and drawn totals (within the user's
scope), a product's versions and whitelist versions, and head office's drafting and two-person
approval of versions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from fuxiang.refusals import refusal_raise
from households.forms import apply_domain_error
from loans import products as services
from loans.ledger_selectors import product_totals
from loans.models import LoanProduct, LoanProductVersion, VersionStatus
from loans.product_forms import ProductVersionForm
from loans.whitelist_selectors import whitelist_versions


@login_required
@require_GET
def product_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    totals = product_totals(request.user)
    rows = []
    for product in LoanProduct.objects.order_by("pk"):
        version = product.versions.filter(status=VersionStatus.APPROVED).first()
        rows.append((product, version, totals.get(product.pk, {})))
    return render(request, "loans/product_list.html", {"rows": rows})


@login_required
@require_GET
def product_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(LoanProduct, pk=pk)
    return render(
        request,
        "loans/product_detail.html",
        {
            "product": product,
            "versions": product.versions.select_related(
                "created_by", "submitted_by", "reviewed_by"
            ).order_by("-version"),
            "whitelists": whitelist_versions(product.pk)[:20],
            "can_edit": roles.can_approve_policy(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not roles.can_approve_policy(request.user):
        return HttpResponse("只有总行可以维护贷款产品", status=403)
    product = get_object_or_404(LoanProduct, pk=pk)
    current = product.versions.filter(status=VersionStatus.APPROVED).first()
    form = ProductVersionForm(
        request.POST or None, initial=ProductVersionForm.initial_from(current)
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.product_version_create(
                actor=request.user,
                product=product,
                fields=form.cleaned_data,
                audit=AuditContext.from_request(request),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, f"已起草第{version.version}版（草稿），提交后由另一位总行人员审批"
            )
            return redirect("loans:product", pk=product.pk)
    return render(request, "loans/product_version_form.html", {"form": form, "product": product})


@login_required
@require_POST
def version_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    version = LoanProductVersion.objects.filter(pk=pk).select_related("product").first()
    if version is None:
        raise Http404("未找到该版本")
    try:
        if action == "submit":
            services.product_version_submit(
                actor=request.user, version=version, audit=AuditContext.from_request(request)
            )
        elif action in ("approve", "reject"):
            services.product_version_review(
                actor=request.user,
                version=version,
                approve=action == "approve",
                note=request.POST.get("note", ""),
                audit=AuditContext.from_request(request),
            )
        else:
            raise Http404("未知操作")
    except DomainError as exc:
        refusal_raise(exc)
        if exc.code == "maker_checker":
            return HttpResponse(exc.message, status=403)
        messages.error(request, exc.message)
    else:
        messages.success(request, "已保存")
    return redirect("loans:product", pk=version.product_id)


urlpatterns: list[URLPattern] = [
    path("", product_list, name="products"),
    path("products/<int:pk>/", product_detail, name="product"),
    path("products/<int:pk>/versions/new/", version_create, name="version_create"),
    path(
        "versions/<int:pk>/<str:action>/",
        version_action,
        name="version_action",
    ),
]
