"""Parsing a workbook with calamine in a child process, so that nothing in a file can take the
web or worker process down with it.

calamine is Rust: a failed allocation aborts the whole process, which no ``except`` catches.
The checks before (``xlsx_checks``) refuse what they recognise; this bounds everything else. The
child limits its own address space and CPU time (``Limits.read_memory_bytes``/``read_seconds``)
and parses; if it dies or overruns, the caller gets a ``SpreadsheetError`` and lives on (an
import job is marked failed once, instead of its worker dying and the task being redelivered).

The child is started before the file is checked (its interpreter starts while the parent
checks) but is given the file only once the check has passed, so nothing is parsed unchecked.
It answers with a stream of pickles: the chosen sheet's name and headers (or the refusal),
then its rows in batches of ``BATCH_ROWS``, then an end mark. The parent reads the stream on a
thread into a queue, so the importer parses the first rows while the child still converts the
rest, and the child never waits for the importer (its time limit stays its own). The parent
unpickles with only the date and time types allowed, so even a child subverted by a file could
not make the parent run anything. Run as ``python -m households.spreadsheets.isolated`` (by
``read_workbook`` only).
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import pickle
import queue
import resource
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from households.spreadsheets.cells import check_headers, normalise_header
from households.spreadsheets.errors import SpreadsheetError
from households.spreadsheets.limits import MB, Limits

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MESSAGES = {("ok",), ("rows",), ("end",), ("refused",)}
BATCH_ROWS = 1000  # rows per message: small enough to start early, large enough to be cheap

Parsed = tuple[str, list[str], Iterator[list[Any]]]  # sheet name, headers, the rows below them

STOPPED = (
    "文件无法读取：解析时超出了内存或时间限制（{limit}），已停止。文件可能异常，或表格过大；"
    "请检查文件，删除多余的行列后重新上传，或按村拆分后分别导入"
)


def read_workbook(
    data: bytes,
    *,
    required: list[str],
    limits: Limits,
    check: Callable[[bytes], None] | None = None,
) -> Parsed:
    """The first sheet whose first row holds the ``required`` headers: its name, its headers
    and an iterator over its rows (as calamine gives them). ``check`` (if given) runs before
    the child gets ``data``. Raises ``SpreadsheetError``: a refused or unreadable file here, a
    child that dies or overruns while sending the rows from the iterator (every caller reads
    the rows to the end before writing anything)."""
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
        **_plain_environment(),
        "RUST_BACKTRACE": "0",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    stopped = SpreadsheetError(
        STOPPED.format(limit=f"内存{limits.read_memory_bytes // MB}MB、{limits.read_seconds}秒")
    )
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the reading thread)
    child = subprocess.Popen(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-m", "households.spreadsheets.isolated", request],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env=environment,
        cwd=PROJECT_ROOT,
    )
    assert child.stdin is not None  # noqa: S101  (a pipe was asked for)
    assert child.stdout is not None  # noqa: S101
    try:
        if check is not None:
            check(data)
        child.stdin.write(data)
        child.stdin.close()
    except BaseException as exc:
        child.kill()
        child.wait()
        child.stdout.close()
        errors.close()
        if isinstance(exc, BrokenPipeError):
            raise stopped from exc
        raise
    # the child's wall time is bounded from the moment it has the file, as before
    watchdog = threading.Timer(limits.read_seconds + 10, child.kill)
    watchdog.start()
    messages: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    threading.Thread(
        target=_receive, args=(child, child.stdout, errors, watchdog, messages), daemon=True
    ).start()
    first = messages.get()
    if first is None:
        raise stopped
    if first[0] == "refused":
        raise SpreadsheetError(first[1])
    _, sheet, headers = first
    return sheet, headers, _rows(messages, stopped)


# What the parser's interpreter may see of ours: where programs are, the locale, the temporary
# directory, the time zone. Not the rest — the data and blind-index keys, the secret key, the
# database and broker URLs with their passwords: a parser subverted by a file could read them.
_PLAIN_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "TMPDIR", "TZ")


def _plain_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name in _PLAIN_ENVIRONMENT or name.startswith("LC_")
    }


def _receive(
    child: subprocess.Popen[bytes],
    stream: IO[bytes],
    errors: IO[bytes],
    watchdog: threading.Timer,
    messages: queue.Queue[tuple[Any, ...] | None],
) -> None:
    """Queue the child's messages as they come. The last one (the end mark or a refusal) is
    queued only once the child has exited cleanly; ``None`` instead if it did not (or its
    stream broke), after logging why."""
    last: tuple[Any, ...] | None = None
    try:
        while True:
            message = _SafeUnpickler(stream).load()
            if type(message) is not tuple or message[:1] not in MESSAGES:
                raise pickle.UnpicklingError("not a message")
            if message[0] in ("end", "refused"):
                last = message
                break
            messages.put(message)
    except Exception as exc:  # whatever it was, the reader must not hang
        logger.warning("workbook parser stream broken: %s", type(exc).__name__)
        last = None
        child.kill()
    finally:
        stream.close()
        code = child.wait()
        watchdog.cancel()
        errors.seek(0)
        problem = errors.read()[-2000:].decode("utf-8", "replace")
        errors.close()
    if code != 0:
        logger.warning("workbook parser exited with %s: %s", code, problem)
        last = None
    messages.put(last)


def _rows(
    messages: queue.Queue[tuple[Any, ...] | None], stopped: SpreadsheetError
) -> Iterator[list[Any]]:
    while True:
        message = messages.get()
        if message is None:
            raise stopped
        if message[0] == "end":
            return
        yield from message[1]


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


def _parse(data: bytes, request: dict[str, Any]) -> tuple[str, list[str], Iterator[list[Any]]]:
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
        return name, headers, _grid_rows(sheet)
    raise first_problem or SpreadsheetError("表格中没有数据")


def _grid_rows(sheet: Any) -> Iterator[list[Any]]:
    """The rows below the header as ``to_python(skip_empty_area=False)`` gives them, converted
    one at a time: ``iter_rows`` starts at row 1 but at the first used column, so the columns
    left of it are given back as empty cells."""
    left = [""] * sheet.start[1]
    rows = sheet.iter_rows()
    next(rows, None)  # the header
    for row in rows:
        yield left + row if left else row


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
    out = sys.stdout.buffer

    def send(*message: Any) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        sheet, headers, rows = _parse(data, request)
    except SpreadsheetError as problem:
        send("refused", str(problem))
        out.flush()
        return
    del data
    send("ok", sheet, headers)
    out.flush()
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            send("rows", batch)
            out.flush()
            batch = []
    if batch:
        send("rows", batch)
    send("end")
    out.flush()


if __name__ == "__main__":
    main()
