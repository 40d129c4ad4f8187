"""Writing spreadsheets in which no cell the system writes can ever be a formula.

openpyxl stores any text starting with "=" as a formula: a name such as
``=HYPERLINK("http://…","点我")`` or an address ``=cmd|' /C calc'!A0``, planted by anyone who
may edit an archive, would run in the workbook of whoever exports it. So every text value that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (what Excel, WPS and
LibreOffice read as the start of a formula, when the file is opened or when the cell is edited)
is written as an explicit string cell (``t="inlineStr"``) carrying Excel's "quote prefix" style,
the flag Excel itself sets when one types ``'=1``: the cell shows the text and stays text even
when someone edits it.

The value itself is not touched, so an export or an error report imports back exactly as it
was. The other OWASP remedy, a leading ``'`` in the value, would change the data: every reader
(ours, the officers' own tools) would have to strip it again, and a value that really starts
with ``'`` would lose it. Numbers, negative ones included, are written as numbers. The system
writes no CSV for people; a CSV would need the quote in the value, since CSV has no cell types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet: Any, value: Any) -> Any:
    """``value`` as given, or, for text that could start a formula, a string cell with the
    quote prefix (for a normal or a write-only sheet)."""
    if not (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
        return value
    cell = Cell(sheet, row=1, column=1, value=value)  # append() places it
    cell.data_type = "s"  # openpyxl made "=…" a formula: it is a string
    cell.quotePrefix = True
    return cell


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """``sheet.append`` with every text cell written as text."""
    sheet.append([text_cell(sheet, value) for value in values])
