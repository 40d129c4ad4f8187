"""Reading an uploaded table: ``.xlsx``/``.xls`` from Excel or WPS, ``.csv`` in UTF-8 or GBK,
headers with "*" or spaces, blank rows anywhere. Whole-file problems raise ``SpreadsheetError``.

A workbook is checked before it is parsed (``xlsx_checks``: the zip directory and every sheet's
used range against ``Limits``) and parsed in a child process (``isolated``), so no file can
crash or exhaust the process that reads it. Pure Python; no Django.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from households.spreadsheets.cells import cell_text, check_headers, normalise_header
from households.spreadsheets.errors import SpreadsheetError
from households.spreadsheets.isolated import read_workbook
from households.spreadsheets.limits import Limits
from households.spreadsheets.xlsx_checks import check_xlsx

#: A row whose first cell begins with this is the template's example row: never imported.
EXAMPLE_MARK = "示例："
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (Excel 97-2003, WPS)


@dataclass(frozen=True)
class Row:
    number: int  # as the user sees it in Excel (the header is row 1 of its sheet)
    values: dict[str, Any]  # header → raw value (str from CSV; str/number/date from xlsx)

    def text(self, column: str) -> str:
        return cell_text(self.values.get(column))


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[Row]
    sheet_name: str = ""


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件")


def _rows(
    headers: list[str], records: Iterable[tuple[int, Iterable[Any]]], limits: Limits
) -> Iterator[Row]:
    for number, cells in records:
        if number > limits.max_rows:
            raise SpreadsheetError(f"表格超过导入上限{limits.max_rows}行；请按村拆分后分别导入")
        values = dict(zip(headers, cells, strict=False))
        values.pop("", None)
        if all(v is None or v == "" or cell_text(v) == "" for v in values.values()):
            continue  # blank rows are allowed anywhere
        if headers and cell_text(values.get(headers[0])).startswith(EXAMPLE_MARK):
            continue  # the template's example row
        yield Row(number=number, values=values)


def read_table(
    stream: IO[bytes], *, filename: str, required: Iterable[str], limits: Limits | None = None
) -> Table:
    """Open an uploaded ``.xlsx``/``.xls`` workbook or ``.csv`` and return its header and
    non-blank rows.

    For a workbook, the first sheet whose first row holds the required columns is used (the
    templates carry an instructions sheet too). Workbooks are read with calamine (Rust), an
    order of magnitude faster than openpyxl on a village's 30,000 rows, after the checks."""
    required = list(required)
    limits = limits or Limits()
    head = stream.read(8)
    stream.seek(0)
    lower = filename.lower()
    if head.startswith((XLSX_MAGIC, OLE_MAGIC)):
        data = stream.read()
        # an .xlsx is checked before the child gets it (the child starts meanwhile); an .xls
        # (OLE) is bounded by the upload size and checked by the child once parsed
        sheet, headers, rows = read_workbook(
            data,
            required=required,
            limits=limits,
            check=(lambda data: check_xlsx(data, limits)) if head.startswith(XLSX_MAGIC) else None,
        )
        return Table(
            headers=headers, rows=_rows(headers, enumerate(rows, start=2), limits), sheet_name=sheet
        )
    if lower.endswith((".xlsx", ".xlsm", ".xls")):
        raise SpreadsheetError("文件不是有效的 Excel 表格（可能已损坏或只是改了扩展名）")
    if not lower.endswith((".csv", ".txt")):
        raise SpreadsheetError("只能导入 .xlsx、.xls 或 .csv 文件")
    raw = stream.read()
    if b"\x00" in raw[:4096]:
        raise SpreadsheetError("文件不是文本格式的 CSV：请上传 .xlsx 或 .csv 文件")
    text = _decode(raw)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header_cells = next(reader)
    except StopIteration as exc:
        raise SpreadsheetError("文件是空的") from exc
    headers = [normalise_header(h) for h in header_cells[: limits.max_columns]]
    check_headers(headers, required, "表格")
    return Table(headers=headers, rows=_rows(headers, enumerate(reader, start=2), limits))
