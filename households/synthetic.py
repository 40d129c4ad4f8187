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

import csv
import io
import operator
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
    "网岭镇", "联星街道", "皇图岭镇", "江桥街道", "黄丰桥镇", "酒埠江镇", "桃水镇", "鸾山镇",
    "莲塘坳镇", "宁家坪镇", "新市镇", "菜花坪镇", "丫江桥镇", "渌田镇", "峦山镇", "石羊塘镇",
    "柏市镇", "坪阳庙乡",
)  # fmt: skip
VILLAGE_FEATURES = "家冲坪塘湾岭桥山田垅源"
INDUSTRIES = ("farming", "livestock", "business", "wages")
INDUSTRY_WEIGHTS = (40, 15, 15, 30)
WATCHLIST_SOURCE = "合成数据"
ENTRY_ID_COLUMN = services.WATCHLIST_ENTRY_ID_COLUMN
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
        households=households,
        seed=seed,
        townships=2,
        villages=6,
        villages_per_grid=2,
        **overrides,
    )


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


def _unique(stem: str, suffix: str, used: set[str]) -> str:
    """``stem + suffix``, or 上/下/东/西… + it, as neighbouring villages are told apart."""
    for prefix in ("", *"上下东西南北新老大小"):
        name = f"{prefix}{stem}{suffix}"
        if name not in used:
            used.add(name)
            return name
    return _unique(f"{stem}{len(used)}", suffix, used)


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
            stem = (
                rng.choice(township_streets)
                if community
                else village_clans[0] + rng.choice(VILLAGE_FEATURES)
            )
            name = _unique(stem, "社区" if community else "村", used)
            villages.append(
                Village(
                    township=township, name=name, code=f"{township.code}{len(villages) + 1:04d}"
                )
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
            grid = Grid(
                branch=branch,
                name=f"{own[start].name}网格",
                code=f"G{b + 1:03d}{len(grids) + 1:03d}",
            )
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
        username="admin",
        full_name="总行管理员",
        role=Role.HEAD_OFFICE,
        is_staff=True,
        is_superuser=True,
        password=password,
    )
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
    ]
    summary.logins += [
        (m.username, Role.BRANCH_MANAGER.label, b.name)
        for b, m in zip(branches, managers, strict=True)
    ]
    summary.logins += [
        (o.username, Role.OFFICER.label, g.name) for g, o in zip(grids, officers, strict=True)
    ]

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


# --- households, members, entities, list entries --------------------------------------------

HEAD, SPOUSE, CHILD, PARENT = "head", "spouse", "child", "parent"
GRANDCHILD, CHILD_IN_LAW = "grandchild", "child_in_law"
HEALTH = ("good", "fair", "poor")
SHAPES = ("single", "couple", "nuclear", "parents", "grandchildren")
SHAPE_CUM = list(accumulate((15, 30, 33, 9, 13)))
WATCHLIST_KINDS = tuple(WatchlistKind.values)
WATCHLIST_CUM = list(accumulate((20, 9, 4, 32, 35)))  # same order as WatchlistKind
OCCUPATIONS = {"farming": "务农", "livestock": "养殖", "business": "个体经营", "wages": "务工"}
TRADES = ("批发零售", "餐饮", "农产品加工", "交通运输", "建材", "汽修", "服装")
PRODUCTS = ("水稻种植", "油茶种植", "蔬菜种植", "生猪养殖", "家禽养殖", "中药材种植", "水产养殖")
Person = tuple[str, str, int, bool]  # relation, name, age, male


class _Maker:
    """Turns a village into household, member and entity rows (dicts keyed by column)."""

    def __init__(self, plan: CountyPlan, as_of: date, rng: random.Random, names: _Names):
        self.plan, self.as_of, self.rng, self.names = plan, as_of, rng, names
        self.ids = _Ids(plan.county_code, rng)
        self.consent_at = timezone.make_aware(datetime.combine(as_of, time(9)))
        self.entity_serial = 0
        # Enterprises and agricultural entities come mostly from business households.
        business_share = INDUSTRY_WEIGHTS[2] / sum(INDUSTRY_WEIGHTS)
        self.entity_p = {"business": min(1.0, plan.entity_share * 3)}
        rest = max(0.0, plan.entity_share - self.entity_p["business"] * business_share)
        self.entity_p["other"] = rest / (1 - business_share)

    # people

    def family(self, place: _Place) -> list[Person]:
        rng, names = self.rng, self.names
        surname = rng.choice(place.clans) if rng.random() < 0.55 else names.surname()
        shape = rng.choices(SHAPES, cum_weights=SHAPE_CUM)[0]
        if shape == "single":
            male = rng.random() < 0.55
            return [(HEAD, surname + names.given(male), int(rng.triangular(22, 90, 72)), male)]
        head_male = rng.random() < 0.9
        head_age = {
            "couple": rng.randint(24, 34) if rng.random() < 0.25 else int(rng.triangular(45, 85)),
            "nuclear": int(rng.triangular(26, 62, 40)),
            "parents": int(rng.triangular(26, 55, 35)),
            "grandchildren": int(rng.triangular(48, 78, 58)),
        }[shape]
        spouse_age = max(20, head_age + (rng.randint(-6, 2) if head_male else rng.randint(-2, 6)))
        spouse_surname = names.surname()
        people = [
            (HEAD, surname + names.given(head_male), head_age, head_male),
            (SPOUSE, spouse_surname + names.given(not head_male), spouse_age, not head_male),
        ]
        father_surname = surname if head_male else spouse_surname
        young = min(head_age, spouse_age) - 20  # the oldest a child of theirs can be
        if shape in ("nuclear", "parents"):
            count = rng.choices(
                (0, 1, 2, 3), (0, 50, 40, 10) if shape == "nuclear" else (20, 50, 30, 0)
            )[0]
            for _ in range(count):
                male = rng.random() < 0.52
                age = rng.randint(max(0, young - 25), young)
                people.append((CHILD, father_surname + names.given(male), age, male))
        if shape == "parents":
            for male in (True, False)[: rng.randint(1, 2)]:
                age = min(96, head_age + rng.randint(22, 32) - (0 if male else 2))
                parent_surname = surname if male else names.surname()
                people.append((PARENT, parent_surname + names.given(male), age, male))
        if shape == "grandchildren":
            child_male = rng.random() < 0.8
            child_age = rng.randint(22, max(22, young))
            people.append((CHILD, father_surname + names.given(child_male), child_age, child_male))
            in_law_age = max(20, child_age + rng.randint(-3, 3))
            people.append((CHILD_IN_LAW, names.full(not child_male), in_law_age, not child_male))
            grand_surname = father_surname if child_male else people[-1][1][0]
            for _ in range(rng.randint(0, 2) if min(child_age, in_law_age) >= 20 else 0):
                male = rng.random() < 0.52
                age = rng.randint(0, min(child_age, in_law_age) - 20)
                people.append((GRANDCHILD, grand_surname + names.given(male), age, male))
        return people[:6]

    def member(
        self, household_id: int, person: Person, industry: str
    ) -> tuple[dict[str, Any], str]:
        rng = self.rng
        relation, name, age, male = person
        birth = _birth(rng, self.as_of, age)
        number = self.ids.new(birth, male)
        public = 22 <= age < 60 and rng.random() < 0.03
        if age < 7:
            education = "primary"
        elif age < 50:
            education = rng.choices(("college", "senior", "junior", "primary"), (12, 28, 45, 15))[0]
        else:
            education = rng.choices(("college", "senior", "junior", "primary"), (2, 10, 43, 45))[0]
        if public:
            occupation, education = "公职人员", "college"
        elif age < 18 or (age < 23 and rng.random() < 0.5):
            occupation = "学生" if age >= 6 else ""
        elif age >= 70:
            occupation = "无"
        else:
            occupation = (
                OCCUPATIONS[industry] if rng.random() < 0.8 else rng.choice(("务工", "务农"))
            )
        row = {
            "id": None,
            "household_id": household_id,
            "relation": relation,
            "name": name,
            "id_number_encrypted": crypto.encrypt(number, column=services.ID_COLUMN),
            "id_number_index": services.resident_id_index(number),
            "id_number_masked": mask_resident_id(number),
            "birth_date": birth,
            "sex": "M" if male else "F",
            "phone_encrypted": "",
            "phone_index": "",
            "phone_masked": "",
            "health": rng.choices(HEALTH, (80, 16, 4) if age < 60 else (45, 40, 15))[0],
            "education": education,
            "occupation": occupation,
            "labour_ability": "full" if 18 <= age < 60 else "partial" if 16 <= age < 70 else "none",
            "is_public_employee": public,
            "is_dibao": False,
            "is_poverty_alleviated": False,
        }
        if 18 <= age < 75 and rng.random() < 0.9:
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            row["phone_encrypted"] = crypto.encrypt(phone, column=services.PHONE_COLUMN)
            row["phone_index"] = services.phone_index(phone)
            row["phone_masked"] = mask_phone(phone)
        return row, number

    # money

    def economy(self, industry: str, workers: int, poor: bool, urban: bool) -> dict[str, Any]:
        rng = self.rng
        lognorm = rng.lognormvariate
        scale = (0.35 if poor else 1.0) * (1.25 if urban else 1.0)
        crops = livestock = business = wages = 0.0
        land = rng.uniform(0.5, 6)
        heads = 0
        if industry == "farming":
            land = rng.uniform(3, 30)
            crops = land * rng.uniform(1500, 3500)
            wages = rng.choice((0, 0, lognorm(10.3, 0.4)))  # a child working in town
        elif industry == "livestock":
            heads = int(lognorm(3.8, 0.9)) + 3
            livestock = heads * rng.uniform(300, 900)
            crops = land * rng.uniform(800, 2000)
        elif industry == "business":
            business = lognorm(11.4, 0.7)
        else:
            wages = lognorm(10.5, 0.45) * max(1, workers) ** 0.6
            crops = land * rng.uniform(500, 1500) if rng.random() < 0.5 else 0
        gross = (crops + livestock + business + wages) * scale
        house = lognorm(12.2, 0.55) * (1.6 if urban else 1.0) * (0.5 if poor else 1.0)
        deposits = lognorm(10.2, 1.0) * scale
        borrows = rng.random() < (0.45 if industry in ("business", "livestock") else 0.25)
        loans_here = lognorm(11.3, 0.7) if borrows else 0.0
        lenders = rng.choices((0, 1, 2, 3), (72, 20, 6, 2))[0]
        values = {
            "income_crops": _money(crops * scale),
            "income_livestock": _money(livestock * scale),
            "income_business": _money(business * scale),
            "income_wages": _money(wages * scale),
            "income_other": _money(rng.uniform(0, 6000) + (4000 if poor else 0)),
            "annual_costs": _money(gross * rng.uniform(0.35, 0.7)),
            "house_value": _money(house) if rng.random() < 0.9 else Decimal(0),
            "land_contracted_mu": Decimal(f"{land:.1f}"),
            "livestock_heads": heads,
            "livestock_value": _money(heads * rng.uniform(800, 2500)),
            "vehicles_value": _money(lognorm(11.0, 0.6) if rng.random() < 0.35 else 0),
            "deposits": _money(deposits),
            "avg_daily_deposit_here": _money(deposits * rng.uniform(0.2, 0.9)),
            "other_assets": _money(rng.uniform(0, 30000)),
            "loans_this_bank": _money(loans_here),
            "loans_other_banks": _money(sum(lognorm(10.8, 0.6) for _ in range(lenders))),
            "private_loans": _money(lognorm(9.8, 0.6) if rng.random() < 0.08 else 0),
            "other_lenders_count": lenders,
        }
        overdue = rng.choices((0, 1, 2, 3), (88, 7, 3, 2))[0] if borrows or lenders else 0
        values.update(
            overdue_count_24m=overdue,
            has_outstanding_overdue=overdue >= 3,
            has_bad_loan=bool(loans_here) and rng.random() < 0.004,
        )
        return values

    # one household

    def household(self, place: _Place, household_id: int, chunk: _Chunk) -> None:
        rng = self.rng
        village = place.village
        industry = rng.choices(INDUSTRIES, INDUSTRY_WEIGHTS)[0]
        people = self.family(place)
        listing = None
        if rng.random() < self.plan.watchlist_share * len(people) * 0.92:
            listing = self._listing()
        kind, lifted = listing or ("", False)
        poor = kind in ("dibao", "poverty_alleviated") and not lifted
        workers = sum(1 for p in people if 18 <= p[2] < 60)
        group = rng.choice(place.groups)
        address = (
            f"{rng.choice(place.streets)}{rng.randrange(1, 300)}号"
            if place.urban
            else f"{village.name}{group.name}{rng.randrange(1, 120)}号"
        )
        consent = rng.random() < 0.97
        row: dict[str, Any] = {
            "id": household_id,
            "village_id": village.pk,
            "village_group_id": group.pk,
            "address": address,
            "house_ownership": rng.choices(("owned", "rented", "other"), (88, 8, 4))[0],
            "committee_assessment": rng.choices(
                ("very_good", "good", "fair", "poor"), (25, 50, 20, 5)
            )[0],
            "honours_count": rng.choices((0, 1, 2), (90, 8, 2))[0],
            "public_record_deductions": rng.choices((0, 1), (97, 3))[0],
            "rating_consent": consent,
            "consent_recorded_at": self.consent_at - timedelta(days=rng.randrange(720))
            if consent
            else None,
            "created_by_id": place.officer_id,
            "is_dishonest_debtor": False,  # set below from the watch list
            "has_criminal_record": False,
            "has_drug_gambling_flag": False,
            **self.economy(industry, workers, poor, place.urban),
        }
        members = [self.member(household_id, person, industry) for person in people]
        chunk.members += [m for m, _ in members]
        if listing:
            adults = [i for i, p in enumerate(people) if p[2] >= 18] or [0]
            who = 0 if poor or kind in ("dibao", "poverty_alleviated") else rng.choice(adults)
            member, number = members[who]
            if not lifted:
                flag = {
                    "dibao": ("is_dibao", member),
                    "poverty_alleviated": ("is_poverty_alleviated", member),
                    "dishonest_debtor": ("is_dishonest_debtor", row),
                    "criminal_record": ("has_criminal_record", row),
                    "drug_gambling": ("has_drug_gambling_flag", row),
                }[kind]
                flag[1][flag[0]] = True
            chunk.entries.append(self._entry(kind, lifted, member["name"], number))
        if rng.random() < self.plan.watchlist_share * len(people) * 0.08:
            # someone on a list who is not archived (a relative living elsewhere in the county)
            kind, lifted = self._listing()
            age = rng.randint(20, 70)
            male = rng.random() < 0.6
            number = self.ids.new(_birth(rng, self.as_of, age), male)
            chunk.entries.append(self._entry(kind, lifted, self.names.full(male), number))
        chunk.households.append(row)
        p = self.entity_p["business" if industry == "business" else "other"]
        if rng.random() < p:
            head, head_number = members[0]
            chunk.entities.append(self.entity(place, row, head["name"], head_number, industry))

    def _listing(self) -> tuple[str, bool]:
        kind = self.rng.choices(WATCHLIST_KINDS, cum_weights=WATCHLIST_CUM)[0]
        return kind, self.rng.random() < 0.06

    def _entry(self, kind: str, lifted: bool, name: str, number: str) -> dict[str, Any]:
        rng = self.rng
        listed = self.as_of - timedelta(days=rng.randint(30, 2500))
        lifted_on = (
            listed + timedelta(days=rng.randint(0, (self.as_of - listed).days)) if lifted else None
        )
        return {
            "id": None,
            "kind": kind,
            "name": name,
            "id_number_encrypted": crypto.encrypt(number, column=ENTRY_ID_COLUMN),
            "id_number_index": services.resident_id_index(number),
            "id_number_masked": mask_resident_id(number),
            "source": WATCHLIST_SOURCE,
            "listed_on": listed,
            "lifted_on": lifted_on,
        }

    def entity(
        self, place: _Place, household: dict[str, Any], owner: str, owner_id: str, industry: str
    ) -> dict[str, Any]:
        rng = self.rng
        self.entity_serial += 1
        n = self.entity_serial
        county, village = self.plan.county_name, place.village.name.removesuffix("村")
        if industry == "business":
            kind = rng.choices(
                (EntityKind.INDIVIDUAL_BUSINESS, EntityKind.MICRO_ENTERPRISE), (75, 25)
            )[0]
            trade = rng.choice(TRADES)
        else:
            kind = rng.choices(
                (EntityKind.FAMILY_FARM, EntityKind.COOPERATIVE, EntityKind.LARGE_GROWER),
                (45, 25, 30),
            )[0]
            trade = rng.choice(PRODUCTS)
        name = {
            EntityKind.INDIVIDUAL_BUSINESS: f"{county}{village}{owner[0]}记{trade}店",
            EntityKind.MICRO_ENTERPRISE: f"{county}{owner[0]}氏{trade}有限公司",
            EntityKind.FAMILY_FARM: f"{county}{village}{owner}家庭农场",
            EntityKind.COOPERATIVE: f"{county}{village}{trade[:-2]}专业合作社",
            EntityKind.LARGE_GROWER: f"{owner}{trade[-2:]}大户",
        }[kind]
        registration = {
            EntityKind.INDIVIDUAL_BUSINESS: "92",
            EntityKind.COOPERATIVE: "93",
            EntityKind.FAMILY_FARM: rng.choice(("92", "91")),
            EntityKind.MICRO_ENTERPRISE: "91",
        }.get(kind)  # large growers are not registered: no code
        uscc = (
            make_uscc(f"{registration}{self.plan.county_code}{_org_code(n)}")
            if registration
            else None
        )
        agricultural = kind in (
            EntityKind.FAMILY_FARM,
            EntityKind.COOPERATIVE,
            EntityKind.LARGE_GROWER,
        )
        revenue = rng.lognormvariate(13.2 if kind == EntityKind.COOPERATIVE else 12.6, 0.7)
        assets = revenue * rng.uniform(0.6, 2.5)
        liabilities = assets * rng.uniform(0.05, 0.8)
        land = {EntityKind.FAMILY_FARM: (50, 500), EntityKind.COOPERATIVE: (100, 2000)}.get(
            kind, (30, 300)
        )
        return {
            "id": None,
            "household_id": household["id"],
            "category": ENTITY_KIND_CATEGORY[kind].value,
            "kind": kind.value,
            "name": name[:100],
            "uscc": uscc,
            "legal_rep_name": owner,
            "legal_rep_id_encrypted": crypto.encrypt(owner_id, column=services.LEGAL_REP_ID_COLUMN),
            "legal_rep_id_index": services.resident_id_index(owner_id),
            "legal_rep_id_masked": mask_resident_id(owner_id),
            "village_id": place.village.pk,
            "production_address": household["address"],
            "industry": trade,
            "years_operating": rng.randint(1, 20),
            "annual_revenue": _money(revenue),
            "total_assets": _money(assets),
            "total_liabilities": _money(liabilities),
            "current_liabilities": _money(liabilities * rng.uniform(0.3, 1)),
            "employees": rng.randint(5, 50)
            if kind == EntityKind.MICRO_ENTERPRISE
            else rng.randint(1, 8),
            "land_mu": Decimal(f"{rng.uniform(*land):.1f}") if agricultural else Decimal(0),
            "cooperative_members": rng.randint(5, 300) if kind == EntityKind.COOPERATIVE else 0,
            "tax_compliant": rng.random() < 0.95,
            "created_by_id": household["created_by_id"],
        }


@dataclass
class _Chunk:
    households: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


# --- writing ----------------------------------------------------------------------------------

BULK_MODELS: tuple[type[models.Model], ...] = (
    Household,
    Member,
    BusinessEntity,
    BusinessEntity.owner_households.through,
    WatchlistEntry,
)


class _OrmWriter:
    """Any backend: ``bulk_create`` with primary keys assigned here (SQLite's AUTOINCREMENT
    moves past explicit ids by itself)."""

    def __init__(self) -> None:
        self.next_id: dict[type[models.Model], int] = {}

    def start(self) -> None:
        for model in BULK_MODELS:
            last = model.objects.aggregate(last=models.Max("pk"))["last"] or 0
            self.next_id[model] = last + 1

    def assign_ids(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        first = self.next_id[model]
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        self.next_id[model] = first + len(rows)

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)

    def finish(self) -> None:
        pass


class _CopyWriter(_OrmWriter):
    """PostgreSQL: COPY (CSV) from a writer thread while the main thread generates the next
    chunk. The tables are locked against other inserts for the transaction, so the ids taken
    from the sequences here stay ours; the sequences are moved past them at the end."""

    _STOP = None

    def __init__(self) -> None:
        super().__init__()
        self.queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.now = timezone.now()
        self.formats: dict[tuple[type[models.Model], tuple[str, ...]], tuple[Any, ...]] = {}

    def start(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in BULK_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            for model in BULK_MODELS:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table]
                )
                self.next_id[model] = cursor.fetchone()[0]
        connection.ensure_connection()
        raw = connection.connection
        self.thread = threading.Thread(target=self._copy_loop, args=(raw,), daemon=True)
        self.thread.start()

    def _copy_loop(self, raw: Any) -> None:
        try:
            with raw.cursor() as cursor:
                while (item := self.queue.get()) is not self._STOP:
                    sql, data = item
                    cursor.copy_expert(sql, io.BytesIO(data), size=1 << 20)
        except BaseException as exc:  # handed to the main thread in write()/finish()
            self.error = exc
            while self.queue.get() is not self._STOP:  # let the producer finish and stop
                pass

    def _format(self, model: type[models.Model], keys: tuple[str, ...]) -> tuple[Any, ...]:
        """COPY statement, row getter and constant tail for rows with these keys."""
        found = self.formats.get((model, keys))
        if found:
            return found
        given, defaults, columns, nullable = [], [], [], []
        for f in model._meta.concrete_fields:
            if f.attname in keys:
                given.append(f)
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append((f, self.now))
            elif f.has_default():
                defaults.append((f, f.get_default()))
            elif f.null:
                defaults.append((f, None))
            else:
                raise ValueError(f"{model.__name__}.{f.attname} 没有值")
        for f in [*given, *((f for f, _ in defaults))]:
            columns.append(connection.ops.quote_name(f.column))
            if f.null:
                nullable.append(columns[-1])
        q = connection.ops.quote_name
        force_null = f", FORCE_NULL ({', '.join(nullable)})" if nullable else ""
        sql = (
            f"COPY {q(model._meta.db_table)} ({', '.join(columns)}) "
            f"FROM STDIN WITH (FORMAT csv{force_null})"
        )
        getter = operator.itemgetter(*(f.attname for f in given))
        tail = tuple(value for _, value in defaults)
        self.formats[(model, keys)] = found = (sql, getter, tail, len(given) == 1)
        return found

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if self.error:
            raise self.error
        if not rows:
            return
        sql, getter, tail, single = self._format(model, tuple(rows[0]))
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        if single:
            writer.writerows((getter(row), *tail) for row in rows)
        else:
            writer.writerows(getter(row) + tail for row in rows)
        self.queue.put((sql, buffer.getvalue().encode()))

    def finish(self) -> None:
        self.queue.put(self._STOP)
        if self.thread:
            self.thread.join()
        if self.error:
            raise self.error
        with connection.cursor() as cursor:
            for model in BULK_MODELS:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                    [model._meta.db_table, self.next_id[model]],
                )
            cursor.execute(f"ANALYZE {', '.join(q._meta.db_table for q in BULK_MODELS)}")


# --- the county -------------------------------------------------------------------------------


def build_county(plan: CountyPlan, *, progress: ProgressCallback | None = None) -> CountySummary:
    """Create the whole county in one transaction (all or nothing). Refuses to run twice for
    the same county code. Watch-list matches are made by ``households.watchlists``."""
    if County.objects.filter(code=plan.county_code, townships__isnull=False).exists():
        raise ValueError(f"县 {plan.county_code} 已存在，请换一个空数据库")
    as_of = plan.as_of or timezone.localdate()
    rng = random.Random(plan.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(plan.seed)
    names = _Names(rng)
    with transaction.atomic():
        county, _ = County.objects.get_or_create(
            code=plan.county_code, defaults={"name": plan.county_name}
        )
        summary = CountySummary(county=county)
        places = _build_organisation(plan, names, fake, rng, summary)
        upload = WatchlistUpload.objects.create(
            kind=WatchlistKind.DISHONEST_DEBTOR,  # one upload holds every kind (see entries)
            source=WATCHLIST_SOURCE,
            original_name=f"合成名单-{plan.county_code}-{plan.seed}.csv",
        )
        writer = _CopyWriter() if connection.vendor == "postgresql" else _OrmWriter()
        writer.start()
        try:
            _build_households(plan, as_of, rng, names, places, writer, upload, summary, progress)
        finally:
            writer.finish()
        upload.total_rows = upload.accepted_rows = summary.watchlist_entries
        upload.save(update_fields=["total_rows", "accepted_rows"])
        _match_watchlists(as_of, summary)
    return summary


def _build_households(
    plan: CountyPlan,
    as_of: date,
    rng: random.Random,
    names: _Names,
    places: list[_Place],
    writer: _OrmWriter,
    upload: WatchlistUpload,
    summary: CountySummary,
    progress: ProgressCallback | None,
) -> None:
    maker = _Maker(plan, as_of, rng, names)
    through = BusinessEntity.owner_households.through
    row_number = 1
    chunk = _Chunk()

    def flush() -> None:
        nonlocal chunk, row_number
        writer.write(Household, chunk.households)
        writer.assign_ids(Member, chunk.members)
        writer.write(Member, chunk.members)
        owners = [e.pop("household_id") for e in chunk.entities]
        writer.assign_ids(BusinessEntity, chunk.entities)
        writer.write(BusinessEntity, chunk.entities)
        links = [
            {"businessentity_id": e["id"], "household_id": h}
            for e, h in zip(chunk.entities, owners, strict=True)
        ]
        writer.assign_ids(through, links)
        writer.write(through, links)
        for entry in chunk.entries:
            entry["upload_id"], entry["row_number"] = upload.pk, row_number
            row_number += 1
        writer.assign_ids(WatchlistEntry, chunk.entries)
        writer.write(WatchlistEntry, chunk.entries)
        summary.households += len(chunk.households)
        summary.members += len(chunk.members)
        summary.entities += len(chunk.entities)
        summary.watchlist_entries += len(chunk.entries)
        chunk = _Chunk()
        if progress:
            progress(summary.households, plan.households)

    for place in places:
        for _ in range(place.archived):
            household_id = writer.next_id[Household]
            writer.next_id[Household] += 1
            maker.household(place, household_id, chunk)
            if len(chunk.households) >= plan.chunk:
                flush()
    flush()


def _match_watchlists(as_of: date, summary: CountySummary) -> None:
    try:
        from households.watchlists import watchlists_recheck
    except ImportError:
        summary.notes.append("名单比对模块（households.watchlists）尚不可用，未生成名单匹配")
        return
    counts = watchlists_recheck(as_of=as_of)
    summary.watchlist_matches = counts.get("active")
