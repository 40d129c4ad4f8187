"""The audit log for auditors and head office: list and filter, never edit."""

from __future__ import annotations

import io
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook

from fuxiang.accounts import roles
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.audit.presenting import present
from fuxiang.audit.services import audit_record
from fuxiang.pagination import BoundedPaginator
from fuxiang.spreadsheets import append_row


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人账号", required=False)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部"), *AuditAction.choices]
    )
    target = forms.CharField(label="对象编号", required=False)
    date_from = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css


EXPORT_LIMIT = 50_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADERS = ["时间", "操作人", "操作", "对象类型", "对象", "对象编号", "来源IP", "详情"]


def _require_auditor(request: HttpRequest) -> None:
    if not roles.can_view_audit_log(request.user):
        raise PermissionDenied("只有审计员和总行管理员可以查看审计日志")


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    events = AuditEvent.objects.select_related("actor")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor_label=data["actor"].strip())
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["target"]:
            events = events.filter(target_id=data["target"].strip())
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(
                occurred_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz)
            )
        if data["date_to"]:
            events = events.filter(
                occurred_at__lte=datetime.combine(data["date_to"], time.max, tzinfo=tz)
            )
    return form, events


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    form, events = _filtered(request)
    page = BoundedPaginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": present(page.object_list),
            "query": query.urlencode(),
        },
    )


@login_required
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as an .xlsx (at most ``EXPORT_LIMIT`` events, newest first); the
    export is itself an audit event, with the filter it used."""
    _require_auditor(request)
    form, events = _filtered(request)
    rows = present(events[:EXPORT_LIMIT])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    append_row(sheet, EXPORT_HEADERS)
    for row in rows:
        event = row.event
        append_row(
            sheet,
            [
                timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                row.actor,
                row.action,
                row.object_kind,
                row.object_label,
                event.target_id,
                event.ip_address or "",
                row.details_text,
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    used = {
        k: str(v)
        for k, v in (form.cleaned_data if form.is_bound and form.is_valid() else {}).items()
        if v
    }
    audit_record(
        action=AuditAction.AUDIT_EXPORT,
        actor=request.user,
        target_label=f"审计日志 {len(rows)}条",
        audit=AuditContext.from_request(request),
        details={"rows": len(rows), "filter": used},
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"审计日志-{stamp}.xlsx"
    )
    response["Cache-Control"] = "private, no-store"
    return response
