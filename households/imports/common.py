"""What every archive import shares: parsed rows, rejected rows, the result, village lookup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from households import spreadsheets as cells
from households.imports.columns import Column
from households.models import ImportStatus, Village
from households.services import DuplicateRefusal
from households.spreadsheets import Row

Progress = Callable[[int, int], None]
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column header, or "" for the row as a whole
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行"
        return (
            f"{where}「{self.column}」：{self.message}"
            if self.column
            else f"{where}：{self.message}"
        )


@dataclass
class ParsedRow:
    number: int
    source: Row | None  # the row as read (its cells make the error report's row)
    values: dict[str, Any]  # field → parsed value (only columns that parsed)
    errors: list[RowError] = field(default_factory=list)
    columns: Sequence[Column] = ()

    @property
    def raw(self) -> list[Any]:
        """The cells in template order, as given: only a rejected row's are ever needed."""
        values = self.source.values if self.source is not None else {}
        return [values.get(c.header) for c in self.columns]

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[ParsedRow] = field(default_factory=list)
    # IDs refused because archived already elsewhere: audited once the import is over
    refusals: list[DuplicateRefusal] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len(self.rejected)

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rejected for error in row.errors]

    def summary(self) -> str:
        verb = "可新建" if self.dry_run else "新建"
        return (
            f"共{self.total_rows}行：{verb}{self.created}，更新{self.updated}，"
            f"无变化{self.unchanged}，拒绝{self.rejected_rows}行"
        )


def parse_row(row: Row, columns: Sequence[Column]) -> ParsedRow:
    parsed = ParsedRow(number=row.number, source=row, values={}, columns=columns)
    get = row.values.get
    for column in columns:
        raw = get(column.header)
        if not column.required and (raw is None or raw == "" or cells.cell_text(raw) == ""):
            continue  # blank: a new record takes the default, an archived one keeps its value
        try:
            value = column.parse(raw)
        except cells.CellError as exc:
            parsed.fail(column.header, str(exc))
            continue
        if column.parse is cells.parse_amount and value >= MAX_AMOUNT:
            parsed.fail(column.header, "金额过大，请核对单位")
            continue
        parsed.values[column.field] = value
    return parsed


class VillageResolver:
    """Finds the village a row names (by code, or by township + village name) among the villages
    the importing user may edit."""

    def __init__(self, villages: Any, *, everything: Any):
        self.editable = {v.pk for v in villages}
        rows = list(everything.select_related("township"))
        self.by_code = {v.code: v for v in rows}
        self.by_name: dict[tuple[str, str], list[Village]] = {}
        self.by_village_name: dict[str, list[Village]] = {}
        for village in rows:
            self.by_name.setdefault((village.township.name, village.name), []).append(village)
            self.by_village_name.setdefault(village.name, []).append(village)

    def resolve(self, row: ParsedRow) -> Village | None:
        code = row.values.get("village_code", "")
        township = row.values.get("township_name", "")
        name = row.values.get("village_name", "")
        if code:
            village = self.by_code.get(code)
            if village is None:
                row.fail("村编码", f"村编码“{code}”不存在")
                return None
        elif name:
            found = (
                self.by_name.get((township, name), [])
                if township
                else self.by_village_name.get(name, [])
            )
            if not found:
                row.fail("村/社区", f"找不到“{township}{name}”，请核对乡镇和村名，或填写村编码")
                return None
            if len(found) > 1:
                row.fail("乡镇", f"有多个村叫“{name}”，请填写乡镇或村编码")
                return None
            village = found[0]
        else:
            row.fail("村编码", "请填写村编码，或乡镇和村/社区名称")
            return None
        if village.pk not in self.editable:
            row.fail("村/社区", f"“{village.name}”不在您负责的网格内，不能导入")
            return None
        return village


def claim_job(model: Any, job_id: int, *, stale_after: timedelta, **reset: Any) -> bool:
    """Take a background job (import or export) with one conditional UPDATE: if it is new, or
    was left "running" longer than ``stale_after`` by a worker that died. A redelivered task
    for a live job claims nothing. ``reset`` zeroes the job's progress fields."""

    now = timezone.now()
    return bool(
        model.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportStatus.PENDING)
            | Q(status=ImportStatus.RUNNING, started_at__lt=now - stale_after)
        )
        .update(status=ImportStatus.RUNNING, started_at=now, **reset)
    )
