"""Reading what a page shows: its tables (by ``data-testid``) as rows of cell text, and an
exported workbook's sheets as the page would show them."""

from __future__ import annotations

import io
from decimal import Decimal
from html.parser import HTMLParser

from openpyxl import load_workbook

from dashboards.engine.tables import AMOUNT, COUNT, PERCENT, cell_text


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0  # inside <caption>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("data-testid") or "").startswith("table-"):
            self._table = attrs["data-testid"].removeprefix("table-")
            self.tables[self._table] = []
        elif self._table and tag == "caption":
            self._skip += 1
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._skip:
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """{table key: [header row, data rows…]} of every dashboard table on the page."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


FORMAT_KINDS = {"#,##0": COUNT, "#,##0.00": AMOUNT, '0.0"%"': PERCENT}


def workbook_tables(content: bytes) -> dict[str, list[list[str]]]:
    """{sheet title: [header, rows…]} as a reader of the workbook sees them: each number in
    the format the export gave its cell, formatted the way the page formats that kind."""
    book = load_workbook(io.BytesIO(content))
    result = {}
    for sheet in book.worksheets[1:]:  # the first sheet says what and as of when
        rows = []
        for row in sheet.iter_rows():
            if all(cell.value is None for cell in row):
                break  # the note under the table follows an empty row
            rows.append([_shown(cell) for cell in row])
        result[sheet.title] = rows
    return result


def _shown(cell) -> str:
    if cell.value is None:
        return ""
    kind = FORMAT_KINDS.get(cell.number_format)
    if kind is None:
        return str(cell.value)
    return cell_text(Decimal(str(cell.value)), kind)
