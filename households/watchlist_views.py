"""Back-office pages for the official watch lists: head office imports them; head office and
auditors browse them. Officers and managers see matches only on their households' pages."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from fuxiang.pagination import BoundedPaginator
from fuxiang.refusals import refusal_raise
from households import watchlist_selectors, watchlists
from households.forms import BootstrapMixin, apply_domain_error
from households.models import WatchlistKind
from households.spreadsheets.writing import append_row

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_viewer(request: AuthenticatedHttpRequest) -> None:
    if not (roles.can_manage_watchlists(request.user) or roles.sees_everything(request.user)):
        raise PermissionDenied("名单只有总行和审计人员可以查看；客户经理请在农户档案中查看名单匹配")


def _require_manager(request: AuthenticatedHttpRequest) -> None:
    if not roles.can_manage_watchlists(request.user):
        raise PermissionDenied("只有总行可以导入名单")


class WatchlistFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="名单类型", required=False, choices=[("", "全部"), *WatchlistKind.choices]
    )
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("active", "在列"), ("lifted", "已移出")],
    )
    upload = forms.IntegerField(label="名单文件编号", required=False, min_value=1)


class WatchlistUploadForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="名单类型", choices=WatchlistKind.choices)
    source = forms.CharField(
        label="名单来源",
        max_length=100,
        help_text="如“攸县人民法院”“县民政局”；文件中“来源”列为空的行使用此来源",
    )
    file = forms.FileField(
        label="名单文件",
        help_text=(
            "Excel（.xlsx）或 CSV（UTF-8/GBK 编码）；列：身份证号码、姓名、来源、列入日期、移出日期"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件不能超过20MB；请分成几个文件导入")
        return upload


@login_required
def watchlist_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_viewer(request)
    form = WatchlistFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"kind": data["kind"], "state": data["state"], "upload_id": data["upload"]}
    as_of = timezone.localdate()
    entries = watchlist_selectors.watchlist_entries(as_of=as_of, **filters)
    page = BoundedPaginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "households/watchlist_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "as_of": as_of,
            "counts": watchlist_selectors.watchlist_active_match_counts(),
            "uploads": watchlist_selectors.watchlist_uploads()[:10],
            "can_manage_watchlists": roles.can_manage_watchlists(request.user),
        },
    )


@login_required
def watchlist_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_manager(request)
    form = WatchlistUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = watchlists.watchlist_import(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                source=form.cleaned_data["source"],
                stream=upload,
                filename=upload.name,
                as_of=timezone.localdate(),
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            refusal_raise(error)
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                f"名单已导入：有效 {result.accepted} 行，拒绝 {result.rejected_rows} 行；"
                f"新匹配 {result.recheck['matched']} 人",
            )
            form = WatchlistUploadForm(initial=form.cleaned_data)
    return render(request, "households/watchlist_upload.html", {"form": form, "result": result})


@login_required
def watchlist_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An empty list workbook with the expected headers and an instructions sheet."""
    _require_viewer(request)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  (a new workbook always has one sheet)
    sheet.title = "名单"
    required = set(watchlists.REQUIRED_COLUMNS)
    append_row(
        sheet, [f"{name}*" if name in required else name for name in watchlists.TEMPLATE_COLUMNS]
    )
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell, width in zip(sheet[1], (24, 24, 24, 14, 14, 24), strict=True):
        cell.font = Font(bold=True)
        cell.fill = header_fill
        sheet.column_dimensions[cell.column_letter].width = width
    for number in range(2, 1002):  # IDs as text, or Excel turns them into 4.30223E+17
        sheet.cell(row=number, column=1).number_format = "@"
        sheet.cell(row=number, column=6).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 80
    append_row(notes, ["列", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in (
        (
            "身份证号码",
            "个人填写18位居民身份证号码，最后一位可为X；请把此列设为“文本”格式",
        ),
        ("姓名*", "与名单一致的姓名；企业填写企业名称"),
        ("来源", "可不填；不填时使用导入页面上填写的名单来源"),
        ("列入日期*", "写作 2024-05-01、2024/5/1 或 2024年5月1日"),
        ("移出日期", "可不填；已移出名单的人员填写移出日期，系统据此解除匹配"),
        (
            "统一社会信用代码",
            "仅失信被执行人名单：被列入的是企业时填写其18位统一社会信用代码（身份证号码留空）；"
            "系统按代码匹配已建档的经营主体",
        ),
        ("", ""),
        (
            "注意",
            "每行填写身份证号码或统一社会信用代码之一；同一文件中每人（每个企业）只能出现一次；"
            "带*的列必填；第一行表头不要修改",
        ),
        (
            "",
            "同一人同一列入日期再次导入时只更新姓名、来源和移出日期，重复导入同一文件不会改变数据",
        ),
        ("", "再次列入名单的人员请填写新的列入日期，系统会作为新的名单记录"),
    ):
        append_row(notes, row)
    for line in notes.iter_rows(min_row=2):
        line[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="名单导入模板.xlsx"
    )
    return response
