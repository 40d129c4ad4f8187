"""The two errors of spreadsheet reading: the whole file, or one cell."""

from __future__ import annotations


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read as the expected table (messages are in Chinese)."""


class CellError(ValueError):
    """One cell's value does not fit its column."""
