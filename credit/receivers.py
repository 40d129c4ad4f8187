"""Where credit joins the work of the apps to its left, in their transactions."""

from __future__ import annotations

from typing import Any

from rating import publish


def lines_for_chunk(run: Any, village_id: int) -> None:
    from credit.lines import lines_write

    lines_write(run, village_id)


def connect() -> None:
    publish.register_chunk_step(lines_for_chunk)
