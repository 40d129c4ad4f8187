"""Back-office pages for spreadsheet import (with a live progress bar) and export."""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households import imports, selectors
from households.forms import BootstrapMixin, HouseholdSearchForm, apply_domain_error
from households.imports.columns import write_template
from households.imports.export import households_export
from households.models import ImportKind, ImportStatus

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
def import_start(request: HttpRequest) -> HttpResponse:
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
    jobs = imports.import_jobs_visible_to(request.user)[:20]
    return render(
        request,
        "households/import_start.html",
        {"form": form, "jobs": jobs, "kinds": ImportKind.choices},
    )


def _job(request: HttpRequest, pk: int) -> Any:
    try:
        return imports.import_jobs_visible_to(request.user).get(pk=pk)
    except imports.ImportJob.DoesNotExist as exc:
        raise Http404("未找到该导入任务") from exc


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(request, "households/import_job.html", {"job": job})


@login_required
def import_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by the page every second while the job runs; reloads the page when it ends."""
    job = _job(request, pk)
    response = render(request, "households/_import_progress.html", {"job": job})
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_report(request: HttpRequest, pk: int) -> FileResponse:
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
        request=request,
        details={"import_job": job.pk, "rejected_rows": job.rejected_count},
    )
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"{job.original_name.rsplit('.', 1)[0]}-错误报告.xlsx",
        content_type=XLSX,
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ImportKind.values:
        raise Http404("没有这种模板")
    response = HttpResponse(content_type=XLSX)
    write_template(kind, response)
    label = ImportKind(kind).label.replace("/", "、")
    response["Content-Disposition"] = _attachment(f"{label}导入模板.xlsx")
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"


@login_required
def household_export(request: HttpRequest) -> HttpResponse:
    """The household list as filtered on the list page, in the import template's layout."""
    villages = selectors.villages_visible_to(request.user)
    form = HouseholdSearchForm(request.GET or None, villages=villages)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "name": data["name"],
            "id_suffix": data["id_suffix"],
            "village_id": data["village"].pk if data["village"] else None,
            "status": data["status"],
        }
    households = selectors.household_list(user=request.user, **filters)
    unmasked = request.GET.get("unmasked") == "1"
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (handed to FileResponse, which closes it)
    try:
        households_export(
            actor=request.user,
            households=households,
            unmasked=unmasked,
            stream=spool,
            request=request,
            # the searched name is personal data: the log keeps only where and what status
            filters={k: v for k, v in filters.items() if v and k in ("village_id", "status")},
        )
    except DomainError as error:
        spool.close()
        if error.code == "forbidden":
            raise PermissionDenied(error.message) from error
        messages.error(request, error.message)
        return redirect(f"{request.path.replace('export/', '')}?{request.GET.urlencode()}")
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    kind = "完整" if unmasked else "脱敏"
    response = FileResponse(spool, content_type=XLSX)
    response["Content-Disposition"] = _attachment(f"农户档案-{kind}-{stamp}.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response
