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
from dashboards.engine.figures import FIELD_NAMES
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
    rows = scope_rows(scope, snapshot).values_list("village_id", "grid_id", *FIELD_NAMES)
    for village, grid, *values in rows:
        figures = Figures(*values)  # the columns are the figures, in their order, never NULL
        if village is not None:
            villages[village] = figures
        else:  # at most one rest row per grid and day
            rest[grid] = rest[grid] + figures if grid in rest else figures
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
    groups: dict[tuple[str, int | None, str, str], list[Figures]] = defaultdict(list)
    for village in scope.villages:
        groups[key(village)].append(by_village[village.pk])
    return [
        Row(kind, pk, name, Figures.total(members), parent)
        for (kind, pk, name, parent), members in groups.items()
    ]


def _by_grid(
    scope: Scope, by_village: dict[int, Figures], rest: dict[int | None, Figures]
) -> dict[int, Figures]:
    grids: dict[int, list[Figures]] = defaultdict(list)
    for village in scope.villages:
        if village.grid_id is not None:
            grids[village.grid_id].append(by_village[village.pk])
    for grid, figures in rest.items():
        if grid is not None:
            grids[grid].append(figures)
    return {grid: Figures.total(members) for grid, members in grids.items()}


def _by_branch(
    scope: Scope, by_village: dict[int, Figures], rest: dict[int | None, Figures]
) -> list[Row]:
    grids = _by_grid(scope, by_village, rest)
    branch_of = {
        pk: (branch, name)
        for pk, branch, name in Grid.objects.values_list("pk", "branch_id", "branch__name")
    }
    branches: dict[tuple[int, str], list[Figures]] = defaultdict(list)
    orphans: list[Figures] = []
    for grid, figures in grids.items():
        if grid in branch_of:
            branches[branch_of[grid]].append(figures)
        else:
            orphans.append(figures)
    orphans += [by_village[v.pk] for v in scope.villages if v.grid_id is None]
    if None in rest:
        orphans.append(rest[None])
    rows = [
        Row(BRANCH, pk, name, Figures.total(members))
        for (pk, name), members in sorted(branches.items())
    ]
    orphan_total = Figures.total(orphans)
    if not orphan_total.is_empty():
        rows.append(Row("", None, NO_GRID_LABEL, orphan_total))
    return rows


def _officers(scope: Scope, grids: dict[int, Figures]) -> list[Row]:
    """Each officer of the scope's grids with the figures of their grids within the scope
    (an officer's figures are their grids'; two officers of one grid both count it)."""
    through = Grid.officers.through
    links = through.objects.filter(grid_id__in=[pk for pk, _ in scope.grids]).values_list(
        "user_id", "user__full_name", "user__username", "grid_id", "grid__name"
    )
    officers: dict[int, tuple[str, list[str], list[Figures]]] = {}
    for user, full_name, username, grid, grid_name in links.order_by("user_id", "grid__code"):
        _, names, figures = officers.setdefault(user, (full_name or username, [], []))
        names.append(grid_name)
        figures.append(grids.get(grid, Figures()))
    return [
        Row(OFFICER, pk, name, Figures.total(figures), "、".join(names))
        for pk, (name, names, figures) in sorted(officers.items(), key=lambda i: i[1][0])
    ]
