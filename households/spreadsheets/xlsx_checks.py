"""Checking an uploaded .xlsx before any parser reads it.

An .xlsx is a zip of XML parts, and two files of a few kilobytes can take a server down through
its parser: a sheet holding cells at A1 and XFD1048576 makes calamine allocate the whole
1,048,576 × 16,384 grid (512 GB: Rust aborts the process, no ``except`` can catch it), and a
sheet of identical rows compressed 1000:1 turns 4.5 MB into gigabytes. ``check_xlsx`` refuses
both from what it can see cheaply:

- the zip directory: number of parts, declared sizes and compression ratios, no encryption and
  no compression but deflate — before anything is inflated;
- every sheet part, inflated here piece by piece (memory stays flat, and a part that inflates to
  more than its declared size is refused: the directory cannot lie) and scanned for the cells'
  positions the way calamine reads them — ``<c r="XFD1048576">``, cells and rows without an
  ``r`` (they follow the previous one), namespace prefixes (``<x:c>``) — so the used range is
  known before any grid is built. calamine uses the declared ``<dimension>`` only as a capped
  capacity hint, so it is not trusted either way.

The file is then parsed in a child process (``isolated``) whose address space is limited, which
also bounds whatever this check could miss.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from households.spreadsheets.errors import SpreadsheetError
from households.spreadsheets.limits import MB, Limits

MAX_PARTS = 1000  # a workbook from Excel or WPS has a few dozen
RATIO_FLOOR = MB  # small parts (styles, themes) may compress well and cost nothing
COMPRESSED_PIECE = 16 * 1024  # inflates to at most ~16 MB (deflate's ratio is at most 1032:1)
MAX_PENDING = 4 * MB  # no tag or cell text is this long
SHEET_PARTS = "sheets/"  # xl/worksheets/, xl/chartsheets/, xl/dialogsheets/, xl/macrosheets/

END_OF_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
LOCAL_HEADER = b"PK\x03\x04"

CORRUPT = "文件不是有效的 Excel 表格（可能已损坏或设置了密码）"
RESAVE = "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"


@dataclass
class Extent:
    """The used range of a sheet part: the last row and column holding a cell (1-based)."""

    rows: int = 0
    columns: int = 0

    def cover(self, rows: int, columns: int) -> None:
        self.rows = max(self.rows, rows)
        self.columns = max(self.columns, columns)

    def beyond(self, limits: Limits) -> bool:
        return (
            self.rows > limits.max_rows
            or self.columns > limits.max_columns
            or self.rows * self.columns > limits.max_cells
        )


def check_xlsx(data: bytes, limits: Limits) -> None:
    """Raise ``SpreadsheetError`` (in Chinese, naming the limit) unless the package's
    directory and every sheet's used range are within ``limits``."""
    archive = _open(data)
    _check_directory(archive, limits)
    sheet_names = _sheet_names(archive)
    for info in archive.infolist():
        part = info.filename.lower().lstrip("/")
        if SHEET_PARTS not in part:
            continue
        sheet = sheet_names.get(part, info.filename[:60])
        extent = _scan_fast(data, info, sheet, limits)
        if extent is None:  # cells without r, prefixed tags: follow positions tag by tag
            extent = _scan_exact(data, info, sheet, limits)
        _check_extent(extent, sheet, limits)


# --- the zip directory ------------------------------------------------------------------------


def _open(data: bytes) -> zipfile.ZipFile:
    tail = max(0, len(data) - 65_557)  # the 22-byte record and the longest comment
    end = data.rfind(END_OF_DIRECTORY, tail)
    # no directory, or two of them (zip readers could disagree on which one counts)
    if end < 0 or data.count(END_OF_DIRECTORY, tail) != 1 or len(data) < end + 22:
        raise SpreadsheetError(CORRUPT)
    (parts,) = struct.unpack_from("<H", data, end + 10)
    if parts > MAX_PARTS or data[max(0, end - 20) : end - 16] == ZIP64_LOCATOR:
        raise SpreadsheetError(f"文件结构异常：部件过多（上限{MAX_PARTS}个）。{RESAVE}")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise SpreadsheetError(CORRUPT) from exc


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    declared = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:  # an encrypted part
            raise SpreadsheetError(CORRUPT)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SpreadsheetError(f"文件使用了不支持的压缩方式。{RESAVE}")
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise SpreadsheetError(
                f"文件中的“{info.filename[:60]}”压缩比为{ratio:.0f}:1，"
                f"超过上限{limits.max_compression_ratio}:1（疑似压缩炸弹），已拒绝"
            )
    if declared > limits.max_uncompressed_bytes:
        raise SpreadsheetError(
            f"文件解压后有{declared / MB:.0f}MB，超过上限{limits.max_uncompressed_bytes // MB}MB；"
            "请删除多余的工作表和空行，或按村拆分后分别导入"
        )


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in pieces of at most ~16 MB, exactly as the directory declares them:
    a part that inflates to more or less, or fails its checksum, is refused."""
    start = info.header_offset
    if data[start : start + 4] != LOCAL_HEADER:
        raise SpreadsheetError(CORRUPT)
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_length + extra_length
    raw = memoryview(data)[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise SpreadsheetError(CORRUPT)
    produced = checksum = 0
    for piece in _stored(raw) if info.compress_type == zipfile.ZIP_STORED else _deflated(raw):
        produced += len(piece)
        if produced > info.file_size:
            raise SpreadsheetError(f"文件中的“{info.filename[:60]}”与压缩目录不符，已拒绝")
        checksum = zlib.crc32(piece, checksum)
        yield piece
    if produced != info.file_size or checksum != info.CRC:
        raise SpreadsheetError(CORRUPT)


def _stored(raw: memoryview) -> Iterator[bytes]:
    for offset in range(0, len(raw), MB):
        yield bytes(raw[offset : offset + MB])


def _deflated(raw: memoryview) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for offset in range(0, len(raw), COMPRESSED_PIECE):
            piece = inflater.decompress(raw[offset : offset + COMPRESSED_PIECE])
            if piece:
                yield piece
            if inflater.eof:
                break
    except zlib.error as exc:
        raise SpreadsheetError(CORRUPT) from exc
    if not inflater.eof:
        raise SpreadsheetError(CORRUPT)


_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')


def _attributes(tag: bytes) -> dict[bytes, str]:
    return {key: html.unescape(value.decode("utf-8", "replace")) for key, value in
            _ATTRIBUTE.findall(tag)}  # fmt: skip


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part (lower case) → the sheet's name, for messages; empty if it cannot tell."""
    try:
        parts = {i.filename.lower(): i for i in archive.infolist()}
        workbook, relations = parts["xl/workbook.xml"], parts["xl/_rels/workbook.xml.rels"]
        if workbook.file_size > MB or relations.file_size > MB:
            return {}
        targets = {}
        for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", archive.read(relations)):
            found = _attributes(tag)
            target = found.get(b"Target", "").lstrip("/")
            targets[found.get(b"Id", "")] = target if target.startswith("xl/") else f"xl/{target}"
        names = {}
        for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", archive.read(workbook)):
            found = _attributes(tag)
            relation = next((v for k, v in found.items() if k.endswith(b":id")), "")
            if relation in targets:
                names[targets[relation].lower()] = found.get(b"name", "")[:60]
        return names
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error):
        return {}


# --- the sheets -------------------------------------------------------------------------------


def _regions(data: bytes, info: zipfile.ZipInfo, sheet: str) -> Iterator[bytes]:
    """The part's XML in regions that end before a ``<``: no tag spans two regions (``<``
    cannot occur inside a tag)."""
    pending = b""
    first = True
    for piece in _inflate(data, info):
        if first:
            _check_encoding(piece, sheet)
            first = False
        pending += piece
        cut = pending.rfind(b"<")
        if cut < 0:
            region, pending = pending, b""
        else:
            region, pending = pending[:cut], pending[cut:]
        if len(pending) > MAX_PENDING:
            raise SpreadsheetError(f"工作表“{sheet}”的结构无法识别。{RESAVE}")
        if region:
            yield _no_declarations(region, sheet)
    if pending:
        yield _no_declarations(pending, sheet)


def _check_encoding(head: bytes, sheet: str) -> None:
    """Markup is scanned as bytes: a sheet in UTF-16, which a parser would decode, is refused
    (Excel and WPS write UTF-8)."""
    head = head[:512].removeprefix(b"\xef\xbb\xbf")
    declared = re.match(rb'\s*<\?xml[^>]*?encoding\s*=\s*["\']([\w.:-]+)', head)
    if b"\x00" in head or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8")):
        raise SpreadsheetError(f"工作表“{sheet}”不是 UTF-8 编码。{RESAVE}")


def _no_declarations(region: bytes, sheet: str) -> bytes:
    if b"<!DOCTYPE" in region or b"<!ENTITY" in region:
        raise SpreadsheetError(f"工作表“{sheet}”含有不允许的 XML 声明。{RESAVE}")
    return region


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# What Excel, WPS and openpyxl write: every cell's first attribute is r="A1". One pass finds
# every cell start (``<c`` then a space, ``/`` or ``>``); those without a leading r give empty
# groups and send the part to the exact scan.
_FAST_CELL = re.compile(rb'<c(?: r="([A-Za-z]+)(\d+)"|[\s/>])')
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")


def _scan_fast(data: bytes, info: zipfile.ZipInfo, sheet: str, limits: Limits) -> Extent | None:
    """The used range if every cell names its position first (the cell's own r gives both its
    row and column, whatever the row says); ``None`` if some cell does not."""
    extent = Extent()
    for region in _regions(data, info, sheet):
        if _PREFIXED.search(region):
            return None
        found = _FAST_CELL.findall(region)
        letters = {column for column, _ in found}
        if b"" in letters:
            return None
        if found:
            rows = max(map(int, {row for _, row in found}))
            extent.cover(rows, max(map(_column_number, letters)))
            if extent.beyond(limits):
                return extent
    return extent


# Every start or end tag of a row or a cell, with any namespace prefix, its attributes parsed
# the way an XML parser does (a quoted value may hold ">"), and whether it closes itself.
_TAG = re.compile(
    rb"<(/?)(?:[^\s/>!?]*:)?(c|row)(?=[\s/>])"
    rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_TAG_START = re.compile(rb"<(?:[^\s/>!?]*:)?(?:c|row)[\s/>]")
_POSITION = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_REFERENCE = re.compile(rb"([A-Za-z]+)([0-9]+)")
_ROW_REFERENCE = re.compile(rb"[A-Za-z]*([0-9]+)")


def _scan_exact(data: bytes, info: zipfile.ZipInfo, sheet: str, limits: Limits) -> Extent:
    """Follow calamine's positions tag by tag: a row without r follows the previous one, a
    cell without r the previous cell; a cell's own r sets its row and column; an empty cell
    (``<c r="XFD1"/>``) holds nothing but moves the position. Any row or cell tag this cannot
    parse is refused rather than guessed."""
    extent = Extent()
    row = column = 0  # 0-based, as calamine counts
    for region in _regions(data, info, sheet):
        starts = 0
        for match in _TAG.finditer(region):
            closing, name, attributes, empty = match.groups()
            if closing:
                if name == b"row":
                    row, column = row + 1, 0
                continue
            starts += 1
            position = _position(attributes, sheet)
            if name == b"row":
                if position is not None:
                    row = _row_number(position, sheet) - 1
                if empty:
                    row, column = row + 1, 0
                continue
            cell_row = row
            if position is not None:
                cell_row, column = _cell_position(position, sheet)
            if not empty:
                extent.cover(cell_row + 1, column + 1)
            column += 1
        if starts != len(_TAG_START.findall(region)):
            raise SpreadsheetError(f"工作表“{sheet}”的结构无法识别。{RESAVE}")
        if extent.beyond(limits):
            break
    return extent


def _position(attributes: bytes, sheet: str) -> bytes | None:
    found = _POSITION.findall(attributes)
    if len(found) > 1:
        raise SpreadsheetError(f"工作表“{sheet}”的结构无法识别。{RESAVE}")
    return (found[0][0] or found[0][1]) if found else None


def _cell_position(reference: bytes, sheet: str) -> tuple[int, int]:
    match = _CELL_REFERENCE.fullmatch(reference)
    if match is None or int(match.group(2)) == 0:
        raise SpreadsheetError(f"工作表“{sheet}”中有无效的单元格位置。{RESAVE}")
    return int(match.group(2)) - 1, _column_number(match.group(1)) - 1


def _row_number(reference: bytes, sheet: str) -> int:
    match = _ROW_REFERENCE.fullmatch(reference)
    if match is None or int(match.group(1)) == 0:
        raise SpreadsheetError(f"工作表“{sheet}”中有无效的行号。{RESAVE}")
    return int(match.group(1))


def _check_extent(extent: Extent, sheet: str, limits: Limits) -> None:
    split = "请删除多余的行列，或按村拆分后分别导入"
    if extent.rows > limits.max_rows:
        raise SpreadsheetError(
            f"工作表“{sheet}”用到了第{extent.rows}行，超过导入上限{limits.max_rows}行；{split}"
        )
    if extent.columns > limits.max_columns:
        raise SpreadsheetError(
            f"工作表“{sheet}”用到了第{extent.columns}列，超过导入上限{limits.max_columns}列；"
            "请删除多余的列"
        )
    if extent.rows * extent.columns > limits.max_cells:
        raise SpreadsheetError(
            f"工作表“{sheet}”的数据区域有{extent.rows}行×{extent.columns}列，"
            f"超过导入上限{limits.max_cells}个单元格；{split}"
        )
