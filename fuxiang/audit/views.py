"""The audit log for auditors and head office: list and filter, never edit."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction, AuditEvent


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

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not roles.can_view_audit_log(request.user):
        raise PermissionDenied("只有审计员和总行管理员可以查看审计日志")
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
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/audit_log.html", {"form": form, "page": page, "query": query.urlencode()}
    )
