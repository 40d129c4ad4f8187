"""Which part of the county a dashboard shows, and whether the user may see it.

A scope is the county, a township, a branch, a grid, an officer (their grids) or a village,
resolved for a user from the households' scoping (``villages_visible_to``,
``grids_visible_to``): a scope outside the user's sight does not exist for them
(``NotFound``: 404, as another branch's archive); the county is head office's and the
auditors' (``PermissionDenied``: 403 for other roles, who have their branch or grids)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role, User
from fuxiang.errors import NotFound, PermissionDenied
from households.models import Branch, Grid, Township, Village
from households.selectors import grids_visible_to, villages_visible_to

COUNTY, TOWNSHIP, BRANCH, GRID, OFFICER, VILLAGE = (
    "county",
    "township",
    "branch",
    "grid",
    "officer",
    "village",
)
KINDS = (COUNTY, TOWNSHIP, BRANCH, GRID, OFFICER, VILLAGE)
LEVEL_LABELS = {
    COUNTY: "全县",
    TOWNSHIP: "乡镇",
    BRANCH: "支行",
    GRID: "网格",
    OFFICER: "客户经理",
    VILLAGE: "村/社区",
}


@dataclass(frozen=True)
class VillageRef:
    pk: int
    name: str
    township_id: int
    township_name: str
    grid_id: int | None
    grid_name: str
    branch_id: int | None
    branch_name: str


@dataclass(frozen=True)
class Scope:
    """``villages``: the villages whose rows count; ``rest_grids``: the grids whose rows of
    no village count too (None: every such row, the county's)."""

    kind: str
    pk: int | None
    name: str
    villages: tuple[VillageRef, ...]
    rest_grids: frozenset[int] | None
    grids: tuple[tuple[int, str], ...] = ()  # (id, name) of a branch's or an officer's grids

    @property
    def level(self) -> str:
        return LEVEL_LABELS[self.kind]

    @property
    def village_ids(self) -> list[int]:
        return [v.pk for v in self.villages]

    @property
    def is_county(self) -> bool:
        return self.kind == COUNTY

    @property
    def title(self) -> str:
        if self.kind == COUNTY:
            return self.name
        return f"{self.name}（{self.level}）" if self.kind == OFFICER else self.name


def _refs(villages: Any) -> tuple[VillageRef, ...]:
    rows = villages.order_by("code").values_list(
        "pk",
        "name",
        "township_id",
        "township__name",
        "grid_id",
        "grid__name",
        "grid__branch_id",
        "grid__branch__name",
    )
    return tuple(
        VillageRef(pk, name, township, t_name, grid, g_name or "", branch, b_name or "")
        for pk, name, township, t_name, grid, g_name, branch, b_name in rows
    )


def scope_for(user: Any, kind: str, pk: int | None = None) -> Scope:
    """The scope ``kind``/``pk`` as ``user`` may see it; ``NotFound`` when it does not exist
    or lies outside their sight, ``PermissionDenied`` for the county to other roles."""
    if kind == COUNTY:
        if not roles.sees_everything(user):
            raise PermissionDenied("全县统计仅供总行和审计人员查看；请查看本支行或本网格的统计。")
        county = Township.objects.select_related("county").first()
        name = county.county.name if county else "全县"
        return Scope(COUNTY, None, name, _refs(Village.objects.all()), None)
    if pk is None:
        raise NotFound()
    visible = villages_visible_to(user)
    if kind == TOWNSHIP:
        township = Township.objects.filter(pk=pk).first()
        villages = _refs(visible.filter(township_id=pk)) if township else ()
        if not villages:
            raise NotFound()
        assert township is not None  # noqa: S101  (villages were found in it)
        return Scope(TOWNSHIP, pk, township.name, villages, frozenset())
    if kind == BRANCH:
        branch = Branch.objects.filter(pk=pk).first()
        may = branch is not None and (
            roles.sees_everything(user)
            or (
                getattr(user, "role", None) == Role.BRANCH_MANAGER
                and branch.managers.filter(pk=user.pk).exists()
            )
        )
        if not may:
            raise NotFound()
        assert branch is not None  # noqa: S101
        grids = tuple(Grid.objects.filter(branch=branch).order_by("code").values_list("pk", "name"))
        return Scope(
            BRANCH,
            pk,
            branch.name,
            _refs(Village.objects.filter(grid__branch=branch)),
            frozenset(g for g, _ in grids),
            grids,
        )
    if kind == GRID:
        grid = grids_visible_to(user).filter(pk=pk).first()
        if grid is None:
            raise NotFound()
        return Scope(
            GRID,
            pk,
            grid.name,
            _refs(Village.objects.filter(grid=grid)),
            frozenset([grid.pk]),
            ((grid.pk, grid.name),),
        )
    if kind == OFFICER:
        officer = User.objects.filter(pk=pk, role=Role.OFFICER).first()
        if officer is None or (
            getattr(user, "role", None) == Role.OFFICER and officer.pk != user.pk
        ):
            raise NotFound()
        grids = tuple(
            grids_visible_to(user)
            .filter(officers=officer)
            .order_by("code")
            .values_list("pk", "name")
        )
        if not grids:
            raise NotFound()
        ids = [g for g, _ in grids]
        return Scope(
            OFFICER,
            pk,
            officer.display_name,
            _refs(Village.objects.filter(grid_id__in=ids)),
            frozenset(ids),
            grids,
        )
    if kind == VILLAGE:
        village = visible.filter(pk=pk)
        refs = _refs(village)
        if not refs:
            raise NotFound()
        return Scope(VILLAGE, pk, refs[0].name, refs, frozenset())
    raise NotFound()


def home_scope(user: Any) -> Scope | None:
    """The dashboard a user lands on: the county for head office and auditors, a manager's
    (first) branch, an officer's grids; None when nothing is assigned to them yet."""
    if roles.sees_everything(user):
        return scope_for(user, COUNTY)
    role = getattr(user, "role", None)
    if role == Role.BRANCH_MANAGER:
        branch = Branch.objects.filter(managers=user).order_by("code").first()
        return scope_for(user, BRANCH, branch.pk) if branch else None
    if role == Role.OFFICER and Grid.objects.filter(officers=user).exists():
        return scope_for(user, OFFICER, user.pk)
    return None


def branches_of(user: Any) -> list[tuple[int, str]]:
    """The branches a manager manages (for a switcher when there are several)."""
    return list(Branch.objects.filter(managers=user).order_by("code").values_list("pk", "name"))
