"""Parsing a workbook with calamine in a child process, so that nothing in a file can take the
web or worker process down with it.

calamine is Rust: a failed allocation aborts the whole process, which no ``except`` catches.
The checks before (``xlsx_checks``) refuse what they recognise; this bounds everything else. The
child limits its own address space and CPU time (``Limits.read_memory_bytes``/``read_seconds``)
and parses; if it dies or overruns, the caller gets a ``SpreadsheetError`` and lives on (an
import job is marked failed once, instead of its worker dying and the task being redelivered).

The child answers with the chosen sheet's rows, pickled; the parent unpickles with only the
date and time types allowed, so even a child subverted by a file could not make the parent run
anything. Run as ``python -m households.spreadsheets.isolated`` (by ``read_workbook`` only).
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from households.spreadsheets.cells import check_headers, normalise_header
from households.spreadsheets.errors import SpreadsheetError
from households.spreadsheets.limits import MB, Limits

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[2]

Parsed = tuple[str, list[str], list[list[Any]]]  # sheet name, headers, the rows below them

STOPPED = (
    "文件无法读取：解析时超出了内存或时间限制（{limit}），已停止。文件可能异常，或表格过大；"
    "请检查文件，删除多余的行列后重新上传，或按村拆分后分别导入"
)


def read_workbook(data: bytes, *, required: list[str], limits: Limits) -> Parsed:
    """The first sheet whose first row holds the ``required`` headers: its name, its headers
    and its rows (as calamine gives them). Raises ``SpreadsheetError``."""
    request = json.dumps(
        {
            "required": required,
            "max_rows": limits.max_rows,
            "max_columns": limits.max_columns,
            "max_cells": limits.max_cells,
            "memory": limits.read_memory_bytes,
            "seconds": limits.read_seconds,
        }
    )
    environment = {
        **os.environ,
        "RUST_BACKTRACE": "0",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    limit = f"内存{limits.read_memory_bytes // MB}MB、{limits.read_seconds}秒"
    try:
        done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
            [sys.executable, "-m", "households.spreadsheets.isolated", request],
            input=data,
            capture_output=True,
            timeout=limits.read_seconds + 10,
            env=environment,
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SpreadsheetError(STOPPED.format(limit=limit)) from exc
    if done.returncode != 0:
        logger.warning(
            "workbook parser exited with %s: %s",
            done.returncode,
            done.stderr[-2000:].decode("utf-8", "replace"),
        )
        raise SpreadsheetError(STOPPED.format(limit=limit))
    outcome = _SafeUnpickler(io.BytesIO(done.stdout)).load()
    if outcome[0] == "refused":
        raise SpreadsheetError(outcome[1])
    _, sheet, headers, rows = outcome
    return sheet, headers, rows


class _SafeUnpickler(pickle.Unpickler):
    """Cell values only: str, numbers, booleans and the datetime types calamine returns."""

    ALLOWED = {
        ("datetime", "date"): datetime.date,
        ("datetime", "datetime"): datetime.datetime,
        ("datetime", "time"): datetime.time,
        ("datetime", "timedelta"): datetime.timedelta,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value") from None


# --- the child --------------------------------------------------------------------------------


def _parse(data: bytes, request: dict[str, Any]) -> Parsed:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise SpreadsheetError("文件不是有效的 Excel 表格（可能已损坏或设置了密码）") from exc
    first_problem: SpreadsheetError | None = None
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            raise SpreadsheetError(f"工作表“{name}”无法读取") from exc
        if sheet.end is None:
            continue
        rows, columns = sheet.end[0] + 1, sheet.end[1] + 1
        _check_size(name, rows, columns, request)
        # the header row first: a sheet without the columns is never converted whole
        head = sheet.to_python(skip_empty_area=False, nrows=1)
        if not head:
            continue
        headers = [normalise_header(h) for h in head[0][: request["max_columns"]]]
        try:
            check_headers(headers, request["required"], f"工作表“{name}”")
        except SpreadsheetError as problem:
            first_problem = first_problem or problem
            continue
        return name, headers, sheet.to_python(skip_empty_area=False)[1:]
    raise first_problem or SpreadsheetError("表格中没有数据")


def _check_size(name: str, rows: int, columns: int, request: dict[str, Any]) -> None:
    """The grid calamine built (an .xls is not checked before, so this is its check)."""
    if rows > request["max_rows"] or columns > request["max_columns"]:
        raise SpreadsheetError(
            f"工作表“{name}”有{rows}行、{columns}列，超过导入上限"
            f"（{request['max_rows']}行、{request['max_columns']}列）；"
            "请删除多余的行列，或按村拆分后分别导入"
        )
    if rows * columns > request["max_cells"]:
        raise SpreadsheetError(
            f"工作表“{name}”的数据区域有{rows}行×{columns}列，"
            f"超过导入上限{request['max_cells']}个单元格；请删除多余的行列，或按村拆分后分别导入"
        )


def main() -> None:
    request = json.loads(sys.argv[1])
    memory, seconds = request["memory"], request["seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    data = sys.stdin.buffer.read()
    try:
        outcome: tuple[Any, ...] = ("ok", *_parse(data, request))
    except SpreadsheetError as problem:
        outcome = ("refused", str(problem))
    pickle.dump(outcome, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    main()
