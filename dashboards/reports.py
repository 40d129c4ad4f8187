"""The printable monthly report of a branch (or the county): the funnel at the month's end
against the month before, the grids, the officers' work in the month and the stalled items —
an A4 PDF (reportlab, with the CJK font of ``fuxiang.pdf``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from dashboards.engine import FUNNEL, Figures, percent, stage
from dashboards.engine.series import month_bounds, previous_month
from dashboards.engine.tables import AMOUNT, COUNT, PERCENT, cell_text
from dashboards.figures_selectors import dashboard
from dashboards.scopes import Scope
from dashboards.trend_selectors import month_end, officer_activity
from fuxiang.pdf import cjk_font

AMOUNTS = ("granted_amount", "signed_amount", "drawn_amount", "balance")
STALLED = ("stalled_unrated", "requests_overdue", "granted_not_looked_up", "signed_not_drawn")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def bounds(self) -> tuple[date, date]:
        return month_bounds(self.year, self.month)

    @property
    def previous(self) -> Month:
        return Month(*previous_month(self.year, self.month))


def _change(now: int | Any, before: int | Any) -> str:
    delta = now - before
    return f"{delta:+,}" if isinstance(delta, int) else f"{delta:+,.2f}"


def report_tables(scope: Scope, month: Month) -> dict[str, Any]:
    """What the report prints, as rows of text (also what its tests read)."""
    first, last = month.bounds
    now, before = (
        month_end(scope, last_day=last),
        month_end(scope, last_day=month.previous.bounds[1]),
    )
    in_month = now.snapshot is not None and now.snapshot.day >= first
    figures = now.figures if in_month else Figures()
    earlier = before.figures
    funnel = [["环节", "月末户数", "占户籍户数", "上月末", "本月变化"]]
    for key in FUNNEL:
        funnel.append(
            [
                stage(key).label,
                cell_text(getattr(figures, key), COUNT),
                cell_text(figures.share(key), PERCENT),
                cell_text(getattr(earlier, key), COUNT),
                _change(getattr(figures, key), getattr(earlier, key)),
            ]
        )
    amounts = [["金额", "月末（元）", "上月末（元）", "本月变化（元）"]]
    for key in AMOUNTS:
        amounts.append(
            [
                stage(key).label,
                cell_text(getattr(figures, key), AMOUNT),
                cell_text(getattr(earlier, key), AMOUNT),
                _change(getattr(figures, key), getattr(earlier, key)),
            ]
        )
    amounts.append(
        [
            "线上贷款占比",
            cell_text(figures.online_share, PERCENT),
            cell_text(earlier.online_share, PERCENT),
            "",
        ]
    )
    children = [
        ["名称", "户籍户数", "建档率", "评级率", "授信率", "查询率", "签约户数", "用信金额（元）"]
    ]
    if in_month and now.snapshot is not None:
        board = dashboard(scope, snapshot=now.snapshot)
        for row in board.children if board.children else []:
            f = row.figures
            children.append(
                [
                    row.name,
                    cell_text(f.registered, COUNT),
                    cell_text(f.share("archived"), PERCENT),
                    cell_text(f.share("rated"), PERCENT),
                    cell_text(f.share("granted"), PERCENT),
                    cell_text(f.share("looked_up"), PERCENT),
                    cell_text(f.signed, COUNT),
                    cell_text(f.drawn_amount, AMOUNT),
                ]
            )
    officers = [["客户经理", "网格", "走访次数", "到期申请", "按时办结", "按时办结率"]]
    for o in officer_activity(scope, start=first, end=last):
        officers.append(
            [
                o.name,
                o.grids,
                cell_text(o.activity.visits, COUNT),
                cell_text(o.activity.requests_due, COUNT),
                cell_text(o.activity.requests_on_time, COUNT),
                cell_text(o.activity.on_time_rate, PERCENT),
            ]
        )
    stalled = [["预警事项", "月末数量"]] + [
        [stage(key).label, cell_text(getattr(figures, key), COUNT)] for key in STALLED
    ]
    return {
        "as_of": now.snapshot.as_of if in_month and now.snapshot else None,
        "funnel": funnel,
        "amounts": amounts,
        "children": children,
        "officers": officers,
        "stalled": stalled,
        "coverage": percent(figures.archived, figures.registered),
    }


def monthly_report_pdf(scope: Scope, month: Month) -> bytes:
    font = cjk_font()
    data = report_tables(scope, month)
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{scope.title} {month.label} 一户不漏工作月报",
    )
    as_of = data["as_of"]
    stamp = (
        f"数据截至 {timezone.localtime(as_of):%Y-%m-%d %H:%M}"
        if as_of
        else "本月尚无统计数据（统计每10分钟更新一次）"
    )
    story: list[Any] = [
        Paragraph(f"{settings.QRLOOKUP_BANK_NAME}", body),
        Paragraph(f"{scope.title} {month.label} 一户不漏工作月报", title_style),
        Paragraph(f"{stamp}；打印时间 {timezone.localtime():%Y-%m-%d %H:%M}", body),
        Spacer(1, 4 * mm),
    ]
    sections = (
        ("一、覆盖进度（户）", data["funnel"]),
        ("二、授信与贷款金额", data["amounts"]),
        ("三、分网格/分区域情况（月末）", data["children"]),
        ("四、客户经理本月工作量", data["officers"]),
        ("五、预警事项（月末）", data["stalled"]),
    )
    for title, rows in sections:
        story.append(Paragraph(title, heading))
        if len(rows) == 1:
            story.append(Paragraph("本月没有数据。", body))
            continue
        table = PdfTable(rows, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 8),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f1ec")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(table)
    document.build(story)
    return out.getvalue()
