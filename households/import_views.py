"""Back-office pages for spreadsheet import (with a live progress bar) and export."""

from __future__ import annotations

from typing import IO, Any, cast
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households import import_selectors, imports, selectors
from households.forms import BootstrapMixin, HouseholdSearchForm, apply_domain_error
from households.imports import export
from households.imports.columns import write_template
from households.models import ExportJob, ImportKind, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="导入类型", choices=ImportKind.choices)
    file = forms.FileField(
        label="文件",
        help_text="使用下方模板填写；支持 .xlsx、.xls 和 .csv（UTF-8 或 GBK 编码均可）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    dry_run = forms.BooleanField(label="只校验，不写入（先看看有哪些错误）", required=False)


@login_required
def import_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not roles.can_edit_archives(request.user):
        raise PermissionDenied("您的角色不能导入档案")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_start(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect("households:import_job", pk=job.pk)
    jobs = import_selectors.import_jobs_visible_to(request.user)[:20]
    return render(
        request,
        "households/import_start.html",
        {"form": form, "jobs": jobs, "kinds": ImportKind.choices},
    )


def _job(request: AuthenticatedHttpRequest, pk: int) -> Any:
    try:
        return import_selectors.import_jobs_visible_to(request.user).get(pk=pk)
    except imports.ImportJob.DoesNotExist as exc:
        raise Http404("未找到该导入任务") from exc


@login_required
def import_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(request, "households/import_job.html", {"job": job})


@login_required
def import_job_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled by the page every second while the job runs; reloads the page when it ends."""
    job = _job(request, pk)
    response = render(request, "households/_import_progress.html", {"job": job})
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_report(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if job.uploaded_by_id != request.user.pk:
        raise PermissionDenied("错误报告含有身份证号等原始数据，只有上传人可以下载")
    if not job.report:
        raise Http404("该任务没有错误报告，或已超过保存期限被删除")
    audit_record(
        action=AuditAction.EXPORT,
        actor=request.user,
        target=job,
        target_label=f"导入错误报告 {job.original_name}"[:200],
        audit=AuditContext.from_request(request),
        details={"import_job": job.pk, "rejected_rows": job.rejected_count},
    )
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"{job.original_name.rsplit('.', 1)[0]}-错误报告.xlsx",
        content_type=XLSX,
    )


@login_required
def import_template(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    if kind not in ImportKind.values:
        raise Http404("没有这种模板")
    response = HttpResponse(content_type=XLSX)
    write_template(kind, cast(IO[bytes], response))
    label = ImportKind(kind).label.replace("/", "、")
    response["Content-Disposition"] = _attachment(f"{label}导入模板.xlsx")
    return response


def _attachment(filename: str) -> str:

    return f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"


@login_required
@require_POST
def household_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queue an export of the household list as filtered on the list page (the filters come
    along as the list's query string); the job page shows progress and the download."""
    villages = selectors.villages_visible_to(request.user)
    form = HouseholdSearchForm(QueryDict(request.POST.get("query", "")), villages=villages)
    filters = form.filters()
    try:
        job = export.export_job_start(
            actor=request.user,
            filters=filters,
            unmasked=request.POST.get("unmasked") == "1",
            audit=AuditContext.from_request(request),
        )
    except DomainError as error:
        raise PermissionDenied(error.message) from error
    return redirect("households:export_job", pk=job.pk)


def _export(request: AuthenticatedHttpRequest, pk: int) -> Any:
    try:
        return export.exports_visible_to(request.user).get(pk=pk)
    except ExportJob.DoesNotExist as exc:
        raise Http404("未找到该导出任务") from exc


@login_required
def export_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render(request, "households/export_job.html", {"job": _export(request, pk)})


@login_required
def export_job_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _export(request, pk)
    response = render(request, "households/_export_progress.html", {"job": job})
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
def export_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = _export(request, pk)
    if not job.file:
        raise Http404("文件尚未生成，或已超过保存期限被删除")
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file.name.rsplit("/", 1)[-1],
        content_type=XLSX,
    )
    response["Cache-Control"] = "private, no-store"
    return response
