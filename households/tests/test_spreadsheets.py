"""Reading the files people actually send: xlsx, UTF-8 and GBK CSV, odd numbers and dates."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from households.spreadsheets import (
    CellError,
    SpreadsheetError,
    parse_amount,
    parse_bool,
    parse_date,
    read_table,
)

CSV_TEXT = '姓名*, 身份证号码 ,年收入\n张三,430223198005171234,"1,200"\n,,\n李四,x,3.5万\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk_reads_the_same(encoding):
    table = read_table(
        io.BytesIO(CSV_TEXT.encode(encoding)), filename="名单.csv", required=["姓名", "身份证号码"]
    )
    assert table.headers == ["姓名", "身份证号码", "年收入"]
    rows = list(table.rows)
    assert [r.number for r in rows] == [2, 4]  # the blank row 3 is skipped, numbers kept
    assert rows[0].text("姓名") == "张三"
    assert parse_amount(rows[1].values["年收入"]) == Decimal("35000.00")


def test_xlsx_uses_the_sheet_with_the_columns_and_skips_instructions():
    workbook = Workbook()
    workbook.active.title = "填写说明"
    workbook.active.append(["说明：请在“数据”表中填写"])
    data = workbook.create_sheet("数据")
    data.append(["姓名", "身份证号码", "列入日期"])
    listed = datetime(2024, 5, 1)  # noqa: DTZ001  (Excel cells are naive)
    data.append(["张三", "430223198005171234", listed])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    table = read_table(buffer, filename="x.xlsx", required=["姓名", "身份证号码"])
    row = next(table.rows)
    assert table.sheet_name == "数据"
    assert parse_date(row.values["列入日期"]) == date(2024, 5, 1)


def test_missing_columns_are_named():
    with pytest.raises(SpreadsheetError, match="缺少必需的列：身份证号码"):
        read_table(
            io.BytesIO("姓名\n张三\n".encode()), filename="a.csv", required=["姓名", "身份证号码"]
        )


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "不是有效的 Excel 表格"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "不是有效的 Excel 表格"),
        (b"not a zip at all", "renamed.xlsx", "不是有效的 Excel 表格"),
        (b"%PDF-1.4 binary", "scan.pdf", "只能导入 .xlsx、.xls 或 .csv"),
        (b"", "empty.csv", "文件是空的"),
    ],
)
def test_files_that_are_not_tables_get_a_clear_message(content, filename, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(io.BytesIO(content), filename=filename, required=["姓名"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12,000", "12000.00"),
        ("１２０００", "12000.00"),
        ("3.5万", "35000.00"),
        ("¥8,000元", "8000.00"),
        (12000.5, "12000.50"),
        ("", "0.00"),
        (None, "0.00"),
    ],
)
def test_amounts_in_the_ways_people_write_them(value, expected):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["-100", "十万", "12元5角"])
def test_bad_amounts_are_refused(value):
    with pytest.raises(CellError):
        parse_amount(value)


@pytest.mark.parametrize(
    "value",
    ["2024-05-01", "2024/5/1", "2024.5.1", "20240501", "2024年5月1日", 45413, date(2024, 5, 1)],
)
def test_dates_in_common_formats(value):
    assert parse_date(value) == date(2024, 5, 1)


def test_impossible_dates_are_refused():
    with pytest.raises(CellError, match="不是有效日期"):
        parse_date("2024-02-30")


@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("否", False), ("√", True), ("", False)]
)
def test_yes_no(value, expected):
    assert parse_bool(value) is expected
