"""QR code images and posters: PNG and SVG of a code, an A4 poster as PDF (reportlab: pure
Python, no OS packages), and every poster of a township in one ZIP built by a Celery worker.

The poster's Chinese is set in the CJK font every PDF uses (``fuxiang.pdf.cjk_font``: one found
on the machine, embedded as a subset, or reportlab's built-in ``STSong-Light``, which PDF
readers supply themselves — so a fresh machine with only Python still makes it)."""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fuxiang.errors import NotFound, PermissionDenied
from fuxiang.pdf import cjk_font
from households.models import Township
from households.selectors import villages_visible_to
from qrlookup.models import BatchStatus, PosterBatch, QrCode
from qrlookup.qrcode_selectors import grid_officer, officer_phone
from qrlookup.qrcodes import _may_manage_codes
from qrlookup.tasks import build_poster_batch as build_poster_batch_task

logger = logging.getLogger(__name__)

STEPS = (
    "微信“扫一扫”上方二维码",
    "填写姓名、身份证号，输入本人预留手机号收到的短信验证码",
    "查看您家的信用等级、授信额度和参考利率",
)
STALE_AFTER = timedelta(minutes=30)


def public_url(code: QrCode, base_url: str) -> str:
    return f"{(settings.QRLOOKUP_PUBLIC_BASE_URL or base_url).rstrip('/')}/q/{code.token}"


def _qr(url: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


# --- the poster -------------------------------------------------------------------------------


def poster_context(code: QrCode, base_url: str) -> dict[str, Any]:
    """What a poster says (the print page and the PDF say the same)."""
    officer = code.officer or grid_officer(code.grid_id)
    return {
        "bank_name": settings.QRLOOKUP_BANK_NAME,
        "place": code.village.name if code.village else code.grid.name,
        "township": code.village.township.name if code.village else "",
        "officer_name": officer.display_name if officer else "",
        "officer_phone": officer_phone(officer),
        "url": public_url(code, base_url),
        "steps": STEPS,
    }


def poster_pdf(code: QrCode, base_url: str) -> bytes:
    """One A4 poster: bank, place, the code, three steps, the officer's name and phone."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    context = poster_context(code, base_url)
    font = cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{context['bank_name']} 码上查 {context['place']}")
    pdf.setFillColorRGB(0.043, 0.431, 0.31)  # the house green
    pdf.rect(0, height - 60 * mm, width, 60 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, height - 22 * mm, context["bank_name"])
    pdf.setFont(font, 36)
    pdf.drawCentredString(width / 2, height - 42 * mm, "码上查 · 秒知授信额度")
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(font, 24)
    place = f"{context['township']} {context['place']}".strip()
    pdf.drawCentredString(width / 2, height - 78 * mm, place)
    size = 95 * mm
    image = ImageReader(io.BytesIO(qr_png(context["url"])))
    pdf.drawImage(image, (width - size) / 2, height - 80 * mm - size - 6 * mm, size, size)
    y = height - 80 * mm - size - 22 * mm
    pdf.setFont(font, 16)
    for number, step in enumerate(context["steps"], start=1):
        pdf.drawString(25 * mm, y, f"{number}. {step}")
        y -= 11 * mm
    pdf.setFont(font, 16)
    officer = context["officer_name"] or "所在网格客户经理"
    contact = f"您的客户经理：{officer}"
    if context["officer_phone"]:
        contact += f"  电话：{context['officer_phone']}"
    pdf.drawString(25 * mm, y - 6 * mm, contact)
    pdf.setFont(font, 10)
    pdf.setFillColorRGB(0.4, 0.4, 0.4)
    pdf.drawString(
        25 * mm, 15 * mm, "仅可查询本人家庭信息；本行不会通过短信索要密码，请勿将验证码告诉他人。"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def poster_filename(code: QrCode) -> str:
    if code.village is not None:
        return f"{code.village.code}-{code.village.name}.pdf"
    officer = code.officer.display_name if code.officer else ""
    return f"{code.grid.code}-{officer}.pdf"


# --- a township's posters in one ZIP ----------------------------------------------------------


def township_codes(township_id: int) -> Any:
    return (
        QrCode.objects.filter(village__township_id=township_id, revoked_at__isnull=True)
        .select_related("village__township", "grid", "officer")
        .order_by("village__code")
    )


@transaction.atomic
def poster_batch_start(*, actor: Any, township: Township, base_url: str) -> PosterBatch:
    """Queue the ZIP of every live village code's poster in ``township`` (villages the actor
    sees)."""
    if not _may_manage_codes(actor):
        raise PermissionDenied("您的角色无权生成海报")
    if not villages_visible_to(actor).filter(township=township).exists():
        raise NotFound()
    batch = PosterBatch(township=township, requested_by=actor, base_url=base_url[:200])
    batch.full_clean()
    batch.save(force_insert=True)
    transaction.on_commit(lambda: build_poster_batch_task.delay(batch.pk))
    return batch


def _claim(batch_id: int) -> bool:
    """Take the batch with one conditional UPDATE: new, or left running by a dead worker."""
    now = timezone.now()
    return bool(
        PosterBatch.objects.filter(pk=batch_id)
        .filter(
            Q(status=BatchStatus.PENDING)
            | Q(status=BatchStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=BatchStatus.RUNNING, started_at=now, done=0)
    )


def poster_batch_run(*, batch_id: int) -> None:
    """Write the ZIP, updating ``done`` after each poster; a failure marks the batch failed."""
    if not _claim(batch_id):
        return
    batch = PosterBatch.objects.select_related("requested_by").get(pk=batch_id)
    visible = villages_visible_to(batch.requested_by).values("pk")
    codes = list(township_codes(batch.township_id).filter(village__in=visible))
    PosterBatch.objects.filter(pk=batch_id).update(total=len(codes))
    try:
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, code in enumerate(codes, start=1):
                    archive.writestr(poster_filename(code), poster_pdf(code, batch.base_url))
                    PosterBatch.objects.filter(pk=batch_id).update(done=done)
            spool.seek(0)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            batch.file.save(f"海报-{batch.township.name}-{stamp}.zip", File(spool), save=False)
    except Exception:
        logger.exception("poster batch %s failed", batch_id)
        PosterBatch.objects.filter(pk=batch_id).update(
            status=BatchStatus.FAILED, finished_at=timezone.now(), error="生成海报时发生系统错误"
        )
        raise
    PosterBatch.objects.filter(pk=batch_id).update(
        file=batch.file.name,
        total=len(codes),
        done=len(codes),
        status=BatchStatus.DONE,
        finished_at=timezone.now(),
    )
