"""Head office's pages of the platform link: the deliveries (with re-send), one delivery and
its attempts, the events back (with the nightly file's upload and row report), the
reconciliation's differences (with resolve). Head office and auditors read; only head office
acts (auditors have no buttons; a POST from them answers 403)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fuxiang.accounts import roles
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from loans.models import (
    Delivery,
    DeliveryStatus,
    Difference,
    InboundEvent,
    InboundStatus,
    LoanProduct,
    Platform,
    PlatformFileImport,
    ReconciliationRun,
)
from loans.platform import deliveries, inbound, inbound_files, reconciliation

PAGE_SIZE = 30


def _can_read(user: Any) -> bool:
    return roles.can_view_audit_log(user)  # head office and auditors


def _can_act(user: Any) -> bool:
    return roles.can_import_repayments(user)  # head office


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class EventFileForm(forms.Form):
    platform = forms.ModelChoiceField(Platform.objects.filter(active=True), label="平台")
    file = forms.FileField(label="事件文件（CSV或XLSX）")
    sha256 = forms.CharField(label="清单中的SHA-256", max_length=64, min_length=64)


class ResolveForm(forms.Form):
    note = forms.CharField(label="处理说明", max_length=300)


@login_required
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    if not _can_read(request.user):
        return HttpResponse("只有总行和审计可以查看平台交付", status=403)
    rows = Delivery.objects.select_related("platform", "product").order_by("-created_at", "-id")
    status = request.GET.get("status", "")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "loans/platform/delivery_list.html",
        {
            "page": _page(request, rows),
            "status": status,
            "statuses": DeliveryStatus.choices,
            "platforms": Platform.objects.prefetch_related("products").order_by("code"),
            "dead": Delivery.objects.filter(status=DeliveryStatus.DEAD).count(),
            "open_differences": Difference.objects.filter(resolved=False).count(),
            "can_act": _can_act(request.user),
        },
    )


@login_required
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not _can_read(request.user):
        return HttpResponse("只有总行和审计可以查看平台交付", status=403)
    delivery = get_object_or_404(Delivery.objects.select_related("platform", "product"), pk=pk)
    return render(
        request,
        "loans/platform/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": delivery.attempt_log.order_by("number"),
            "can_act": _can_act(request.user),
        },
    )


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    if not _can_act(request.user):
        return HttpResponse("只有总行可以重发", status=403)
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        deliveries.delivery_resend(
            actor=request.user, delivery=delivery, audit=AuditContext.from_request(request)
        )
        messages.success(request, "已重新发送，结果见尝试记录")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("loans:platform_delivery", pk=pk)


@login_required
@require_POST
def delivery_create(request: HttpRequest) -> HttpResponse:
    """Head office starts a push or writes a file for a platform and product."""
    if not _can_act(request.user):
        return HttpResponse("只有总行可以发起交付", status=403)
    platform = get_object_or_404(Platform, pk=request.POST.get("platform"))
    product = get_object_or_404(LoanProduct, pk=request.POST.get("product"))
    kind = request.POST.get("kind", "push")
    try:
        if kind == "push":
            made = deliveries.delivery_push_create(
                platform=platform,
                product=product,
                actor=request.user,
                full=request.POST.get("full") == "1",
            )
            if made is None:
                messages.info(request, "平台已是最新版本，无需推送")
                return redirect("loans:platform_deliveries")
        else:
            made = deliveries.delivery_file_create(
                platform=platform,
                product=product,
                file_format="xlsx" if kind == "xlsx" else "csv",
                actor=request.user,
            )
        messages.success(request, "已创建交付")
        return redirect("loans:platform_delivery", pk=made.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("loans:platform_deliveries")


@login_required
@require_GET
def delivery_file(request: HttpRequest, pk: int) -> HttpResponse:
    if not _can_act(request.user):
        return HttpResponse("只有总行可以下载交付文件", status=403)
    delivery = get_object_or_404(Delivery, pk=pk, kind="file")
    return FileResponse(
        open(delivery.file_path, "rb"),
        as_attachment=True,
        filename=delivery.manifest.get("file", f"whitelist-{pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_list(request: HttpRequest) -> HttpResponse:
    if not _can_read(request.user):
        return HttpResponse("只有总行和审计可以查看平台事件", status=403)
    form = EventFileForm(request.POST or None, request.FILES or None)
    batch = None
    if request.method == "POST":
        if not _can_act(request.user):
            return HttpResponse("只有总行可以导入平台事件文件", status=403)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            batch = inbound_files.platform_file_import(
                platform=form.cleaned_data["platform"],
                content=upload.read(),
                file_name=upload.name,
                declared_sha256=form.cleaned_data["sha256"],
                actor=request.user,
            )
    events = InboundEvent.objects.select_related("platform").order_by("-received_at", "-id")
    status = request.GET.get("status", "")
    if status in InboundStatus.values:
        events = events.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "loans/platform/event_list.html",
        {
            "page": _page(request, events),
            "status": status,
            "statuses": InboundStatus.choices,
            "form": form,
            "batch": batch,
            "imports": PlatformFileImport.objects.select_related("platform")[:10],
            "can_act": _can_act(request.user),
        },
    )


@login_required
@require_POST
def event_retry(request: HttpRequest, pk: int) -> HttpResponse:
    if not _can_act(request.user):
        return HttpResponse("只有总行可以重新处理平台事件", status=403)
    event = get_object_or_404(InboundEvent, pk=pk)
    try:
        event = inbound.event_retry(
            actor=request.user, event=event, audit=AuditContext.from_request(request)
        )
        if event.status == InboundStatus.APPLIED:
            messages.success(request, "已重新处理并入账")
        else:
            messages.error(request, event.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("loans:platform_events")


@login_required
@require_http_methods(["GET", "POST"])
def difference_list(request: HttpRequest) -> HttpResponse:
    if not _can_read(request.user):
        return HttpResponse("只有总行和审计可以查看对账差异", status=403)
    if request.method == "POST":
        if not _can_act(request.user):
            return HttpResponse("只有总行可以处理对账差异", status=403)
        difference = get_object_or_404(Difference, pk=request.POST.get("difference"))
        form = ResolveForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError({"note": "请填写处理说明"})
            reconciliation.difference_resolve(
                actor=request.user,
                difference=difference,
                note=form.cleaned_data["note"],
                audit=AuditContext.from_request(request),
            )
            messages.success(request, "已标记为已处理")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("loans:platform_differences")
    rows = Difference.objects.select_related(
        "platform", "product", "contract", "loan", "run", "resolved_by"
    )
    show = request.GET.get("show", "open")
    if show != "all":
        rows = rows.filter(resolved=False)
    return render(
        request,
        "loans/platform/difference_list.html",
        {
            "page": _page(request, rows),
            "show": show,
            "runs": ReconciliationRun.objects.select_related("platform")[:10],
            "can_act": _can_act(request.user),
        },
    )


urlpatterns: list[URLPattern] = [
    path("platform/", delivery_list, name="platform_deliveries"),
    path("platform/deliveries/new/", delivery_create, name="platform_delivery_create"),
    path("platform/deliveries/<int:pk>/", delivery_detail, name="platform_delivery"),
    path("platform/deliveries/<int:pk>/resend/", delivery_resend, name="platform_resend"),
    path("platform/deliveries/<int:pk>/file/", delivery_file, name="platform_delivery_file"),
    path("platform/events/", event_list, name="platform_events"),
    path("platform/events/<int:pk>/retry/", event_retry, name="platform_event_retry"),
    path("platform/differences/", difference_list, name="platform_differences"),
]
