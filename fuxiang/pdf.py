"""Chinese text as a PDF (reportlab, pure Python: the demo needs nothing installed).

The text is laid out line by line in a CJK font: the system's WenQuanYi Micro Hei or Noto CJK
when one is there (embedded as a subset, so any reader shows it), else reportlab's built-in CID
font ``STSong-Light`` (Adobe-GB1: readers supply the glyphs). ``cjk_font`` is the one place
that finds it, for every PDF (loan contracts, the QR posters, the monthly report). Lines wrap by
width, character by character (Chinese has no spaces to break at).
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

logger = logging.getLogger(__name__)

CJK_FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)
MARGIN = 20 * mm
BODY_SIZE = 10.5
TITLE_SIZE = 16
LEADING = 1.55


@cache
def cjk_font() -> str:
    """Register and name the font to write Chinese in."""
    for path in CJK_FONT_FILES:
        if path.exists():
            try:
                pdfmetrics.registerFont(TTFont("FxCJK", str(path), subfontIndex=0))
                return "FxCJK"
            except Exception:  # a font reportlab cannot read: try the next, then the CID font
                logger.warning("CJK font %s not usable for PDFs", path)
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        current = ""
        for char in paragraph:
            if pdfmetrics.stringWidth(current + char, font, size) > width:
                lines.append(current)
                current = char
            else:
                current += char
        lines.append(current)
    return lines


def text_pdf(*, title: str, body: str, footer: str = "") -> bytes:
    """A4 pages: the title centred on the first, the body wrapped, ``footer`` (e.g. the
    document's hash) and the page number at the foot of every page."""
    font = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    page_width, page_height = A4
    width = page_width - 2 * MARGIN
    page = 1

    def foot() -> None:
        pdf.setFont(font, 8)
        pdf.drawString(MARGIN, MARGIN / 2, footer[:160])
        pdf.drawRightString(page_width - MARGIN, MARGIN / 2, f"第{page}页")

    y = page_height - MARGIN - TITLE_SIZE
    pdf.setFont(font, TITLE_SIZE)
    pdf.drawCentredString(page_width / 2, y, title)
    y -= TITLE_SIZE * 2
    pdf.setFont(font, BODY_SIZE)
    for line in _wrap(body, font, BODY_SIZE, width):
        if y < MARGIN + BODY_SIZE:
            foot()
            pdf.showPage()
            page += 1
            pdf.setFont(font, BODY_SIZE)
            y = page_height - MARGIN - BODY_SIZE
        pdf.drawString(MARGIN, y, line)
        y -= BODY_SIZE * LEADING
    foot()
    pdf.save()
    return out.getvalue()
