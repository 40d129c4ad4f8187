"""A what-if simulation's report as an Excel workbook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from credit.models import CreditSimulation
from credit.simulation_selectors import simulation_changes, simulation_report
from households.spreadsheets.writing import append_row


def simulation_workbook(simulation: CreditSimulation) -> Any:
    """The report as an Excel workbook (openpyxl): townships, villages, who gains, who loses.
    Names are written as text even if they look like formulas (``spreadsheets.writing``)."""
    report = simulation_report(simulation)
    gained, lost = simulation_changes(simulation)
    book = Workbook()
    summary = book.active
    summary.title = "乡镇汇总"
    header = [
        "乡镇/村",
        "测算户数",
        "等级变化户数",
        "现授信户数",
        "测算授信户数",
        "现授信总额（元）",
        "测算授信总额（元）",
        "总额变化（元）",
        "现户均额度（元）",
        "测算户均额度（元）",
        "新增授信户数",
        "失去授信户数",
    ]

    def figures(row: dict[str, Any]) -> list[Any]:
        return [
            row["subjects"],
            row["grade_changed"],
            row["lines_before"],
            row["lines_after"],
            Decimal(row["limit_before"]),
            Decimal(row["limit_after"]),
            Decimal(row["limit_change"]),
            Decimal(row["average_before"]),
            Decimal(row["average_after"]),
            row["gained"],
            row["lost"],
        ]

    append_row(summary, header)
    for row in report["townships"]:
        append_row(summary, [row["name"], *figures(row)])
    append_row(summary, [report["county"]["name"], *figures(report["county"])])
    villages = book.create_sheet("村汇总")
    append_row(villages, ["乡镇", *header])
    for row in report["villages"]:
        append_row(villages, [row["township"], row["name"], *figures(row)])
    for title, changes in (("新增授信", gained), ("失去授信", lost)):
        sheet = book.create_sheet(title)
        append_row(
            sheet, ["村", "农户编号", "经营主体编号", "现等级", "测算等级", "现额度", "测算额度"]
        )
        for change in changes:
            append_row(
                sheet,
                [
                    change["village"],
                    change["household_id"],
                    change["entity_id"],
                    change["grade_before"],
                    change["grade_after"],
                    Decimal(change["limit_before"]),
                    Decimal(change["limit_after"]),
                ],
            )
    return book
