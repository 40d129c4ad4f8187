"""The tables of a page, as data: the page renders them (each chart beside its table) and the
Excel export writes the same rows, so an export always says what the page says. ``cell_text``
is how a page shows a cell; the export keeps the value itself (numbers as numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dashboards.engine.figures import Figures, Stage, stage

TEXT, COUNT, AMOUNT, PERCENT = "text", "count", "amount", "percent"
NUMBER = "number"  # a count (int) or an amount (Decimal), told apart by the value's type


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = COUNT

    @property
    def numeric(self) -> bool:
        return self.kind != TEXT


@dataclass(frozen=True)
class Table:
    key: str  # stable id: the page's data-testid and the export's sheet
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # a URL for each row's first cell
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.rows

    @property
    def display(self) -> list[tuple[str | None, Cell, list[Cell]]]:
        """(link of the row, its first cell, the others) as the page shows them."""
        links = self.links or [None] * len(self.rows)
        return [
            (link, cells[0], cells[1:])
            for link, cells in zip(links, display_rows(self), strict=True)
        ]


def cell_text(value: Any, kind: str) -> str:
    """A cell as the page shows it: counts with thousands separators, amounts in yuan with
    two decimals, percentages with one decimal and %, a missing value as —."""
    if value is None:
        return "—"
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == AMOUNT:
        return f"{Decimal(value):,.2f}"
    if kind == PERCENT:
        return f"{Decimal(value):.1f}%"
    if kind == NUMBER:
        return cell_text(value, AMOUNT if isinstance(value, Decimal) else COUNT)
    return str(value)


# --- the standard tables of a scope ---------------------------------------------------------

FUNNEL_COLUMNS = (Column("环节", TEXT), Column("户数"), Column("占户籍户数", PERCENT))

# (column label, kind, how to read it from Figures)
BREAKDOWN: tuple[tuple[str, str, str], ...] = (
    ("户籍户数", COUNT, "registered"),
    ("已建档", COUNT, "archived"),
    ("建档率", PERCENT, "share:archived"),
    ("未建档", COUNT, "not_archived"),
    ("已走访", COUNT, "visited"),
    ("已评级", COUNT, "rated"),
    ("评级率", PERCENT, "share:rated"),
    ("已授信", COUNT, "granted"),
    ("授信率", PERCENT, "share:granted"),
    ("授信金额（元）", AMOUNT, "granted_amount"),
    ("可线上办理", COUNT, "online_eligible"),
    ("已查询（户）", COUNT, "looked_up"),
    ("查询率", PERCENT, "share:looked_up"),
    ("扫码查询（人次）", COUNT, "scans"),
    ("待办申请", COUNT, "requests_pending"),
    ("逾期申请", COUNT, "requests_overdue"),
    ("已申请贷款", COUNT, "applied"),
    ("已签约", COUNT, "signed"),
    ("签约金额（元）", AMOUNT, "signed_amount"),
    ("已用信", COUNT, "drawn"),
    ("用信金额（元）", AMOUNT, "drawn_amount"),
    ("贷款余额（元）", AMOUNT, "balance"),
    ("线上贷款占比", PERCENT, "online_share"),
)


def figure_value(figures: Figures, spec: str) -> Any:
    if spec.startswith("share:"):
        return figures.share(spec.removeprefix("share:"))
    return getattr(figures, spec)


def funnel_table(figures: Figures, funnel: tuple[str, ...]) -> Table:
    rows = [[stage(key).label, getattr(figures, key), figures.share(key)] for key in funnel]
    return Table("funnel", "覆盖漏斗", FUNNEL_COLUMNS, rows)


def totals_table(figures: Figures, stages: tuple[Stage, ...]) -> Table:
    """Every figure of the scope, one per row, with its share where it is a count of
    households."""
    rows: list[list[Any]] = []
    for s in stages:
        value = getattr(figures, s.key)
        share = figures.share(s.key) if s.unit == "户" and s.key != "registered" else None
        rows.append([s.label, s.unit, value, share])
    rows.append(["线上贷款占贷款余额", "%", None, figures.online_share])
    columns = (
        Column("指标", TEXT),
        Column("单位", TEXT),
        Column("数值", NUMBER),
        Column("占比", PERCENT),
    )
    note = "占比：户数占户籍户数；线上贷款占贷款余额"
    return Table("totals", "全部指标", columns, rows, note=note)


def breakdown_table(
    key: str,
    title: str,
    named: list[tuple[str, Figures]],
    *,
    first: str,
    links: list[str | None] | None = None,
    extra: tuple[str, list[str]] | None = None,
) -> Table:
    """One row per child (a township, a grid, a village, an officer) with every figure, and a
    合计 row when there is more than one child. ``extra`` adds a text column after the name
    (e.g. the township of each village)."""
    columns = [Column(first, TEXT)]
    if extra:
        columns.append(Column(extra[0], TEXT))
    columns += [Column(label, kind) for label, kind, _ in BREAKDOWN]
    rows: list[list[Any]] = []
    for n, (name, figures) in enumerate(named):
        row: list[Any] = [name]
        if extra:
            row.append(extra[1][n])
        row += [figure_value(figures, spec) for _, _, spec in BREAKDOWN]
        rows.append(row)
    row_links = list(links or [None] * len(named))
    if len(named) > 1:
        total = Figures.total(figures for _, figures in named)
        row = ["合计"] + ([""] if extra else []) + [figure_value(total, s) for _, _, s in BREAKDOWN]
        rows.append(row)
        row_links.append(None)
    return Table(key, title, tuple(columns), rows, row_links)


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool

    @property
    def css(self) -> str:
        return "text-end text-nowrap" if self.numeric else ""


def display_rows(table: Table) -> list[list[Cell]]:
    """The rows as the page shows them."""
    return [
        [
            Cell(cell_text(value, column.kind), column.numeric)
            for value, column in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    ]
