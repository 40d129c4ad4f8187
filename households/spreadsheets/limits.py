"""How large an uploaded spreadsheet may be. One set of numbers, checked three times: in the
package's zip directory (before anything is inflated), in the sheets' XML (streamed, before a
parser builds a sheet) and in the child process that parses (its address space and CPU time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # A village file is ~30,000 rows of 47 columns; 200,000 rows is what fits in the 20 MB
    # upload limit.
    max_rows: int = 200_000
    max_columns: int = 200
    # rows × columns of the used range, which is what a parser allocates (a sparse sheet with a
    # cell at A1 and one at GR200000 costs as much as a full one)
    max_cells: int = 10_000_000
    # the sum of the parts' declared uncompressed sizes; a 20 MB village file inflates to
    # ~240 MB (its sheet XML compresses about 12:1)
    max_uncompressed_bytes: int = 500 * MB
    # per part larger than 1 MB: real sheets compress 5–30:1, a bomb of identical rows ~1000:1
    max_compression_ratio: int = 100
    # the child process that parses: address space and seconds before it is stopped
    read_memory_bytes: int = 2048 * MB
    read_seconds: int = 120

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """The limits as configured (``SPREADSHEET_*`` settings), defaults where unset."""
        default = cls()

        def number(name: str, fallback: int, scale: int = 1) -> int:
            value = getattr(settings, name, None)
            return fallback if value is None else int(value) * scale

        return cls(
            max_rows=number("SPREADSHEET_MAX_ROWS", default.max_rows),
            max_columns=number("SPREADSHEET_MAX_COLUMNS", default.max_columns),
            max_cells=number("SPREADSHEET_MAX_CELLS", default.max_cells),
            max_uncompressed_bytes=number(
                "SPREADSHEET_MAX_UNCOMPRESSED_MB", default.max_uncompressed_bytes, MB
            ),
            max_compression_ratio=number(
                "SPREADSHEET_MAX_COMPRESSION_RATIO", default.max_compression_ratio
            ),
            read_memory_bytes=number("SPREADSHEET_READ_MEMORY_MB", default.read_memory_bytes, MB),
            read_seconds=number("SPREADSHEET_READ_SECONDS", default.read_seconds),
        )
