"""Spreadsheets made to hurt the reader (issue 10's findings), built in a moment and small:

- ``dimension_bomb``: two cells, A1 and XFD1048576 — 512 GB to calamine, which aborts;
- ``zip_bomb``: a few MB whose sheet XML inflates to over a gigabyte of identical rows;
- ``lying_zip``: a part whose data inflates to far more than the zip directory declares;
- ``with_sheet``: a workbook whose sheet XML is written by hand (no r attributes, prefixes...).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

from openpyxl import Workbook

SHEET_PART = "xl/worksheets/sheet1.xml"


def workbook(headers: Sequence[str], rows: Sequence[Sequence[object]] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dimension_bomb(headers: Sequence[str]) -> bytes:
    """The template's header row, and one more cell in the sheet's last row and column."""
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(list(headers))
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, tuple[bytes, int, int, int]]) -> bytes:
    """A zip from already-deflated parts: name → (raw deflate data, crc, size, declared size)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, (raw, crc, _size, declared) in parts.items():
        encoded = name.encode()
        offset = out.tell()
        header = (20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(raw), declared, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *header) + encoded + raw)
        directory.write(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *header, 0, 0, 0, 0, offset) + encoded
        )
    start, size = out.tell(), directory.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), size, start, 0))
    return out.getvalue()


def _deflate(data: bytes) -> tuple[bytes, int, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(data) + compressor.flush()
    return raw, zlib.crc32(data), len(data), len(data)


def zip_bomb(
    headers: Sequence[str], *, inflated: int = 1_100_000_000, declared: int | None = None
) -> bytes:
    """A valid .xlsx of a few MB whose sheet holds the header row and then the same row again
    and again, ``inflated`` bytes of XML in all. Each 1 MB piece of rows is deflated once (a
    full flush makes it independent of what came before) and repeated, so it takes a second to
    build, not the minute a real compressor would. ``declared``: the size the zip directory
    states for the sheet, if not the true one."""
    parts = {name: _deflate(body) for name, body in _parts(workbook(headers)).items()}
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        + b"".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'.encode()
            for i, h in enumerate(headers)
        )
        + b"</row>"
    )
    row = b'<row><c t="inlineStr"><is><t>430223198005171234</t></is></c></row>'
    piece = row * (2**20 // len(row))
    tail = b"</sheetData></worksheet>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(tail) + compressor.flush()
    count = max(1, (inflated - len(head) - len(tail)) // len(piece))
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + count * len(piece) + len(tail)
    parts[SHEET_PART] = (start + repeated * count + end, crc, size, declared or size)
    return _zip(parts)


def lying_zip(headers: Sequence[str]) -> bytes:
    """Like ``zip_bomb`` but 20 MB of XML, and its zip directory says the sheet is 1 KB."""
    return zip_bomb(headers, inflated=20_000_000, declared=1024)


SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_sheet(sheet_data: str, *, prefix: str = "", encoding: str = "UTF-8") -> bytes:
    """A workbook whose one sheet holds ``sheet_data`` inside ``<sheetData>``, as written;
    with ``prefix`` every element of the sheet is in that namespace prefix (``x:c``)."""
    tag = f"{prefix}:" if prefix else ""
    namespace = f'xmlns:{prefix}="{SPREADSHEET_NS}"' if prefix else f'xmlns="{SPREADSHEET_NS}"'
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?><{tag}worksheet {namespace}>'
        f"<{tag}sheetData>{sheet_data}</{tag}sheetData></{tag}worksheet>"
    )
    parts = _parts(workbook(["姓名"]))
    parts[SHEET_PART] = xml.encode(encoding)
    return _zip({name: _deflate(body) for name, body in parts.items()})


def text_cell(text: str, reference: str = "", *, prefix: str = "") -> str:
    tag = f"{prefix}:" if prefix else ""
    position = f' r="{reference}"' if reference else ""
    return f'<{tag}c{position} t="inlineStr"><{tag}is><{tag}t>{text}</{tag}t></{tag}is></{tag}c>'
