"""Excel exports of the dashboards: a page's tables exactly as the page shows them (one sheet
per table, numbers as numbers), and a list of households at a stage for the grid's officer
(names masked). Every text cell is written as text (``households.spreadsheets.append_row``):
a village or group name starting with "=" stays a name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dashboards.engine.tables import AMOUNT, COUNT, NUMBER, PERCENT, Table
from dashboards.household_selectors import HouseholdRow
from households.spreadsheets.writing import append_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {COUNT: "#,##0", AMOUNT: "#,##0.00", PERCENT: '0.0"%"'}
_INVALID_TITLE = str.maketrans(dict.fromkeys("[]:*?/\\", "、"))


def _title(text: str) -> str:
    return text.translate(_INVALID_TITLE)[:31]


def _number_format(value: Any, kind: str) -> str | None:
    if kind == NUMBER:
        kind = AMOUNT if isinstance(value, Decimal) else COUNT
    return _FORMATS.get(kind)


def _sheet(book: Workbook, table: Table) -> None:
    sheet = book.create_sheet(_title(table.title))
    append_row(sheet, [column.label for column in table.columns])
    for row in table.rows:
        # a figure that does not exist (a share of nothing) reads "—", as on the page
        append_row(
            sheet,
            [
                "—" if value is None and column.numeric else value
                for value, column in zip(row, table.columns, strict=True)
            ],
        )
        for n, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
            number_format = _number_format(value, column.kind)
            if number_format and value is not None:
                sheet.cell(row=sheet.max_row, column=n).number_format = number_format
    if table.note:
        append_row(sheet, [])
        append_row(sheet, [table.note])
    for n, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = 14 if column.numeric else 22


def tables_workbook(*, title: str, as_of: datetime | None, tables: Iterable[Table]) -> Workbook:
    """A page's tables, one sheet each, after a sheet saying what and as of when."""
    book = Workbook()
    cover = book.active
    cover.title = "说明"
    append_row(cover, [title])
    stamp = timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else "尚未统计"
    append_row(cover, ["数据截至", stamp])
    append_row(cover, ["导出时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    cover.column_dimensions["A"].width = 40
    for table in tables:
        _sheet(book, table)
    return book


HOUSEHOLD_COLUMNS = (
    "户号",
    "户主",
    "村/社区",
    "村民小组",
    "建档日期",
    "走访次数",
    "最近走访",
    "评级",
    "授信状态",
    "授信额度（元）",
    "可线上办理",
    "已查询",
    "已申请贷款",
    "签约金额（元）",
    "用信金额（元）",
    "贷款余额（元）",
)
LINE_STATUS = {"active": "有效", "suspended": "已冻结", "expired": "已到期", "revoked": "已撤销"}


def household_cells(row: HouseholdRow) -> list[Any]:
    def day(value: datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""

    grade = "一票否决" if row.knocked_out else (row.grade or "未评级")
    return [
        row.household_id,
        row.head,
        row.village,
        row.group,
        day(row.archived_at),
        row.visits,
        day(row.last_visit_at),
        grade,
        LINE_STATUS.get(row.line_status, "无"),
        row.granted_amount,
        "是" if row.online_eligible else "否",
        "是" if row.looked_up else "否",
        "是" if row.applied else "否",
        row.signed_amount,
        row.drawn_amount,
        row.balance,
    ]


def households_workbook(
    *, title: str, as_of: datetime | None, rows: list[HouseholdRow]
) -> Workbook:
    """The households of a stage for the officer who will visit them (names masked)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "农户名单"
    stamp = f"{timezone.localtime(as_of):%Y-%m-%d %H:%M}" if as_of else "尚未统计"
    append_row(sheet, [title, f"数据截至 {stamp}"])
    append_row(sheet, HOUSEHOLD_COLUMNS)
    for row in rows:
        append_row(sheet, household_cells(row))
        for column in (10, 14, 15, 16):
            sheet.cell(row=sheet.max_row, column=column).number_format = "#,##0.00"
    for n, width in enumerate((8, 10, 14, 12, 12, 8, 12, 8, 8, 14, 8, 8, 8, 14, 14, 14), start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    return book
