"""Back office of the QR lookup: codes (make, revoke, PNG/SVG, poster page and PDF), a
township's posters as one ZIP, the officer's service phone, the SMS outbox (development and
demo only) and the scan statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import Model
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role, User
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.models import Grid, Township, Village
from households.selectors import grids_visible_to, villages_visible_to
from qrlookup import posters, qrcodes
from qrlookup.models import BatchStatus, OfficerContact, PosterBatch, QrCode, SmsOutboxMessage
from qrlookup.qrcode_selectors import qrcodes_visible_to
from qrlookup.stats_selectors import lookup_stats, lookup_totals

M = TypeVar("M", bound=Model)
STATS_DAYS = 30


def _staff(request: AuthenticatedHttpRequest) -> None:
    if not roles.can_view_credit(request.user):
        raise Forbidden("仅限本行员工")


def _base_url(request: AuthenticatedHttpRequest) -> str:
    return settings.QRLOOKUP_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _code(request: AuthenticatedHttpRequest, pk: int) -> QrCode:
    try:
        return qrcodes_visible_to(request.user).get(pk=pk)
    except QrCode.DoesNotExist as exc:
        raise Http404("未找到该二维码，或您无权访问") from exc


def _refuse(request: AuthenticatedHttpRequest, error: DomainError) -> None:
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, PermissionDenied):
        raise Forbidden(error.message)
    messages.error(request, error.message)


@login_required
@require_GET
def code_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _staff(request)
    codes = list(qrcodes_visible_to(request.user).filter(revoked_at__isnull=True))
    coded = {c.village_id for c in codes if c.village_id}
    villages = villages_visible_to(request.user).order_by("code")
    grids = grids_visible_to(request.user).prefetch_related("officers")
    townships = Township.objects.filter(
        villages__in=villages_visible_to(request.user).values("pk")
    ).distinct()
    contact = OfficerContact.objects.filter(officer=request.user).first()
    return render(
        request,
        "qrlookup/code_list.html",
        {
            "codes": codes,
            "uncoded": [v for v in villages if v.pk not in coded and v.grid_id],
            "grids": grids,
            "townships": townships,
            "can_manage": qrcodes._may_manage_codes(request.user),
            "is_officer": request.user.role == Role.OFFICER,
            "contact": contact,
            "base_url": _base_url(request),
        },
    )


@login_required
@require_POST
def code_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    try:
        village = _row(Village, request.POST.get("village"))
        grid = _row(Grid, request.POST.get("grid"))
        officer = _row(User, request.POST.get("officer"))
        code = qrcodes.qrcode_create(
            actor=request.user, kind=kind, village=village, grid=grid, officer=officer,
            audit=AuditContext.from_request(request),
        )  # fmt: skip
    except DomainError as error:
        _refuse(request, error)
    else:
        messages.success(request, f"已生成二维码：{code}")
    return redirect("qrlookup:codes")


def _row(model: type[M], value: Any) -> M | None:
    """The row whose primary key the form posted, or ``None`` (no such row, or not a number)."""
    pk = _int(value)
    return None if pk is None else model._default_manager.filter(pk=pk).first()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def code_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    code = _code(request, pk)
    try:
        qrcodes.qrcode_revoke(
            actor=request.user, code=code, audit=AuditContext.from_request(request)
        )
    except DomainError as error:
        _refuse(request, error)
    else:
        messages.success(request, f"已作废：{code}，原二维码从此无法使用")
    return redirect("qrlookup:codes")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"qrcode\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _live(code: QrCode) -> QrCode:
    if not code.is_live:
        raise Http404("该二维码已作废")
    return code


@login_required
@require_GET
def code_png(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    code = _live(_code(request, pk))
    url = posters.public_url(code, _base_url(request))
    return _download(posters.qr_png(url), "image/png", f"{code}.png")


@login_required
@require_GET
def code_svg(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    code = _live(_code(request, pk))
    url = posters.public_url(code, _base_url(request))
    return _download(posters.qr_svg(url), "image/svg+xml", f"{code}.svg")


@login_required
@require_GET
def code_poster(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The A4 poster as a page to print from the browser."""
    code = _live(_code(request, pk))
    context = posters.poster_context(code, _base_url(request))
    return render(request, "qrlookup/poster.html", {"code": code, **context})


@login_required
@require_GET
def code_poster_image(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The code as an inline image for the print page (not an attachment)."""
    code = _live(_code(request, pk))
    url = posters.public_url(code, _base_url(request))
    return HttpResponse(posters.qr_svg(url), content_type="image/svg+xml")


@login_required
@require_GET
def code_poster_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    code = _live(_code(request, pk))
    pdf = posters.poster_pdf(code, _base_url(request))
    return _download(pdf, "application/pdf", posters.poster_filename(code))


# --- a township's posters ---------------------------------------------------------------------


@login_required
@require_POST
def poster_batch_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    township = _row(Township, request.POST.get("township"))
    if township is None:
        raise Http404("未找到该乡镇")
    try:
        batch = posters.poster_batch_start(
            actor=request.user, township=township, base_url=_base_url(request)
        )
    except DomainError as error:
        _refuse(request, error)
        return redirect("qrlookup:codes")
    return redirect("qrlookup:poster_batch", pk=batch.pk)


def _batch(request: AuthenticatedHttpRequest, pk: int) -> PosterBatch:
    try:
        return PosterBatch.objects.select_related("township").get(pk=pk, requested_by=request.user)
    except PosterBatch.DoesNotExist as exc:
        raise Http404("未找到该任务") from exc


@login_required
@require_GET
def poster_batch(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render(request, "qrlookup/poster_batch.html", {"batch": _batch(request, pk)})


@login_required
@require_GET
def poster_batch_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled every second while the ZIP is written; reloads the page when it ends."""
    batch = _batch(request, pk)
    response = render(request, "qrlookup/_poster_progress.html", {"batch": batch})
    if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def poster_batch_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    batch = _batch(request, pk)
    if not batch.file:
        raise Http404("文件尚未生成")
    return FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=(batch.file.name or "").rsplit("/", 1)[-1],
        content_type="application/zip",
    )


# --- the officer's service phone --------------------------------------------------------------


@login_required
@require_POST
def contact_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        qrcodes.officer_contact_set(actor=request.user, phone=request.POST.get("phone", ""))
    except DomainError as error:
        _refuse(request, error)
    else:
        messages.success(request, "服务电话已保存，将印在您的海报和村民查询结果页上")
    return redirect("qrlookup:codes")


# --- the SMS outbox (development and demo) ----------------------------------------------------


@login_required
@require_GET
def outbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the outbox backend "sent" in the last hour, so that a newcomer can finish the
    lookup in the demo. Exists only with ``QRLOOKUP_SMS_BACKEND=outbox``; in a process
    started without DEBUG (where the outbox refuses to send) only head office sees it."""
    if settings.QRLOOKUP_SMS_BACKEND != "outbox":
        raise Http404("短信发件箱仅在开发和演示环境中可用")
    _staff(request)
    if not settings.SMS_OUTBOX_USABLE and request.user.role != Role.HEAD_OFFICE:
        raise Http404("短信发件箱仅在开发和演示环境中可用")  # DEBUG off: head office only
    since = timezone.now() - timedelta(hours=1)
    recent = SmsOutboxMessage.objects.filter(created_at__gte=since)[:50]
    response = render(request, "qrlookup/outbox.html", {"outbox": recent})
    response["Cache-Control"] = "no-store, private"
    return response


# --- statistics -------------------------------------------------------------------------------


@login_required
@require_GET
def stats(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Scans and verified lookups of the last 30 days by village, grid, officer or day."""
    _staff(request)
    by = request.GET.get("by", "village")
    if by not in ("village", "grid", "officer", "day"):
        by = "village"
    end = timezone.localdate()
    start = end - timedelta(days=STATS_DAYS - 1)
    rows = lookup_stats(user=request.user, start=start, end=end, by=by)
    names: dict[Any, str] = {}
    keys = [r["key"] for r in rows if r["key"] is not None]
    if by == "village":
        names = dict(Village.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "grid":
        names = dict(Grid.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "officer":
        names = {u.pk: u.display_name for u in User.objects.filter(pk__in=keys)}
    for row in rows:
        row["label"] = (
            names.get(row["key"], "（客户经理码）" if by == "village" else "—")
            if by != "day"
            else f"{row['key']:%Y-%m-%d}"
        )
    return render(
        request,
        "qrlookup/stats.html",
        {
            "rows": rows,
            "by": by,
            "start": start,
            "end": end,
            "totals": lookup_totals(user=request.user, start=start, end=end),
        },
    )
