"""A synthetic county (DESIGN.md §4.1, §4.2, §5): geography with registered household counts,
branches and grids with staff, archived households with plausible families, business entities,
and watch-list entries. Deterministic for a given seed and ``as_of`` (only the AES-GCM nonces
and the rows' created/updated timestamps differ between runs).

Used by ``manage.py seed_county`` (full size), ``manage.py seed_demo`` (small) and benchmarks.
Households are generated in chunks (flat memory) as plain rows holding exactly the columns the
services write (ciphertext, blind index, masked value, birth date, sex ...). On PostgreSQL the
rows go in with COPY from a writer thread, so generation (Python) and ingestion (the server)
use both cores; primary keys are taken from the table sequences up front, under a table lock,
so members point at their households without a round trip. Elsewhere (SQLite) ``bulk_create``.
"""

from __future__ import annotations

import io
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as ChineseNames

from fuxiang import crypto
from fuxiang.accounts.models import Role, User
from fuxiang.masking import mask_phone, mask_resident_id
from households import services
from households.identity import make_resident_id, make_uscc
from households.models import (
    ENTITY_KIND_CATEGORY,
    Branch,
    BusinessEntity,
    County,
    EntityKind,
    Grid,
    Household,
    Member,
    Township,
    Village,
    VillageGroup,
    WatchlistEntry,
    WatchlistKind,
    WatchlistUpload,
)

TOWNSHIP_NAMES = (
    "联星街道", "江桥街道", "网岭镇", "皇图岭镇", "黄丰桥镇", "酒埠江镇", "桃水镇", "鸾山镇",
    "莲塘坳镇", "宁家坪镇", "新市镇", "菜花坪镇", "丫江桥镇", "渌田镇", "峦山镇", "石羊塘镇",
    "柏市镇", "坪阳庙乡",
)  # fmt: skip
VILLAGE_FEATURES = "家冲坪塘湾岭桥山田垅源"
INDUSTRIES = ("farming", "livestock", "business", "wages")
INDUSTRY_WEIGHTS = (40, 15, 15, 30)
WATCHLIST_SOURCE = "合成数据"
ENTRY_ID_COLUMN = "watchlist_entry.id_number"  # as households.watchlists stores entries
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CountyPlan:
    households: int  # archived households to create; the registered count is larger
    seed: int = 2026
    county_name: str = "攸县"
    county_code: str = "430223"
    townships: int = 18
    villages: int = 250
    villages_per_grid: int = 2
    archived_share: float = 0.88
    entity_share: float = 0.036
    watchlist_share: float = 0.01  # of people
    as_of: date | None = None  # ages, list dates and consent times are relative to it
    chunk: int = 4000
    password: str = "fuxiang2026"  # noqa: S105  (demo and benchmark logins only)


def demo_plan(households: int = 400, seed: int = 2026, **overrides: Any) -> CountyPlan:
    """A small county (two townships, six villages) for the demo and tests."""
    return CountyPlan(
        households=households, seed=seed, townships=2, villages=6, villages_per_grid=2,
        **overrides,
    )  # fmt: skip


@dataclass
class CountySummary:
    county: County
    townships: int = 0
    villages: int = 0
    registered_households: int = 0
    households: int = 0
    members: int = 0
    entities: int = 0
    watchlist_entries: int = 0
    watchlist_matches: int | None = None  # None: matching was not available
    notes: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, scope)


# --- names, ID numbers, amounts -------------------------------------------------------------


class _Names:
    """Names drawn from Faker's zh_CN data once, sampled with the county's ``Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = list(ChineseNames.last_names)
        self.surname_cum = list(accumulate(ChineseNames.last_names.values()))
        self.male = [n for n in ChineseNames.first_names_male if len(n) == 1]
        self.female = [n for n in ChineseNames.first_names_female if len(n) == 1]
        self.male_full = list(ChineseNames.first_names_male)
        self.female_full = list(ChineseNames.first_names_female)

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def given(self, male: bool) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(self.male_full if male else self.female_full)
        pool = self.male if male else self.female
        return rng.choice(pool) + rng.choice(pool)

    def full(self, male: bool) -> str:
        return self.surname() + self.given(male)


class _Ids:
    """Unique, valid resident IDs for one county: a counter per birth date."""

    def __init__(self, area_code: str, rng: random.Random):
        self.area_code = area_code
        self.rng = rng
        self.used: dict[date, int] = {}

    def new(self, birth: date, male: bool) -> str:
        n = self.used.get(birth)
        if n is None:
            n = self.rng.randrange(0, 40)
        if n > 499:
            raise RuntimeError("同一县同一天出生的人数超过500，无法生成唯一身份证号")
        self.used[birth] = n + 1
        return make_resident_id(self.area_code, birth, n * 2 + (1 if male else 0))


def _birth(rng: random.Random, as_of: date, age: int) -> date:
    """A birth date on which the person is ``age`` on ``as_of``."""
    return date.fromordinal(as_of.toordinal() - int((age + rng.random()) * 365.2425))


def _money(value: float) -> Decimal:
    return Decimal(max(0, round(value, -2)))


def _org_code(n: int) -> str:
    """A 9-character organisation code (GB 11714): 8 digits (scrambled serial) + check."""
    body = f"{(n * 7919 + 10007) % 10**8:08d}"
    check = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


# --- organisation ---------------------------------------------------------------------------


@dataclass
class _Place:
    """What household generation needs to know about a village."""

    village: Village
    groups: list[VillageGroup]
    officer_id: int
    clans: list[str]
    streets: list[str]
    urban: bool
    archived: int  # households to create here


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, exact sum)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _build_organisation(
    plan: CountyPlan, names: _Names, fake: Faker, rng: random.Random, summary: CountySummary
) -> list[_Place]:
    county = summary.county
    password = make_password(plan.password)
    townships = Township.objects.bulk_create(
        Township(county=county, name=name, code=f"{plan.county_code}{i + 1:03d}")
        for i, name in enumerate(TOWNSHIP_NAMES[: plan.townships])
    )
    urban = [t.name.endswith("街道") for t in townships]
    per_township = _split(plan.villages, [1.6 if u else 1.0 for u in urban])
    village_weights: list[float] = []
    villages: list[Village] = []
    clans: list[list[str]] = []
    streets: list[list[str]] = []
    for t, (township, n) in enumerate(zip(townships, per_township, strict=True)):
        township_streets = list(dict.fromkeys(fake.street_name() for _ in range(12)))
        used: set[str] = set()
        for _ in range(n):
            village_clans = [names.surname() for _ in range(rng.randint(1, 3))]
            community = urban[t] and rng.random() < 0.6
            name = ""
            while not name or name in used:
                stem = (
                    rng.choice(township_streets).removesuffix("路").removesuffix("街")
                    if community
                    else village_clans[0] + rng.choice(VILLAGE_FEATURES)
                )
                name = stem + ("社区" if community else "村")
            used.add(name)
            villages.append(
                Village(township=township, name=name, code=f"{township.code}{len(villages) + 1:04d}")
            )
            village_weights.append(rng.lognormvariate(0, 0.4) * (1.8 if community else 1.0))
            clans.append(village_clans)
            streets.append(township_streets)

    # Archived households per village, then the registered count with the coverage gap.
    archived = _split(plan.households, village_weights)
    target_registered = round(plan.households / plan.archived_share)
    gaps = [a * (1 / min(0.99, max(0.65, rng.gauss(0.88, 0.06))) - 1) for a in archived]
    extra = _split(target_registered - plan.households, gaps) if sum(gaps) else [0] * len(gaps)
    for village, a, e in zip(villages, archived, extra, strict=True):
        village.registered_households = a + e
    summary.registered_households = sum(v.registered_households for v in villages)

    # The bank: one branch per township, grids of a few neighbouring villages, one officer each.
    branches = Branch.objects.bulk_create(
        Branch(name=f"{t.name[:-2] if u else t.name[:-1]}支行", code=f"B{i + 1:03d}")
        for i, (t, u) in enumerate(zip(townships, urban, strict=True))
    )
    grids: list[Grid] = []
    for b, branch in enumerate(branches):
        own = [v for v in villages if v.township == townships[b]]
        for start in range(0, len(own), plan.villages_per_grid):
            grid = Grid(branch=branch, name=f"{own[start].name}网格", code=f"G{b + 1:03d}{len(grids) + 1:03d}")
            grids.append(grid)
            for village in own[start : start + plan.villages_per_grid]:
                village.grid = grid
    Grid.objects.bulk_create(grids)
    for village in villages:
        village.grid_id = village.grid.pk if village.grid else None
    Village.objects.bulk_create(villages)
    summary.townships, summary.villages = len(townships), len(villages)

    def staff(username: str, role: str, male: bool | None = None) -> User:
        male = rng.random() < 0.6 if male is None else male
        return User(username=username, full_name=names.full(male), role=role, password=password)

    admin = User(
        username="admin", full_name="总行管理员", role=Role.HEAD_OFFICE,
        is_staff=True, is_superuser=True, password=password,
    )  # fmt: skip
    auditor = User(username="auditor", full_name="审计员", role=Role.AUDITOR, password=password)
    managers = [staff(f"manager{i + 1}", Role.BRANCH_MANAGER) for i in range(len(branches))]
    officers = [staff(f"officer{i + 1}", Role.OFFICER) for i in range(len(grids))]
    User.objects.bulk_create([admin, auditor, *managers, *officers])
    Branch.managers.through.objects.bulk_create(
        Branch.managers.through(branch_id=b.pk, user_id=m.pk)
        for b, m in zip(branches, managers, strict=True)
    )
    Grid.officers.through.objects.bulk_create(
        Grid.officers.through(grid_id=g.pk, user_id=o.pk)
        for g, o in zip(grids, officers, strict=True)
    )
    summary.logins += [
        ("admin", Role.HEAD_OFFICE.label, "全县 + 系统管理"),
        ("auditor", Role.AUDITOR.label, "全县只读 + 审计日志"),
        *((m.username, Role.BRANCH_MANAGER.label, b.name) for b, m in zip(branches, managers, strict=True)),
        *((o.username, Role.OFFICER.label, g.name) for g, o in zip(grids, officers, strict=True)),
    ]  # fmt: skip

    # Village groups (村民小组): about one per 40 registered households.
    groups = VillageGroup.objects.bulk_create(
        VillageGroup(village=v, name=f"{n}组")
        for v in villages
        for n in range(1, min(15, max(3, v.registered_households // 40)) + 1)
    )
    groups_of: dict[int, list[VillageGroup]] = {}
    for group in groups:
        groups_of.setdefault(group.village_id, []).append(group)
    officer_of_grid = {g.pk: o.pk for g, o in zip(grids, officers, strict=True)}
    return [
        _Place(
            village=v,
            groups=groups_of[v.pk],
            officer_id=officer_of_grid[v.grid_id],
            clans=c,
            streets=s,
            urban=v.name.endswith("社区"),
            archived=a,
        )
        for v, c, s, a in zip(villages, clans, streets, archived, strict=True)
    ]
