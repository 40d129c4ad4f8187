"""Reading the files people actually send: xlsx, UTF-8 and GBK CSV, odd numbers and dates."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from households.spreadsheets import (
    CellError,
    Limits,
    SpreadsheetError,
    isolated,
    parse_amount,
    parse_bool,
    parse_date,
    read_table,
)
from households.spreadsheets.limits import MB
from households.spreadsheets.writing import append_row
from households.tests.hostile_files import (
    dimension_bomb,
    lying_zip,
    text_cell,
    with_sheet,
    workbook,
    zip_bomb,
)

CSV_TEXT = '姓名*, 身份证号码 ,年收入\n张三,430223198005171234,"1,200"\n,,\n李四,x,3.5万\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk_reads_the_same(encoding):
    table = read_table(
        io.BytesIO(CSV_TEXT.encode(encoding)), filename="名单.csv", required=["姓名", "身份证号码"]
    )
    assert table.headers == ["姓名", "身份证号码", "年收入"]
    rows = list(table.rows)
    assert [r.number for r in rows] == [2, 4]  # the blank row 3 is skipped, numbers kept
    assert rows[0].text("姓名") == "张三"
    assert parse_amount(rows[1].values["年收入"]) == Decimal("35000.00")


def test_xlsx_uses_the_sheet_with_the_columns_and_skips_instructions():
    workbook = Workbook()
    workbook.active.title = "填写说明"
    workbook.active.append(["说明：请在“数据”表中填写"])
    data = workbook.create_sheet("数据")
    data.append(["姓名", "身份证号码", "列入日期"])
    listed = datetime(2024, 5, 1)  # noqa: DTZ001  (Excel cells are naive)
    data.append(["张三", "430223198005171234", listed])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    table = read_table(buffer, filename="x.xlsx", required=["姓名", "身份证号码"])
    row = next(table.rows)
    assert table.sheet_name == "数据"
    assert parse_date(row.values["列入日期"]) == date(2024, 5, 1)


def test_missing_columns_are_named():
    with pytest.raises(SpreadsheetError, match="缺少必需的列：身份证号码"):
        read_table(
            io.BytesIO("姓名\n张三\n".encode()), filename="a.csv", required=["姓名", "身份证号码"]
        )


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "不是有效的 Excel 表格"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "不是有效的 Excel 表格"),
        (b"not a zip at all", "renamed.xlsx", "不是有效的 Excel 表格"),
        (b"%PDF-1.4 binary", "scan.pdf", "只能导入 .xlsx、.xls 或 .csv"),
        (b"", "empty.csv", "文件是空的"),
    ],
)
def test_files_that_are_not_tables_get_a_clear_message(content, filename, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(io.BytesIO(content), filename=filename, required=["姓名"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12,000", "12000.00"),
        ("１２０００", "12000.00"),
        ("3.5万", "35000.00"),
        ("¥8,000元", "8000.00"),
        (12000.5, "12000.50"),
        ("", "0.00"),
        (None, "0.00"),
    ],
)
def test_amounts_in_the_ways_people_write_them(value, expected):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["-100", "十万", "12元5角"])
def test_bad_amounts_are_refused(value):
    with pytest.raises(CellError):
        parse_amount(value)


@pytest.mark.parametrize(
    "value",
    ["2024-05-01", "2024/5/1", "2024.5.1", "20240501", "2024年5月1日", 45413, date(2024, 5, 1)],
)
def test_dates_in_common_formats(value):
    assert parse_date(value) == date(2024, 5, 1)


def test_impossible_dates_are_refused():
    with pytest.raises(CellError, match="不是有效日期"):
        parse_date("2024-02-30")


@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("否", False), ("√", True), ("", False)]
)
def test_yes_no(value, expected):
    assert parse_bool(value) is expected


# --- hostile files (issue 10): refused before any parser builds them ------------------------

NAME = ["姓名"]


def read(data: bytes, **kwargs):
    return read_table(io.BytesIO(data), filename="x.xlsx", required=NAME, **kwargs)


def test_a_dimension_bomb_is_refused_within_seconds_naming_the_limit():
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match="用到了第1048576行，超过导入上限200000行"):
        read(dimension_bomb(NAME))
    assert time.monotonic() - started < 5


def test_one_cell_in_the_last_column_is_refused_on_columns():
    data = with_sheet(f'<row r="1">{text_cell("姓名", "A1")}{text_cell("x", "XFD1")}</row>')
    with pytest.raises(SpreadsheetError, match="用到了第16384列，超过导入上限200列"):
        read(data)


@pytest.mark.parametrize(
    ("sheet_data", "prefix", "message"),
    [
        # rows and cells without r follow the previous one
        (f'<row r="1">{text_cell("姓名")}</row><row r="1048575"/><row>{text_cell("x")}</row>',
         "", "第1048576行"),
        # an empty cell holds nothing but moves the next cell to the last column
        (f'<row r="1">{text_cell("姓名")}<c r="XFC1" s="0"/>{text_cell("x")}</row>',
         "", "第16384列"),
        # namespace prefixes, as the .NET Open XML SDK writes them
        (f'<x:row r="1">{text_cell("姓名", "A1", prefix="x")}'
         f'{text_cell("x", "XFD1048576", prefix="x")}</x:row>', "x", "第1048576行"),
        # a quoted attribute value may hold ">": the position after it still counts
        (f'<row r="1">{text_cell("姓名", "A1")}'
         '<c foo=">" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
         "", "第1048576行"),
        # a lower-case position is a position to calamine
        (f'<row r="1">{text_cell("姓名", "a1")}{text_cell("x", "xfd1048576")}</row>',
         "", "第1048576行"),
    ],
)  # fmt: skip
def test_far_cells_are_found_however_the_sheet_xml_is_written(sheet_data, prefix, message):
    with pytest.raises(SpreadsheetError, match=message):
        read(with_sheet(sheet_data, prefix=prefix))


@pytest.mark.parametrize(
    ("sheet_data", "encoding", "message"),
    [
        (
            '<row r="1"><c r=A1 t="inlineStr"><is><t>姓名</t></is></c></row>',
            "UTF-8",
            "结构无法识别",
        ),
        (f'<row r="1">{text_cell("姓名", "A1")}</row>', "UTF-16", "不是 UTF-8 编码"),
        (f'<row r="1">{text_cell("姓名", "1A1")}</row>', "UTF-8", "无效的单元格位置"),
    ],
)
def test_sheet_xml_that_cannot_be_scanned_safely_is_refused(sheet_data, encoding, message):
    with pytest.raises(SpreadsheetError, match=message):
        read(with_sheet(sheet_data, encoding=encoding))


def test_a_sheet_without_positions_within_the_limits_reads_normally():
    data = with_sheet(
        f"<row>{text_cell('姓名')}{text_cell('身份证号码')}</row>"
        f"<row>{text_cell('张三')}{text_cell('430223198005171234')}</row>"
    )
    table = read(data)
    assert [row.values for row in table.rows] == [
        {"姓名": "张三", "身份证号码": "430223198005171234"}
    ]


def test_the_limits_are_the_configured_ones(settings):
    settings.SPREADSHEET_MAX_ROWS = 3
    limits = Limits.from_settings(settings)
    rows = [[f"张{n}"] for n in range(5)]
    with pytest.raises(SpreadsheetError, match="用到了第6行，超过导入上限3行"):
        read(workbook(NAME, rows), limits=limits)
    table = read_table(
        io.BytesIO("姓名\n张0\n张1\n张2\n张3\n".encode()),
        filename="a.csv",
        required=NAME,
        limits=limits,
    )
    with pytest.raises(SpreadsheetError, match="超过导入上限3行"):
        list(table.rows)


def test_a_parser_that_dies_fails_the_read_and_the_reader_lives_on():
    """What the checks would let through (here: limits raised far above the bomb) cannot take
    the process down: calamine's abort happens in the child, which the caller outlives."""
    relaxed = Limits(
        max_rows=2**21, max_columns=2**15, max_cells=2**50, read_memory_bytes=1024 * MB
    )
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match="超出了内存或时间限制（内存1024MB、120秒）"):
        read(dimension_bomb(NAME), limits=relaxed)
    assert time.monotonic() - started < 10


def test_rows_sent_in_batches_keep_their_numbers_and_columns_left_of_the_table():
    """The child sends the rows in batches of ``BATCH_ROWS``; a table that starts in column C
    (and has blank rows) reads as one grid: columns by header, Excel's row numbers."""
    book = Workbook()
    sheet = book.active
    count = isolated.BATCH_ROWS * 2 + 7
    sheet["C1"], sheet["D1"] = "姓名", "年收入"
    for n in range(count):
        if n % 500 != 3:  # a blank row now and then
            sheet.cell(row=n + 2, column=3, value=f"张{n}")
            sheet.cell(row=n + 2, column=4, value=n)
    buffer = io.BytesIO()
    book.save(buffer)
    table = read(buffer.getvalue())
    rows = list(table.rows)
    expected = [n for n in range(count) if n % 500 != 3]
    assert [r.number for r in rows] == [n + 2 for n in expected]
    assert [r.values for r in rows] == [{"姓名": f"张{n}", "年收入": n} for n in expected]


STOPS_AFTER_ONE_BATCH = """
import os, pickle, sys
sys.stdin.buffer.read()
out = sys.stdout.buffer
pickle.dump(("ok", "数据", ["姓名"]), out)
pickle.dump(("rows", [["张三"]]), out)
out.flush()
os.kill(os.getpid(), 9)
"""


def test_a_parser_that_dies_while_sending_rows_fails_the_read_not_shortens_it(
    tmp_path, monkeypatch
):
    """Rows already received do not make a table: the reader's end must come from a child
    that finished, or reading the rows raises (and the import writes nothing)."""
    child = tmp_path / "child.py"
    child.write_text(STOPS_AFTER_ONE_BATCH)
    real_popen = subprocess.Popen

    def popen(arguments, **kwargs):
        return real_popen([sys.executable, str(child)], **kwargs)

    monkeypatch.setattr(isolated.subprocess, "Popen", popen)
    table = read(workbook(NAME, [["张三"], ["李四"]]))
    with pytest.raises(SpreadsheetError, match="超出了内存或时间限制"):
        list(table.rows)


def test_a_parser_that_sends_something_else_fails_the_read(tmp_path, monkeypatch):
    """Anything but the messages of the protocol (here an empty tuple) stops the read; the
    reader does not wait for rows that will not come."""
    child = tmp_path / "child.py"
    child.write_text(
        "import pickle, sys\nsys.stdin.buffer.read()\npickle.dump((), sys.stdout.buffer)\n"
    )
    real_popen = subprocess.Popen

    def popen(arguments, **kwargs):
        return real_popen([sys.executable, str(child)], **kwargs)

    monkeypatch.setattr(isolated.subprocess, "Popen", popen)
    with pytest.raises(SpreadsheetError, match="超出了内存或时间限制"):
        read(workbook(NAME, [["张三"]]))


def test_a_refused_file_never_reaches_the_parser(monkeypatch):
    """The child starts while the file is checked but gets it only after the check passed."""
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(isolated.subprocess, "Popen", popen)
    with pytest.raises(SpreadsheetError, match="与压缩目录不符"):
        read(lying_zip(NAME))
    assert started[0].returncode == -9  # killed waiting for the file, never given it


def test_a_zip_directory_that_lies_about_a_part_is_refused():
    with pytest.raises(SpreadsheetError, match="与压缩目录不符"):
        read(lying_zip(NAME))


MEASURE = """
import io, json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))  # the old reader: abort
from households.spreadsheets import SpreadsheetError, read_table

def peak_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024

data = open(sys.argv[1], "rb").read()
before, started = peak_mb(), time.monotonic()
try:
    read_table(io.BytesIO(data), filename="bomb.xlsx", required=["姓名"])
    outcome = "read"
except SpreadsheetError as problem:
    outcome = str(problem)
print(json.dumps({"grew_mb": peak_mb() - before, "seconds": time.monotonic() - started,
                  "outcome": outcome}))
"""


def test_a_zip_bomb_is_refused_within_seconds_and_memory_stays_flat(tmp_path):
    """A 4 MB .xlsx whose sheet inflates to 1.1 GB: refused from the zip directory, before
    anything is inflated; the reading process's peak memory barely moves."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb(NAME))
    assert path.stat().st_size < 5 * MB
    done = subprocess.run(  # noqa: S603  (our own measuring script)
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout)
    assert "压缩比为288:1，超过上限100:1" in measured["outcome"]
    assert measured["seconds"] < 5
    assert measured["grew_mb"] < 30


# --- writing (issue 10: formula injection) ----------------------------------------------------


@pytest.mark.parametrize("write_only", [True, False])
def test_text_that_could_start_a_formula_is_written_as_text_and_reads_back_unchanged(write_only):
    values = ["=HYPERLINK(\"http://example.cn\",\"点我\")", "=cmd|' /C calc'!A0",
              "+8613907330001", "-3组", "@SUM(1)", "普通文字", -5, 3.5]  # fmt: skip
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("数据") if write_only else book.active
    append_row(sheet, ["姓名", *(f"列{n}" for n in range(len(values) - 1))])
    append_row(sheet, values)
    buffer = io.BytesIO()
    book.save(buffer)

    cells = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0][2]
    assert [c.data_type for c in cells] == ["s"] * 6 + ["n", "n"]
    assert [c.quotePrefix for c in cells] == [True] * 5 + [False] * 3
    assert [c.value for c in cells] == values
    row = next(read_table(io.BytesIO(buffer.getvalue()), filename="x.xlsx", required=NAME).rows)
    assert list(row.values.values()) == values


def test_the_parser_is_given_no_keys_or_passwords_from_the_environment(monkeypatch):
    """The parser runs on files from outside and is kept apart for that reason: its
    environment holds what Python needs, not the data keys, the secret key or the database
    and broker URLs (with their passwords) that the web and worker processes hold."""
    secrets = {
        "DJANGO_SECRET_KEY": "secret-key-0123456789",
        "FUXIANG_DATA_KEYS": "k1:c2VjcmV0LWRhdGEta2V5",
        "FUXIANG_BLIND_INDEX_KEY": "c2VjcmV0LWluZGV4LWtleQ==",
        "DATABASE_URL": "postgres://app:password@db/fuxiang",
        "CELERY_BROKER_URL": "redis://:password@redis/1",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    given = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        given.append(kwargs["env"])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(isolated.subprocess, "Popen", popen)
    table = read(workbook(NAME, [["张三"]]))
    assert [r.values["姓名"] for r in table.rows] == ["张三"]
    (environment,) = given
    assert not set(secrets) & set(environment)
    assert not any(v in value for value in environment.values() for v in secrets.values())
