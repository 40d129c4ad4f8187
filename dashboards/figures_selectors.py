"""Reads of the summaries for a scope: its figures, its children's (townships, branches, grids,
villages, officers) and the time they are as of. One query for the latest snapshot, one for
its rows in the scope (~250 at most), a few for names; everything else is addition."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet, Sum

from dashboards.engine import AMOUNT_FIELDS, COUNT_FIELDS, Figures
from dashboards.models import Period, VillageFigures
from dashboards.scopes import BRANCH, COUNTY, GRID, OFFICER, TOWNSHIP, VILLAGE, Scope
from households.models import Grid

FIGURE_FIELDS = COUNT_FIELDS + AMOUNT_FIELDS
REST_LABEL = "客户经理二维码等（不属任何村）"
NO_GRID_LABEL = "未划入网格的村"


@dataclass(frozen=True)
class Snapshot:
    period: str
    day: date
    as_of: datetime


@dataclass(frozen=True)
class Row:
    """A child of a scope: what it is (for its link), its name and its figures."""

    kind: str  # township, branch, grid, village, officer, or "" (a rest row: no link)
    pk: int | None
    name: str
    figures: Figures
    parent: str = ""


@dataclass
class Dashboard:
    scope: Scope
    snapshot: Snapshot | None
    total: Figures = field(default_factory=Figures)
    children: list[Row] = field(default_factory=list)
    child_kind: str = ""
    branches: list[Row] = field(default_factory=list)  # the county's, by branch
    officers: list[Row] = field(default_factory=list)  # a branch's or a grid's officers


def latest_snapshot(
    *, on_or_before: date | None = None, period: str = Period.DAY
) -> Snapshot | None:
    """The latest refresh (of a day, or of a week), at or before a day if given."""
    rows = VillageFigures.objects.filter(period=period)
    if on_or_before is not None:
        rows = rows.filter(day__lte=on_or_before)
    row = rows.order_by("-day").values("day", "as_of").first()
    return Snapshot(period, row["day"], row["as_of"]) if row else None


def scope_rows(scope: Scope, snapshot: Snapshot) -> QuerySet[VillageFigures]:
    rows = VillageFigures.objects.filter(period=snapshot.period, day=snapshot.day)
    if scope.is_county:
        return rows
    in_scope = Q(village_id__in=scope.village_ids)
    if scope.rest_grids:
        in_scope |= Q(village__isnull=True, grid_id__in=list(scope.rest_grids))
    return rows.filter(in_scope)


def scope_total(scope: Scope, snapshot: Snapshot | None) -> Figures:
    """The scope's figures alone (no children), added up by the database."""
    if snapshot is None:
        return Figures()
    sums = {f"sum_{name}": Sum(name) for name in FIGURE_FIELDS}
    row = scope_rows(scope, snapshot).aggregate(**sums)
    return Figures.from_mapping({name: row[f"sum_{name}"] for name in FIGURE_FIELDS})


def _read(scope: Scope, snapshot: Snapshot) -> tuple[dict[int, Figures], dict[int | None, Figures]]:
    """{village: figures} and {grid: figures of its rows of no village}."""
    villages: dict[int, Figures] = {}
    rest: dict[int | None, Figures] = {}
    for row in scope_rows(scope, snapshot).values("village_id", "grid_id", *FIGURE_FIELDS):
        figures = Figures.from_mapping(row)
        if row["village_id"] is not None:
            villages[row["village_id"]] = figures
        else:
            rest[row["grid_id"]] = rest.get(row["grid_id"], Figures()) + figures
    return villages, rest


def dashboard(scope: Scope, *, snapshot: Snapshot | None = None) -> Dashboard:
    """The figures of ``scope`` and of its children, from the latest refresh (or the one
    given): the county by township and by branch, a township by village, a branch by grid and
    by officer, a grid or an officer by village."""
    snapshot = snapshot or latest_snapshot()
    board = Dashboard(scope=scope, snapshot=snapshot)
    # before the first refresh: the scope's structure with nothing counted yet
    villages, rest = _read(scope, snapshot) if snapshot else ({}, {})
    empty = Figures()
    by_village = {v.pk: villages.get(v.pk, empty) for v in scope.villages}
    board.total = Figures.total(by_village.values()) + Figures.total(rest.values())
    rest_total = Figures.total(rest.values())

    if scope.kind == COUNTY:
        board.child_kind = TOWNSHIP
        board.children = _grouped(
            scope, by_village, lambda v: (TOWNSHIP, v.township_id, v.township_name, "")
        )
        if not rest_total.is_empty():
            board.children.append(Row("", None, REST_LABEL, rest_total))
        board.branches = _by_branch(scope, by_village, rest)
    elif scope.kind == TOWNSHIP:
        board.child_kind = VILLAGE
        board.children = _grouped(scope, by_village, lambda v: (VILLAGE, v.pk, v.name, v.grid_name))
    elif scope.kind == BRANCH:
        board.child_kind = GRID
        grids = _by_grid(scope, by_village, rest)
        board.children = [Row(GRID, pk, name, grids.get(pk, empty)) for pk, name in scope.grids]
        board.officers = _officers(scope, grids)
    elif scope.kind in (GRID, OFFICER):
        board.child_kind = VILLAGE
        board.children = _grouped(scope, by_village, lambda v: (VILLAGE, v.pk, v.name, v.grid_name))
        if not rest_total.is_empty():
            board.children.append(Row("", None, REST_LABEL, rest_total))
        if scope.kind == GRID:
            board.officers = _officers(scope, _by_grid(scope, by_village, rest))
    return board


def _grouped(scope: Scope, by_village: dict[int, Figures], key: Any) -> list[Row]:
    groups: dict[tuple[str, int | None, str, str], Figures] = {}
    for village in scope.villages:
        k = key(village)
        groups[k] = groups.get(k, Figures()) + by_village[village.pk]
    return [
        Row(kind, pk, name, figures, parent) for (kind, pk, name, parent), figures in groups.items()
    ]


def _by_grid(
    scope: Scope, by_village: dict[int, Figures], rest: dict[int | None, Figures]
) -> dict[int, Figures]:
    grids: dict[int, Figures] = defaultdict(Figures)
    for village in scope.villages:
        if village.grid_id is not None:
            grids[village.grid_id] = grids[village.grid_id] + by_village[village.pk]
    for grid, figures in rest.items():
        if grid is not None:
            grids[grid] = grids[grid] + figures
    return grids


def _by_branch(
    scope: Scope, by_village: dict[int, Figures], rest: dict[int | None, Figures]
) -> list[Row]:
    grids = _by_grid(scope, by_village, rest)
    branch_of = {
        pk: (branch, name)
        for pk, branch, name in Grid.objects.values_list("pk", "branch_id", "branch__name")
    }
    branches: dict[tuple[int, str], Figures] = {}
    orphans = Figures()
    for grid, figures in grids.items():
        if grid in branch_of:
            key = branch_of[grid]
            branches[key] = branches.get(key, Figures()) + figures
        else:
            orphans = orphans + figures
    for village in scope.villages:
        if village.grid_id is None:
            orphans = orphans + by_village[village.pk]
    orphans = orphans + rest.get(None, Figures())
    rows = [Row(BRANCH, pk, name, figures) for (pk, name), figures in sorted(branches.items())]
    if not orphans.is_empty():
        rows.append(Row("", None, NO_GRID_LABEL, orphans))
    return rows


def _officers(scope: Scope, grids: dict[int, Figures]) -> list[Row]:
    """Each officer of the scope's grids with the figures of their grids within the scope
    (an officer's figures are their grids'; two officers of one grid both count it)."""
    through = Grid.officers.through
    links = through.objects.filter(grid_id__in=[pk for pk, _ in scope.grids]).values_list(
        "user_id", "user__full_name", "user__username", "grid_id", "grid__name"
    )
    officers: dict[int, tuple[str, list[str], Figures]] = {}
    for user, full_name, username, grid, grid_name in links.order_by("user_id", "grid__code"):
        name, names, figures = officers.get(user, (full_name or username, [], Figures()))
        officers[user] = (name, [*names, grid_name], figures + grids.get(grid, Figures()))
    return [
        Row(OFFICER, pk, name, figures, "、".join(names))
        for pk, (name, names, figures) in sorted(officers.items(), key=lambda i: i[1][0])
    ]
