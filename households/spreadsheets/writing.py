"""Formula-safe writing lives in ``fuxiang.spreadsheets`` (the audit log's export uses it too);
this name stays for the archive code that imports it."""

from fuxiang.spreadsheets import FORMULA_STARTS, append_row, text_cell

__all__ = ["FORMULA_STARTS", "append_row", "text_cell"]
