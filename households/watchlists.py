"""Official watch lists (失信被执行人, 犯罪记录, 涉毒涉赌, 低保, 脱贫户) and their matches against
the archives.

Head office imports a list file; each row becomes a ``WatchlistEntry`` whose ID number is stored
like a member's (encrypted, blind index, masked) — or, for a company on a 失信被执行人 list, whose
USCC (统一社会信用代码) is stored as is. Matching joins entries to members and to business
entities' legal representatives on the blind index, and company entries to business entities
on the USCC, in set-based statements, never one query per person. A ``WatchlistMatch`` is the
evidence (which entry, hence which upload and row, and when it was matched); when the entry is
lifted the match is cleared, never deleted, and nothing is re-opened silently: a re-listing is a
new entry with a new 列入日期 and so a new match.

This module imports a list file (``watchlist_import``); ``watchlist_matching`` brings the
matches up to date (``watchlists_recheck``) and ``watchlist_selectors`` reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from households.identity import IdentityError, validate_uscc
from households.models import (
    WatchlistEntry,
    WatchlistKind,
    WatchlistUpload,
)
from households.services import WATCHLIST_ENTRY_ID_COLUMN, protect_resident_id
from households.spreadsheets import (
    CellError,
    Limits,
    Row,
    SpreadsheetError,
    parse_date,
    read_table,
)
from households.watchlist_matching import recheck

logger = logging.getLogger(__name__)

ENTRY_ID_COLUMN = WATCHLIST_ENTRY_ID_COLUMN
COL_ID = "身份证号码"
COL_NAME = "姓名"
COL_SOURCE = "来源"
COL_LISTED = "列入日期"
COL_LIFTED = "移出日期"
COL_USCC = "统一社会信用代码"
# A row names a person (身份证号码) or a company (统一社会信用代码); the file has either column.
REQUIRED_COLUMNS = (COL_NAME, COL_LISTED)
IDENTITY_COLUMNS = (COL_ID, COL_USCC)
TEMPLATE_COLUMNS = (COL_ID, COL_NAME, COL_SOURCE, COL_LISTED, COL_LIFTED, COL_USCC)
# Only courts list companies (失信被执行人); the other lists name people.
COMPANY_KINDS = frozenset({WatchlistKind.DISHONEST_DEBTOR})


_PERSON_NAME_MAX = 50
_COMPANY_NAME_MAX = WatchlistEntry._meta.get_field("name").max_length or 100
_SOURCE_MAX = WatchlistEntry._meta.get_field("source").max_length or 100
_CHUNK = 500  # IN-lists and bulk writes stay well under every backend's parameter limit


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    """One refused cell: ``row`` as the user sees it in Excel, ``field`` the column header."""

    row: int
    field: str
    reason: str

    @property
    def message(self) -> str:
        return f"第{self.row}行 {self.field}{self.reason}"


@dataclass
class WatchlistImportResult:
    upload: WatchlistUpload
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    recheck: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})


@dataclass(frozen=True)
class _ParsedRow:
    number: int
    name: str
    source: str
    listed_on: date
    lifted_on: date | None
    encrypted: str  # a person's ID ("" for a company)
    index: str
    masked: str
    uscc: str | None = None  # a company's code (None for a person)

    @property
    def identity(self) -> str:
        """Who the row names: a person's blind index or a company's code."""
        return f"uscc:{self.uscc}" if self.uscc else self.index


# --- import -----------------------------------------------------------------------------------


def _kind(value: str) -> str:
    for code, label in WatchlistKind.choices:
        if value in (code, str(label)):
            return code
    allowed = "、".join(str(label) for label in WatchlistKind.labels)
    raise DomainError({"kind": f"名单类型“{value}”无效，应为：{allowed}"})


def _parse_row(
    row: Row, *, kind: str, default_source: str, as_of: date
) -> _ParsedRow | list[RejectedRow]:
    problems: list[RejectedRow] = []

    def refuse(column: str, reason: str) -> None:
        problems.append(RejectedRow(row=row.number, field=column, reason=reason))

    protected = None
    uscc = None
    id_text, uscc_text = row.text(COL_ID), row.text(COL_USCC)
    if id_text and uscc_text:
        refuse(COL_USCC, "与身份证号码只能填一个（个人填身份证号码，企业填统一社会信用代码）")
    elif uscc_text:
        if kind not in COMPANY_KINDS:
            refuse(COL_USCC, "只有失信被执行人名单可以列入企业，本名单请填写身份证号码")
        else:
            try:
                uscc = validate_uscc(uscc_text)
            except IdentityError as exc:
                refuse(COL_USCC, str(exc))
    elif not id_text:
        refuse(COL_ID, "不能为空（企业请填写统一社会信用代码）")
    else:
        try:
            protected = protect_resident_id(
                id_text, field="id_number", label="", column=ENTRY_ID_COLUMN, as_of=as_of
            )
        except DomainError as error:
            refuse(COL_ID, error.message)
    name = row.text(COL_NAME)
    name_max = _COMPANY_NAME_MAX if uscc_text else _PERSON_NAME_MAX
    if not name:
        refuse(COL_NAME, "不能为空")
    elif len(name) > name_max:
        refuse(COL_NAME, f"不能超过{name_max}个字")
    source = row.text(COL_SOURCE) or default_source
    if len(source) > _SOURCE_MAX:
        refuse(COL_SOURCE, f"不能超过{_SOURCE_MAX}个字")
    listed_on = lifted_on = None
    try:
        listed_on = parse_date(row.values.get(COL_LISTED))
        if listed_on is None:
            refuse(COL_LISTED, "不能为空")
        elif listed_on > as_of:
            refuse(COL_LISTED, f"{listed_on:%Y-%m-%d}晚于导入日期{as_of:%Y-%m-%d}")
    except CellError as error:
        refuse(COL_LISTED, str(error))
    try:
        lifted_on = parse_date(row.values.get(COL_LIFTED))
    except CellError as error:
        refuse(COL_LIFTED, str(error))
    if listed_on and lifted_on and lifted_on < listed_on:
        refuse(COL_LIFTED, f"{lifted_on:%Y-%m-%d}早于列入日期{listed_on:%Y-%m-%d}")
    if problems:
        return problems
    # no problems above means the date and the person's ID or the company's code were parsed
    assert listed_on is not None  # noqa: S101
    assert protected is not None or uscc is not None  # noqa: S101
    return _ParsedRow(
        number=row.number,
        name=name,
        source=source,
        listed_on=listed_on,
        lifted_on=lifted_on,
        encrypted=protected.encrypted if protected else "",
        index=protected.index if protected else "",
        masked=protected.masked if protected else "",
        uscc=uscc,
    )


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_entries(
    kind: str, indexes: list[str], codes: list[str]
) -> dict[tuple[str, date], WatchlistEntry]:
    """Stored entries of ``kind`` for these people (blind indexes) and companies (USCCs), by
    (``_ParsedRow.identity``, 列入日期)."""
    found: dict[tuple[str, date], WatchlistEntry] = {}
    for chunk in _chunks(indexes):
        people = WatchlistEntry.objects.filter(kind=kind, uscc__isnull=True)
        for entry in people.filter(id_number_index__in=chunk):
            found[(entry.id_number_index, entry.listed_on)] = entry
    for chunk in _chunks(codes):
        for entry in WatchlistEntry.objects.filter(kind=kind, uscc__in=chunk):
            found[(f"uscc:{entry.uscc}", entry.listed_on)] = entry
    return found


def _upsert(upload: WatchlistUpload, rows: list[_ParsedRow], result: WatchlistImportResult) -> None:
    """Create new (kind, ID, 列入日期) entries; on existing ones change only name, source and
    移出日期. A blank 移出日期 never erases a recorded one: lists re-activate nobody."""
    existing = _existing_entries(
        upload.kind,
        sorted({r.index for r in rows if not r.uscc}),
        sorted({r.uscc for r in rows if r.uscc}),
    )
    now = timezone.now()
    new: list[WatchlistEntry] = []
    changed: list[WatchlistEntry] = []
    for row in rows:
        entry = existing.get((row.identity, row.listed_on))
        if entry is None:
            new.append(
                WatchlistEntry(
                    kind=upload.kind,
                    upload=upload,
                    row_number=row.number,
                    name=row.name,
                    id_number_encrypted=row.encrypted,
                    id_number_index=row.index,
                    id_number_masked=row.masked,
                    uscc=row.uscc,
                    source=row.source,
                    listed_on=row.listed_on,
                    lifted_on=row.lifted_on,
                )
            )
            continue
        lifted_on = row.lifted_on or entry.lifted_on
        if (entry.name, entry.source, entry.lifted_on) == (row.name, row.source, lifted_on):
            result.unchanged += 1
            continue
        entry.name, entry.source, entry.lifted_on = row.name, row.source, lifted_on
        entry.updated_at = now
        changed.append(entry)
    WatchlistEntry.objects.bulk_create(new, batch_size=_CHUNK)
    WatchlistEntry.objects.bulk_update(
        changed, ["name", "source", "lifted_on", "updated_at"], batch_size=_CHUNK
    )
    result.created, result.updated = len(new), len(changed)


@transaction.atomic
def watchlist_import(
    *,
    actor: User | None,
    kind: str,
    source: str,
    stream: IO[bytes],
    filename: str,
    as_of: date,
    system: bool = False,
    audit: AuditContext | None = None,
) -> WatchlistImportResult:
    """Import one official list file (.xlsx or UTF-8/GBK .csv) of ``kind``.

    Only head office may import; ``actor=None`` with ``system=True`` is the management command.
    Bad rows are reported (row, column, reason) and skipped; good rows are stored in one
    transaction. A (kind, ID, 列入日期) already stored only has its name, source and 移出日期
    updated, so importing the same file again changes nothing. Matches are re-checked before
    returning. Raises ``DomainError`` for a refused user or an unreadable file."""
    if not (actor is None and system) and not roles.can_manage_watchlists(actor):
        raise PermissionDenied("只有总行可以导入名单")
    kind = _kind(kind)
    source = (source or "").strip()
    if not source:
        raise DomainError({"source": "名单来源不能为空"})
    if len(source) > _SOURCE_MAX:
        raise DomainError({"source": f"名单来源不能超过{_SOURCE_MAX}个字"})
    try:
        table = read_table(
            stream,
            filename=filename,
            required=REQUIRED_COLUMNS,
            limits=Limits.from_settings(settings),
        )
        if not any(column in table.headers for column in IDENTITY_COLUMNS):
            raise SpreadsheetError(
                f"表格缺少必需的列：{COL_ID}（个人）或{COL_USCC}（企业）。"
                "请使用系统提供的导入模板，不要修改表头"
            )
        rows = list(table.rows)
    except SpreadsheetError as error:
        raise DomainError({"file": str(error)}) from error

    upload = WatchlistUpload.objects.create(
        kind=kind,
        source=source,
        original_name=filename[-200:],
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    result = WatchlistImportResult(upload=upload, total_rows=len(rows))
    accepted: list[_ParsedRow] = []
    first_row_of: dict[str, int] = {}
    for row in rows:
        parsed = _parse_row(row, kind=kind, default_source=source, as_of=as_of)
        if isinstance(parsed, list):
            result.rejected.extend(parsed)
            continue
        if parsed.identity in first_row_of:
            who = "每个企业" if parsed.uscc else "每人"
            result.rejected.append(
                RejectedRow(
                    row=row.number,
                    field=COL_USCC if parsed.uscc else COL_ID,
                    reason=f"与第{first_row_of[parsed.identity]}行重复，同一文件中{who}只能出现一次",
                )
            )
            continue
        first_row_of[parsed.identity] = row.number
        accepted.append(parsed)
    _upsert(upload, accepted, result)

    upload.total_rows = result.total_rows
    upload.accepted_rows = result.accepted
    upload.rejected_rows = result.rejected_rows
    upload.save(update_fields=["total_rows", "accepted_rows", "rejected_rows"])
    result.recheck = recheck(as_of=as_of)
    audit_record(
        action=AuditAction.WATCHLIST_IMPORT,
        actor=actor,
        target=upload,
        target_label=str(upload),
        audit=audit,
        details={
            "kind": kind,
            "as_of": as_of.isoformat(),
            "total_rows": result.total_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected_rows": result.rejected_rows,
            **{f"matches_{k}": v for k, v in result.recheck.items()},
        },
    )
    return result
