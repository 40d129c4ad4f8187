"""Spreadsheets people in the county actually make, read safely; and the ones the system
writes, written so that no cell is ever a formula.

- ``tables.read_table``: an uploaded .xlsx/.xls/.csv → headers and rows (``Limits`` bound it);
- ``cells``: parsing the values people write (amounts, dates, yes/no, choices);
- ``xlsx_checks`` and ``isolated``: what stands between an uploaded file and the parser;
- ``writing``: text cells written as text (formula injection).

Pure Python apart from calamine and openpyxl; no Django.
"""

from __future__ import annotations

from households.spreadsheets.cells import (
    cell_text,
    normalise_header,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_count,
    parse_date,
    parse_decimal,
)
from households.spreadsheets.errors import CellError, SpreadsheetError
from households.spreadsheets.limits import Limits
from households.spreadsheets.tables import (
    EXAMPLE_MARK,
    OLE_MAGIC,
    XLSX_MAGIC,
    Row,
    Table,
    read_table,
)

__all__ = [
    "EXAMPLE_MARK",
    "OLE_MAGIC",
    "XLSX_MAGIC",
    "CellError",
    "Limits",
    "Row",
    "SpreadsheetError",
    "Table",
    "cell_text",
    "normalise_header",
    "parse_amount",
    "parse_bool",
    "parse_choice",
    "parse_count",
    "parse_date",
    "parse_decimal",
    "read_table",
]
